/* syslog.c - RFC 5424 and RFC 3164 syslog records, cut to a size cap without ever
 * breaking the structured data. */
#include <string.h>

#include "pc_format.h"

#define BOM "\xEF\xBB\xBF"
#define MAX_PARAMS 16

/* Header fields are PRINTUSASCII only (RFC 5424 §6): anything else, a space included,
 * would shift the fields a receiver splits on, so it becomes '_'. */
static void header_field(pc__out *o, const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (n > max) n = max;
  if (n == 0) {
    pc__out_ch(o, '-');
    return;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    pc__out_ch(o, c >= 33 && c <= 126 ? (char)c : '_');
  }
}

/* Starts a record in buf with its PRI (facility * 8 + severity): the cursor stops at
 * min(o->max_bytes or deflt, cap - 1) bytes (cap > 0), which is returned. */
static size_t begin(pc__out *o, const pc_finding *f, const pc_format_options *opt, char *buf, size_t cap,
                    size_t deflt) {
  size_t max = opt && opt->max_bytes ? opt->max_bytes : deflt;
  if (max < PC_SYSLOG_MIN_BYTES) max = PC_SYSLOG_MIN_BYTES;
  size_t limit = cap - 1 < max ? cap - 1 : max;
  pc__out_init(o, buf, limit + 1);
  unsigned fac = opt && opt->facility <= 23 ? opt->facility : 1;
  pc__out_ch(o, '<');
  pc__out_u64(o, fac * 8 + pc__syslog_severity(f->severity));
  pc__out_ch(o, '>');
  return limit;
}

static const struct {
  const char *event, *msgid;
} msgids[] = {
    {"bind_failure", "BINDFAIL"}, {"bind_success", "BINDOK"},  {"port_at_risk", "PORTRISK"},
    {"events_lost", "EVLOST"},    {"output_dropped", "DROPS"}, {"limit_hit", "LIMITHIT"},
};

static void msgid(pc__out *o, const char *event) {
  if (!event) {
    pc__out_ch(o, '-');
    return;
  }
  for (size_t i = 0; i < sizeof msgids / sizeof msgids[0]; i++)
    if (strcmp(event, msgids[i].event) == 0) {
      pc__out_str(o, msgids[i].msgid);
      return;
    }
  size_t n = 0;
  for (const char *p = event; *p && n < 32; p++) {
    char c = *p;
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      pc__out_ch(o, c);
      n++;
    }
  }
  if (n == 0) pc__out_ch(o, '-');
}

bool pc_format_sd_name_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 32) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"') return false;
  }
  return true;
}

/* Writes (when o is given) and measures an SD-PARAM value, escaped by pc__esc_unit
 * (PC__ESC_SD: `"`, `\` and `]` escaped as §6.3.3 requires, controls as spaces, invalid
 * UTF-8 as U+FFFD). Stops before the first unit (a character or an escape pair) that would
 * pass budget bytes, so a cut value is still well-formed. Returns the bytes of the
 * (possibly cut) value. */
static size_t sd_value(pc__out *o, const char *str, size_t budget) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), i = 0, used = 0;
  while (i < n) {
    char unit[6];
    size_t ulen;
    size_t step = pc__esc_unit(s + i, n - i, PC__ESC_SD, unit, &ulen);
    if (used + ulen > budget) break;
    if (o) pc__out_mem(o, unit, ulen);
    used += ulen;
    i += step;
  }
  return used;
}

/* MSG text: controls become spaces (a newline would end the record for many receivers
 * and for RFC 3164), invalid UTF-8 becomes U+FFFD. */
static void msg_esc(pc__out *o, const char *s) {
  pc__esc(o, s, PC__ESC_MSG);
}

static bool count_in_explanation(const char *event) {
  return event && (strcmp(event, "output_dropped") == 0 || strcmp(event, "events_lost") == 0 ||
                   strcmp(event, "limit_hit") == 0);
}

