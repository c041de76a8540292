/* Linked into libwbrt.so only. An instrumented executable carries its own runtime (libwbrt.a)
 * and exports its __wb_* names, so the instrumented shared objects it loads bind to that runtime
 * and register their flags with it; libwbrt.so, loaded as their dependency, is then never called
 * and must stay idle. libwbrt.so is linked -Bsymbolic-functions (not -Bsymbolic,
 * whose DT_SYMBOLIC would make dlsym look here first), so its own reference to
 * __wb_dso_register is its own definition whatever the process exports. */
#include <dlfcn.h>
#include "../internal.h"

int wb_runtime_interposed(void)
{
  void *first = dlsym(RTLD_DEFAULT, "__wb_dso_register");
  return first != NULL && first != (void *)__wb_dso_register;
}
