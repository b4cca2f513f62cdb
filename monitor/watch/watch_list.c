/* watch_list.c - parsing and lookup of the watch list (pc_watch.h).
 *
 * Lookups are linear: a list is short in practice and bounded by PC_WATCH_MAX_ENTRIES; the
 * watcher turns it into a per-port bitmap once when it needs fast answers for every port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_attempt.h"
#include "pc_error.h"
#include "watch_list.h"

struct pc_watch_list {
  pc_watch_entry *e;
  size_t n, cap;
};

int pc_watch_new(pc_watch_list **out) {
  *out = calloc(1, sizeof **out);
  return *out ? PC_OK : PC_ENOMEM;
}

void pc_watch_free(pc_watch_list *w) {
  if (!w) return;
  free(w->e);
  free(w);
}

size_t pc_watch_count(const pc_watch_list *w) {
  return w ? w->n : 0;
}

const pc_watch_entry *pc_watch_entries(const pc_watch_list *w) {
  return w ? w->e : NULL;
}

bool pc_watch_contains(const pc_watch_list *w, uint8_t proto, uint16_t port) {
  if (!w) return false;
  uint8_t want = proto == PC_PROTO_TCP   ? PC_WATCH_TCP
                 : proto == PC_PROTO_UDP ? PC_WATCH_UDP
                                         : PC_WATCH_TCP | PC_WATCH_UDP;
  for (size_t i = 0; i < w->n; i++)
    if ((w->e[i].protos & want) && port >= w->e[i].lo && port <= w->e[i].hi) return true;
  return false;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/* Parses a decimal port in s[0..len): 1..65535, digits only. */
static bool parse_port(const char *s, size_t len, uint16_t *out) {
  if (len == 0 || len > 5) return false;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v < 1 || v > 65535) return false;
  *out = (uint16_t)v;
  return true;
}

static bool word_is(const char *s, size_t len, const char *w) {
  size_t n = strlen(w);
  if (len != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != w[i]) return false;
  }
  return true;
}

/* Quotes at most 40 bytes of user text in messages, so a hostile list cannot make them huge. */
static int quoted_len(size_t len) {
  return (int)(len > 40 ? 40 : len);
}

/* Parses one item s[0..len) (blanks already trimmed). */
static int parse_item(const char *s, size_t len, const char *origin, pc_watch_entry *out, char *err,
                      size_t errcap) {
  if (len == 0) {
    snprintf(err, errcap, "%s: empty item (two commas in a row, or a comma at an end)", origin);
    return PC_EPARSE;
  }
  size_t body = len;
  out->protos = PC_WATCH_TCP | PC_WATCH_UDP;
  const char *slash = memchr(s, '/', len);
  if (slash) {
    body = (size_t)(slash - s);
    const char *p = slash + 1;
    size_t plen = len - body - 1;
    if (word_is(p, plen, "tcp"))
      out->protos = PC_WATCH_TCP;
    else if (word_is(p, plen, "udp"))
      out->protos = PC_WATCH_UDP;
    else {
      snprintf(err, errcap, "%s: '%.*s' is not a protocol (tcp or udp) in '%.*s'", origin, quoted_len(plen),
               p, quoted_len(len), s);
      return PC_EPARSE;
    }
  }
  const char *dash = memchr(s, '-', body);
  size_t alen = dash ? (size_t)(dash - s) : body;
  if (!parse_port(s, alen, &out->lo)) {
    snprintf(err, errcap, "%s: '%.*s' is not a port (1-65535)", origin, quoted_len(alen), s);
    return PC_EPARSE;
  }
  out->hi = out->lo;
  if (dash) {
    const char *b = dash + 1;
    size_t blen = body - alen - 1;
    if (!parse_port(b, blen, &out->hi)) {
      snprintf(err, errcap, "%s: '%.*s' is not a port (1-65535)", origin, quoted_len(blen), b);
      return PC_EPARSE;
    }
    if (out->hi < out->lo) {
      snprintf(err, errcap, "%s: '%.*s' is not a range (the first port is larger than the last)", origin,
               quoted_len(body), s);
      return PC_EPARSE;
    }
  }
  return PC_OK;
}

int pc_watch_add(pc_watch_list *w, const char *text, const char *origin, char *err, size_t errcap) {
  if (!w || !text) return PC_EINVAL;
  if (!origin) origin = "watch list";
  if (err && errcap) err[0] = '\0';
  char dummy[8];
  if (!err || !errcap) {
    err = dummy;
    errcap = sizeof dummy;
  }
  size_t start_n = w->n;
  const char *p = text;
  for (;;) {
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    const char *a = p, *b = end;
    while (a < b && is_blank(*a)) a++;
    while (b > a && is_blank(b[-1])) b--;
    pc_watch_entry e;
    int rc = parse_item(a, (size_t)(b - a), origin, &e, err, errcap);
    if (rc == PC_OK && w->n >= PC_WATCH_MAX_ENTRIES) {
      snprintf(err, errcap, "%s: more than %d items", origin, PC_WATCH_MAX_ENTRIES);
      rc = PC_ELIMIT;
    }
    if (rc == PC_OK && w->n == w->cap) {
      size_t ncap = w->cap ? w->cap * 2 : 16;
      if (ncap > PC_WATCH_MAX_ENTRIES) ncap = PC_WATCH_MAX_ENTRIES;
      pc_watch_entry *ne = realloc(w->e, ncap * sizeof *ne);
      if (!ne) {
        snprintf(err, errcap, "%s: out of memory", origin);
        rc = PC_ENOMEM;
      } else {
        w->e = ne;
        w->cap = ncap;
      }
    }
    if (rc != PC_OK) {
      w->n = start_n; /* all or nothing: a half-added list would watch the wrong ports */
      return rc;
    }
    w->e[w->n++] = e;
    if (!comma) break;
    p = comma + 1;
  }
  return PC_OK;
}
