#include "pc_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define PC_TEST_MAX 1024

static struct {
  const char *name;
  pc_test_fn fn;
} tests[PC_TEST_MAX];
static int test_count;
static int current_failed, current_skipped;

void pc__test_register(const char *name, pc_test_fn fn) {
  if (test_count < PC_TEST_MAX) {
    tests[test_count].name = name;
    tests[test_count].fn = fn;
    test_count++;
  }
}

void pc__test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "  %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  current_failed = 1;
}

void pc__test_skip(const char *reason) {
  fprintf(stderr, "  skipped: %s\n", reason);
  current_skipped = 1;
}

int pc__test_failed_now(void) {
  return current_failed;
}

static const char *env_path(const char *var, const char *rel, int must_exist) {
  static char buf[4096];
  const char *dir = getenv(var);
  if (!dir || !*dir) return NULL;
  snprintf(buf, sizeof buf, "%s/%s", dir, rel);
  struct stat st;
  if (must_exist && stat(buf, &st) != 0) return NULL;
  return buf;
}

FILE *pc_test_stream(void) {
  return tmpfile();
}

char *pc_test_stream_text(FILE *f, size_t *len) {
  if (!f) return NULL;
  fflush(f);
  long n = ftell(f);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf) {
    rewind(f);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    if (len) *len = got;
  }
  fclose(f);
  return buf;
}

const char *pc_test_shared_path(const char *rel) {
  return env_path("PC_SHARED_DIR", rel, 1);
}
const char *pc_test_source_path(const char *rel) {
  return env_path("PC_SOURCE_DIR", rel, 0);
}

/* Reads in growing chunks rather than by the size from fseek/ftell, so that it also works for
 * files whose size is not known in advance (pipes, /proc). */
char *pc_test_read_file(const char *path, size_t *len) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *p = malloc(cap);
  while (p) {
    n += fread(p + n, 1, cap - n, f);
    if (n < cap) break;
    char *np = realloc(p, cap * 2);
    if (!np) {
      free(p);
      p = NULL;
      break;
    }
    p = np;
    cap *= 2;
  }
  if (p && ferror(f)) {
    free(p);
    p = NULL;
  }
  fclose(f);
  if (!p) return NULL;
  p[n] = '\0'; /* n < cap: the loop stops only when a read leaves room */
  if (len) *len = n;
  return p;
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0, skipped = 0;
  const char *only = argc > 1 ? argv[1] : NULL;
  for (int i = 0; i < test_count; i++) {
    if (only && strcmp(only, tests[i].name) != 0) continue;
    current_failed = current_skipped = 0;
    tests[i].fn();
    if (current_failed) {
      failed++;
      printf("FAIL %s\n", tests[i].name);
    } else if (current_skipped) {
      skipped++;
      printf("SKIP %s\n", tests[i].name);
    } else {
      passed++;
      printf("ok   %s\n", tests[i].name);
    }
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (failed) return 1;
  if (passed == 0 && skipped > 0) return 77;
  return 0;
}
