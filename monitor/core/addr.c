#include <stdio.h>
#include <string.h>

#include "pc_addr.h"
#include "pc_error.h"

/* IPv6 text form per RFC 5952: lower case, the longest run (>= 2) of zero groups
 * compressed, leftmost on ties; IPv4-mapped addresses shown as ::ffff:a.b.c.d. */
static size_t format_ip6(const uint8_t b[16], char *buf, size_t cap) {
  uint16_t g[8];
  for (int i = 0; i < 8; i++) g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
  static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(b, mapped_prefix, 12) == 0) {
    int n = snprintf(buf, cap, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    return n > 0 ? (size_t)n : 0;
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  size_t n = 0;
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      n += (size_t)snprintf(buf + n, cap - n, "::");
      i += best_len - 1;
      continue;
    }
    n += (size_t)snprintf(buf + n, cap - n, "%x%s", g[i], (i < 7 && i + 1 != best) ? ":" : "");
    if (n >= cap) return 0;
  }
  return n;
}

size_t pc_addr_format_ip(const pc_addr *a, char *buf, size_t cap) {
  if (cap == 0) return 0;
  buf[0] = '\0';
  if (cap < 48) return 0;
  if (a->family == PC_AF_INET) {
    int n = snprintf(buf, cap, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
    return n > 0 ? (size_t)n : 0;
  }
  if (a->family == PC_AF_INET6) {
    size_t n = format_ip6(a->bytes, buf, cap);
    if (a->scope_id != 0) n += (size_t)snprintf(buf + n, cap - n, "%%%u", (unsigned)a->scope_id);
    return n;
  }
  return 0;
}

static int parse_ip4(const char *s, uint8_t out[4]) {
  unsigned v[4];
  char tail;
  if (sscanf(s, "%3u.%3u.%3u.%3u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4) return PC_EPARSE;
  for (int i = 0; i < 4; i++) {
    if (v[i] > 255) return PC_EPARSE;
    out[i] = (uint8_t)v[i];
  }
  /* sscanf accepts leading spaces and signs; insist on digits and dots only. */
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == '.')) return PC_EPARSE;
  return PC_OK;
}

static int hexdigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_ip6(const char *s, size_t len, uint8_t out[16]) {
  uint16_t head[8], tail[8];
  int nh = 0, nt = 0, seen_gap = 0;
  size_t i = 0;
  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    seen_gap = 1;
    i = 2;
  }
  while (i < len) {
    /* An embedded IPv4 tail ("::ffff:1.2.3.4") ends the address. */
    size_t j = i;
    while (j < len && s[j] != ':' && s[j] != '.') j++;
    if (j < len && s[j] == '.') {
      char v4[16];
      if (len - i >= sizeof v4) return PC_EPARSE;
      memcpy(v4, s + i, len - i);
      v4[len - i] = '\0';
      uint8_t b4[4];
      if (parse_ip4(v4, b4) != PC_OK) return PC_EPARSE;
      uint16_t *grp = seen_gap ? tail : head;
      int *n = seen_gap ? &nt : &nh;
      if (*n > 6) return PC_EPARSE;
      grp[(*n)++] = (uint16_t)(b4[0] << 8 | b4[1]);
      grp[(*n)++] = (uint16_t)(b4[2] << 8 | b4[3]);
      i = len;
      break;
    }
    if (j == i || j - i > 4) return PC_EPARSE;
    unsigned v = 0;
    for (size_t k = i; k < j; k++) {
      int h = hexdigit(s[k]);
      if (h < 0) return PC_EPARSE;
      v = v << 4 | (unsigned)h;
    }
    uint16_t *grp = seen_gap ? tail : head;
    int *n = seen_gap ? &nt : &nh;
    if (*n >= 8) return PC_EPARSE;
    grp[(*n)++] = (uint16_t)v;
    i = j;
    if (i < len) {
      if (i + 1 < len && s[i + 1] == ':') {
        if (seen_gap) return PC_EPARSE;
        seen_gap = 1;
        i += 2;
      } else {
        i++;
        if (i == len) return PC_EPARSE; /* trailing single colon */
      }
    }
  }
  if (seen_gap ? nh + nt > 7 : nh != 8) return PC_EPARSE;
  uint16_t g[8] = {0};
  for (int k = 0; k < nh; k++) g[k] = head[k];
  for (int k = 0; k < nt; k++) g[8 - nt + k] = tail[k];
  for (int k = 0; k < 8; k++) {
    out[2 * k] = (uint8_t)(g[k] >> 8);
    out[2 * k + 1] = (uint8_t)g[k];
  }
  return PC_OK;
}

int pc_addr_parse_ip(const char *text, pc_addr *out) {
  size_t len = strlen(text);
  if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
    text++;
    len -= 2;
  }
  if (len == 0 || len > 45) return PC_EPARSE;
  char tmp[46];
  memcpy(tmp, text, len);
  tmp[len] = '\0';
  uint16_t port = out->port;
  memset(out, 0, sizeof *out);
  out->port = port;
  if (memchr(tmp, ':', len)) {
    if (parse_ip6(tmp, len, out->bytes) != PC_OK) return PC_EPARSE;
    out->family = PC_AF_INET6;
    return PC_OK;
  }
  if (parse_ip4(tmp, out->bytes) != PC_OK) return PC_EPARSE;
  out->family = PC_AF_INET;
  return PC_OK;
}

bool pc_addr_is_wildcard(const pc_addr *a) {
  static const uint8_t zero[16];
  if (a->family == PC_AF_INET) return memcmp(a->bytes, zero, 4) == 0;
  if (a->family == PC_AF_INET6) return memcmp(a->bytes, zero, 16) == 0;
  return false;
}

bool pc_addr_equal(const pc_addr *a, const pc_addr *b) {
  if (a->family != b->family || a->port != b->port) return false;
  size_t n = a->family == PC_AF_INET ? 4 : 16;
  return memcmp(a->bytes, b->bytes, n) == 0;
}
