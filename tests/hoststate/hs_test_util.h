/* Helpers for the host-state tests: sample files under tests/hoststate/data/. */
#ifndef HS_TEST_UTIL_H
#define HS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_test.h"

/* Returns the path of data file name in a buffer of the caller's (cap >= 1024). */
static inline const char *hs_data_path(const char *name, char *buf, size_t cap) {
  char rel[512];
  snprintf(rel, sizeof rel, "tests/hoststate/data/%s", name);
  const char *p = pc_test_source_path(rel);
  snprintf(buf, cap, "%s", p ? p : rel);
  return buf;
}

/* Reads data file name (heap, caller frees); NULL and a test failure when missing. */
static inline char *hs_load(const char *name, size_t *len) {
  char path[1024];
  hs_data_path(name, path, sizeof path);
  FILE *f = fopen(path, "rb");
  if (!f) {
    pc__test_fail(__FILE__, __LINE__, "cannot open %s", path);
    return NULL;
  }
  char *buf = malloc(1 << 20);
  size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
  fclose(f);
  if (buf) buf[n] = '\0';
  *len = n;
  return buf;
}

/* True when needle occurs in hay. */
static inline int hs_contains(const char *hay, const char *needle) {
  return hay && strstr(hay, needle) != NULL;
}

#define HS_CHECK_CONTAINS(hay, needle)                                                                       \
  do {                                                                                                       \
    const char *hs__hay = (hay);                                                                             \
    if (!hs_contains(hs__hay, (needle)))                                                                     \
      pc__test_fail(__FILE__, __LINE__, "\"%s\" not found in:\n%s", (needle), hs__hay ? hs__hay : "(null)"); \
  } while (0)

#endif
