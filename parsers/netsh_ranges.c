/* netsh excludedportrange / dynamicport output, plus the text-input helpers shared by the
 * host-state text parsers (encoding normalization, line iteration, error messages).
 *
 * netsh output is localized, so rows are recognized by shape: an excluded range is "digits
 * blanks digits [*]", a dynamic-range value is the number after the last colon of a line. The
 * protocol comes from the title, where netsh substitutes the untranslated "tcp"/"udp". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate_text.h"

/* ---- shared text helpers ---------------------------------------------------------------- */

int pc__hosttext_fail(char *err, size_t errcap, const char *origin, unsigned line, int code, const char *fmt,
                      ...) {
  if (!err || errcap == 0) return code;
  int n = snprintf(err, errcap, "%s:%u: ", origin ? origin : "<input>", line);
  if (n < 0 || (size_t)n >= errcap) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

void pc__lines_init(pc__lines *it, const char *text, size_t len) {
  it->p = text;
  it->end = text + len;
  it->no = 0;
}

bool pc__lines_next(pc__lines *it, const char **s, size_t *len) {
  if (it->p >= it->end) return false;
  const char *start = it->p;
  const char *nl = memchr(start, '\n', (size_t)(it->end - start));
  const char *stop = nl ? nl : it->end;
  it->p = nl ? nl + 1 : it->end;
  it->no++;
  /* CR (CRLF files, and the stray CR CR LF that some redirections produce) and trailing
   * blanks are not part of the data. */
  while (stop > start && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t')) stop--;
  *s = start;
  *len = (size_t)(stop - start);
  return true;
}

static void put_utf8(char *out, size_t *o, uint32_t cp) {
  if (cp < 0x80) {
    out[(*o)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*o)++] = (char)(0xC0 | cp >> 6);
    out[(*o)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*o)++] = (char)(0xE0 | cp >> 12);
    out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[(*o)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*o)++] = (char)(0xF0 | cp >> 18);
    out[(*o)++] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[(*o)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* Decodes UTF-16 (big_endian or not) into UTF-8; unpaired surrogates and NUL become '?'. */
static int utf16_to_utf8(const uint8_t *b, size_t len, bool big_endian, char **out, size_t *out_len) {
  size_t units = len / 2;
  /* One unit gives at most 3 bytes; a surrogate pair (2 units) gives 4. */
  char *buf = malloc(units * 3 + 1);
  if (!buf) return PC_ENOMEM;
  size_t o = 0;
  for (size_t i = 0; i < units; i++) {
    uint32_t u =
        big_endian ? (uint32_t)(b[2 * i] << 8 | b[2 * i + 1]) : (uint32_t)(b[2 * i + 1] << 8 | b[2 * i]);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      uint32_t lo = big_endian ? (uint32_t)(b[2 * i + 2] << 8 | b[2 * i + 3])
                               : (uint32_t)(b[2 * i + 3] << 8 | b[2 * i + 2]);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        put_utf8(buf, &o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i++;
        continue;
      }
    }
    if ((u >= 0xD800 && u <= 0xDFFF) || u == 0) u = '?';
    put_utf8(buf, &o, u);
  }
  buf[o] = '\0';
  *out = buf;
  *out_len = o;
  return PC_OK;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is invalid (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t utf8_seq(const uint8_t *p, size_t avail) {
  uint8_t c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (avail < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3Fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

int pc_text_to_utf8(const void *data, size_t len, char **out, size_t *out_len) {
  const uint8_t *b = data;
  *out = NULL;
  *out_len = 0;
  if (len > PC_HOSTTEXT_MAX_BYTES) return PC_ELIMIT;
  if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) return utf16_to_utf8(b + 2, len - 2, false, out, out_len);
  if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) return utf16_to_utf8(b + 2, len - 2, true, out, out_len);
  /* UTF-16LE without BOM (e.g. a file re-saved by a tool that dropped it): ASCII text then has
   * a zero in every odd byte. Two leading characters are enough to tell; UTF-8 never has NULs. */
  if (len >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0)
    return utf16_to_utf8(b, len, false, out, out_len);
  if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
    b += 3;
    len -= 3;
  }
  char *buf = malloc(len + 1);
  if (!buf) return PC_ENOMEM;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t n = b[i] == 0 ? 0 : utf8_seq(b + i, len - i);
    if (n == 0) {
      buf[o++] = '?';
      i++;
      continue;
    }
    memcpy(buf + o, b + i, n);
    o += n;
    i += n;
  }
  buf[o] = '\0';
  *out = buf;
  *out_len = o;
  return PC_OK;
}

/* ---- netsh-specific helpers ------------------------------------------------------------- */

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
static bool is_alnum_ascii(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Finds "tcp" or "udp" as a whole ASCII word in a non-data line (the title). Returns the
 * pc_proto, or 0 when neither appears (or both do, which no title does). */
static uint8_t proto_word(const char *s, size_t len) {
  uint8_t found = 0;
  for (size_t i = 0; i + 3 <= len; i++) {
    if (i > 0 && is_alnum_ascii(s[i - 1])) continue;
    if (i + 3 < len && is_alnum_ascii(s[i + 3])) continue;
    char w[3] = {lower(s[i]), lower(s[i + 1]), lower(s[i + 2])};
    uint8_t p = 0;
    if (memcmp(w, "tcp", 3) == 0) p = PC_PROTO_TCP;
    if (memcmp(w, "udp", 3) == 0) p = PC_PROTO_UDP;
    if (p && found && p != found) return 0;
    if (p) found = p;
  }
  return found;
}

/* True for netsh's separator lines ("----------    --------"). */
static bool is_dashes(const char *s, size_t len) {
  size_t dashes = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '-')
      dashes++;
    else if (!is_blank(s[i]))
      return false;
  }
  return dashes >= 3;
}

