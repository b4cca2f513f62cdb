/* Allocation failure injection for tests, through the linker's --wrap: every malloc,
 * calloc and realloc made by the code under test goes through here, and the Nth can be
 * made to fail. No seam in the production code is needed. */
#include "alloc_fail.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t c, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t c, size_t n);
void *__wrap_realloc(void *p, size_t n);

static long countdown = -1; /* -1: never fail */
static long calls;

void pc_alloc_fail_at(long nth) {
  countdown = nth;
  calls = 0;
}

long pc_alloc_calls(void) {
  return calls;
}

static int should_fail(void) {
  calls++;
  if (countdown < 0) return 0;
  return --countdown == 0;
}

void *__wrap_malloc(size_t n) {
  return should_fail() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t c, size_t n) {
  return should_fail() ? NULL : __real_calloc(c, n);
}
void *__wrap_realloc(void *p, size_t n) {
  return should_fail() ? NULL : __real_realloc(p, n);
}
