/* template.c - explanation and fix templates: "{field}", "{field|default}", "{{", "}}".
 *
 * A template is compiled into literal and field segments once; rendering appends them to a
 * caller buffer without allocating. Nothing is escaped here: escaping belongs to the output
 * formatters, which know their syntax (JSON, syslog SD-PARAM, CEF). */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "rules_internal.h"

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Appends a segment, merging adjacent literal text (which is contiguous in buf). */
static int push(pc__template *t, size_t *cap, int field, const char *text, size_t len) {
  if (field < 0 && t->n > 0 && t->segs[t->n - 1].field < 0 &&
      t->segs[t->n - 1].text + t->segs[t->n - 1].len == text) {
    t->segs[t->n - 1].len += len;
    return PC_OK;
  }
  if (t->n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 4;
    pc__seg *s = realloc(t->segs, ncap * sizeof *s);
    if (!s) return PC_ENOMEM;
    t->segs = s;
    *cap = ncap;
  }
  t->segs[t->n++] = (pc__seg){.field = field, .text = text, .len = len};
  return PC_OK;
}

int pc__template_compile(pc__template *t, const char *text, size_t len, const int *cols, pc__diag_sink *d,
                         const char *origin, int line) {
  memset(t, 0, sizeof *t);
  t->buf = malloc(len + 1);
  if (!t->buf) return PC_ENOMEM;
  size_t cap = 0, out = 0;
  bool bad = false;
  for (size_t i = 0; i < len;) {
    char c = text[i];
    if (c == '{' && i + 1 < len && text[i + 1] == '{') {
      t->buf[out] = '{';
      if (push(t, &cap, -1, t->buf + out, 1) != PC_OK) goto nomem;
      out++;
      i += 2;
    } else if (c == '}' && i + 1 < len && text[i + 1] == '}') {
      t->buf[out] = '}';
      if (push(t, &cap, -1, t->buf + out, 1) != PC_OK) goto nomem;
      out++;
      i += 2;
    } else if (c == '}') {
      pc__rules_diag(d, origin, line, cols[i], "unbalanced '}' in template (write '}}' for a literal brace)");
      bad = true;
      i++;
    } else if (c == '{') {
      size_t j = i + 1;
      while (j < len && text[j] != '}' && text[j] != '{') j++;
      if (j >= len || text[j] == '{') {
        pc__rules_diag(d, origin, line, cols[i],
                       "unbalanced '{' in template: no closing '}' (write '{{' for a literal brace)");
        bad = true;
        break; /* the rest of the text cannot be segmented reliably */
      }
      size_t name_end = i + 1;
      while (name_end < j && text[name_end] != '|') name_end++;
      size_t nlen = name_end - (i + 1);
      int field = -1;
      bool ok_name = nlen > 0;
      for (size_t k = i + 1; k < name_end; k++) ok_name = ok_name && name_char(text[k]);
      if (ok_name) field = pc__field_lookup(text + i + 1, nlen);
      if (field < 0) {
        if (nlen == 0)
          pc__rules_diag(d, origin, line, cols[i], "empty field name in template");
        else
          pc__rules_diag(d, origin, line, cols[i + 1], "unknown field '%.*s' in template", (int)nlen,
                         text + i + 1);
        bad = true;
      } else {
        const char *def = NULL;
        size_t dlen = 0;
        if (name_end < j) {
          dlen = j - name_end - 1;
          memcpy(t->buf + out, text + name_end + 1, dlen);
          def = t->buf + out;
          out += dlen;
        }
        if (push(t, &cap, field, def, dlen) != PC_OK) goto nomem;
      }
      i = j + 1;
    } else {
      size_t j = i;
      while (j < len && text[j] != '{' && text[j] != '}') j++;
      memcpy(t->buf + out, text + i, j - i);
      if (push(t, &cap, -1, t->buf + out, j - i) != PC_OK) goto nomem;
      out += j - i;
      i = j;
    }
  }
  t->buf[out] = '\0';
  return bad ? PC_ERULE : PC_OK;
nomem:
  pc__template_free(t);
  return PC_ENOMEM;
}

void pc__template_free(pc__template *t) {
  if (!t) return;
  free(t->segs);
  free(t->buf);
  memset(t, 0, sizeof *t);
}

