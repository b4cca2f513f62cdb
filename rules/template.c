/* template.c - explanation and fix templates: "{field}", "{field|default}", "{{", "}}".
 *
 * A template is compiled into literal and field segments once; rendering appends them to a
 * caller buffer without allocating. Field values come from the machine (a process path is
 * whatever the user named the binary), so they are escaped for the template's context: in a
 * command they are quoted for the shell it targets, so pasting the fix runs that command
 * with the value as one argument; in prose, control characters become visible escapes.
 * The output formats escape the whole result again for their own syntax (JSON, syslog,
 * CEF, the console). */
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
  if (*pos >= cap) return n == 0;
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

int pc__tctx_lookup(const char *word, size_t len) {
  static const char *const names[] = {"text", "sh", "powershell", "cmd"};
  for (int i = 0; i < 4; i++)
    if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0) return i;
  return -1;
}

static const char hexd[] = "0123456789abcdef";

/* Bytes that need no quoting in each shell: a value made only of these is one word as it
 * is (Python's shlex.quote uses the same set for sh). Anything else is quoted. */
static bool bare_char(int ctx, unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (ctx) {
    case PC__CTX_SH:
      return strchr("_@%+=:,./-", c) != NULL && c != '\0';
    default: /* PowerShell and cmd */
      return strchr("_.:/\\-", c) != NULL && c != '\0';
  }
}

/* A cursor that measures (buf NULL) or writes. */
typedef struct vout {
  char *buf;
  size_t n;
} vout;

static void vput(vout *o, const char *s, size_t n) {
  if (o->buf) memcpy(o->buf + o->n, s, n);
  o->n += n;
}

/* PowerShell treats the typographic single quotes U+2018..U+201B like ' inside a
 * single-quoted string, so they are doubled too. Returns the length of the quote at s, or 0. */
static size_t ps_quote_at(const unsigned char *s, size_t n) {
  if (s[0] == '\'') return 1;
  if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] >= 0x98 && s[2] <= 0x9B) return 3;
  return 0;
}

/* cmd.exe: the whole value is written as ^"...^" with every character cmd treats specially
 * caret-escaped. Because the quotes themselves are escaped, cmd never enters its quoted
 * state, so every caret counts (inside a real quote a caret would be literal and % would
 * still expand); cmd removes the carets and the program receives "..." which its argument
 * parser (CommandLineToArgvW rules) turns back into the value: a " becomes \", and
 * backslashes before a " or before the closing quote are doubled. An interactive prompt
 * leaves "%NAME^%" alone, so ^% keeps variables from expanding. */
static void cmd_put_char(vout *o, char c) {
  if (strchr("^&|<>()%!\"", c) != NULL && c != '\0') vput(o, "^", 1);
  vput(o, &c, 1);
}

static void quote(int ctx, const unsigned char *v, size_t len, vout *o) {
  switch (ctx) {
    case PC__CTX_SH:
      vput(o, "'", 1);
      for (size_t i = 0; i < len; i++) {
        if (v[i] == '\'')
          vput(o, "'\\''", 4);
        else
          vput(o, (const char *)v + i, 1);
      }
      vput(o, "'", 1);
      return;
    case PC__CTX_POWERSHELL:
      vput(o, "'", 1);
      for (size_t i = 0; i < len;) {
        size_t q = ps_quote_at(v + i, len - i);
        if (q) {
          vput(o, (const char *)v + i, q);
          vput(o, (const char *)v + i, q);
          i += q;
        } else {
          vput(o, (const char *)v + i++, 1);
        }
      }
      vput(o, "'", 1);
      return;
    default: { /* cmd */
      vput(o, "^\"", 2);
      size_t slashes = 0;
      for (size_t i = 0; i < len; i++) {
        char c = (char)v[i];
        if (c == '\\') {
          slashes++;
          continue;
        }
        /* Backslashes before a quote are doubled, and the quote escaped. */
        for (size_t k = 0; k < (c == '"' ? 2 * slashes + 1 : slashes); k++) vput(o, "\\", 1);
        slashes = 0;
        cmd_put_char(o, c);
      }
      for (size_t k = 0; k < 2 * slashes; k++) vput(o, "\\", 1); /* before the closing quote */
      vput(o, "^\"", 2);
      return;
    }
  }
}

/* Prose: C0 controls and DEL as \xNN, C1 controls (UTF-8 C2 80..C2 9F) as \u00NN, so a
 * value can neither start a new line nor send a terminal escape. */
static void prose(const unsigned char *v, size_t len, vout *o) {
  for (size_t i = 0; i < len; i++) {
    unsigned c = v[i];
    if (c < 0x20 || c == 0x7F) {
      char e[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};
      vput(o, e, 4);
    } else if (c == 0xC2 && i + 1 < len && v[i + 1] >= 0x80 && v[i + 1] <= 0x9F) {
      unsigned d = v[++i];
      char e[6] = {'\\', 'u', '0', '0', hexd[d >> 4], hexd[d & 15]};
      vput(o, e, 6);
    } else {
      vput(o, (const char *)v + i, 1);
    }
  }
}

/* The value as context ctx shows it: prose, bare (as is) or quoted for the command's shell. */
static void put_value(int ctx, bool bare, const unsigned char *v, size_t len, vout *o) {
  if (ctx == PC__CTX_TEXT)
    prose(v, len, o);
  else if (bare)
    vput(o, (const char *)v, len);
  else
    quote(ctx, v, len, o);
}

bool pc__value_escape(int ctx, const char *value, size_t len, char *buf, size_t cap, size_t *pos,
                      bool *unquotable) {
  const unsigned char *v = (const unsigned char *)value;
  if (unquotable) *unquotable = false;
  if (*pos >= cap) return len == 0;
  bool bare = false;
  if (ctx != PC__CTX_TEXT) {
    bare = len > 0 && !(ctx == PC__CTX_POWERSHELL && v[0] == '-');
    for (size_t i = 0; i < len; i++) {
      if (ctx == PC__CTX_CMD && (v[i] < 0x20 || v[i] == 0x7F)) {
        if (unquotable) *unquotable = true;
        return false;
      }
      bare = bare && bare_char(ctx, v[i]);
    }
  }
  /* Measure first, then write: a command value goes in whole or not at all. */
  vout m = {NULL, 0};
  put_value(ctx, bare, v, len, &m);
  bool fits = *pos + m.n < cap;
  vout w = {buf + *pos, 0};
  if (fits) {
    put_value(ctx, bare, v, len, &w);
  } else if (ctx == PC__CTX_TEXT) {
    /* Prose may be cut, but not inside an escape: write what fits, unit by unit. */
    for (size_t i = 0; i < len;) {
      size_t step = (v[i] == 0xC2 && i + 1 < len && v[i + 1] >= 0x80 && v[i + 1] <= 0x9F) ? 2 : 1;
      vout u = {NULL, 0};
      prose(v + i, step, &u);
      if (*pos + w.n + u.n >= cap) break;
      prose(v + i, step, &w);
      i += step;
    }
  }
  *pos += w.n;
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
    if (val && fi->type == PC__FT_STR) {
      bool unquotable = false;
      if (pc__value_escape(t->ctx, val, vlen, buf, cap, pos, &unquotable)) continue;
      if (!unquotable) {
        fits = false;
        continue;
      }
      val = NULL; /* cmd cannot carry it: shown as unknown */
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
