/* parser.c - rule text to compiled rules: line structure, conditions, type checks, regexes.
 *
 * Every line is one statement ("rule ID", "title ...", "when ...", ...). A mistake on a line is
 * reported and the line is skipped, so one run finds every mistake; a rule with any mistake is
 * dropped at its end (and the build fails because errors were counted). Field names become
 * ids and regexes are compiled (and JIT-compiled) here, once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "pc_error.h"
#include "rules_internal.h"

/* Conditions deeper than this are refused: evaluation recurses, and no honest rule needs it. */
#define MAX_DEPTH 64
#define MAX_PRIORITY 1000000

typedef struct parser {
  const char *origin;
  int layer;
  pc__parse_out *out;
  pc__diag_sink *d;
  pc__line line;
  int lineno;
  size_t pos; /* next token */
  int err;    /* PC_ERULE or PC_ENOMEM once the current line failed */
  int depth;
  pc__rule *cur;
  bool cur_bad, has_title, has_sev, has_when, has_explain, has_fix;
  int rc; /* overall result */
} parser;

void pc__node_free(pc__node *n) {
  if (!n) return;
  pc__node_free(n->left);
  pc__node_free(n->right);
  free(n->str);
  free(n->ranges);
  for (size_t i = 0; n->strs && i < n->count; i++) free(n->strs[i]);
  free(n->strs);
  pcre2_code_free(n->re);
  free(n);
}

void pc__rule_free(pc__rule *r) {
  if (!r) return;
  free(r->id);
  free(r->origin);
  pc__node_free(r->cond);
  pc__template_free(&r->title);
  pc__template_free(&r->explain);
  for (size_t i = 0; i < r->fix_count; i++) pc__template_free(&r->fixes[i]);
  for (size_t i = 0; i < r->ref_count; i++) free(r->refs[i]);
  free(r);
}

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static pc__token *peek(parser *p) {
  return &p->line.toks[p->pos];
}
static pc__token *next(parser *p) {
  pc__token *t = &p->line.toks[p->pos];
  if (t->kind != PC__TK_EOL) p->pos++;
  return t;
}

static bool is_word(const pc__token *t, const char *w) {
  return t->kind == PC__TK_IDENT && t->len == strlen(w) && memcmp(t->p, w, t->len) == 0;
}

/* Reports an error on the current line (only the first per line: later ones are usually
 * consequences of the first). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
fail(parser *p, int col, const char *fmt, ...) {
  if (p->err) return;
  p->err = PC_ERULE;
  va_list ap;
  va_start(ap, fmt);
  pc__vdiag(p->d, p->origin, p->lineno, col, fmt, ap);
  va_end(ap);
}

/* Describes a token for a message: 'text' (at most 40 bytes) or "end of line". */
static const char *desc(const pc__token *t, char what[48]) {
  if (t->kind == PC__TK_EOL) return "end of line";
  size_t n = t->len < 40 ? t->len : 40;
  what[0] = '\'';
  memcpy(what + 1, t->p, n);
  memcpy(what + 1 + n, "'", 2);
  return what;
}

static void nomem(parser *p) {
  p->err = PC_ENOMEM;
}

static pc__node *new_node(parser *p, int kind) {
  pc__node *n = calloc(1, sizeof *n);
  if (!n)
    nomem(p);
  else
    n->kind = (uint8_t)kind;
  return n;
}

static const char *type_word(int type) {
  return type == PC__FT_NUM ? "a number" : type == PC__FT_STR ? "text" : "a boolean";
}

static pc__node *parse_or(parser *p);

static pc__node *compile_regex(parser *p, int field, const pc__token *v, bool negate) {
  int errcode = 0;
  PCRE2_SIZE off = 0;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->s, v->slen, 0, &errcode, &off, NULL);
  if (!re) {
    if (errcode == PCRE2_ERROR_NOMEMORY) {
      nomem(p);
      return NULL;
    }
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0) memcpy(msg, "?", 2);
    size_t at = off < v->slen ? off : v->slen;
    fail(p, v->scols[at], "bad regular expression: %s", (const char *)msg);
    return NULL;
  }
  /* JIT is an optimisation only: when it fails (no JIT support, no executable memory) the
   * interpreter gives the same answers, so the result is deliberately ignored. */
  if (p->out->jit) (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  pc__node *n = new_node(p, PC__N_REGEX);
  if (!n) {
    pcre2_code_free(re);
    return NULL;
  }
  n->field = (uint16_t)field;
  n->op = negate;
  n->re = re;
  return n;
}