static bool append(char *buf, size_t cap, size_t *pos, const char *s, size_t n) {
  bool fits = true;
  if (*pos + n >= cap) {
    n = cap - 1 - *pos;
    fits = false;
  }
  memcpy(buf + *pos, s, n);
  *pos += n;
  buf[*pos] = '\0';
  return fits;
}

/* Formats v in decimal or as 0x%08X into tmp (>= 24 bytes); returns the start. */
static const char *format_num(uint64_t v, bool hex, char *tmp, size_t *len) {
  char *end = tmp + 23, *p = end;
  *end = '\0';
  if (hex) {
    static const char digits[] = "0123456789ABCDEF";
    int n = 0;
    do {
      *--p = digits[v & 15];
      v >>= 4;
      n++;
    } while (v || n < 8);
    *--p = 'x';
    *--p = '0';
  } else {
    do {
      *--p = (char)('0' + v % 10);
      v /= 10;
    } while (v);
  }
  *len = (size_t)(end - p);
  return p;
}

bool pc__template_render(const pc__template *t, pc__view *v, char *buf, size_t cap, size_t *pos) {
  bool fits = true;
  if (*pos >= cap) return false;
  buf[*pos] = '\0';
  for (size_t i = 0; i < t->n; i++) {
    const pc__seg *s = &t->segs[i];
    if (s->field < 0) {
      fits &= append(buf, cap, pos, s->text, s->len);
      continue;
    }
    const pc__field_info *fi = &pc__fields[s->field];
    const char *val = NULL;
    size_t vlen = 0;
    char tmp[24];
    if (fi->type == PC__FT_STR) {
      val = pc__field_str(v, s->field);
      if (val) vlen = strlen(val);
    } else {
      uint64_t n;
      if (pc__field_num(v, s->field, &n)) {
        if (fi->type == PC__FT_BOOL) {
          val = n ? "true" : "false";
          vlen = n ? 4 : 5;
        } else {
          val = format_num(n, fi->hex != 0, tmp, &vlen);
        }
      }
    }
    if (!val) {
      val = s->text ? s->text : "unknown";
      vlen = s->text ? s->len : 7;
    }
    fits &= append(buf, cap, pos, val, vlen);
  }
  return fits;
}

int pc__template_concat(pc__template *dst, pc__template *src, const char *sep) {
  size_t dlen = 0, slen = 0, seplen = strlen(sep);
  /* Literal and default text lives in buf; its used length is the furthest segment end. */
  for (size_t i = 0; i < dst->n; i++)
    if (dst->segs[i].text) {
      size_t e = (size_t)(dst->segs[i].text - dst->buf) + dst->segs[i].len;
      if (e > dlen) dlen = e;
    }
  for (size_t i = 0; i < src->n; i++)
    if (src->segs[i].text) {
      size_t e = (size_t)(src->segs[i].text - src->buf) + src->segs[i].len;
      if (e > slen) slen = e;
    }
  char *buf = malloc(dlen + seplen + slen + 1);
  pc__seg *segs = malloc((dst->n + src->n + 1) * sizeof *segs);
  if (!buf || !segs) {
    free(buf);
    free(segs);
    return PC_ENOMEM;
  }
  if (dlen) memcpy(buf, dst->buf, dlen);
  memcpy(buf + dlen, sep, seplen);
  if (slen) memcpy(buf + dlen + seplen, src->buf, slen);
  buf[dlen + seplen + slen] = '\0';
  size_t n = 0;
  for (size_t i = 0; i < dst->n; i++) {
    segs[n] = dst->segs[i];
    if (segs[n].text) segs[n].text = buf + (dst->segs[i].text - dst->buf);
    n++;
  }
  if (dst->n > 0 && seplen) segs[n++] = (pc__seg){.field = -1, .text = buf + dlen, .len = seplen};
  for (size_t i = 0; i < src->n; i++) {
    segs[n] = src->segs[i];
    if (segs[n].text) segs[n].text = buf + dlen + seplen + (src->segs[i].text - src->buf);
    n++;
  }
  pc__template_free(dst);
  pc__template_free(src);
  dst->buf = buf;
  dst->segs = segs;
  dst->n = n;
  return PC_OK;
}
