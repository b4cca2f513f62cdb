/* pc_test.h - a minimal test harness: register cases with PC_TEST, check with PC_CHECK*.
 *
 * A test executable holds many cases; it prints one line per case and a closing
 * "N passed, N failed" line, and exits 0 only when nothing failed. A case may call
 * PC_SKIP(reason) (e.g. when ../shared is absent); a run where every case skipped exits
 * 77, which ctest reports as skipped. */
#ifndef PC_TEST_H
#define PC_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc_compiler.h"

typedef void (*pc_test_fn)(void);
void pc__test_register(const char *name, pc_test_fn fn);
void pc__test_fail(const char *file, int line, const char *fmt, ...) PC_PRINTF(3, 4);
void pc__test_skip(const char *reason);
int pc__test_failed_now(void);

#define PC_TEST(name)                                             \
  static void name(void);                                         \
  __attribute__((constructor)) static void pc__reg_##name(void) { \
    pc__test_register(#name, name);                               \
  }                                                               \
  static void name(void)

#define PC_CHECK(cond)                                                         \
  do {                                                                         \
    if (!(cond)) pc__test_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
  } while (0)

#define PC_CHECK_INT(a, b)                                                                        \
  do {                                                                                            \
    long long pc__a = (long long)(a), pc__b = (long long)(b);                                     \
    if (pc__a != pc__b)                                                                           \
      pc__test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, pc__a, #b, pc__b); \
  } while (0)

#define PC_CHECK_UINT(a, b)                                                                 \
  do {                                                                                      \
    unsigned long long pc__a = (unsigned long long)(a), pc__b = (unsigned long long)(b);    \
    if (pc__a != pc__b)                                                                     \
      pc__test_fail(__FILE__, __LINE__, "%s == 0x%llx, expected 0x%llx", #a, pc__a, pc__b); \
  } while (0)

#define PC_CHECK_STR(a, b)                                                                             \
  do {                                                                                                 \
    const char *pc__a = (a), *pc__b = (b);                                                             \
    if (!pc__a || !pc__b || strcmp(pc__a, pc__b) != 0)                                                 \
      pc__test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, pc__a ? pc__a : "(null)", \
                    pc__b ? pc__b : "(null)");                                                         \
  } while (0)

#define PC_SKIP(reason)    \
  do {                     \
    pc__test_skip(reason); \
    return;                \
  } while (0)

/* Text written to a stream, for functions that print to a FILE*: pc_test_stream() opens a
 * temporary stream (standard C tmpfile, so it works on Windows too), pc_test_stream_text()
 * closes it and returns everything written (malloc'd, NUL-terminated; caller frees). */
FILE *pc_test_stream(void);
char *pc_test_stream_text(FILE *f, size_t *len);

/* Returns $PC_SHARED_DIR/<rel> in a static buffer when the file exists, else NULL. */
const char *pc_test_shared_path(const char *rel);
/* Returns $PC_SOURCE_DIR/<rel> in a static buffer (tests run from the build tree). */
const char *pc_test_source_path(const char *rel);
/* Reads the whole file at path into a new NUL-terminated buffer (caller frees) and stores its
 * length in *len when len is not NULL. Returns NULL when path is NULL, the file cannot be
 * opened or read, or memory runs out. */
char *pc_test_read_file(const char *path, size_t *len);

#endif