static pc__node *parse_in(parser *p, int field, const pc__token *ft) {
  char w[48];
  int type = pc__fields[field].type;
  if (type == PC__FT_BOOL) {
    fail(p, ft->col, "'in' needs a number or text field; '%s' is %s", pc__fields[field].name,
         type_word(type));
    return NULL;
  }
  pc__token *lb = next(p);
  if (lb->kind != PC__TK_LBRACK) {
    fail(p, lb->col, "expected '[' after 'in', found %s", desc(lb, w));
    return NULL;
  }
  pc__node *n = new_node(p, type == PC__FT_NUM ? PC__N_NUM_IN : PC__N_STR_IN);
  if (!n) return NULL;
  n->field = (uint16_t)field;
  size_t cap = 0;
  for (;;) {
    pc__token *t = next(p);
    if (t->kind == PC__TK_RBRACK && n->count == 0) {
      fail(p, t->col, "empty list after 'in'");
      break;
    }
    if (type == PC__FT_NUM && t->kind != PC__TK_NUM) {
      if (t->kind == PC__TK_STR)
        fail(p, t->col, "type mismatch: '%s' is a number but this list item is text", pc__fields[field].name);
      else
        fail(p, t->col, "expected a number in the list, found %s", desc(t, w));
      break;
    }
    if (type == PC__FT_STR && t->kind != PC__TK_STR) {
      if (t->kind == PC__TK_NUM)
        fail(p, t->col, "type mismatch: '%s' is text but this list item is a number; put it in quotes",
             pc__fields[field].name);
      else
        fail(p, t->col, "expected a quoted string in the list, found %s", desc(t, w));
      break;
    }
    if (n->count == cap) {
      cap = cap ? cap * 2 : 4;
      if (type == PC__FT_NUM) {
        uint64_t *r = realloc(n->ranges, cap * 2 * sizeof *r);
        if (!r) break;
        n->ranges = r;
      } else {
        char **s = realloc(n->strs, cap * sizeof *s);
        if (!s) break;
        n->strs = s;
      }
    }
    if (type == PC__FT_NUM) {
      uint64_t lo = t->num, hi = t->num;
      if (peek(p)->kind == PC__TK_DOTDOT) {
        next(p);
        pc__token *h = next(p);
        if (h->kind != PC__TK_NUM) {
          fail(p, h->col, "expected a number after '..', found %s", desc(h, w));
          break;
        }
        hi = h->num;
        if (hi < lo) {
          fail(p, t->col, "empty range: the start is after the end");
          break;
        }
      }
      n->ranges[2 * n->count] = lo;
      n->ranges[2 * n->count + 1] = hi;
      n->count++;
    } else {
      n->strs[n->count] = dupn(t->s, t->slen);
      if (!n->strs[n->count]) break;
      n->count++;
    }
    pc__token *sep = next(p);
    if (sep->kind == PC__TK_RBRACK) return n;
    if (sep->kind != PC__TK_COMMA) {
      fail(p, sep->col, "expected ',' or ']' in the list, found %s", desc(sep, w));
      break;
    }
  }
  if (!p->err) nomem(p);
  pc__node_free(n);
  return NULL;
}

