/* learned_ports.c - the learned-ports store (learned_ports.h): a bounded table with
 * least-recently-seen eviction, its text form and its state file.
 *
 * Lookups are a linear scan: the table holds about a thousand entries and is consulted once
 * per listener observation (rare events), so an index would cost more code than time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_attempt.h"
#include "pc_error.h"
#include "learned_ports.h"
#include "pc_text.h"
#include "pc_os.h"

#define HEADER "portclash learned ports 1"
#define PC_LEARNED_TOUCH (3600 * PC_TIME_TICKS_PER_SEC)

struct pc_learned {
  size_t n, cap;
  bool dirty;
  pc_learned_port e[]; /* cap entries, fixed at creation */
};

int pc_learned_new(size_t cap, pc_learned **out) {
  *out = NULL;
  if (cap == 0) cap = PC_LEARNED_DEFAULT_CAP;
  if (cap > (SIZE_MAX - sizeof(pc_learned)) / sizeof(pc_learned_port)) return PC_ENOMEM;
  pc_learned *l = calloc(1, sizeof *l + cap * sizeof l->e[0]);
  if (!l) return PC_ENOMEM;
  l->cap = cap;
  *out = l;
  return PC_OK;
}

void pc_learned_free(pc_learned *l) {
  free(l);
}

size_t pc_learned_count(const pc_learned *l) {
  return l ? l->n : 0;
}

const pc_learned_port *pc_learned_at(const pc_learned *l, size_t i) {
  return l && i < l->n ? &l->e[i] : NULL;
}

bool pc_learned_dirty(const pc_learned *l) {
  return l && l->dirty;
}

const pc_learned_port *pc_learned_find(const pc_learned *l, uint8_t proto, uint16_t port) {
  if (!l) return NULL;
  for (size_t i = 0; i < l->n; i++)
    if (l->e[i].port == port && l->e[i].proto == proto) return &l->e[i];
  return NULL;
}

/* Copies a process name, replacing control characters: names come from other processes and
 * end up in a line-oriented file and in terminal output. */
