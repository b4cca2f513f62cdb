/* lexer.c - tokens of one rule line: identifiers, numbers, strings, operators, punctuation. */
#include "lexer.h"

#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_vec.h"

static const char *const op_texts[] = {"==", "!=", "<", "<=", ">", ">=", "=~", "!~"};

const char *pc__op_text(int op) {
  return op >= 0 && op < (int)(sizeof op_texts / sizeof op_texts[0]) ? op_texts[op] : "?";
}

void pc__line_clear(pc__line *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->toks[i].s);
    free(l->toks[i].scols);
  }
  l->n = 0;
}

void pc__line_free(pc__line *l) {
  if (!l) return;
  pc__line_clear(l);
  free(l->toks);
  l->toks = NULL;
  l->cap = 0;
}

static pc__token *add(pc__line *l, int kind, const char *p, size_t len, int col) {
  if (pc_vec_reserve((void **)&l->toks, &l->cap, l->n + 1, sizeof *l->toks, 0) != PC_OK) return NULL;
  pc__token *t = &l->toks[l->n++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->p = p;
  t->len = len;
  t->col = col;
  return t;
}

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) {
  return c >= '0' && c <= '9';
}
static int is_ident(char c) {
  return is_alpha(c) || is_digit(c) || c == '-';
}

static int hexval(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the string starting at line[i] (a quote). Double quotes understand \\ \" \n \t and
 * keep any other backslash pair as written, so regexes like "\d+" need no doubling; single
 * quotes take every byte literally. */
static int lex_string(pc__line *l, const char *line, size_t len, size_t *ip, int lineno, const char *origin,
                      pc__diag_sink *d) {
  size_t i = *ip;
  char q = line[i];
  size_t j = i + 1;
  /* First pass: find the end so that the buffers can be sized exactly. */
  while (j < len && line[j] != q) {
    if (q == '"' && line[j] == '\\' && j + 1 < len) j++;
    j++;
  }
  if (j >= len) {
    pc__rules_diag(d, origin, lineno, (int)i + 1, "unterminated string: a string must end on the same line");
    return PC_ERULE;
  }
  pc__token *t = add(l, PC__TK_STR, line + i, j + 1 - i, (int)i + 1);
  if (!t) return PC_ENOMEM;
  size_t cap = j - i;
  t->s = malloc(cap);
  t->scols = malloc((cap + 1) * sizeof *t->scols);
  if (!t->s || !t->scols) return PC_ENOMEM;
  size_t n = 0;
  for (size_t k = i + 1; k < j; k++) {
    char c = line[k];
    int col = (int)k + 1;
    if (q == '"' && c == '\\') {
      char e = line[k + 1];
      if (e == '\\' || e == '"')
        c = e, k++;
      else if (e == 'n')
        c = '\n', k++;
      else if (e == 't')
        c = '\t', k++;
    }
    t->scols[n] = col;
    t->s[n++] = c;
  }
  t->scols[n] = (int)j + 1; /* the closing quote */
  t->s[n] = '\0';
  t->slen = n;
  *ip = j + 1;
  return PC_OK;
}

static int lex_number(pc__line *l, const char *line, size_t len, size_t *ip, int lineno, const char *origin,
                      pc__diag_sink *d) {
  size_t i = *ip, j = i;
  uint64_t v = 0;
  bool hex = line[i] == '0' && i + 1 < len && (line[i + 1] == 'x' || line[i + 1] == 'X');
  bool overflow = false;
  if (hex) {
    j = i + 2;
    while (j < len && hexval(line[j]) >= 0) {
      if (v >> 60) overflow = true;
      v = v << 4 | (uint64_t)hexval(line[j]);
      j++;
    }
  } else {
    while (j < len && is_digit(line[j])) {
      uint64_t dgt = (uint64_t)(line[j] - '0');
      if (v > (UINT64_MAX - dgt) / 10) overflow = true;
      v = v * 10 + dgt;
      j++;
    }
  }
  if ((hex && j == i + 2) || (j < len && is_ident(line[j]))) {
    size_t e = j;
    while (e < len && is_ident(line[e])) e++;
    pc__rules_diag(d, origin, lineno, (int)i + 1, "bad number '%.*s'", (int)(e - i), line + i);
    return PC_ERULE;
  }
  if (overflow) {
    pc__rules_diag(d, origin, lineno, (int)i + 1, "number '%.*s' is too large", (int)(j - i), line + i);
    return PC_ERULE;
  }
  pc__token *t = add(l, PC__TK_NUM, line + i, j - i, (int)i + 1);
  if (!t) return PC_ENOMEM;
  t->num = v;
  *ip = j;
  return PC_OK;
}

static int lex_op(pc__line *l, const char *line, size_t len, size_t *ip, int lineno, const char *origin,
                  pc__diag_sink *d) {
  size_t i = *ip, j = i;
  while (j < len && line[j] && strchr("=!<>~", line[j])) j++;
  size_t n = j - i;
  for (int op = 0; op < (int)(sizeof op_texts / sizeof op_texts[0]); op++) {
    if (strlen(op_texts[op]) == n && memcmp(op_texts[op], line + i, n) == 0) {
      pc__token *t = add(l, PC__TK_OP, line + i, n, (int)i + 1);
      if (!t) return PC_ENOMEM;
      t->op = op;
      *ip = j;
      return PC_OK;
    }
  }
  pc__rules_diag(d, origin, lineno, (int)i + 1,
                 "unknown operator '%.*s' (use ==, !=, <, <=, >, >=, =~, !~ or in)", (int)n, line + i);
  return PC_ERULE;
}

int pc__lex_line(pc__line *l, const char *line, size_t len, int lineno, const char *origin,
                 pc__diag_sink *d) {
  pc__line_clear(l);
  size_t i = 0;
  while (i < len) {
    char c = line[i];
    int rc = PC_OK;
    if (c == ' ' || c == '\t' || c == '\r') {
      i++;
      continue;
    }
    if (c == '#') break;
    if (is_alpha(c)) {
      size_t j = i;
      while (j < len && is_ident(line[j])) j++;
      if (!add(l, PC__TK_IDENT, line + i, j - i, (int)i + 1)) return PC_ENOMEM;
      i = j;
    } else if (is_digit(c)) {
      rc = lex_number(l, line, len, &i, lineno, origin, d);
    } else if (c == '"' || c == '\'') {
      rc = lex_string(l, line, len, &i, lineno, origin, d);
    } else if (c && strchr("=!<>~", c)) {
      rc = lex_op(l, line, len, &i, lineno, origin, d);
    } else if (c == '.' && i + 1 < len && line[i + 1] == '.') {
      if (!add(l, PC__TK_DOTDOT, line + i, 2, (int)i + 1)) return PC_ENOMEM;
      i += 2;
    } else if (c && strchr("()[],", c)) {
      int kind = c == '('   ? PC__TK_LPAREN
                 : c == ')' ? PC__TK_RPAREN
                 : c == '[' ? PC__TK_LBRACK
                 : c == ']' ? PC__TK_RBRACK
                            : PC__TK_COMMA;
      if (!add(l, kind, line + i, 1, (int)i + 1)) return PC_ENOMEM;
      i++;
    } else {
      if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        pc__rules_diag(d, origin, lineno, (int)i + 1, "unexpected character '%c'", c);
      else
        pc__rules_diag(d, origin, lineno, (int)i + 1, "unexpected byte 0x%02X", (unsigned char)c);
      return PC_ERULE;
    }
    if (rc != PC_OK) return rc;
  }
  if (!add(l, PC__TK_EOL, line + len, 0, (int)len + 1)) return PC_ENOMEM;
  return PC_OK;
}
