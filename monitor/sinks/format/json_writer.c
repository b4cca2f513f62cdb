/* json_writer.c - the one JSON writer of the commands' documents (pc_format.h).
 *
 * Strings go through pc_json_escape, the escaper of pc_format_json, so a document and a
 * finding escape the same text the same way. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pc_format.h"

void pc_json_init(pc_json_writer *w, FILE *out) {
  w->out = out;
  w->depth = 0;
  w->has_items = 0;
  w->after_key = false;
}

/* Writes the comma a new member or element needs, and marks the container as non-empty. */
static void separate(pc_json_writer *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  uint32_t bit = 1u << (w->depth < PC_JSON_MAX_DEPTH ? w->depth : PC_JSON_MAX_DEPTH - 1);
  if (w->has_items & bit) fputc(',', w->out);
  w->has_items |= bit;
}

static void open_container(pc_json_writer *w, char c) {
  separate(w);
  fputc(c, w->out);
  if (w->depth + 1 < PC_JSON_MAX_DEPTH) {
    w->depth++;
    w->has_items &= ~(1u << w->depth);
  }
}

static void close_container(pc_json_writer *w, char c) {
  fputc(c, w->out);
  if (w->depth > 0) w->depth--;
  w->after_key = false;
}

void pc_json_begin_object(pc_json_writer *w) {
  open_container(w, '{');
}

void pc_json_end_object(pc_json_writer *w) {
  close_container(w, '}');
}

void pc_json_begin_array(pc_json_writer *w) {
  open_container(w, '[');
}

void pc_json_end_array(pc_json_writer *w) {
  close_container(w, ']');
}

void pc_json_key(pc_json_writer *w, const char *key) {
  separate(w);
  pc_json_write_string(w->out, key);
  fputc(':', w->out);
  w->after_key = true;
}

void pc_json_str(pc_json_writer *w, const char *s) {
  separate(w);
  pc_json_write_string(w->out, s);
}

void pc_json_u64(pc_json_writer *w, uint64_t v) {
  separate(w);
  fprintf(w->out, "%" PRIu64, v);
}

void pc_json_i64(pc_json_writer *w, int64_t v) {
  separate(w);
  fprintf(w->out, "%" PRId64, v);
}

void pc_json_bool(pc_json_writer *w, bool v) {
  separate(w);
  fputs(v ? "true" : "false", w->out);
}

void pc_json_null(pc_json_writer *w) {
  separate(w);
  fputs("null", w->out);
}

void pc_json_time(pc_json_writer *w, pc_time t) {
  char buf[40];
  if (t == PC_TIME_UNKNOWN || !pc_time_format_rfc3339(t, buf, sizeof buf))
    pc_json_null(w);
  else
    pc_json_str(w, buf);
}

void pc_json_key_str(pc_json_writer *w, const char *key, const char *s) {
  pc_json_key(w, key);
  pc_json_str(w, s);
}

void pc_json_key_u64(pc_json_writer *w, const char *key, uint64_t v) {
  pc_json_key(w, key);
  pc_json_u64(w, v);
}

void pc_json_key_i64(pc_json_writer *w, const char *key, int64_t v) {
  pc_json_key(w, key);
  pc_json_i64(w, v);
}

void pc_json_key_bool(pc_json_writer *w, const char *key, bool v) {
  pc_json_key(w, key);
  pc_json_bool(w, v);
}

void pc_json_key_null(pc_json_writer *w, const char *key) {
  pc_json_key(w, key);
  pc_json_null(w);
}

void pc_json_key_u64_or_null(pc_json_writer *w, const char *key, bool known, uint64_t v) {
  if (known)
    pc_json_key_u64(w, key, v);
  else
    pc_json_key_null(w, key);
}

void pc_json_finding_members(pc_json_writer *w, const pc_finding *f) {
  /* pc_format_json is the one definition of the finding's keys: its object without the
   * braces is a run of members, written here as the next ones of the open object. */
  char small[2048];
  char *buf = small;
  size_t n = pc_format_json(f, NULL, small, sizeof small);
  if (n >= sizeof small) {
    buf = malloc(n + 1);
    if (!buf) return; /* nothing is better than a cut member */
    pc_format_json(f, NULL, buf, n + 1);
  }
  if (n > 2) {
    separate(w);
    fwrite(buf + 1, 1, n - 2, w->out);
  }
  if (buf != small) free(buf);
}

void pc_json_end_document(pc_json_writer *w) {
  fputc('\n', w->out);
  w->depth = 0;
  w->has_items = 0;
  w->after_key = false;
}
