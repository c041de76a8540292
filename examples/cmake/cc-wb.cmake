# CMake toolchain file: compile C with cc-wb.
#
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=cc-wb.cmake
#
# CC_WB names the cc-wb to use. By default it is the one npm installed next to this file, i.e.
# node_modules/.bin/cc-wb of a project that depends on cc-wb and keeps this file at its root.
# The real compiler is `cc` unless CC_WB_CC says otherwise (e.g. CC_WB_CC=clang).
set(CC_WB "${CMAKE_CURRENT_LIST_DIR}/node_modules/.bin/cc-wb" CACHE FILEPATH "the cc-wb compiler driver")
if(NOT EXISTS "${CC_WB}")
  message(FATAL_ERROR "cc-wb not found at ${CC_WB}: run 'npm install cc-wb' next to this file, or pass -DCC_WB=/path/to/cc-wb")
endif()
# try_compile projects (CMake's compiler checks) read this file again: hand them the same CC_WB.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CC_WB)
set(CMAKE_C_COMPILER "${CC_WB}")
