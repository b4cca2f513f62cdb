/* etl_input.c - sequential input for the ETL reader: a file or a memory image.
 *
 * The reader only ever reads forward, so stdio's fread is all it needs; this keeps the
 * portable code free of 64-bit seek APIs, which differ between C libraries. */
#include <errno.h>
#include <string.h>

#include "etl_internal.h"
#include "pc_error.h"
#include "pc_file.h"

int pc__etl_source_open_file(pc__etl_source *s, const char *path) {
  memset(s, 0, sizeof *s);
  errno = 0;
  /* Only a regular file: a FIFO would block the open, a device would never end. */
  int rc = pc_file_open(path, &s->file);
  if (rc == PC_ENOTFILE) return rc;
  if (rc != PC_OK) {
    s->io_error = errno ? errno : EIO;
    return pc_err_from_errno(s->io_error) == PC_ENOENT ? PC_ENOENT : PC_EIO;
  }
  return PC_OK;
}

void pc__etl_source_open_memory(pc__etl_source *s, const uint8_t *data, size_t len) {
  memset(s, 0, sizeof *s);
  /* An empty image still needs a non-NULL base so that borrowing from it works. */
  s->mem = data ? data : (const uint8_t *)"";
  s->mem_len = data ? len : 0;
}

void pc__etl_source_close(pc__etl_source *s) {
  if (s->file) fclose(s->file);
  s->file = NULL;
}

size_t pc__etl_source_read(pc__etl_source *s, void *dst, size_t n) {
  size_t got;
  if (s->file) {
    got = fread(dst, 1, n, s->file);
    if (got < n && ferror(s->file)) s->io_error = errno ? errno : EIO;
  } else {
    size_t left = s->mem_len - (size_t)s->pos;
    got = n < left ? n : left;
    if (got) memcpy(dst, s->mem + s->pos, got);
  }
  s->pos += got;
  return got;
}

const uint8_t *pc__etl_source_borrow(pc__etl_source *s, size_t n, size_t *got) {
  if (s->file) {
    *got = 0;
    return NULL;
  }
  size_t left = s->mem_len - (size_t)s->pos;
  *got = n < left ? n : left;
  const uint8_t *p = s->mem + s->pos;
  s->pos += *got;
  return p;
}