/* Parses 1..6 decimal digits at s[*i] into *v. */
static bool take_number(const char *s, size_t len, size_t *i, uint32_t *v) {
  size_t start = *i;
  uint32_t x = 0;
  while (*i < len && is_digit(s[*i])) {
    if (*i - start >= 6) return false;
    x = x * 10 + (uint32_t)(s[*i] - '0');
    (*i)++;
  }
  if (*i == start) return false;
  *v = x;
  return true;
}

/* If the line ends with "<colon> blanks digits" (ASCII ':' or the full-width U+FF1A some East
 * Asian translations use), stores the number and returns true. */
static bool label_number(const char *s, size_t len, uint32_t *v, bool *too_long) {
  size_t i = len;
  while (i > 0 && is_digit(s[i - 1])) i--;
  *too_long = false;
  if (i == len) return false;
  size_t digits_at = i;
  while (i > 0 && is_blank(s[i - 1])) i--;
  bool colon = (i > 0 && s[i - 1] == ':') || (i >= 3 && (uint8_t)s[i - 3] == 0xEF &&
                                              (uint8_t)s[i - 2] == 0xBC && (uint8_t)s[i - 1] == 0x9A);
  if (!colon) return false;
  size_t j = digits_at;
  if (!take_number(s, len, &j, v) || j != len) {
    *too_long = true;
    return true;
  }
  return true;
}

static size_t skip_blanks(const char *s, size_t len, size_t i) {
  while (i < len && is_blank(s[i])) i++;
  return i;
}

/* Applies the caller's hint to a protocol read from a title; a contradiction is an error. */
static int check_proto(uint8_t from_text, uint8_t hint, const char *origin, unsigned line, char *err,
                       size_t errcap) {
  if (from_text && hint && from_text != hint)
    return pc__hosttext_fail(err, errcap, origin, line, PC_EPARSE,
                             "the title says %s but the file was given as %s",
                             from_text == PC_PROTO_TCP ? "tcp" : "udp", hint == PC_PROTO_TCP ? "tcp" : "udp");
  return PC_OK;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return PC_OK;
  if (n >= PC_HOSTTEXT_MAX_ROWS) return PC_ELIMIT;
  size_t ncap = *cap ? *cap * 2 : 16;
  if (ncap > PC_HOSTTEXT_MAX_ROWS) ncap = PC_HOSTTEXT_MAX_ROWS;
  void *p = realloc(*arr, ncap * elem);
  if (!p) return PC_ENOMEM;
  *arr = p;
  *cap = ncap;
  return PC_OK;
}

