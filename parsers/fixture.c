/* Reader for the record fixture text format (tests/FIXTURES.md). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_compiler.h"
#include "pc_error.h"
#include "pc_fixture.h"
#include "pc_text.h"
#include "pc_sockaddr.h"

#define FIXTURE_PAYLOAD_MAX 4096
#define FIXTURE_LINE_MAX 8192

struct pc_fixture {
  pc_lines lines;
  const char *origin;
  const pc_schema_set *schemas;
  unsigned line;
  pc_time base;
  uint16_t default_ptr_flag; /* set by a "ptr 32|64" line */
  uint8_t payload[FIXTURE_PAYLOAD_MAX];
  char error[320];
};

int pc_fixture_open(const char *text, size_t len, const char *origin, const pc_schema_set *schemas,
                    pc_fixture **out) {
  pc_fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return PC_ENOMEM;
  pc_lines_init(&fx->lines, text, len);
  fx->origin = origin;
  fx->schemas = schemas;
  fx->base = pc_time_from_unix(1767225600, 0); /* 2026-01-01T00:00:00Z unless "base" says otherwise */
  fx->default_ptr_flag = PC_RECORD_FLAG_64BIT_HEADER;
  *out = fx;
  return PC_OK;
}

void pc_fixture_close(pc_fixture *fx) {
  free(fx);
}

const char *pc_fixture_error(const pc_fixture *fx) {
  return fx->error;
}

static int fail(pc_fixture *fx, const char *fmt, ...) PC_PRINTF(2, 3);
static int fail(pc_fixture *fx, const char *fmt, ...) {
  int n = snprintf(fx->error, sizeof fx->error, "%s:%u: ", fx->origin, fx->line);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof fx->error) vsnprintf(fx->error + n, sizeof fx->error - (size_t)n, fmt, ap);
  va_end(ap);
  return PC_EPARSE;
}

/* Parses a whole token as an unsigned or signed integer (decimal, 0x hex). */
static bool parse_int(const char *s, int64_t min, uint64_t max, uint64_t *out) {
  bool neg = false;
  if (*s == '-') {
    neg = true;
    s++;
  }
  if (!*s) return false;
  char *endp;
  unsigned long long v = strtoull(s, &endp, 0);
  if (*endp || !isdigit((unsigned char)*s)) return false;
  if (neg) {
    if (min >= 0 || v > (unsigned long long)(-(min + 1)) + 1) return false;
    *out = (uint64_t)(-(int64_t)(v - 1) - 1);
    return true;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

/* Parses "1.2.3.4:80", "[::1]:80" into a Windows SOCKADDR blob. */
static int encode_sockaddr(const char *s, uint8_t *buf, size_t *len) {
  const char *colon = strrchr(s, ':');
  if (!colon) return PC_EPARSE;
  char host[64];
  size_t hl = (size_t)(colon - s);
  if (hl == 0 || hl >= sizeof host) return PC_EPARSE;
  memcpy(host, s, hl);
  host[hl] = '\0';
  uint64_t port;
  if (!parse_int(colon + 1, 0, 65535, &port)) return PC_EPARSE;
  bool bracketed = host[0] == '[';
  pc_addr a = {0};
  if (pc_addr_parse_ip(host, &a) != PC_OK) return PC_EPARSE;
  if (a.family == PC_AF_INET6 && !bracketed) return PC_EPARSE; /* "::1:80" is ambiguous */
  memset(buf, 0, 28);
  buf[2] = (uint8_t)(port >> 8);
  buf[3] = (uint8_t)port;
  if (a.family == PC_AF_INET) {
    buf[0] = PC_WIN_AF_INET;
    memcpy(buf + 4, a.bytes, 4);
    *len = 16;
  } else {
    buf[0] = PC_WIN_AF_INET6;
    memcpy(buf + 8, a.bytes, 16);
    *len = 28;
  }
  return PC_OK;
}

static int decode_hex(const char *s, uint8_t *buf, size_t cap, size_t *len) {
  size_t n = strlen(s);
  if (n % 2 || n / 2 > cap) return PC_EPARSE;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1])) return PC_EPARSE;
    sscanf(s + 2 * i, "%2x", &v);
    buf[i] = (uint8_t)v;
  }
  *len = n / 2;
  return PC_OK;
}

