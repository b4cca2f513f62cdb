/* recording.c - the Linux recording of `portclash collect` (pc_recording.h) as a source: its
 * failed attempts, in file order, as complete attempts (as the eBPF source gave them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_recording.h"
#include "pc_source.h"

typedef struct rec_src {
  pc_recording rec;
  size_t next;
} rec_src;

static int rec_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  (void)timeout_ms;
  rec_src *r = self;
  if (r->next >= r->rec.count) return PC_EEND;
  it->kind = PC_SOURCE_ATTEMPT;
  it->attempt = r->rec.items[r->next++].attempt;
  it->extra = NULL;
  return PC_OK;
}

static void rec_stats(void *self, pc_source_stats *st) {
  st->items = ((rec_src *)self)->next;
}

static void rec_info(void *self, pc_source_info *in) {
  (void)self;
  in->name = "recording";
  in->os = "linux"; /* only the Linux collect writes recordings */
}

static const char *rec_error(const void *self) {
  (void)self;
  return ""; /* the whole file is read and checked at open */
}

static void rec_close(void *self) {
  rec_src *r = self;
  pc_recording_free(&r->rec);
  free(r);
}

static const pc_source_ops rec_ops = {rec_next, rec_stats, rec_info, NULL, rec_error, rec_close, NULL};

int pc_source_open_recording(const char *path, pc_source **out, char *err, size_t errcap) {
  *out = NULL;
  rec_src *r = calloc(1, sizeof *r);
  if (!r) return PC_ENOMEM;
  int rc = pc_recording_read(path, &r->rec, err, errcap);
  if (rc != PC_OK) {
    free(r);
    return rc;
  }
  return pc_source_new(&rec_ops, r, out);
}
