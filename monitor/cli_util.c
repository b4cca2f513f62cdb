#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pc_cli.h"
#include "pc_error.h"

int pc_read_file(const char *path, size_t max, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return errno == ENOENT ? PC_ENOENT : PC_EIO;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(f);
    return PC_ENOMEM;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= max) {
        free(buf);
        fclose(f);
        return PC_ELIMIT;
      }
      cap = cap * 2 > max ? max : cap * 2;
      char *nb = realloc(buf, cap + 1);
      if (!nb) {
        free(buf);
        fclose(f);
        return PC_ENOMEM;
      }
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return PC_EIO;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return PC_OK;
}
