/* The ABI version symbol, __wb_abi_version_<WB_ABI_VERSION> (wb_abi.h), which every instrumented
 * unit refers to through the prelude. An object of its own that needs nothing else: a unit with no
 * barrier pulls only this from the archive, as before it pulled nothing. */
#include "../include/wb_abi.h"

#define WB_ABI_PASTE_(a, b) a##b
#define WB_ABI_PASTE(a, b) WB_ABI_PASTE_(a, b)
const unsigned char WB_ABI_PASTE(__wb_abi_version_, WB_ABI_VERSION) = WB_ABI_VERSION;
