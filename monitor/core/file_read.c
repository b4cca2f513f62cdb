/* file_read.c - reading a whole file into memory (pc_file.h). */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "pc_error.h"
#include "pc_file.h"

int pc_file_read_stream(FILE *f, size_t max, bool head, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  /* Starts small and doubles up to max, so small files stay cheap and max is exact. */
  size_t cap = max < 65536 ? max : 65536, n = 0;
  char *buf = malloc(cap + 1);
  int rc = buf ? PC_OK : PC_ENOMEM;
  while (rc == PC_OK) {
    if (n == cap) {
      if (cap >= max) {
        if (!head) rc = PC_ELIMIT;
        break;
      }
      size_t ncap = cap * 2 > max ? max : cap * 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        rc = PC_ENOMEM;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) rc = PC_EIO;
      break;
    }
  }
  if (rc != PC_OK) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return PC_OK;
}

/* stat() and fstat() exist on POSIX and in the Windows C runtime alike. A file too large
 * for a 32-bit st_size (EOVERFLOW) is a regular file, never a FIFO or a device. */
static int kind_of(int rc, const struct stat *st) {
  if (rc != 0) return errno == EOVERFLOW ? PC_OK : pc_err_from_errno(errno) == PC_ENOENT ? PC_ENOENT : PC_EIO;
  return S_ISREG(st->st_mode) ? PC_OK : PC_ENOTFILE;
}

int pc_file_open(const char *path, FILE **out) {
  *out = NULL;
  struct stat st;
  /* Checked before opening, because opening is what blocks on a FIFO ... */
  int rc = kind_of(stat(path, &st), &st);
  if (rc != PC_OK) return rc;
  FILE *f = fopen(path, "rb");
  if (!f) return pc_err_from_errno(errno) == PC_ENOENT ? PC_ENOENT : PC_EIO;
  /* ... and again on what was opened, in case the path changed in between. */
  rc = kind_of(fstat(fileno(f), &st), &st);
  if (rc != PC_OK) {
    fclose(f);
    return rc;
  }
  *out = f;
  return PC_OK;
}

int pc_file_read(const char *path, size_t max, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  FILE *f;
  int rc0 = pc_file_open(path, &f);
  if (rc0 != PC_OK) return rc0;
  int rc = pc_file_read_stream(f, max, false, out, len);
  fclose(f);
  return rc;
}
