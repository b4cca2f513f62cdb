/* json.c - one finding as one JSON object (RFC 8259) on one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_format.h"

static void json_string(pc__out *o, const char *str) {
  pc__out_ch(o, '"');
  pc__esc(o, str, PC__ESC_JSON);
  pc__out_ch(o, '"');
}

size_t pc_json_escape(const char *s, char *buf, size_t cap) {
  pc__out o;
  pc__out_init(&o, buf, cap);
  json_string(&o, s);
  return pc__out_finish(&o);
}

void pc_json_write_string(FILE *out, const char *s) {
  if (!s) {
    fputs("null", out);
    return;
  }
  /* Most strings are short names; a longer one is escaped again into a buffer of its size. */
  char small[256];
  size_t n = pc_json_escape(s, small, sizeof small);
  if (n < sizeof small) {
    fwrite(small, 1, n, out);
    return;
  }
  char *big = malloc(n + 1);
  if (!big) {
    fputs("null", out);
    return;
  }
  pc_json_escape(s, big, n + 1);
  fwrite(big, 1, n, out);
  free(big);
}

static void key(pc__out *o, const char *k, bool first) {
  if (!first) pc__out_ch(o, ',');
  pc__out_ch(o, '"');
  pc__out_str(o, k);
  pc__out_str(o, "\":");
}

static void str_field(pc__out *o, const char *k, const char *v) {
  key(o, k, false);
  if (v)
    json_string(o, v);
  else
    pc__out_str(o, "null");
}

static void num_field(pc__out *o, const char *k, bool known, uint64_t v) {
  key(o, k, false);
  if (known)
    pc__out_u64(o, v);
  else
    pc__out_str(o, "null");
}

/* Formats t, reusing the text of the previous call when t is the same (ts_last usually
 * equals ts, and calendar arithmetic + snprintf is the most expensive part of a line). */
static void time_value(pc__out *o, pc_time t, pc_time *memo_t, char *ts, size_t *memo_n) {
  size_t n = *memo_n;
  if (t != *memo_t) {
    n = *memo_n = pc_time_format_rfc3339(t, ts, 40);
    *memo_t = t;
  }
  if (n) {
    pc__out_ch(o, '"');
    pc__out_mem(o, ts, n);
    pc__out_ch(o, '"');
  } else {
    pc__out_str(o, "null");
  }
}

size_t pc_format_json(const pc_finding *f, const pc_format_options *opt, char *buf, size_t cap) {
  (void)opt;
  pc__out o;
  pc__out_init(&o, buf, cap);
  pc__out_ch(&o, '{');
  char ts[40];
  pc_time memo_t = PC_TIME_UNKNOWN;
  size_t memo_n = 0;
  key(&o, "ts", true);
  time_value(&o, f->ts, &memo_t, ts, &memo_n);
  str_field(&o, "host", f->host);
  str_field(&o, "os", f->os);
  str_field(&o, "event", f->event);
  num_field(&o, "error", f->error_known, f->error);
  str_field(&o, "error_name", f->error_name);
  str_field(&o, "proto", f->proto);
  str_field(&o, "address", f->address);
  num_field(&o, "port", f->port_known, f->port);
  num_field(&o, "pid", f->pid_known, f->pid);
  str_field(&o, "process", f->process);
  num_field(&o, "owner_pid", f->owner_pid_known, f->owner_pid);
  str_field(&o, "owner_process", f->owner_process);
  str_field(&o, "rule_id", f->rule_id);
  str_field(&o, "severity", f->severity);
  str_field(&o, "explanation", f->explanation);
  key(&o, "fixes", false);
  if (f->fixes) {
    pc__out_ch(&o, '[');
    for (size_t i = 0; i < f->fix_count; i++) {
      if (i) pc__out_ch(&o, ',');
      if (f->fixes[i])
        json_string(&o, f->fixes[i]);
      else
        pc__out_str(&o, "null");
    }
    pc__out_ch(&o, ']');
  } else {
    pc__out_str(&o, "null");
  }
  num_field(&o, "count", true, f->count);
  key(&o, "ts_last", false);
  time_value(&o, f->ts_last, &memo_t, ts, &memo_n);
  str_field(&o, "source", f->source);
  pc__out_ch(&o, '}');
  return pc__out_finish(&o);
}