static pc__node *parse_compare(parser *p, int field, const pc__token *ft) {
  const char *fname = pc__fields[field].name;
  int type = pc__fields[field].type;
  pc__token *opt = next(p);
  int op = opt->op;
  pc__token *v = next(p);
  bool is_null = is_word(v, "null");
  bool is_bool = is_word(v, "true") || is_word(v, "false");
  if (v->kind == PC__TK_IDENT && !is_null && !is_bool) {
    /* Another field: only numbers compare with numbers ("port < unprivileged_port_start"). */
    int other = pc__field_lookup(v->p, v->len);
    if (other < 0) {
      char w[48];
      fail(p, v->col, "unknown field %s after '%s' (strings need quotes)", desc(v, w), pc__op_text(op));
      return NULL;
    }
    if (type != PC__FT_NUM || pc__fields[other].type != PC__FT_NUM || op > PC__TOP_GE) {
      fail(p, v->col, "only number fields can be compared with each other ('%s' is %s, '%s' is %s)", fname,
           type_word(type), pc__fields[other].name, type_word(pc__fields[other].type));
      return NULL;
    }
    pc__node *n = new_node(p, PC__N_NUM_FIELD);
    if (n) {
      n->field = (uint16_t)field;
      n->op = (uint8_t)op;
      n->num = (uint64_t)other;
    }
    return n;
  }
  if (v->kind != PC__TK_NUM && v->kind != PC__TK_STR && !is_null && !is_bool) {
    char w[48];
    fail(p, v->col, "expected a value after '%s' (a number, a \"string\", true, false or null), found %s",
         pc__op_text(op), desc(v, w));
    return NULL;
  }
  if (is_null) {
    if (op != PC__TOP_EQ && op != PC__TOP_NE) {
      fail(p, opt->col, "null can only be compared with == or != (found '%s')", pc__op_text(op));
      return NULL;
    }
    pc__node *n = new_node(p, op == PC__TOP_EQ ? PC__N_UNKNOWN : PC__N_KNOWN);
    if (n) n->field = (uint16_t)field;
    return n;
  }
  if (op == PC__TOP_MATCH || op == PC__TOP_NMATCH) {
    if (type != PC__FT_STR) {
      fail(p, opt->col, "operator '%s' needs a text field; '%s' is %s", pc__op_text(op), fname,
           type_word(type));
      return NULL;
    }
    if (v->kind != PC__TK_STR) {
      fail(p, v->col, "the pattern after '%s' must be a quoted string", pc__op_text(op));
      return NULL;
    }
    return compile_regex(p, field, v, op == PC__TOP_NMATCH);
  }
  if (type != PC__FT_NUM && op != PC__TOP_EQ && op != PC__TOP_NE) {
    fail(p, opt->col, "operator '%s' needs a number field; '%s' is %s", pc__op_text(op), fname,
         type_word(type));
    return NULL;
  }
  if (type == PC__FT_NUM && v->kind != PC__TK_NUM) {
    fail(p, v->col, "type mismatch: '%s' is a number but %s", fname,
         v->kind == PC__TK_STR ? "the value is text" : "the value is a boolean");
    return NULL;
  }
  if (type == PC__FT_STR && v->kind != PC__TK_STR) {
    fail(p, v->col, "type mismatch: '%s' is text but %s; put the value in quotes", fname,
         v->kind == PC__TK_NUM ? "the value is a number" : "the value is a boolean");
    return NULL;
  }
  if (type == PC__FT_BOOL && !is_bool) {
    fail(p, v->col, "type mismatch: '%s' is a boolean; compare it with true or false", fname);
    return NULL;
  }
  pc__node *n;
  if (type == PC__FT_STR) {
    n = new_node(p, PC__N_STR);
    if (!n) return NULL;
    n->str = dupn(v->s, v->slen);
    if (!n->str) {
      pc__node_free(n);
      nomem(p);
      return NULL;
    }
  } else {
    n = new_node(p, PC__N_NUM);
    if (!n) return NULL;
    n->num = type == PC__FT_BOOL ? is_word(v, "true") : v->num;
  }
  n->field = (uint16_t)field;
  n->op = (uint8_t)op; /* pc__tok_op and pc__op share EQ..GE */
  (void)ft;
  return n;
}