/* ---- excludedportrange ------------------------------------------------------------------ */

int pc_netsh_parse_excluded(const void *data, size_t len, const char *origin, uint8_t proto_hint,
                            uint8_t family_hint, pc_port_range **out, size_t *n, char *err, size_t errcap) {
  *out = NULL;
  *n = 0;
  if (err && errcap) err[0] = '\0';
  char *text;
  size_t tlen;
  int rc = pc_text_to_utf8(data, len, &text, &tlen);
  if (rc == PC_ELIMIT)
    return pc__hosttext_fail(err, errcap, origin, 0, rc, "input larger than %zu bytes",
                             PC_HOSTTEXT_MAX_BYTES);
  if (rc != PC_OK) return pc__hosttext_fail(err, errcap, origin, 0, rc, "%s", pc_strerror(rc));

  pc_port_range *rows = NULL;
  size_t count = 0, cap = 0;
  uint8_t proto = proto_hint;
  bool seen_separator = false;
  pc__lines it;
  pc__lines_init(&it, text, tlen);
  const char *s;
  size_t sl;
  while (pc__lines_next(&it, &s, &sl)) {
    if (sl > PC_HOSTTEXT_MAX_LINE) {
      rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_ELIMIT, "line longer than %d bytes",
                             PC_HOSTTEXT_MAX_LINE);
      goto fail;
    }
    size_t i = skip_blanks(s, sl, 0);
    if (i == sl) continue;
    if (!is_digit(s[i])) {
      uint32_t v;
      bool bad;
      if (is_dashes(s, sl)) {
        seen_separator = true;
      } else if (label_number(s, sl, &v, &bad)) {
        rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_EPARSE,
                               "\"label : number\" line: this looks like `netsh ... show dynamicport` output "
                               "(use --netsh-dynamic), not excludedportrange");
        goto fail;
      } else {
        uint8_t p = proto_word(s, sl);
        if (p) {
          if ((rc = check_proto(p, proto_hint, origin, it.no, err, errcap)) != PC_OK) goto fail;
          proto = p;
        }
      }
      continue;
    }
    uint32_t a, b;
    bool admin = false;
    if (!take_number(s, sl, &i, &a) || i == sl || !is_blank(s[i])) goto bad_row;
    i = skip_blanks(s, sl, i);
    if (!take_number(s, sl, &i, &b)) goto bad_row;
    i = skip_blanks(s, sl, i);
    if (i < sl && s[i] == '*') {
      admin = true;
      i = skip_blanks(s, sl, i + 1);
    }
    if (i != sl) goto bad_row;
    if (a > 65535 || b > 65535 || a > b) {
      rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_EPARSE,
                             "range %u-%u is not a valid port range (0..65535, start <= end)", (unsigned)a,
                             (unsigned)b);
      goto fail;
    }
    if ((rc = grow((void **)&rows, &cap, count, sizeof *rows)) != PC_OK) {
      rc = pc__hosttext_fail(err, errcap, origin, it.no, rc, "%s",
                             rc == PC_ELIMIT ? "too many rows" : pc_strerror(rc));
      goto fail;
    }
    rows[count++] = (pc_port_range){.start = (uint16_t)a,
                                    .end = (uint16_t)b,
                                    .administered = admin,
                                    .proto = proto,
                                    .family = family_hint};
    continue;
  bad_row:
    rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_EPARSE,
                           "expected an excluded range row \"START END [*]\" (two port numbers)");
    goto fail;
  }
  if (count == 0 && !seen_separator) {
    rc = pc__hosttext_fail(
        err, errcap, origin, it.no, PC_EPARSE,
        "no range rows and no \"----\" separator: not `netsh ... show excludedportrange` output");
    goto fail;
  }
  free(text);
  *out = rows;
  *n = count;
  return PC_OK;
fail:
  free(text);
  free(rows);
  return rc;
}

