/* file.c - the capture files as sources (pc_source_open_file): an ETL file, or a record
 * fixture. Both end with PC_EEND and never time out (a file has everything already). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_etl.h"
#include "pc_file.h"
#include "pc_fixture.h"
#include "pc_source.h"

/* Fixtures are test and demo inputs; anything larger is a mistake, not a capture. */
#define FIXTURE_MAX_BYTES ((size_t)256 << 20)

/* A capture file being read: by the ETL reader or by the fixture reader (one of them is set).
 * Both readers give PC_OK, 1 at the end of the input, or an error. */
typedef struct file_src {
  pc_etl_reader *etl;
  pc_fixture *fx;
  char *text; /* the fixture's text, which fx reads in place */
  uint64_t items;
  int err; /* sticky: the end, or the first error (a fixture's first bad line, after every good
              record before it) */
  char msg[768];
  char path[];
} file_src;

static file_src *file_src_new(const char *path) {
  size_t n = strlen(path) + 1;
  file_src *f = calloc(1, sizeof *f + n);
  if (f) memcpy(f->path, path, n);
  return f;
}

static int file_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  (void)timeout_ms;
  file_src *f = self;
  if (f->err) return f->err;
  int rc = f->etl ? pc_etl_next(f->etl, &it->record) : pc_fixture_next(f->fx, &it->record);
  if (rc == PC_OK) {
    it->kind = PC_SOURCE_RECORD;
    f->items++;
    return PC_OK;
  }
  f->err = rc == 1 ? PC_EEND : rc;
  if (f->err == PC_EEND) return f->err;
  if (f->etl)
    snprintf(f->msg, sizeof f->msg, "%s: %s", f->path, pc_etl_error(f->etl));
  else
    snprintf(f->msg, sizeof f->msg, "%s", pc_fixture_error(f->fx)); /* names the file and line */
  return f->err;
}

static void file_stats(void *self, pc_source_stats *st) {
  file_src *f = self;
  st->items = f->items;
  if (f->etl) st->lost = pc_etl_get_info(f->etl)->events_lost;
}

static void file_info(void *self, pc_source_info *in) {
  file_src *f = self;
  in->os = "windows"; /* ETL captures come from Windows; fixtures are ETW records */
  in->name = f->etl ? "etl" : "fixture";
  if (f->etl) {
    const pc_etl_info *i = pc_etl_get_info(f->etl);
    in->os_build = i->os_build;
    in->events_lost = i->events_lost;
  }
}

static const char *file_error(const void *self) {
  return ((const file_src *)self)->msg;
}

static void file_close(void *self) {
  file_src *f = self;
  pc_etl_close(f->etl);
  pc_fixture_close(f->fx);
  free(f->text);
  free(f);
}

static const pc_source_ops file_ops = {file_next, file_stats, file_info, NULL, file_error, file_close, NULL};

/* A file that does not start like an ETL file and reads as text is taken as a fixture. */
static bool looks_like_text(const char *path) {
  FILE *f;
  if (pc_file_open(path, &f) != PC_OK) return false; /* the ETL reader then says why */
  unsigned char buf[512];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (buf[i] == 0 || (buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t')) return false;
  return true;
}

static int open_fixture(const char *path, const pc_schema_set *schemas, pc_source **out, char *err,
                        size_t cap) {
  file_src *f = file_src_new(path);
  if (!f) return PC_ENOMEM;
  size_t len;
  int rc = pc_file_read(path, FIXTURE_MAX_BYTES, &f->text, &len);
  if (rc == PC_OK) rc = pc_fixture_open(f->text, len, path, schemas, &f->fx);
  if (rc != PC_OK) {
    snprintf(err, cap, "%s: %s", path, pc_strerror(rc));
    file_close(f);
    return rc;
  }
  return pc_source_new(&file_ops, f, out);
}

int pc_source_open_file(const char *path, const pc_schema_set *schemas, pc_source **out, char *err,
                        size_t errcap) {
  *out = NULL;
  if (errcap) err[0] = '\0';
  char msg[512] = "";
  pc_etl_reader *r = NULL;
  int rc = pc_etl_open(path, &r, msg, sizeof msg);
  if (rc == PC_OK) {
    file_src *f = file_src_new(path);
    if (!f) {
      pc_etl_close(r);
      return PC_ENOMEM;
    }
    f->etl = r;
    return pc_source_new(&file_ops, f, out);
  }
  if (rc == PC_ENOENT || rc == PC_EIO || rc == PC_ENOMEM || rc == PC_ENOTFILE || !looks_like_text(path)) {
    /* Neither a capture nor a fixture: a packed collect folder gets told to unpack. */
    if (pc_file_is_archive(path, err, errcap)) return PC_EPARSE;
    snprintf(err, errcap, "%s: %s", path, msg[0] ? msg : pc_strerror(rc));
    return rc;
  }
  return open_fixture(path, schemas, out, err, errcap);
}
