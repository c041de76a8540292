/* Found by: adversarial input for the pass (the barrier drew warnings the plain code does not:
 * -Waddress-of-packed-member on stores into packed records, and with clang -Wunused-value on a
 * barriered store as a comma's left operand or a statement expression's last statement).
 * conformance-flags: -O2 -Wall -Wextra -Werror
 * conformance-status: fixed 2026-12-06 (the instrumented text compiles with its own warnings
 *   silenced; the user's diagnostics come from the original source)
 *
 * Expected (as plain cc): builds under -Werror, the stores barriered, prints "ok".
 * cc-wb: the instrumented unit drew those warnings, failed under -Werror, and was compiled
 * without barriers.
 */
#include <stdio.h>

struct __attribute__((packed)) rec { char tag; int *p; };
struct half { char tag; int *p __attribute__((packed)); };
struct node { struct node *next; };

static struct rec r;
static struct half h;
static struct node *head;

#define LINK(a, b) ((a)->next = (b), (a))

int main(void) {
  int x;
  struct node n1 = {0}, n2 = {0};
  r.p = &x;
  h.p = &x;
  struct node *got = LINK(&n1, &n2);
  for (n2.next = &n1, head = &n2; head != &n2;) head = 0;
  struct node *last = ({ n1.next = &n2; });
  puts(r.p == &x && h.p == &x && got == &n1 && head == &n2 && last == &n2 && n2.next == &n1 ? "ok" : "wrong");
  return 0;
}
