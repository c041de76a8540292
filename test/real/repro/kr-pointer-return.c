/* cc-wb bug, SILENT MISS (found at 05:10 in zlib's gzread.c gzgets(), lines 587/589; fixed in the pass
 * by 05:40, kept as a regression input): in a K&R definition whose declarator is a pointer
 * (`char *f(a, b)`), no store in the body was barriered, yet the unit was reported as instrumented.
 *   CC_WB_REPORT=/tmp/r.jsonl cc-wb -c kr-pointer-return.c
 * expected sites: lines 19 (call memcpy), 20 (compound +=), 29 (compound +=); cc-wb reported only 29. */
#include <string.h>

struct st { unsigned char *next; unsigned have; };
typedef struct st *stp;
typedef struct gzFile_s *gzFile;

char * kr_gets(file, buf, len)
    gzFile file;
    char *buf;
    int len;
{
    stp state = (stp)file;
    unsigned n = (unsigned)len;
    memcpy(buf, state->next, n);
    state->next += n;
    return buf;
}

int kr_int(file, len)
    gzFile file;
    int len;
{
    stp state = (stp)file;
    state->next += len;
    return 0;
}