static pc__node *parse_primary(parser *p) {
  char w[48];
  pc__token *t = next(p);
  if (t->kind == PC__TK_LPAREN) {
    pc__node *n = parse_or(p);
    if (!n) return NULL;
    pc__token *r = next(p);
    if (r->kind != PC__TK_RPAREN) {
      fail(p, r->col, "expected ')', found %s", desc(r, w));
      pc__node_free(n);
      return NULL;
    }
    return n;
  }
  if (is_word(t, "true") || is_word(t, "false"))
    return new_node(p, is_word(t, "true") ? PC__N_TRUE : PC__N_FALSE);
  bool known = is_word(t, "known");
  if (known) t = next(p);
  if (t->kind != PC__TK_IDENT) {
    if (known)
      fail(p, t->col, "expected a field name after 'known', found %s", desc(t, w));
    else
      fail(p, t->col, "expected a condition (a field, 'not', 'known' or '('), found %s", desc(t, w));
    return NULL;
  }
  int field = pc__field_lookup(t->p, t->len);
  if (field < 0) {
    char name[64];
    size_t n = t->len < 60 ? t->len : 60;
    memcpy(name, t->p, n);
    name[n] = '\0';
    fail(p, t->col, "unknown field '%s' (see FORMAT.md for the field list)", name);
    return NULL;
  }
  if (known) {
    pc__node *n = new_node(p, PC__N_KNOWN);
    if (n) n->field = (uint16_t)field;
    return n;
  }
  pc__token *o = peek(p);
  if (o->kind == PC__TK_OP) return parse_compare(p, field, t);
  if (is_word(o, "in")) {
    next(p);
    return parse_in(p, field, t);
  }
  if (pc__fields[field].type == PC__FT_BOOL) {
    pc__node *n = new_node(p, PC__N_NUM);
    if (n) {
      n->field = (uint16_t)field;
      n->op = PC__OP_EQ;
      n->num = 1;
    }
    return n;
  }
  fail(p, t->col, "'%s' is %s: compare it with an operator (e.g. port == 80)", pc__fields[field].name,
       type_word(pc__fields[field].type));
  return NULL;
}

static pc__node *parse_unary(parser *p) {
  if (++p->depth > MAX_DEPTH) {
    fail(p, peek(p)->col, "condition is nested too deeply");
    return NULL;
  }
  pc__node *r;
  if (is_word(peek(p), "not")) {
    next(p);
    pc__node *k = parse_unary(p);
    r = k ? new_node(p, PC__N_NOT) : NULL;
    if (r)
      r->left = k;
    else
      pc__node_free(k);
  } else {
    r = parse_primary(p);
  }
  p->depth--;
  return r;
}

static pc__node *binary(parser *p, int kind, pc__node *l, pc__node *r) {
  pc__node *n = (l && r) ? new_node(p, kind) : NULL;
  if (!n) {
    pc__node_free(l);
    pc__node_free(r);
    return NULL;
  }
  n->left = l;
  n->right = r;
  return n;
}

static pc__node *parse_and(parser *p) {
  pc__node *l = parse_unary(p);
  while (l && is_word(peek(p), "and")) {
    next(p);
    l = binary(p, PC__N_AND, l, parse_unary(p));
  }
  return l;
}

static pc__node *parse_or(parser *p) {
  if (++p->depth > MAX_DEPTH) {
    fail(p, peek(p)->col, "condition is nested too deeply");
    return NULL;
  }
  pc__node *l = parse_and(p);
  while (l && is_word(peek(p), "or")) {
    next(p);
    l = binary(p, PC__N_OR, l, parse_and(p));
  }
  p->depth--;
  return l;
}

/* ---- statements ---- */

static bool expect_eol(parser *p) {
  char w[48];
  pc__token *t = peek(p);
  if (t->kind == PC__TK_EOL) return true;
  fail(p, t->col, "unexpected %s at the end of the line", desc(t, w));
  return false;
}

static void finish_rule(parser *p) {
  pc__rule *r = p->cur;
  if (!r) return;
  p->cur = NULL;
  const char *missing[4];
  int nm = 0;
  if (!p->has_title) missing[nm++] = "title";
  if (!p->has_sev) missing[nm++] = "severity";
  if (!p->has_when) missing[nm++] = "when";
  if (!p->has_explain) missing[nm++] = "explain";
  for (int i = 0; i < nm; i++)
    pc__rules_diag(p->d, p->origin, r->line, 1, "rule '%s' has no '%s' line", r->id, missing[i]);
  if (!p->has_fix)
    pc__rules_diag(p->d, p->origin, r->line, 1, "rule '%s' has no 'fix' line (give at least one)", r->id);
  if (nm || !p->has_fix) p->cur_bad = true;
  if (p->cur_bad) {
    p->rc = PC_ERULE;
    /* Still hand it over, so that duplicates of a broken rule are reported too. */
    r->broken = true;
  }
  int rc = p->out->on_rule(p->out->ud, r);
  if (rc == PC_ENOMEM)
    p->rc = PC_ENOMEM;
  else if (rc != PC_OK && p->rc == PC_OK)
    p->rc = PC_ERULE;
}

