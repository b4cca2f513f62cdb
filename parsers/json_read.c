/* json_read.c - the bounded JSON reader of pc_json_read.h: recursive descent over the text,
 * depth-capped, values and strings allocated from one growing arena per document. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_compiler.h"
#include "pc_error.h"
#include "pc_json_read.h"
#include "pc_text.h"

/* Memory comes in blocks, so that a document is freed in a few calls and pointers into it
 * stay valid while it grows. */
typedef struct block {
  struct block *prev;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} block;

struct pc_json_doc {
  block *blocks;
  pc_jv *root;
  size_t nodes;
};

typedef struct parser {
  const char *s;
  size_t len, pos;
  const char *origin;
  pc_json_doc *doc;
  int rc;
  char *err;
  size_t errcap;
} parser;

static void *arena(pc_json_doc *d, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!d->blocks || d->blocks->cap - d->blocks->used < n) {
    size_t cap = n > 16384 ? n : 16384;
    block *b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->prev = d->blocks;
    b->used = 0;
    b->cap = cap;
    d->blocks = b;
  }
  void *p = d->blocks->data + d->blocks->used;
  d->blocks->used += n;
  return p;
}

PC_PRINTF(3, 4) static int fail(parser *p, int rc, const char *fmt, ...) {
  if (p->rc != PC_OK) return p->rc;
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (p->errcap) snprintf(p->err, p->errcap, "%s: byte %zu: %s", p->origin, p->pos, what);
  p->rc = rc;
  return rc;
}

static void skip_ws(parser *p) {
  while (p->pos < p->len &&
         (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

static pc_jv *new_value(parser *p, pc_jv_type t) {
  if (p->doc->nodes >= PC_JSON_READ_MAX_NODES) {
    fail(p, PC_ELIMIT, "more than %d values", PC_JSON_READ_MAX_NODES);
    return NULL;
  }
  pc_jv *v = arena(p->doc, sizeof *v);
  if (!v) {
    fail(p, PC_ENOMEM, "out of memory");
    return NULL;
  }
  memset(v, 0, sizeof *v);
  v->type = t;
  p->doc->nodes++;
  return v;
}

static int hex4(parser *p, uint32_t *out) {
  if (p->len - p->pos < 4) return fail(p, PC_EPARSE, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos++];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return fail(p, PC_EPARSE, "bad hex digit in \\u escape");
  }
  *out = v;
  return PC_OK;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  uint32_t min, cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* What each one-character escape stands for (\u is decoded apart); 0 for the others. */
static const char k_escapes[128] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

/* A string at p->pos (the opening quote); *out receives the decoded copy. */
static int parse_string(parser *p, const char **out) {
  p->pos++; /* '"' */
  size_t start = p->pos;
  /* The decoded text is never longer than the source. */
  size_t end = start;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  if (end >= p->len) return fail(p, PC_EPARSE, "unterminated string");
  char *o = arena(p->doc, end - start + 1);
  if (!o) return fail(p, PC_ENOMEM, "out of memory");
  size_t n = 0;
  while (p->s[p->pos] != '"') {
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c < 0x20) return fail(p, PC_EPARSE, "control character in a string");
    if (c != '\\') {
      size_t l = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
      if (!l) return fail(p, PC_EPARSE, "invalid UTF-8 in a string");
      memcpy(o + n, p->s + p->pos, l);
      n += l;
      p->pos += l;
      continue;
    }
    p->pos++;
    unsigned char e = (unsigned char)p->s[p->pos++];
    if (e < sizeof k_escapes && k_escapes[e]) {
      o[n++] = k_escapes[e];
      continue;
    }
    if (e != 'u') return fail(p, PC_EPARSE, "bad escape in a string");
    uint32_t cp;
    if (hex4(p, &cp) != PC_OK) return p->rc;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo;
      if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
        return fail(p, PC_EPARSE, "lone surrogate in \\u escape");
      p->pos += 2;
      if (hex4(p, &lo) != PC_OK) return p->rc;
      if (lo < 0xDC00 || lo > 0xDFFF) return fail(p, PC_EPARSE, "lone surrogate in \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return fail(p, PC_EPARSE, "lone surrogate in \\u escape");
    }
    if (cp == 0) return fail(p, PC_EPARSE, "\\u0000 in a string");
    /* \uXXXX is 6 source bytes, its UTF-8 at most 3 (4 for a 12-byte pair): it fits. */
    n += pc_utf8_encode(cp, o + n);
  }
  p->pos++; /* closing '"' */
  o[n] = '\0';
  *out = o;
  return PC_OK;
}

static int parse_number(parser *p, pc_jv *v) {
  size_t start = p->pos;
  bool neg = false, integer = true;
  if (p->s[p->pos] == '-') {
    neg = true;
    p->pos++;
  }
  size_t digits = p->pos;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
  size_t nd = p->pos - digits;
  if (nd == 0) return fail(p, PC_EPARSE, "bad number");
  if (nd > 1 && p->s[digits] == '0') return fail(p, PC_EPARSE, "number with a leading zero");
  if (p->pos < p->len && p->s[p->pos] == '.') {
    integer = false;
    p->pos++;
    size_t f = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == f) return fail(p, PC_EPARSE, "bad number");
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    integer = false;
    p->pos++;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
    size_t f = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == f) return fail(p, PC_EPARSE, "bad number");
  }
  char *raw = arena(p->doc, p->pos - start + 1);
  if (!raw) return fail(p, PC_ENOMEM, "out of memory");
  memcpy(raw, p->s + start, p->pos - start);
  raw[p->pos - start] = '\0';
  v->str = raw;
  if (!integer) return PC_OK;
  uint64_t u = 0;
  for (size_t i = digits; i < digits + nd; i++) {
    unsigned d = (unsigned)(p->s[i] - '0');
    if (u > (UINT64_MAX - d) / 10) return PC_OK; /* too large: not an exact integer */
    u = u * 10 + d;
  }
  if (neg && u != 0) {
    if (u > (uint64_t)INT64_MAX + 1) return PC_OK;
    v->negative = true;
    v->i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
  } else {
    v->u = u;
  }
  v->is_integer = true;
  return PC_OK;
}