/* The MSG of both RFCs: "SUMMARY: ERROR - EXPLANATION - fix: A; B (N times)". */
static void message(pc__out *o, const pc_finding *f) {
  pc__summary(o, f, msg_esc);
  if (f->error_name || f->error_known) {
    pc__out_str(o, ": ");
    if (f->error_name) msg_esc(o, f->error_name);
    if (f->error_name && f->error_known) pc__out_str(o, " (");
    if (!f->error_name) pc__out_str(o, "error ");
    if (f->error_known) pc__out_u64(o, f->error);
    if (f->error_name && f->error_known) pc__out_ch(o, ')');
  }
  if (f->explanation) {
    pc__out_str(o, " - ");
    msg_esc(o, f->explanation);
  }
  if (f->fixes && f->fix_count) {
    pc__out_str(o, " - fix: ");
    for (size_t i = 0; i < f->fix_count; i++) {
      if (i) pc__out_str(o, " | ");
      msg_esc(o, f->fixes[i] ? f->fixes[i] : "?");
    }
  }
  /* For output_dropped, events_lost and limit_hit the count is of what was lost or stopped,
   * already said in the explanation. */
  if (f->count > 1 && !count_in_explanation(f->event)) {
    pc__out_str(o, " (");
    pc__out_u64(o, f->count);
    pc__out_str(o, " times)");
  }
}

/* Writes " " + BOM? + MSG into the room left after used bytes, cut at a UTF-8 boundary;
 * nothing at all when no character of MSG fits. Returns the new total length. */
static size_t append_msg(char *buf, size_t used, size_t limit, const pc_finding *f,
                         const pc_format_options *opt, bool bom) {
  size_t pre = bom ? 4 : 1;
  if (limit < used + pre + 1) return used;
  pc__out m;
  pc__out_init(&m, buf + used + pre, limit - used - pre + 1);
  if (opt && opt->cef_body) {
    pc_format_cef(f, opt, m.buf, m.cap);
  } else {
    message(&m, f);
    pc__out_finish(&m);
  }
  size_t n = strlen(m.buf); /* MSG holds no NUL: controls were replaced */
  if (opt && opt->cef_body) {
    /* A cut CEF record must not end in half of an escape pair. */
    size_t bs = 0;
    while (bs < n && m.buf[n - 1 - bs] == '\\') bs++;
    if (bs % 2) n--;
  }
  if (n == 0) return used;
  memcpy(buf + used, bom ? " " BOM : " ", pre);
  return used + pre + n;
}

typedef struct param {
  const char *name;
  const char *value;
  size_t full, budget;
} param;

static void add(param *p, size_t *n, const char *name, const char *value) {
  if (!value) return;
  p[*n].name = name;
  p[*n].value = value;
  p[*n].full = sd_value(NULL, value, (size_t)-1);
  p[*n].budget = p[*n].full;
  (*n)++;
}

static size_t sd_len(const char *sd_id, const param *p, size_t n) {
  if (n == 0) return 1; /* "-" */
  size_t len = 2 + strlen(sd_id);
  for (size_t i = 0; i < n; i++) len += 1 + strlen(p[i].name) + 2 + p[i].budget + 1;
  return len;
}

