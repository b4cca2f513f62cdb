/* eventlog.c - the portable part of the Event Log sink (eventlog.h): a finding
 * becomes an event id, an event type and insertion strings, encoded as one queue record:
 *   id (4 bytes, little-endian), type (2 bytes, little-endian), n (1 byte),
 *   then n strings, each ended by a NUL byte.
 * The writer thread of the Windows sink decodes it and calls ReportEventW. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "eventlog.h"
#include "sinks_internal.h"

#define HEADER 7

uint32_t pc_eventlog_id(const pc_finding *f) {
  static const pc__named ids[] = {{"bind_failure", PC_EVENTLOG_BIND_FAILURE},
                                  {"port_at_risk", PC_EVENTLOG_PORT_AT_RISK},
                                  {"events_lost", PC_EVENTLOG_EVENTS_LOST},
                                  {"output_dropped", PC_EVENTLOG_OUTPUT_DROPPED},
                                  {"limit_hit", PC_EVENTLOG_LIMIT_HIT}};
  return (uint32_t)pc__named_value(ids, sizeof ids / sizeof ids[0], f->event, PC_EVENTLOG_OTHER_FINDING);
}

uint16_t pc_eventlog_type(const pc_finding *f) {
  if (f->severity && strcmp(f->severity, "error") == 0) return PC_EVENTLOG_ERROR;
  if (f->severity && strcmp(f->severity, "warning") == 0) return PC_EVENTLOG_WARNING;
  return PC_EVENTLOG_INFORMATION;
}

/* Appends s (or "-" when NULL or empty) and its NUL, cut at PC_EVENTLOG_STRING_MAX bytes on a
 * UTF-8 character boundary with "..." appended. Counts what is needed even past cap. */
static size_t put(char *buf, size_t cap, size_t at, const char *s) {
  if (!s || !*s) s = "-";
  size_t n = strlen(s);
  const char *more = "";
  if (n > PC_EVENTLOG_STRING_MAX) {
    n = PC_EVENTLOG_STRING_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* not inside a character */
    more = "...";
  }
  size_t m = strlen(more);
  if (at + n + m + 1 <= cap) {
    memcpy(buf + at, s, n);
    memcpy(buf + at + n, more, m);
    buf[at + n + m] = '\0';
  }
  return at + n + m + 1;
}

static size_t header(char *buf, size_t cap, uint32_t id, uint16_t type, size_t n) {
  if (cap >= HEADER) {
    for (int i = 0; i < 4; i++) buf[i] = (char)(unsigned char)(id >> (8 * i));
    buf[4] = (char)(unsigned char)(type & 0xFF);
    buf[5] = (char)(unsigned char)(type >> 8);
    buf[6] = (char)(unsigned char)n;
  }
  return HEADER;
}

size_t pc_eventlog_encode(uint32_t id, uint16_t type, size_t n, const char *const *strings, char *buf,
                          size_t cap) {
  if (n > PC_EVENTLOG_MAX_STRINGS) n = PC_EVENTLOG_MAX_STRINGS;
  size_t at = header(buf, cap, id, type, n);
  for (size_t i = 0; i < n; i++) at = put(buf, cap, at, strings[i]);
  return at;
}

size_t pc_eventlog_encode_finding(const pc_finding *f, char *buf, size_t cap) {
  char pid[16] = "", port[8] = "", err[16] = "", opid[16] = "", count[24] = "", ts[40] = "", ts_last[40] = "";
  if (f->pid_known) snprintf(pid, sizeof pid, "%" PRIu32, f->pid);
  if (f->port_known) snprintf(port, sizeof port, "%u", (unsigned)f->port);
  if (f->error_known) snprintf(err, sizeof err, "%" PRIu32, f->error);
  if (f->owner_pid_known) snprintf(opid, sizeof opid, "%" PRIu32, f->owner_pid);
  snprintf(count, sizeof count, "%" PRIu64, f->count ? f->count : 1);
  pc_time_format_rfc3339(f->ts, ts, sizeof ts);
  pc_time_format_rfc3339(f->ts_last != 0 && f->ts_last != PC_TIME_UNKNOWN ? f->ts_last : f->ts, ts_last,
                         sizeof ts_last);
  const char *s[PC_EVENTLOG_FINDING_STRINGS] = {
      f->explanation, f->event,   f->process,  pid,           f->proto,
      f->address,     port,       err,         f->error_name, f->owner_process,
      opid,           f->rule_id, f->severity, count,         NULL /* fixes: below */,
      f->host,        ts,         ts_last,     f->source};
  size_t at = header(buf, cap, pc_eventlog_id(f), pc_eventlog_type(f), PC_EVENTLOG_FINDING_STRINGS);
  for (size_t i = 0; i < PC_EVENTLOG_FINDING_STRINGS; i++) {
    if (i != 14) {
      at = put(buf, cap, at, s[i]);
      continue;
    }
    /* The fixes, one per line ("- fix"), CRLF between them as Event Viewer expects. */
    size_t start = at, used = 0;
    for (size_t k = 0; k < f->fix_count && used + 4 < PC_EVENTLOG_STRING_MAX; k++) {
      const char *fix = f->fixes[k] ? f->fixes[k] : "";
      size_t n = strlen(fix);
      if (used + n + 4 > PC_EVENTLOG_STRING_MAX) n = PC_EVENTLOG_STRING_MAX - used - 4;
      while (n > 0 && ((unsigned char)fix[n] & 0xC0) == 0x80) n--;
      const char *sep = k ? "\r\n- " : "- ";
      size_t sl = strlen(sep);
      if (at + sl + n < cap) {
        memcpy(buf + at, sep, sl);
        memcpy(buf + at + sl, fix, n);
      }
      at += sl + n;
      used += sl + n;
    }
    if (at == start)
      at = put(buf, cap, at, NULL);
    else {
      if (at < cap) buf[at] = '\0';
      at++;
    }
  }
  return at;
}

int pc_eventlog_decode(const char *rec, size_t len, pc_eventlog_event *ev) {
  if (len < HEADER) return -1;
  const unsigned char *u = (const unsigned char *)rec;
  ev->id = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
  ev->type = (uint16_t)(u[4] | u[5] << 8);
  ev->n = u[6];
  if (ev->n > PC_EVENTLOG_MAX_STRINGS) return -1;
  size_t at = HEADER;
  for (size_t i = 0; i < ev->n; i++) {
    const char *end = at < len ? memchr(rec + at, '\0', len - at) : NULL;
    if (!end) return -1;
    ev->s[i] = rec + at;
    at = (size_t)(end - rec) + 1;
  }
  return at == len ? 0 : -1;
}
