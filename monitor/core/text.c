/* text.c - pc_text.h. */
#include <string.h>

#include "pc_text.h"

void pc_lines_init(pc_lines *it, const char *text, size_t len) {
  it->p = text;
  it->end = text + len;
  it->no = 0;
}

bool pc_lines_next(pc_lines *it, const char **s, size_t *len) {
  if (it->p >= it->end) return false;
  const char *start = it->p;
  const char *nl = memchr(start, '\n', (size_t)(it->end - start));
  const char *stop = nl ? nl : it->end;
  it->p = nl ? nl + 1 : it->end;
  it->no++;
  if (stop > start && stop[-1] == '\r') stop--;
  *s = start;
  *len = (size_t)(stop - start);
  return true;
}

static int digit(char c, unsigned base) {
  int d = c >= '0' && c <= '9'   ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                 : 99;
  return d < (int)base ? d : -1;
}

bool pc_parse_uint(const char *s, size_t len, uint64_t max, bool allow_hex, uint64_t *out) {
  unsigned base = 10;
  if (allow_hex && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    len -= 2;
  }
  if (len == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    int d = digit(s[i], base);
    if (d < 0 || v > (max - (uint64_t)d) / base) return false;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return true;
}

size_t pc_utf8_encode(uint32_t cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  /* The lead byte's marker by length; each continuation byte carries 6 bits. */
  static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
  size_t n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  for (size_t i = n - 1; i > 0; i--, cp >>= 6) out[i] = (char)(0x80 | (cp & 0x3F));
  out[0] = (char)(lead[n] | cp);
  return n;
}