static void start_rule(parser *p, pc__token *kw) {
  char w[48];
  finish_rule(p);
  pc__token *id = next(p);
  if (id->kind != PC__TK_IDENT && id->kind != PC__TK_NUM) {
    if (id->kind == PC__TK_EOL)
      fail(p, kw->col + (int)kw->len + 1, "missing rule id after 'rule'");
    else
      fail(p, id->col, "expected a rule id (letters, digits, '_' and '-'), found %s", desc(id, w));
    /* Keep a placeholder rule so the lines that follow are not reported as outside a rule. */
  }
  pc__rule *r = calloc(1, sizeof *r);
  if (!r) {
    nomem(p);
    return;
  }
  bool ok = id->kind == PC__TK_IDENT || id->kind == PC__TK_NUM;
  r->id = ok ? dupn(id->p, id->len) : dupn("(no id)", 7);
  r->origin = dupn(p->origin, strlen(p->origin));
  r->line = p->lineno;
  r->id_col = ok ? id->col : kw->col;
  r->layer = p->layer;
  r->priority = 1000;
  if (!r->id || !r->origin) {
    pc__rule_free(r);
    nomem(p);
    return;
  }
  p->cur = r;
  p->cur_bad = !ok;
  p->has_title = p->has_sev = p->has_when = p->has_explain = p->has_fix = false;
  if (ok) expect_eol(p);
}

static pc__token *string_arg(parser *p, const pc__token *kw) {
  pc__token *t = next(p);
  if (t->kind != PC__TK_STR) {
    char w[48];
    fail(p, t->col, "expected a quoted string after '%.*s', found %s", (int)kw->len, kw->p, desc(t, w));
    return NULL;
  }
  return expect_eol(p) ? t : NULL;
}

static void template_arg(parser *p, const pc__token *kw, pc__template *dst, bool concat) {
  pc__token *t = string_arg(p, kw);
  if (!t) return;
  pc__template tmp;
  int rc = pc__template_compile(&tmp, t->s, t->slen, t->scols, p->d, p->origin, p->lineno);
  if (rc == PC_ENOMEM) {
    nomem(p);
    return;
  }
  if (rc != PC_OK) {
    p->err = PC_ERULE; /* already reported, possibly several times */
    pc__template_free(&tmp);
    return;
  }
  if (!concat) {
    *dst = tmp;
    return;
  }
  if (pc__template_concat(dst, &tmp, " ") != PC_OK) {
    pc__template_free(&tmp);
    nomem(p);
  }
}

