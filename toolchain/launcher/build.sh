#!/bin/sh
# Builds the native launcher (cc-wb-launch.c) into build/cc-wb-launch with nothing but cc. Run by
# `npm run build` and `prepare`, and by toolchain/bin/cc-wb.js on first use when it is missing.
# The result is renamed into place, so concurrent first uses never run half a file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/build"
tmp="$here/build/.cc-wb-launch.$$"
trap 'rm -f "$tmp"' EXIT
cc -std=c11 -O2 -o "$tmp" "$here/cc-wb-launch.c"
mv -f "$tmp" "$here/build/cc-wb-launch"
