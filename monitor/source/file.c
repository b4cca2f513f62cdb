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

/* The next() of both capture-file sources, from their reader's result (PC_OK, 1 at the end
 * of the input, or an error): a record becomes the item and is counted; the end and errors
 * stick in *err, so every later call returns the same. */
static int file_item(int rc, pc_source_item *it, uint64_t *items, int *err) {
  if (rc == PC_OK) {
    it->kind = PC_SOURCE_RECORD;
    (*items)++;
    return PC_OK;
  }
  *err = rc == 1 ? PC_EEND : rc;
  return *err;
}

/* ---- ETL ---- */

typedef struct etl_src {
  pc_etl_reader *r;
  uint64_t items;
  int err; /* sticky */
  char msg[768];
  char path[];
} etl_src;

static int etl_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  (void)timeout_ms;
  etl_src *e = self;
  if (e->err) return e->err;
  int rc = file_item(pc_etl_next(e->r, &it->record), it, &e->items, &e->err);
  if (rc != PC_OK && rc != PC_EEND) snprintf(e->msg, sizeof e->msg, "%s: %s", e->path, pc_etl_error(e->r));
  return rc;
}

static void etl_stats(void *self, pc_source_stats *st) {
  etl_src *e = self;
  st->items = e->items;
  st->lost = pc_etl_get_info(e->r)->events_lost;
}

static void etl_info(void *self, pc_source_info *in) {
  const pc_etl_info *i = pc_etl_get_info(((etl_src *)self)->r);
  in->name = "etl";
  in->os = "windows"; /* ETL captures come from Windows */
  in->os_build = i->os_build;
  in->events_lost = i->events_lost;
}

static const char *etl_error(const void *self) {
  return ((const etl_src *)self)->msg;
}

static void etl_close(void *self) {
  etl_src *e = self;
  pc_etl_close(e->r);
  free(e);
}

static const pc_source_ops etl_ops = {etl_next, etl_stats, etl_info, NULL, etl_error, etl_close, NULL};

/* ---- fixture ---- */

typedef struct fixture_src {
  char *text;
  pc_fixture *fx;
  uint64_t items;
  int err; /* sticky: the first bad line ends the input, after every good record before it */
  char msg[512];
} fixture_src;

static int fixture_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  (void)timeout_ms;
  fixture_src *f = self;
  if (f->err) return f->err;
  int rc = file_item(pc_fixture_next(f->fx, &it->record), it, &f->items, &f->err);
  if (rc != PC_OK && rc != PC_EEND) snprintf(f->msg, sizeof f->msg, "%s", pc_fixture_error(f->fx));
  return rc;
}

static void fixture_stats(void *self, pc_source_stats *st) {
  st->items = ((fixture_src *)self)->items;
}

static void fixture_info(void *self, pc_source_info *in) {
  (void)self;
  in->name = "fixture";
  in->os = "windows"; /* fixtures are ETW records */
}

static const char *fixture_error(const void *self) {
  return ((const fixture_src *)self)->msg;
}

static void fixture_close(void *self) {
  fixture_src *f = self;
  pc_fixture_close(f->fx);
  free(f->text);
  free(f);
}

static const pc_source_ops fixture_ops = {fixture_next,  fixture_stats, fixture_info, NULL,
                                          fixture_error, fixture_close, NULL};

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
  fixture_src *f = calloc(1, sizeof *f);
  if (!f) return PC_ENOMEM;
  size_t len;
  int rc = pc_file_read(path, FIXTURE_MAX_BYTES, &f->text, &len);
  if (rc == PC_OK) rc = pc_fixture_open(f->text, len, path, schemas, &f->fx);
  if (rc != PC_OK) {
    snprintf(err, cap, "%s: %s", path, pc_strerror(rc));
    free(f->text);
    free(f);
    return rc;
  }
  return pc_source_new(&fixture_ops, f, out);
}

int pc_source_open_file(const char *path, const pc_schema_set *schemas, pc_source **out, char *err,
                        size_t errcap) {
  *out = NULL;
  if (errcap) err[0] = '\0';
  char msg[512] = "";
  pc_etl_reader *r = NULL;
  int rc = pc_etl_open(path, &r, msg, sizeof msg);
  if (rc == PC_OK) {
    size_t n = strlen(path) + 1;
    etl_src *e = calloc(1, sizeof *e + n);
    if (!e) {
      pc_etl_close(r);
      return PC_ENOMEM;
    }
    e->r = r;
    memcpy(e->path, path, n);
    return pc_source_new(&etl_ops, e, out);
  }
  if (rc == PC_ENOENT || rc == PC_EIO || rc == PC_ENOMEM || rc == PC_ENOTFILE || !looks_like_text(path)) {
    /* Neither a capture nor a fixture: a packed collect folder gets told to unpack. */
    if (pc_file_is_archive(path, err, errcap)) return PC_EPARSE;
    snprintf(err, errcap, "%s: %s", path, msg[0] ? msg : pc_strerror(rc));
    return rc;
  }
  return open_fixture(path, schemas, out, err, errcap);
}
