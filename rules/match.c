/* match.c - evaluation: the first rule (in priority order) whose conditions hold explains.
 *
 * The hot path allocates nothing: the regex match data lives in the caller's pc_rule_result
 * (created on its first use) and rendered text goes into the result's fixed buffer. Unknown
 * values make every comparison false; a regex that hits a PCRE2 resource limit counts as "no
 * match" for both =~ and !~ and is counted in limit_errors. */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "rules_internal.h"

typedef struct scratch {
  pcre2_match_data *md;
  uint64_t *cand; /* candidate bitset of the index (words of the largest set seen) */
  size_t cand_words;
} scratch;

typedef struct eval_ctx {
  pc__view view;
  scratch *s;
  const pc_ruleset *rs;
  pc_rule_result *out;
} eval_ctx;

void pc_rule_result_init(pc_rule_result *r) {
  if (r) memset(r, 0, sizeof *r);
}

void pc_rule_result_free(pc_rule_result *r) {
  if (!r || !r->scratch) return;
  scratch *s = r->scratch;
  pcre2_match_data_free(s->md);
  free(s->cand);
  free(s);
  r->scratch = NULL;
}

static bool cmp_num(uint64_t a, int op, uint64_t b) {
  switch (op) {
    case PC__OP_EQ:
      return a == b;
    case PC__OP_NE:
      return a != b;
    case PC__OP_LT:
      return a < b;
    case PC__OP_LE:
      return a <= b;
    case PC__OP_GT:
      return a > b;
    default:
      return a >= b;
  }
}

static bool is_known(eval_ctx *c, int field) {
  uint64_t v;
  if (pc__fields[field].type == PC__FT_STR) return pc__field_str(&c->view, field) != NULL;
  return pc__field_num(&c->view, field, &v);
}

static bool regex(eval_ctx *c, const pc__node *n) {
  const char *s = pc__field_str(&c->view, n->field);
  if (!s) return false;
  int rc = pcre2_match(n->re, (PCRE2_SPTR)s, strlen(s), 0, 0, c->s->md, c->rs->mctx);
  if (rc >= 0) return !n->op;
  if (rc == PCRE2_ERROR_NOMATCH) return n->op;
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
      rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_NOMEMORY)
    c->out->limit_errors++;
  return false;
}

static bool eval(eval_ctx *c, const pc__node *n) {
  switch (n->kind) {
    case PC__N_TRUE:
      return true;
    case PC__N_FALSE:
      return false;
    case PC__N_AND:
      return eval(c, n->left) && eval(c, n->right);
    case PC__N_OR:
      return eval(c, n->left) || eval(c, n->right);
    case PC__N_NOT:
      return !eval(c, n->left);
    case PC__N_KNOWN:
      return is_known(c, n->field);
    case PC__N_UNKNOWN:
      return !is_known(c, n->field);
    case PC__N_NUM: {
      uint64_t v;
      return pc__field_num(&c->view, n->field, &v) && cmp_num(v, n->op, n->num);
    }
    case PC__N_NUM_FIELD: {
      uint64_t a, b;
      return pc__field_num(&c->view, n->field, &a) && pc__field_num(&c->view, (int)n->num, &b) &&
             cmp_num(a, n->op, b);
    }
    case PC__N_NUM_IN: {
      uint64_t v;
      if (!pc__field_num(&c->view, n->field, &v)) return false;
      for (size_t i = 0; i < n->count; i++)
        if (v >= n->ranges[2 * i] && v <= n->ranges[2 * i + 1]) return true;
      return false;
    }
    case PC__N_STR: {
      const char *s = pc__field_str(&c->view, n->field);
      if (!s) return false;
      return (strcmp(s, n->str) == 0) == (n->op == PC__OP_EQ);
    }
    case PC__N_STR_IN: {
      const char *s = pc__field_str(&c->view, n->field);
      if (!s) return false;
      for (size_t i = 0; i < n->count; i++)
        if (strcmp(s, n->strs[i]) == 0) return true;
      return false;
    }
    case PC__N_REGEX:
      return regex(c, n);
    default:
      return false;
  }
}

static const char *const severity_names[] = {"error", "warning", "info"};

