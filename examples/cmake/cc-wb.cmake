# CMake toolchain file: compile C with cc-wb.
#
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=node_modules/cc-wb/examples/cmake/cc-wb.cmake
#
# CC_WB names the cc-wb to use. When it is not given, this file looks for the cc-wb of the package
# (or checkout) it belongs to, then for node_modules/.bin/cc-wb next to itself (a copy of this file
# kept at the root of a project that depends on cc-wb). The real compiler is `cc` unless CC_WB_CC
# names another (CC_WB_CC=clang).
set(CC_WB "" CACHE FILEPATH "the cc-wb compiler driver (searched for when empty)")
if(NOT CC_WB)
  foreach(candidate "${CMAKE_CURRENT_LIST_DIR}/../../toolchain/bin/cc-wb.js" "${CMAKE_CURRENT_LIST_DIR}/node_modules/.bin/cc-wb")
    if(EXISTS "${candidate}")
      get_filename_component(found "${candidate}" ABSOLUTE)
      set(CC_WB "${found}" CACHE FILEPATH "the cc-wb compiler driver (searched for when empty)" FORCE)
      break()
    endif()
  endforeach()
endif()
if(NOT CC_WB OR NOT EXISTS "${CC_WB}")
  message(FATAL_ERROR "cc-wb not found next to ${CMAKE_CURRENT_LIST_FILE} (nor in node_modules/.bin/cc-wb there): "
    "use the cc-wb.cmake of an installed cc-wb (node_modules/cc-wb/examples/cmake/cc-wb.cmake), or pass -DCC_WB=/path/to/cc-wb")
endif()
# try_compile projects (CMake's compiler checks) read this file again: hand them the same CC_WB.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CC_WB)
set(CMAKE_C_COMPILER "${CC_WB}")