/* ---- dynamicport ------------------------------------------------------------------------ */

int pc_netsh_parse_dynamic(const void *data, size_t len, const char *origin, uint8_t proto_hint,
                           uint8_t family_hint, pc_dynamic_range **out, size_t *n, char *err, size_t errcap) {
  *out = NULL;
  *n = 0;
  if (err && errcap) err[0] = '\0';
  char *text;
  size_t tlen;
  int rc = pc_text_to_utf8(data, len, &text, &tlen);
  if (rc == PC_ELIMIT)
    return pc__hosttext_fail(err, errcap, origin, 0, rc, "input larger than %zu bytes",
                             PC_HOSTTEXT_MAX_BYTES);
  if (rc != PC_OK) return pc__hosttext_fail(err, errcap, origin, 0, rc, "%s", pc_strerror(rc));

  pc_dynamic_range *rows = NULL;
  size_t count = 0, cap = 0;
  uint8_t proto = proto_hint;
  int have = 0; /* values seen in the current section: 0, 1 (start) */
  uint32_t start = 0;
  unsigned start_line = 0;
  pc__lines it;
  pc__lines_init(&it, text, tlen);
  const char *s;
  size_t sl;
  while (pc__lines_next(&it, &s, &sl)) {
    if (sl > PC_HOSTTEXT_MAX_LINE) {
      rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_ELIMIT, "line longer than %d bytes",
                             PC_HOSTTEXT_MAX_LINE);
      goto fail;
    }
    size_t i = skip_blanks(s, sl, 0);
    if (i == sl || is_dashes(s, sl)) continue;
    uint32_t v;
    bool too_long;
    if (label_number(s, sl, &v, &too_long)) {
      if (too_long) {
        rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_EPARSE, "number too long");
        goto fail;
      }
      if (have == 0) {
        if (v == 0 || v > 65535) {
          rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_EPARSE, "start port %u is not in 1..65535",
                                 (unsigned)v);
          goto fail;
        }
        start = v;
        start_line = it.no;
        have = 1;
        continue;
      }
      if (v == 0 || start + v - 1 > 65535) {
        rc = pc__hosttext_fail(err, errcap, origin, it.no, PC_EPARSE,
                               "number of ports %u does not fit after start port %u", (unsigned)v,
                               (unsigned)start);
        goto fail;
      }
      if ((rc = grow((void **)&rows, &cap, count, sizeof *rows)) != PC_OK) {
        rc = pc__hosttext_fail(err, errcap, origin, it.no, rc, "%s",
                               rc == PC_ELIMIT ? "too many sections" : pc_strerror(rc));
        goto fail;
      }
      rows[count++] =
          (pc_dynamic_range){.start = (uint16_t)start, .count = v, .proto = proto, .family = family_hint};
      have = 0;
      continue;
    }
    if (is_digit(s[i])) {
      rc = pc__hosttext_fail(
          err, errcap, origin, it.no, PC_EPARSE,
          "a row of numbers: this looks like `show excludedportrange` output (use --netsh-excluded)");
      goto fail;
    }
    uint8_t p = proto_word(s, sl);
    if (p) {
      /* A new title: the previous section must be complete. */
      if (have) {
        rc = pc__hosttext_fail(err, errcap, origin, start_line, PC_EPARSE,
                               "start port without a following \"number of ports\" line");
        goto fail;
      }
      if ((rc = check_proto(p, proto_hint, origin, it.no, err, errcap)) != PC_OK) goto fail;
      proto = p;
    }
  }
  if (have) {
    rc = pc__hosttext_fail(err, errcap, origin, start_line, PC_EPARSE,
                           "start port without a following \"number of ports\" line");
    goto fail;
  }
  if (count == 0) {
    rc = pc__hosttext_fail(
        err, errcap, origin, it.no, PC_EPARSE,
        "no \"Start Port : N\" / \"Number of Ports : N\" lines: not `netsh ... show dynamicport` output");
    goto fail;
  }
  free(text);
  *out = rows;
  *n = count;
  return PC_OK;
fail:
  free(text);
  free(rows);
  return rc;
}