/* One property value as given in the line, before encoding. */
typedef struct given {
  bool set;
  uint64_t num;
  uint8_t blob[256];
  size_t blob_len;
  bool is_blob;
} given;

static int parse_value(pc_fixture *fx, const pc_schema_prop *p, const char *v, given *g) {
  g->set = true;
  if (p->intype == PC_IN_BINARY) {
    g->is_blob = true;
    if (strncmp(v, "hex:", 4) == 0) {
      if (decode_hex(v + 4, g->blob, sizeof g->blob, &g->blob_len) != PC_OK)
        return fail(fx, "%s: bad hex bytes", p->name);
      return PC_OK;
    }
    if (strncmp(v, "ip6:", 4) == 0) { /* a raw 16-byte IPv6 address (legacy AFD event 3) */
      pc_addr a = {0};
      if (pc_addr_parse_ip(v + 4, &a) != PC_OK || a.family != PC_AF_INET6)
        return fail(fx, "%s: bad IPv6 address", p->name);
      memcpy(g->blob, a.bytes, 16);
      g->blob_len = 16;
      return PC_OK;
    }
    if (encode_sockaddr(v, g->blob, &g->blob_len) != PC_OK)
      return fail(fx, "%s: expected ADDRESS:PORT, [V6]:PORT, ip6:ADDR or hex:BYTES, got '%s'", p->name, v);
    return PC_OK;
  }
  if (strncmp(v, "be16:", 5) == 0) { /* network-order u16 (legacy AFD Port) */
    uint64_t n;
    if (!parse_int(v + 5, 0, 65535, &n)) return fail(fx, "%s: bad be16 value", p->name);
    g->num = (n >> 8 | n << 8) & 0xFFFF;
    return PC_OK;
  }
  if (strncmp(v, "ip4:", 4) == 0) { /* raw IPv4 in network order (legacy AFD event 2) */
    pc_addr a = {0};
    if (pc_addr_parse_ip(v + 4, &a) != PC_OK || a.family != PC_AF_INET)
      return fail(fx, "%s: bad IPv4 address", p->name);
    g->num = (uint64_t)a.bytes[0] | (uint64_t)a.bytes[1] << 8 | (uint64_t)a.bytes[2] << 16 |
             (uint64_t)a.bytes[3] << 24;
    return PC_OK;
  }
  if (!parse_int(v, INT32_MIN, UINT64_MAX, &g->num)) return fail(fx, "%s: bad number '%s'", p->name, v);
  return PC_OK;
}

static bool parse_provider(const char *tok, pc_guid *g) {
  if (strcmp(tok, "afd") == 0)
    *g = PC_GUID_AFD;
  else if (strcmp(tok, "tcpip") == 0)
    *g = PC_GUID_TCPIP;
  else if (strcmp(tok, "winsock") == 0)
    *g = PC_GUID_WINSOCK_SOCKETS;
  else
    return pc_guid_parse(tok, strlen(tok), g) == PC_OK;
  return true;
}

/* Parses "@12.5" (seconds, up to 7 decimals) relative to the base time. */
static bool parse_time(const char *s, pc_time base, pc_time *out) {
  if (*s++ != '@') return false;
  char *endp;
  unsigned long long secs = strtoull(s, &endp, 10);
  if (endp == s || secs > 100000000ull) return false;
  int64_t frac = 0;
  int digits = 0;
  if (*endp == '.') {
    for (endp++; isdigit((unsigned char)*endp) && digits < 7; endp++, digits++)
      frac = frac * 10 + (*endp - '0');
    if (digits == 0) return false;
    for (int i = digits; i < 7; i++) frac *= 10;
  }
  if (*endp) return false;
  *out = base + (pc_time)secs * PC_TIME_TICKS_PER_SEC + frac;
  return true;
}

/* Splits the next blank-separated token off *cursor in place (strtok_r is not C11). */
static char *next_tok(char **cursor) {
  char *s = *cursor;
  while (*s == ' ' || *s == '\t') s++;
  if (!*s) return NULL;
  char *t = s;
  while (*s && *s != ' ' && *s != '\t') s++;
  if (*s) *s++ = '\0';
  *cursor = s;
  return t;
}

