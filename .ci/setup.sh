#!/usr/bin/env bash
# System tools the tests need, installed from Debian. Idempotent: on a machine that already has
# everything it touches nothing and makes no network request. .ci/run calls it before `npm ci && npm test`.
#
#   clang            the barrier-completeness oracle (clang -Xclang -ast-dump=json)
#   dpkg-dev         dpkg-source, which `apt-get source` unpacks with
#   patch            applying selected Debian patches (lua5.4's security fixes)
#   bzip2 xz-utils   unpacking Debian source tarballs
#   gcc make         plain builds of the real programs
#   csmith libcsmith-dev   conformance (random differential testing)
#   gdb              unwinding through the x86-64 store hook (test/toolchain/store-hook.test.ts)
set -euo pipefail

packages=(clang csmith libcsmith-dev dpkg-dev patch bzip2 xz-utils gcc g++ make ccache distcc autoconf automake libtool cmake binutils procps valgrind gdb gcc-12-source)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# `apt-get source` needs a deb-src entry for the same archive the machine installs from. Derive it
# from the machine's own deb entries (deb822 or one-line format) rather than naming a mirror here.
have_deb_src() {
  grep -rqsE '^[[:space:]]*(Types:.*deb-src|deb-src[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/
}

added_src=0
if ! have_deb_src; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -E 's/^Types:[[:space:]]*deb([[:space:]]*)$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      as_root tee /etc/apt/sources.list.d/cc-wb-src.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' /etc/apt/sources.list |
      as_root tee /etc/apt/sources.list.d/cc-wb-src.list >/dev/null
  else
    echo "setup.sh: no Debian deb entries found to derive a deb-src entry from" >&2
    exit 1
  fi
  added_src=1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

have_sources_index() {
  compgen -G '/var/lib/apt/lists/*_source_Sources*' >/dev/null
}

if [ "$added_src" = 1 ] || [ "${#missing[@]}" -gt 0 ] || ! have_sources_index; then
  as_root apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The tests fail early with a clear message if any of these is still missing.
for tool in clang csmith dpkg-source patch cc make; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool is not installed" >&2; exit 1; }
done
apt-cache showsrc bzip2 2>/dev/null | grep -q '^Package: bzip2' ||
  { echo "setup.sh: apt has no source index (deb-src entry missing?)" >&2; exit 1; }
echo "setup.sh: system tools ready"
