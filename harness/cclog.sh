#!/bin/bash
# Compiler front: records each invocation (working directory + argv, NUL-separated, one file per call
# so parallel make jobs never interleave) in $CC_WB_CMDLOG, then becomes the real compiler. The
# barrier oracle replays these with clang to see exactly what the build compiled, with which flags.
if [ -n "${CC_WB_CMDLOG:-}" ]; then
  printf '%s\0' "$PWD" "$@" >"$CC_WB_CMDLOG/cmd.${EPOCHREALTIME/[.,]/}.$$"
fi
exec "$@"