/* Renders one template into out->text; returns its start. */
static const char *render(eval_ctx *c, const pc__template *t, size_t *pos) {
  pc_rule_result *out = c->out;
  size_t start = *pos;
  if (start >= sizeof out->text) {
    out->truncated = true;
    return "";
  }
  if (!pc__template_render(t, &c->view, out->text, sizeof out->text, pos)) out->truncated = true;
  (*pos)++; /* past the NUL */
  return out->text + start;
}

/* Makes room for a candidate bitset of words words; false when out of memory. */
static bool ensure_cand(scratch *s, size_t words) {
  if (s->cand_words >= words) return true;
  uint64_t *p = realloc(s->cand, words * sizeof *p);
  if (!p) return false;
  s->cand = p;
  s->cand_words = words;
  return true;
}

/* The first rule in order whose condition holds, among the index's candidates: the same
 * rule the scan finds, since a rule left out cannot match. */
static const pc__rule *first_indexed(eval_ctx *c, const pc__rule_index *ix) {
  uint64_t *cand = c->s->cand;
  memcpy(cand, pc__rule_index_row(ix, 0, &c->view), ix->words * sizeof *cand);
  for (size_t k = 1; k < ix->nfields; k++) {
    const uint64_t *row = pc__rule_index_row(ix, k, &c->view);
    for (size_t w = 0; w < ix->words; w++) cand[w] &= row[w];
  }
  for (size_t w = 0; w < ix->words; w++) {
    for (uint64_t m = cand[w]; m; m &= m - 1) {
      const pc__rule *r = c->rs->rules[w * 64 + (size_t)__builtin_ctzll(m)];
      if (eval(c, r->cond)) return r;
    }
  }
  return NULL;
}

int pc_rules_eval(const pc_ruleset *rs, const pc_facts *facts, pc_rule_result *out) {
  return pc__rules_eval_mode(rs, facts, out, false);
}

int pc__rules_eval_mode(const pc_ruleset *rs, const pc_facts *facts, pc_rule_result *out, bool linear) {
  if (!rs || !facts || !out) return PC_EINVAL;
  if (!out->scratch) {
    scratch *s = calloc(1, sizeof *s);
    /* One ovector pair is enough: rules only ask whether a pattern matches. Match data made
     * from a size (not from a pattern) fits every pattern of the set. */
    if (s) s->md = pcre2_match_data_create(1, NULL);
    if (!s || !s->md) {
      free(s);
      return PC_ENOMEM;
    }
    out->scratch = s;
  }
  eval_ctx c = {.s = out->scratch, .rs = rs, .out = out};
  c.view.f = facts;
  const pc__rule *hit = NULL;
  /* Without memory for the bitset, the scan gives the same answer. */
  if (rs->index && !linear && ensure_cand(c.s, rs->index->words)) {
    hit = first_indexed(&c, rs->index);
  } else {
    for (size_t i = 0; i < rs->count; i++) {
      if (eval(&c, rs->rules[i]->cond)) {
        hit = rs->rules[i];
        break;
      }
    }
  }
  out->truncated = false;
  if (!hit) {
    /* Only possible when someone replaced FALLBACK-OTHER with a narrower rule. */
    out->rule_id = "";
    out->title = out->explanation = "";
    out->severity = "info";
    out->severity_level = PC_RULE_INFO;
    out->fallback = true;
    out->fix_count = out->ref_count = 0;
    out->text[0] = '\0';
    return PC_OK;
  }
  size_t pos = 0;
  out->rule_id = hit->id;
  out->severity_level = (pc_rule_severity)hit->severity;
  out->severity = severity_names[hit->severity];
  out->fallback = hit->fallback;
  out->title = render(&c, &hit->title, &pos);
  out->explanation = render(&c, &hit->explain, &pos);
  for (size_t i = 0; i < hit->fix_count; i++) out->fixes[i] = render(&c, &hit->fixes[i], &pos);
  out->fix_count = hit->fix_count;
  for (size_t i = 0; i < hit->ref_count; i++) out->refs[i] = hit->refs[i];
  out->ref_count = hit->ref_count;
  return PC_OK;
}