static char *u64_text(char *end, uint64_t v) {
  *--end = '\0';
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

size_t pc_format_syslog(const pc_finding *f, const pc_format_options *opt, char *buf, size_t cap) {
  if (cap == 0) return 0;
  /* HEADER */
  pc__out o;
  size_t limit = begin(&o, f, opt, buf, cap, PC_SYSLOG_DEFAULT_MAX_BYTES);
  pc__out_str(&o, "1 ");
  char ts[40];
  size_t tn = pc_time_format_rfc3339(f->ts, ts, sizeof ts);
  pc__out_mem(&o, tn ? ts : "-", tn ? tn : 1);
  pc__out_ch(&o, ' ');
  header_field(&o, f->host, 255);
  pc__out_ch(&o, ' ');
  header_field(&o, opt && opt->app_name ? opt->app_name : PC_FORMAT_DEFAULT_APP_NAME, 48);
  pc__out_ch(&o, ' ');
  if (opt && opt->procid)
    pc__out_u64(&o, opt->procid);
  else
    pc__out_ch(&o, '-');
  pc__out_ch(&o, ' ');
  msgid(&o, f->event);
  pc__out_ch(&o, ' ');

  /* STRUCTURED-DATA: the key fields, as strings. */
  char nb[6][24];
  char tl[40];
  param p[MAX_PARAMS];
  size_t np = 0;
  add(p, &np, "event", f->event);
  add(p, &np, "error", f->error_known ? u64_text(nb[0] + 24, f->error) : NULL);
  add(p, &np, "error_name", f->error_name);
  add(p, &np, "proto", f->proto);
  add(p, &np, "address", f->address);
  add(p, &np, "port", f->port_known ? u64_text(nb[1] + 24, f->port) : NULL);
  add(p, &np, "pid", f->pid_known ? u64_text(nb[2] + 24, f->pid) : NULL);
  add(p, &np, "process", f->process);
  add(p, &np, "owner_pid", f->owner_pid_known ? u64_text(nb[3] + 24, f->owner_pid) : NULL);
  add(p, &np, "owner_process", f->owner_process);
  add(p, &np, "rule_id", f->rule_id);
  add(p, &np, "severity", f->severity);
  add(p, &np, "count", u64_text(nb[4] + 24, f->count));
  if (f->count > 1 && f->ts_last != f->ts && pc_time_format_rfc3339(f->ts_last, tl, sizeof tl))
    add(p, &np, "ts_last", tl);
  add(p, &np, "source", f->source);

  const char *sd_id =
      opt && opt->sd_id && pc_format_sd_name_valid(opt->sd_id) ? opt->sd_id : PC_FORMAT_DEFAULT_SD_ID;
  size_t head = o.len;
  if (head + 1 > limit) {
    buf[0] = '\0';
    return 0;
  }
  /* Too long: shorten the longest value by the excess, again and again; each round
   * shortens one value, so this ends. Values are cut, never the element. */
  while (head + sd_len(sd_id, p, np) > limit) {
    size_t excess = head + sd_len(sd_id, p, np) - limit, longest = 0;
    for (size_t i = 1; i < np; i++)
      if (p[i].budget > p[longest].budget) longest = i;
    if (p[longest].budget == 0) {
      np = 0; /* not even empty values fit: send "-" rather than a broken element */
      break;
    }
    size_t want = p[longest].budget > excess ? p[longest].budget - excess : 0;
    p[longest].budget = sd_value(NULL, p[longest].value, want);
  }
  if (np == 0) {
    pc__out_ch(&o, '-');
  } else {
    pc__out_ch(&o, '[');
    pc__out_str(&o, sd_id);
    for (size_t i = 0; i < np; i++) {
      pc__out_ch(&o, ' ');
      pc__out_str(&o, p[i].name);
      pc__out_str(&o, "=\"");
      sd_value(&o, p[i].value, p[i].budget);
      pc__out_ch(&o, '"');
    }
    pc__out_ch(&o, ']');
  }
  size_t used = o.len;
  size_t total = append_msg(buf, used, limit, f, opt, true);
  buf[total] = '\0';
  return total;
}

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

size_t pc_format_syslog3164(const pc_finding *f, const pc_format_options *opt, char *buf, size_t cap) {
  if (cap == 0) return 0;
  pc__out o;
  size_t limit = begin(&o, f, opt, buf, cap, PC_SYSLOG3164_DEFAULT_MAX_BYTES);

  /* TIMESTAMP "Mmm dd hh:mm:ss", taken from the RFC 3339 text ("2026-11-21T23:50:00..."),
   * so that there is one calendar implementation. */
  char ts[40];
  size_t tn = pc_time_format_rfc3339(f->ts, ts, sizeof ts);
  if (!tn && opt) tn = pc_time_format_rfc3339(opt->now, ts, sizeof ts);
  if (tn) {
    int mon = (ts[5] - '0') * 10 + (ts[6] - '0');
    pc__out_str(&o, months[mon - 1]);
    pc__out_ch(&o, ' ');
    pc__out_ch(&o, ts[8] == '0' ? ' ' : ts[8]);
    pc__out_ch(&o, ts[9]);
    pc__out_ch(&o, ' ');
    pc__out_mem(&o, ts + 11, 8);
  } else {
    pc__out_str(&o, "Jan  1 00:00:00");
  }
  pc__out_ch(&o, ' ');
  header_field(&o, f->host, 255);
  pc__out_ch(&o, ' ');

  /* TAG: alphanumerics (plus '-', '_', '.', which receivers accept) up to 32 (§4.1.3). */
  const char *app = opt && opt->app_name ? opt->app_name : PC_FORMAT_DEFAULT_APP_NAME;
  size_t tag = 0;
  for (const char *q = app; *q && tag < 32; q++) {
    char c = *q;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.') {
      pc__out_ch(&o, c);
      tag++;
    }
  }
  if (tag == 0) pc__out_str(&o, PC_FORMAT_DEFAULT_APP_NAME);
  if (opt && opt->procid) {
    pc__out_ch(&o, '[');
    pc__out_u64(&o, opt->procid);
    pc__out_ch(&o, ']');
  }
  pc__out_ch(&o, ':');
  if (o.len > limit) {
    buf[0] = '\0';
    return 0;
  }
  size_t total = append_msg(buf, o.len, limit, f, opt, false);
  buf[total] = '\0';
  return total;
}
