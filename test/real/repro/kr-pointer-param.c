/* cc-wb bug (found at 05:10; fixed in the pass by 05:40, kept as a regression input): a K&R definition
 * whose first parameter declaration is a pointer (`void *file;`) made the whole unit fall back to an
 * uninstrumented compile ("cannot parse '*'", line 10). CC_WB_REPORT=/tmp/r.jsonl cc-wb -c kr-pointer-param.c
 * expected: instrumented, sites at lines 15 (call memcpy) and 16 (compound +=). */
#include <string.h>

struct st { unsigned char *next; unsigned have; };

char *kr_gets(file, buf, len)
    void *file;
    char *buf;
    int len;
{
    struct st *state = (struct st *)file;
    memcpy(buf, state->next, (unsigned)len);
    state->next += len;
    return buf;
}
