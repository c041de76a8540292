/* Found by: GCC torture execute/920428-2, 920501-1, 920812-1, 920908-2, 921113-1 (cc-wb warns
 * "cannot parse" and compiles the whole unit without write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: fixed (2026-11-22, instrument/)
 *
 * Expected: cc-wb instruments this unit (the store `g = &s[1]` is a pointer store into a global) and the program
 * exits 0 as under cc. GNU C (gnu17, gcc's default) still accepts K&R-era definitions whose
 * return type is implicit int; tree-sitter-c 0.24 mis-parses them depending on the context (an empty
 * parameter list after an array declaration, as here; a typedef or struct parameter type, as in
 * `typedef int t; f(t y) {...}`), and the pass falls back to a plain compile for the whole unit.
 */
int *g;
int s[2];
x(){g = &s[1]; return 1;}

int main(void) { return x() == 1 && g == &s[1] ? 0 : 1; }
