/* file_read.c - reading a whole file into memory, and its first bytes (pc_file.h). */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

bool pc_file_is_archive(const char *path, char *msg, size_t cap) {
  static const struct {
    size_t off, len;
    const char *magic, *name;
  } k_kinds[] = {
      {0, 4, "PK\x03\x04", "a zip archive"},
      {0, 4, "PK\x05\x06", "a zip archive"},
      {0, 2, "\x1f\x8b", "a gzip file"},
      {257, 5, "ustar", "a tar archive"},
      {0, 6, "\xfd\x37\x7a\x58\x5a\x00", "an xz file"},
      {0, 4, "\x28\xb5\x2f\xfd", "a zstd file"},
      {0, 6, "7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
  };
  FILE *f;
  if (pc_file_open(path, &f) != PC_OK) return false;
  unsigned char head[512];
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  for (size_t i = 0; i < sizeof k_kinds / sizeof k_kinds[0]; i++)
    if (n >= k_kinds[i].off + k_kinds[i].len &&
        memcmp(head + k_kinds[i].off, k_kinds[i].magic, k_kinds[i].len) == 0) {
      snprintf(msg, cap,
               "%s: this is %s, not a capture: unpack it first (tar -xf FILE; on Linux a zip needs unzip "
               "FILE) and run 'portclash analyze' on the folder it holds",
               path, k_kinds[i].name);
      return true;
    }
  return false;
}
