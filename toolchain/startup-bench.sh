#!/bin/sh
# Per-call cost of cc-wb against the plain compiler: mean wall time and CPU time per call over N
# calls; CPU is user+sys of the command and its children, plus (column "server") what the resident
# servers spent for it, so "total" is everything a build pays. CPU is the figure to compare on a
# shared machine; wall time needs an idle one.
#   toolchain/startup-bench.sh [N [FILE.c FLAGS...]]     (needs npm run build)
# With FILE.c, only that unit's compile (-c) is measured, with FLAGS.
# "node cc-wb.js" rows run the Node driver directly (as before the launcher); "cc-wb" rows run the
# command as make does (toolchain/bin/cc-wb.js: the native launcher, served by a warm server).
set -eu
N=${1:-20}
[ $# -gt 0 ] && shift
unit=
if [ $# -gt 0 ]; then
  unit=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  shift
  flags="-I$(dirname "$unit") $*"
fi
here=$(cd "$(dirname "$0")" && pwd)
W="$here/bin/cc-wb.js"
STUB="$here/../test/toolchain/fixtures/stub-pass.mjs"
CLIENT="$here/../dist/toolchain/passclient.js"
dir=$(mktemp -d)
servers="$dir/servers"
mkdir -m 700 "$servers"
export CC_WB_SERVER_DIR="$servers" CC_WB_SERVER_SLOTS=1 CC_WB_SERVER_IDLE=600
trap 'node --input-type=module -e "(await import(process.argv[1])).stopServers(process.argv[2])" "$CLIENT" "$servers" >/dev/null 2>&1; rm -rf "$dir"' EXIT
cd "$dir"
printf 'int f(int a) { return a + 1; }\n' > small.c
cat > libc.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; char *name; };
static struct node *head;
void push(const char *s) { struct node *n = malloc(sizeof *n); n->name = strdup(s); n->next = head; head = n; }
void dump(void) { for (struct node *n = head; n; n = n->next) printf("%s\n", n->name); }
C
# configure's two kinds of test: a link test of a program, a compile test of a declaration
printf '#include <stdio.h>\nint main(void) { printf("hi"); return 0; }\n' > conflink.c
printf '#include <sys/types.h>\n#include <stdint.h>\n#include <stdlib.h>\nint main(void) { static int a[1 - 2 * !(sizeof(off_t) >= 8)]; a[0] = 0; return a[0]; }\n' > confcomp.c
server_ms() {
  node --input-type=module -e "console.log((await (await import(process.argv[1])).serverUsage(process.argv[2])).cpuMs)" "$CLIENT" "$servers"
}
# the server, warm (started by the first compile, then V8-optimised by a few)
"$W" -O2 -c libc.c >/dev/null 2>&1 || true
while [ -z "$(ls "$servers" | grep '^drive-')" ]; do sleep 0.1; done
for i in 1 2 3 4 5; do "$W" -O2 -c libc.c; "$W" conflink.c -o conflink; done >/dev/null 2>&1
t() {
  label=$1; shift
  before=$(server_ms)
  line=$(/usr/bin/time -f "%e %U %S" sh -c "i=0; while [ \$i -lt $N ]; do $* >/dev/null 2>&1; i=\$((i+1)); done" 2>&1 | tail -1)
  after=$(server_ms)
  echo "$line $before $after" | awk -v n="$N" -v l="$label" '{ c = 1000*($2+$3)/n; s = ($5-$4)/n;
    printf "%8.1f ms wall %8.1f ms cpu %7.1f ms server %8.1f ms total   %s\n", 1000*$1/n, c, s, c + s, l }'
}
if [ -n "$unit" ]; then
  "$W" $flags -c "$unit" -o unit.o >/dev/null 2>&1
  t "cc $flags -c $(basename "$unit")" cc $flags -c "$unit" -o unit.o
  t "node cc-wb.js (same)" node "$W" $flags -c "$unit" -o unit.o
  t "cc-wb (same)" "$W" $flags -c "$unit" -o unit.o
  exit 0
fi
t 'node -e 0 (the floor)' node -e 0
t 'cc --version' cc --version
t 'node cc-wb.js --version' node "$W" --version
t 'cc-wb --version (runs node)' "$W" --version
t 'cc -c small.c' cc -c small.c
t 'node cc-wb.js --wb-no-instrument -c small.c' node "$W" --wb-no-instrument -c small.c
t 'cc-wb --wb-no-instrument -c small.c' "$W" --wb-no-instrument -c small.c
t 'node cc-wb.js -c small.c, identity pass (driver + cc -E)' env CC_WB_PASS_MODULE="$STUB" node "$W" -c small.c
t 'node cc-wb.js -c small.c' node "$W" -c small.c
t 'cc-wb -c small.c' "$W" -c small.c
t 'cc conflink.c -o conflink (configure link test)' cc conflink.c -o conflink
t 'node cc-wb.js conflink.c -o conflink' node "$W" conflink.c -o conflink
t 'cc-wb conflink.c -o conflink' "$W" conflink.c -o conflink
t 'cc -c confcomp.c (configure compile test)' cc -c confcomp.c
t 'node cc-wb.js -c confcomp.c' node "$W" -c confcomp.c
t 'cc-wb -c confcomp.c' "$W" -c confcomp.c
t 'cc -O2 -c libc.c' cc -O2 -c libc.c
t 'node cc-wb.js -O2 -c libc.c' node "$W" -O2 -c libc.c
t 'cc-wb -O2 -c libc.c' "$W" -O2 -c libc.c
