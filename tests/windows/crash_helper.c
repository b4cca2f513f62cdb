/* crash_helper.c - crashes on purpose (a write through a null pointer), so that the Windows test
 * set proves a crash FAILS a test: ctest runs it with WILL_FAIL, which passes only when the run
 * fails (non-zero exit, or Wine's crash message matched by the fail regex). Wine may exit 0 after
 * an unhandled exception (toolchain.md section 4); the fail regex catches that case. */
#include <stdio.h>

int main(void) {
  fputs("crash_helper: writing through a null pointer\n", stderr);
  fflush(stderr);
  volatile int *volatile p = NULL;
  *p = 42;
  return 0;
}