static int parse_line(pc_fixture *fx, char *line, pc_record *r) {
  char *save = line;
  char *tok = next_tok(&save);
  if (strcmp(tok, "base") == 0) {
    char *v = next_tok(&save);
    int y, mo, d, h, mi, s;
    char z;
    if (!v || sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 || z != 'Z')
      return fail(fx, "base needs YYYY-MM-DDTHH:MM:SSZ");
    /* Days from civil (Hinnant), so no timegm dependency. */
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    fx->base = pc_time_from_unix(days * 86400 + h * 3600 + mi * 60 + s, 0);
    return 1;
  }
  if (strcmp(tok, "ptr") == 0) {
    char *v = next_tok(&save);
    if (!v || (strcmp(v, "32") != 0 && strcmp(v, "64") != 0)) return fail(fx, "ptr needs 32 or 64");
    fx->default_ptr_flag = strcmp(v, "32") == 0 ? PC_RECORD_FLAG_32BIT_HEADER : PC_RECORD_FLAG_64BIT_HEADER;
    return 1;
  }
  memset(r, 0, sizeof *r);
  if (!parse_time(tok, fx->base, &r->timestamp)) return fail(fx, "expected @SECONDS, got '%s'", tok);
  char *prov = next_tok(&save), *id = next_tok(&save), *ver = next_tok(&save);
  uint64_t idv, verv;
  if (!prov || !parse_provider(prov, &r->provider))
    return fail(fx, "expected a provider (afd, tcpip, winsock, {GUID})");
  if (!id || !parse_int(id, 0, 65535, &idv)) return fail(fx, "expected an event id");
  if (!ver || ver[0] != 'v' || !parse_int(ver + 1, 0, 255, &verv)) return fail(fx, "expected vVERSION");
  r->id = (uint16_t)idv;
  r->version = (uint8_t)verv;
  r->flags = fx->default_ptr_flag;
  r->level = 4;
  long truncate_at = -1;
  given extra = {0};
  /* Header options up to ':' */
  while ((tok = next_tok(&save)) && strcmp(tok, ":") != 0) {
    char *eq = strchr(tok, '=');
    if (!eq) return fail(fx, "expected KEY=VALUE or ':', got '%s'", tok);
    *eq = '\0';
    const char *v = eq + 1;
    uint64_t n;
    if (strcmp(tok, "pid") == 0 && parse_int(v, 0, UINT32_MAX, &n))
      r->pid = (uint32_t)n;
    else if (strcmp(tok, "tid") == 0 && parse_int(v, 0, UINT32_MAX, &n))
      r->tid = (uint32_t)n;
    else if (strcmp(tok, "cpu") == 0 && parse_int(v, 0, UINT16_MAX, &n))
      r->processor = (uint16_t)n;
    else if (strcmp(tok, "ptr") == 0 &&
             (strcmp(v, "32") == 0 || strcmp(v, "64") == 0 || strcmp(v, "none") == 0))
      r->flags = strcmp(v, "32") == 0   ? PC_RECORD_FLAG_32BIT_HEADER
                 : strcmp(v, "64") == 0 ? PC_RECORD_FLAG_64BIT_HEADER
                                        : 0;
    else if (strcmp(tok, "startkey") == 0 && parse_int(v, 0, UINT64_MAX, &n)) {
      r->process_start_key = n;
      r->ext_present |= PC_RECORD_EXT_PROCESS_START_KEY;
    } else if (strcmp(tok, "opcode") == 0 && parse_int(v, 0, 255, &n))
      r->opcode = (uint8_t)n;
    else if (strcmp(tok, "level") == 0 && parse_int(v, 0, 255, &n))
      r->level = (uint8_t)n;
    else if (strcmp(tok, "truncate") == 0 && parse_int(v, 0, FIXTURE_PAYLOAD_MAX, &n))
      truncate_at = (long)n;
    else if (strcmp(tok, "append") == 0 && strncmp(v, "hex:", 4) == 0 &&
             decode_hex(v + 4, extra.blob, sizeof extra.blob, &extra.blob_len) == PC_OK)
      extra.set = true;
    else
      return fail(fx, "bad header option '%s=%s'", tok, v);
  }
  const pc_schema_event *sch = pc_schema_set_find(fx->schemas, &r->provider, r->id, r->version);
  unsigned ptr = pc_record_pointer_size(r) ? pc_record_pointer_size(r) : 8;
  size_t len = 0;
  if (sch) {
    given g[PC_SCHEMA_MAX_PROPS];
    memset(g, 0, sizeof g);
    while ((tok = next_tok(&save))) {
      char *eq = strchr(tok, '=');
      if (!eq) return fail(fx, "expected PROPERTY=VALUE, got '%s'", tok);
      *eq = '\0';
      unsigned i;
      for (i = 0; i < sch->prop_count; i++)
        if (strcmp(sch->props[i].name, tok) == 0) break;
      if (i == sch->prop_count) return fail(fx, "event %u v%u has no property '%s'", r->id, r->version, tok);
      int rc = parse_value(fx, &sch->props[i], eq + 1, &g[i]);
      if (rc != PC_OK) return rc;
    }
    /* Fill omitted length properties from the blob they measure. */
    for (unsigned i = 0; i < sch->prop_count; i++) {
      uint8_t lp = sch->props[i].length_prop;
      if (lp != PC_SCHEMA_NO_LENGTH_PROP && !g[lp].set) g[lp].num = g[i].blob_len;
    }
    for (unsigned i = 0; i < sch->prop_count; i++) {
      const pc_schema_prop *p = &sch->props[i];
      if (p->intype == PC_IN_BINARY) {
        size_t n = g[i].blob_len;
        if (p->length_prop == PC_SCHEMA_NO_LENGTH_PROP && !g[i].set) n = p->length;
        if (len + n > FIXTURE_PAYLOAD_MAX) return fail(fx, "payload too large");
        if (g[i].set)
          memcpy(fx->payload + len, g[i].blob, n);
        else
          memset(fx->payload + len, 0, n);
        len += n;
        continue;
      }
      if (g[i].is_blob) return fail(fx, "%s is not a blob", p->name);
      size_t n = pc_intype_fixed_size(p->intype, ptr);
      if (n == 0 || n > 8 || p->intype == PC_IN_FLOAT || p->intype == PC_IN_DOUBLE)
        return fail(fx, "%s: type %s cannot be written in a fixture", p->name, pc_intype_name(p->intype));
      if (len + n > FIXTURE_PAYLOAD_MAX) return fail(fx, "payload too large");
      for (size_t k = 0; k < n; k++) fx->payload[len + k] = (uint8_t)(g[i].num >> (8 * k));
      len += n;
    }
  } else {
    /* Without a schema only a raw payload can be given: "data=hex:..." */
    while ((tok = next_tok(&save))) {
      if (strncmp(tok, "data=hex:", 9) != 0 || len)
        return fail(fx, "no schema for %s %u v%u: give the payload as data=hex:...", prov, r->id, r->version);
      if (decode_hex(tok + 9, fx->payload, FIXTURE_PAYLOAD_MAX, &len) != PC_OK)
        return fail(fx, "bad hex payload");
    }
  }
  if (extra.set) {
    if (len + extra.blob_len > FIXTURE_PAYLOAD_MAX) return fail(fx, "payload too large");
    memcpy(fx->payload + len, extra.blob, extra.blob_len);
    len += extra.blob_len;
  }
  if (truncate_at >= 0 && (size_t)truncate_at < len) len = (size_t)truncate_at;
  r->user_data = fx->payload;
  r->user_data_len = (uint32_t)len;
  return PC_OK;
}

int pc_fixture_next(pc_fixture *fx, pc_record *out) {
  const char *start;
  size_t n;
  while (pc_lines_next(&fx->lines, &start, &n)) {
    fx->line = fx->lines.no;
    if (n >= FIXTURE_LINE_MAX) return fail(fx, "line longer than %d bytes", FIXTURE_LINE_MAX);
    char line[FIXTURE_LINE_MAX];
    memcpy(line, start, n);
    line[n] = '\0';
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) continue;
    int rc = parse_line(fx, s, out);
    if (rc == 1) continue;
    return rc;
  }
  return 1;
}