static void statement(parser *p) {
  char w[48];
  pc__token *kw = next(p);
  if (kw->kind == PC__TK_EOL) return;
  if (kw->kind != PC__TK_IDENT) {
    fail(p, kw->col,
         "expected a keyword (rule, title, severity, priority, when, explain, fix, "
         "ref), found %s",
         desc(kw, w));
    return;
  }
  if (is_word(kw, "rule")) {
    start_rule(p, kw);
    return;
  }
  static const char *const words[] = {"title", "severity", "priority", "when", "explain", "fix", "ref"};
  int k = -1;
  for (int i = 0; i < 7; i++)
    if (is_word(kw, words[i])) k = i;
  if (k < 0) {
    fail(p, kw->col,
         "unknown keyword %s (expected rule, title, severity, priority, when, "
         "explain, fix or ref)",
         desc(kw, w));
    return;
  }
  pc__rule *r = p->cur;
  if (!r) {
    fail(p, kw->col, "'%s' outside a rule: start the rule with 'rule ID'", words[k]);
    return;
  }
  switch (k) {
    case 0: /* title */
      if (p->has_title) {
        fail(p, kw->col, "duplicate 'title' in rule '%s'", r->id);
        return;
      }
      p->has_title = true;
      template_arg(p, kw, &r->title, false);
      return;
    case 1: { /* severity */
      pc__token *t = next(p);
      if (p->has_sev) {
        fail(p, kw->col, "duplicate 'severity' in rule '%s'", r->id);
        return;
      }
      p->has_sev = true; /* a bad value is reported once, not again as "no severity" */
      int sev = is_word(t, "error")     ? PC_RULE_ERROR
                : is_word(t, "warning") ? PC_RULE_WARNING
                : is_word(t, "info")    ? PC_RULE_INFO
                                        : -1;
      if (sev < 0) {
        fail(p, t->col, "bad severity %s (expected error, warning or info)", desc(t, w));
        return;
      }
      if (!expect_eol(p)) return;
      r->severity = (uint8_t)sev;
      return;
    }
    case 2: { /* priority */
      pc__token *t = next(p);
      if (t->kind != PC__TK_NUM || t->num > MAX_PRIORITY) {
        fail(p, t->col, "bad priority %s (expected a number from 0 to 1000000)", desc(t, w));
        return;
      }
      if (!expect_eol(p)) return;
      r->priority = (long)t->num;
      return;
    }
    case 3: { /* when */
      p->has_when = true;
      p->depth = 0;
      pc__node *n = parse_or(p);
      if (n && !expect_eol(p)) {
        pc__node_free(n);
        n = NULL;
      }
      if (!n) {
        if (!p->err) nomem(p);
        return;
      }
      if (r->cond) {
        n = binary(p, PC__N_AND, r->cond, n);
        r->cond = n;
        if (!n) return;
      } else {
        r->cond = n;
      }
      p->has_when = true;
      return;
    }
    case 4: /* explain */
      p->has_explain = true;
      template_arg(p, kw, &r->explain, true);
      return;
    case 5: /* fix */
      if (r->fix_count == PC_RULES_MAX_FIXES) {
        fail(p, kw->col, "too many 'fix' lines in rule '%s' (at most %d)", r->id, PC_RULES_MAX_FIXES);
        return;
      }
      p->has_fix = true;
      /* An optional context word says what the line is: prose (text, the default) or a
       * command for sh, powershell or cmd, whose values are quoted for that shell. */
      int ctx = PC__CTX_TEXT;
      if (peek(p)->kind == PC__TK_IDENT) {
        pc__token *cw = next(p);
        ctx = pc__tctx_lookup(cw->p, cw->len);
        if (ctx < 0) {
          fail(p, cw->col, "unknown fix context %s (expected sh, powershell, cmd or text)", desc(cw, w));
          return;
        }
      }
      template_arg(p, kw, &r->fixes[r->fix_count], false);
      if (!p->err) r->fixes[r->fix_count++].ctx = (uint8_t)ctx;
      return;
    default: { /* ref */
      if (r->ref_count == PC_RULES_MAX_REFS) {
        fail(p, kw->col, "too many 'ref' lines in rule '%s' (at most %d)", r->id, PC_RULES_MAX_REFS);
        return;
      }
      pc__token *t = string_arg(p, kw);
      if (!t) return;
      r->refs[r->ref_count] = dupn(t->s, t->slen);
      if (!r->refs[r->ref_count])
        nomem(p);
      else
        r->ref_count++;
      return;
    }
  }
}

/* After a lexing error the statement never ran; note which keyword the line had, so that the
 * rule's end does not report it missing as well. */
static void mark_seen(parser *p, const char *line, size_t len) {
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  size_t j = i;
  while (j < len && line[j] >= 'a' && line[j] <= 'z') j++;
  const char *w = line + i;
  size_t n = j - i;
#define PC__IS(word) (n == sizeof word - 1 && memcmp(w, word, n) == 0)
  if (PC__IS("title"))
    p->has_title = true;
  else if (PC__IS("severity"))
    p->has_sev = true;
  else if (PC__IS("when"))
    p->has_when = true;
  else if (PC__IS("explain"))
    p->has_explain = true;
  else if (PC__IS("fix"))
    p->has_fix = true;
#undef PC__IS
}

int pc__parse(const char *text, size_t len, const char *origin, int layer, pc__parse_out *out) {
  parser p = {.origin = origin, .layer = layer, .out = out, .d = out->diag, .rc = PC_OK};
  size_t i = 0;
  while (i < len && p.rc != PC_ENOMEM) {
    size_t e = i;
    while (e < len && text[e] != '\n') e++;
    p.lineno++;
    p.err = PC_OK;
    p.pos = 0;
    int rc = pc__lex_line(&p.line, text + i, e - i, p.lineno, origin, p.d);
    if (rc == PC_OK)
      statement(&p);
    else {
      p.err = rc;
      mark_seen(&p, text + i, e - i);
    }
    if (p.err == PC_ENOMEM)
      p.rc = PC_ENOMEM;
    else if (p.err) {
      p.rc = PC_ERULE;
      if (p.cur) p.cur_bad = true;
    }
    i = e + 1;
  }
  if (p.rc != PC_ENOMEM)
    finish_rule(&p);
  else
    pc__rule_free(p.cur);
  pc__line_free(&p.line);
  return p.rc;
}
