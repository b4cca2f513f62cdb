/* Text input shared by the host-state text parsers: encoding normalization (pc_text_to_utf8),
 * line iteration within the line limit, row-array growth within the row cap, and the
 * "origin:line: message" form of every error they report. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate_text.h"
#include "pc_text.h"
#include "pc_text_input.h"
#include "pc_vec.h"

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

void pc__lines_init(pc__lines *it, const char *text, size_t len, const char *origin, char *err,
                    size_t errcap) {
  pc_lines_init(&it->lines, text, len);
  it->rc = PC_OK;
  it->origin = origin;
  it->err = err;
  it->errcap = errcap;
}

bool pc__lines_next(pc__lines *it, const char **s, size_t *len) {
  if (!pc_lines_next(&it->lines, s, len)) return false;
  it->no = it->lines.no;
  /* The stray CR of CR CR LF (some redirections produce it) and trailing blanks are not part
   * of the data. */
  while (*len > 0 && ((*s)[*len - 1] == '\r' || (*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
  if (*len > PC_HOSTTEXT_MAX_LINE) {
    it->lines.p = it->lines.end;
    it->rc = pc__hosttext_fail(it->err, it->errcap, it->origin, it->no, PC_ELIMIT,
                               "line longer than %d bytes", PC_HOSTTEXT_MAX_LINE);
    return false;
  }
  return true;
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
        o += pc_utf8_encode(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), buf + o);
        i++;
        continue;
      }
    }
    if ((u >= 0xD800 && u <= 0xDFFF) || u == 0) u = '?';
    o += pc_utf8_encode(u, buf + o);
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

int pc__hosttext_open(pc__hosttext *h, const void *data, size_t len, const char *origin, size_t elem,
                      size_t max_rows, const char *what, char *err, size_t errcap) {
  *h = (pc__hosttext){
      .origin = origin, .err = err, .errcap = errcap, .elem = elem, .max_rows = max_rows, .what = what};
  if (err && errcap) err[0] = '\0';
  int rc = pc_text_to_utf8(data, len, &h->text, &h->len);
  if (rc == PC_ELIMIT)
    return pc__hosttext_fail(err, errcap, origin, 0, rc, "input larger than %zu bytes",
                             PC_HOSTTEXT_MAX_BYTES);
  if (rc != PC_OK) return pc__hosttext_fail(err, errcap, origin, 0, rc, "%s", pc_strerror(rc));
  return PC_OK;
}

int pc__hosttext_bad(const pc__hosttext *h, unsigned line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return pc__hosttext_fail(h->err, h->errcap, h->origin, line, PC_EPARSE, "%s", msg);
}

void pc__hosttext_lines(const pc__hosttext *h, pc__lines *it) {
  pc__lines_init(it, h->text, h->len, h->origin, h->err, h->errcap);
}

void *pc__hosttext_push(pc__hosttext *h, unsigned line, int *rc) {
  *rc = pc_vec_reserve(&h->rows, &h->cap, h->count + 1, h->elem, h->max_rows);
  if (*rc == PC_ELIMIT) {
    pc__hosttext_fail(h->err, h->errcap, h->origin, line, *rc, "more than %zu %s", h->max_rows, h->what);
    return NULL;
  }
  if (*rc != PC_OK) {
    pc__hosttext_fail(h->err, h->errcap, h->origin, line, *rc, "out of memory");
    return NULL;
  }
  char *row = (char *)h->rows + h->count++ * h->elem;
  memset(row, 0, h->elem);
  return row;
}

int pc__hosttext_close(pc__hosttext *h, int rc, void *out, size_t *n) {
  free(h->text);
  h->text = NULL;
  if (rc != PC_OK) {
    free(h->rows);
    h->rows = NULL;
    h->count = 0;
  }
  memcpy(out, &h->rows, sizeof h->rows); /* *(T **)out = rows: out points at the caller's T * */
  *n = h->count;
  h->rows = NULL;
  return rc;
}

bool pc__hosttext_is_dashes(const char *s, size_t len) {
  size_t dashes = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '-')
      dashes++;
    else if (s[i] != ' ' && s[i] != '\t')
      return false;
  }
  return dashes >= 3;
}
