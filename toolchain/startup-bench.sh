#!/bin/sh
# Per-call cost of cc-wb against the plain compiler: mean wall and CPU (user+sys, children included)
# over N calls. CPU time is the figure to compare on a shared machine; wall time needs an idle one.
#   toolchain/startup-bench.sh [N]        (needs npm run build)
set -eu
N=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
W="$here/bin/cc-wb.js"
STUB="$here/../test/toolchain/fixtures/stub-pass.mjs"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
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
t() {
  label=$1; shift
  /usr/bin/time -f "%e %U %S" sh -c "i=0; while [ \$i -lt $N ]; do $* >/dev/null 2>&1; i=\$((i+1)); done" 2>&1 | tail -1 |
    awk -v n="$N" -v l="$label" '{ printf "%8.1f ms wall %8.1f ms cpu   %s\n", 1000*$1/n, 1000*($2+$3)/n, l }'
}
t 'node -e 0 (the floor)' node -e 0
t 'cc --version' cc --version
t 'cc-wb --version' "$W" --version
t 'cc -E libc.c' cc -E libc.c
t 'cc-wb -E libc.c' "$W" -E libc.c
t 'cc -c small.c' cc -c small.c
t 'cc-wb --wb-no-instrument -c small.c' "$W" --wb-no-instrument -c small.c
t 'cc-wb -c small.c, identity pass (driver + cc -E)' env CC_WB_PASS_MODULE="$STUB" "$W" -c small.c
t 'cc-wb -c small.c' "$W" -c small.c
t 'cc -O2 -c libc.c' cc -O2 -c libc.c
t 'cc-wb -O2 -c libc.c, identity pass' env CC_WB_PASS_MODULE="$STUB" "$W" -O2 -c libc.c
t 'cc-wb -O2 -c libc.c' "$W" -O2 -c libc.c