static void copy_name(char *dst, size_t cap, const char *src) {
  size_t i = 0;
  for (; src && src[i] && i + 1 < cap; i++) {
    unsigned char c = (unsigned char)src[i];
    dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  dst[i] = '\0';
}

int pc_learned_record(pc_learned *l, uint8_t proto, uint16_t port, uint32_t pid, const char *process,
                      pc_time ts) {
  if (!l || port == 0 || (proto != PC_PROTO_TCP && proto != PC_PROTO_UDP)) return PC_EINVAL;
  pc_learned_port *e = (pc_learned_port *)pc_learned_find(l, proto, port);
  if (!e) {
    if (l->n < l->cap) {
      e = &l->e[l->n++];
    } else {
      /* Evict the entry seen longest ago: a port unused for the longest time is the one
       * least likely to matter. */
      e = &l->e[0];
      for (size_t i = 1; i < l->n; i++)
        if (l->e[i].last_seen < e->last_seen) e = &l->e[i];
    }
    memset(e, 0, sizeof *e);
    e->proto = proto;
    e->port = port;
    e->first_seen = ts;
  }
  bool changed = e->last_seen == 0;
  if (pid && pid != e->pid) {
    e->pid = pid;
    changed = true;
  }
  if (process && process[0]) {
    char clean[PC_NAME_MAX];
    copy_name(clean, sizeof clean, process);
    if (strcmp(clean, e->process) != 0) {
      memcpy(e->process, clean, sizeof clean);
      changed = true;
    }
  }
  /* A holder seen again on every poll would otherwise make the file dirty every time: only
   * a last_seen that moved by more than PC_LEARNED_TOUCH counts as a change worth saving. */
  if (ts > e->last_seen) {
    if (ts - e->last_seen > PC_LEARNED_TOUCH) changed = true;
    e->last_seen = ts;
  }
  if (changed) l->dirty = true;
  return PC_OK;
}

/* ---- text form ---------------------------------------------------------------------------- */

typedef struct cursor {
  const char *p, *end;
} cursor;

/* The next blank-separated token of the line; false at the end of the line. */
static bool token(cursor *c, const char **tok, size_t *len) {
  while (c->p < c->end && *c->p == ' ') c->p++;
  if (c->p >= c->end) return false;
  *tok = c->p;
  while (c->p < c->end && *c->p != ' ') c->p++;
  *len = (size_t)(c->p - *tok);
  return true;
}

static int parse_line(const char *line, size_t len, pc_learned_port *out) {
  cursor c = {line, line + len};
  const char *t;
  size_t tl;
  uint64_t v;
  memset(out, 0, sizeof *out);
  if (!token(&c, &t, &tl)) return PC_EPARSE;
  if (tl == 3 && memcmp(t, "tcp", 3) == 0)
    out->proto = PC_PROTO_TCP;
  else if (tl == 3 && memcmp(t, "udp", 3) == 0)
    out->proto = PC_PROTO_UDP;
  else
    return PC_EPARSE;
  if (!token(&c, &t, &tl) || !pc_parse_uint(t, tl, 65535, false, &v) || v == 0) return PC_EPARSE;
  out->port = (uint16_t)v;
  if (!token(&c, &t, &tl) || !pc_parse_uint(t, tl, UINT32_MAX, false, &v)) return PC_EPARSE;
  out->pid = (uint32_t)v;
  if (!token(&c, &t, &tl) || !pc_parse_uint(t, tl, INT64_MAX, false, &v)) return PC_EPARSE;
  out->first_seen = (pc_time)v;
  if (!token(&c, &t, &tl) || !pc_parse_uint(t, tl, INT64_MAX, false, &v)) return PC_EPARSE;
  out->last_seen = (pc_time)v;
  /* The rest of the line (after one blank) is the name, which may contain blanks. */
  if (c.p < c.end) c.p++;
  size_t nl = (size_t)(c.end - c.p);
  if (nl >= sizeof out->process) return PC_EPARSE;
  for (size_t i = 0; i < nl; i++)
    if ((unsigned char)c.p[i] < 0x20 || c.p[i] == 0x7f) return PC_EPARSE;
  memcpy(out->process, c.p, nl);
  out->process[nl] = '\0';
  return PC_OK;
}

int pc_learned_parse(pc_learned *l, const char *text, size_t len, const char *origin, char *err,
                     size_t errcap) {
  l->n = 0;
  l->dirty = false;
  if (!origin) origin = "learned ports";
  pc_lines it;
  pc_lines_init(&it, text, len);
  const char *p;
  size_t ll;
  while (pc_lines_next(&it, &p, &ll)) {
    unsigned lineno = it.no;
    if (lineno == 1) {
      if (ll != strlen(HEADER) || memcmp(p, HEADER, ll) != 0) {
        snprintf(err, errcap, "%s:1: not a portclash learned-ports file (expected '%s')", origin, HEADER);
        return PC_ECORRUPT;
      }
    } else if (ll > 0) {
      pc_learned_port e;
      if (memchr(p, '\0', ll) || parse_line(p, ll, &e) != PC_OK) {
        l->n = 0;
        snprintf(err, errcap, "%s:%u: malformed entry (expected 'tcp|udp PORT PID FIRST LAST NAME')", origin,
                 lineno);
        return PC_ECORRUPT;
      }
      if (e.last_seen < e.first_seen) e.first_seen = e.last_seen;
      /* A duplicate keeps its first line's first_seen; record() keeps the latest data. */
      pc_learned_record(l, e.proto, e.port, e.pid, e.process, e.last_seen);
      pc_learned_port *got = (pc_learned_port *)pc_learned_find(l, e.proto, e.port);
      if (got && e.first_seen < got->first_seen) got->first_seen = e.first_seen;
    }
  }
  if (it.no == 0) {
    snprintf(err, errcap, "%s: empty file", origin);
    return PC_ECORRUPT;
  }
  l->dirty = false;
  return PC_OK;
}

int pc_learned_format(const pc_learned *l, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  size_t cap = sizeof HEADER + 1 + l->n * (PC_NAME_MAX + 96);
  char *buf = malloc(cap);
  if (!buf) return PC_ENOMEM;
  size_t n = (size_t)snprintf(buf, cap, "%s\n", HEADER);
  for (size_t i = 0; i < l->n; i++) {
    const pc_learned_port *e = &l->e[i];
    n += (size_t)snprintf(buf + n, cap - n, "%s %u %lu %lld %lld %s\n",
                          e->proto == PC_PROTO_UDP ? "udp" : "tcp", (unsigned)e->port, (unsigned long)e->pid,
                          (long long)e->first_seen, (long long)e->last_seen, e->process);
  }
  *out = buf;
  *len = n;
  return PC_OK;
}

int pc_learned_load(pc_learned *l, const char *dir, char *err, size_t errcap) {
  l->n = 0;
  l->dirty = false;
  char *text;
  size_t len;
  char origin[4096];
  int rc = pc_state_load(dir, PC_LEARNED_FILE, "starting with no learned ports", origin, sizeof origin, &text,
                         &len, err, errcap);
  if (rc == PC_ENOENT) return PC_OK;
  if (rc != PC_OK) return rc;
  char why[PC_LEARNED_ERR_MAX];
  rc = pc_learned_parse(l, text, len, origin, why, sizeof why);
  free(text);
  if (rc != PC_OK) {
    snprintf(err, errcap, "%s; starting with no learned ports (the file is replaced on the next save)", why);
    /* The damaged file stays until the next save replaces it, so an operator can look. */
    l->dirty = true;
  }
  return rc;
}

int pc_learned_save(pc_learned *l, const char *dir, char *err, size_t errcap) {
  char *text = NULL;
  size_t len = 0;
  int rc = pc_learned_format(l, &text, &len);
  rc = pc_state_save(dir, PC_LEARNED_FILE, rc, text, len, err, errcap);
  if (rc == PC_OK) l->dirty = false;
  return rc;
}