static bool literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return false;
  p->pos += n;
  return true;
}

static pc_jv *parse_value(parser *p, unsigned depth);

/* Array or object: open is '[' or '{'. */
static pc_jv *parse_container(parser *p, unsigned depth, bool object) {
  if (depth >= PC_JSON_READ_MAX_DEPTH) {
    fail(p, PC_ELIMIT, "nested deeper than %d", PC_JSON_READ_MAX_DEPTH);
    return NULL;
  }
  pc_jv *v = new_value(p, object ? PC_JV_OBJECT : PC_JV_ARRAY);
  if (!v) return NULL;
  p->pos++;
  skip_ws(p);
  char close = object ? '}' : ']';
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    return v;
  }
  pc_jv *last = NULL;
  for (;;) {
    skip_ws(p);
    const char *key = NULL;
    if (object) {
      if (p->pos >= p->len || p->s[p->pos] != '"') {
        fail(p, PC_EPARSE, "expected a member name in quotes");
        return NULL;
      }
      if (parse_string(p, &key) != PC_OK) return NULL;
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') {
        fail(p, PC_EPARSE, "expected ':' after a member name");
        return NULL;
      }
      p->pos++;
    }
    pc_jv *item = parse_value(p, depth + 1);
    if (!item) return NULL;
    item->key = key;
    if (last)
      last->next = item;
    else
      v->child = item;
    last = item;
    v->count++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == close) {
      p->pos++;
      return v;
    }
    fail(p, PC_EPARSE, object ? "expected ',' or '}'" : "expected ',' or ']'");
    return NULL;
  }
}

static pc_jv *parse_value(parser *p, unsigned depth) {
  skip_ws(p);
  if (p->pos >= p->len) {
    fail(p, PC_EPARSE, "unexpected end of input");
    return NULL;
  }
  char c = p->s[p->pos];
  if (c == '{' || c == '[') return parse_container(p, depth, c == '{');
  if (c == '"') {
    pc_jv *v = new_value(p, PC_JV_STRING);
    if (v && parse_string(p, &v->str) != PC_OK) return NULL;
    return v;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    pc_jv *v = new_value(p, PC_JV_NUMBER);
    if (v && parse_number(p, v) != PC_OK) return NULL;
    return v;
  }
  if (literal(p, "true") || literal(p, "false")) {
    pc_jv *v = new_value(p, PC_JV_BOOL);
    if (v) v->b = c == 't';
    return v;
  }
  if (literal(p, "null")) return new_value(p, PC_JV_NULL);
  fail(p, PC_EPARSE, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
  return NULL;
}

int pc_json_parse(const char *text, size_t len, const char *origin, pc_json_doc **out, char *err,
                  size_t errcap) {
  *out = NULL;
  if (errcap) err[0] = '\0';
  pc_json_doc *d = calloc(1, sizeof *d);
  if (!d) return PC_ENOMEM;
  parser p = {text, len, 0, origin ? origin : "JSON", d, PC_OK, err, errcap};
  /* A UTF-8 byte order mark is allowed (RFC 8259 section 8.1 lets a parser ignore it). */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.pos = 3;
  d->root = parse_value(&p, 0);
  if (d->root) {
    skip_ws(&p);
    if (p.pos < p.len) fail(&p, PC_EPARSE, "text after the JSON value");
  }
  if (p.rc != PC_OK) {
    pc_json_doc_free(d);
    return p.rc;
  }
  *out = d;
  return PC_OK;
}

const pc_jv *pc_json_root(const pc_json_doc *doc) {
  return doc ? doc->root : NULL;
}

void pc_json_doc_free(pc_json_doc *doc) {
  if (!doc) return;
  for (block *b = doc->blocks; b;) {
    block *prev = b->prev;
    free(b);
    b = prev;
  }
  free(doc);
}

const pc_jv *pc_jv_get(const pc_jv *v, const char *key) {
  if (!v || v->type != PC_JV_OBJECT) return NULL;
  for (const pc_jv *m = v->child; m; m = m->next)
    if (strcmp(m->key, key) == 0) return m;
  return NULL;
}

const char *pc_jv_get_str(const pc_jv *v, const char *key) {
  const pc_jv *m = pc_jv_get(v, key);
  return m && m->type == PC_JV_STRING ? m->str : NULL;
}

bool pc_jv_get_u64(const pc_jv *v, const char *key, uint64_t *out) {
  const pc_jv *m = pc_jv_get(v, key);
  if (!m || m->type != PC_JV_NUMBER || !m->is_integer || m->negative) return false;
  *out = m->u;
  return true;
}

bool pc_jv_get_i64(const pc_jv *v, const char *key, int64_t *out) {
  const pc_jv *m = pc_jv_get(v, key);
  if (!m || m->type != PC_JV_NUMBER || !m->is_integer) return false;
  if (!m->negative && m->u > (uint64_t)INT64_MAX) return false;
  *out = m->negative ? m->i : (int64_t)m->u;
  return true;
}

bool pc_jv_get_bool(const pc_jv *v, const char *key, bool *out) {
  const pc_jv *m = pc_jv_get(v, key);
  if (!m || m->type != PC_JV_BOOL) return false;
  *out = m->b;
  return true;
}
