/* index.c - the rule index: which rules can possibly match a given set of facts.
 *
 * For a few fields that rules constrain by equality, list or range (error, error_name,
 * proto, family, os, event, port), each rule's condition tree yields a necessary condition:
 * the set of values the field must have for the condition to hold (or "any"). A comparison
 * with an unknown value is false, so "must be in the set" also means "must be known". AND
 * intersects, OR unites, anything else (NOT, !=, regex, another field) says "any" - always
 * safe, never exact. The sets become one bitset of candidate rules per distinct value (text
 * fields) or per elementary interval between range ends (numbers), plus one for "unknown or
 * named by no rule" (only rules that say "any"). Evaluation ANDs one bitset per field and
 * walks the surviving rules in order, so the first match is the same rule a linear scan finds.
 *
 * A field whose bitsets would be too large (INDEX_MAX_WORDS) is left out: the index only
 * ever narrows, it is never needed for correctness. */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "rules_internal.h"

#define INDEX_MAX_WORDS (1u << 21) /* 16 MiB of bitsets per field at most */

static const int k_fields[PC__INDEX_FIELDS] = {PC__F_ERROR_NAME, PC__F_ERROR, PC__F_PROTO, PC__F_FAMILY,
                                               PC__F_OS,         PC__F_EVENT, PC__F_PORT};

/* A necessary condition on one field: any, or a set of strings / closed intervals. */
typedef struct cons {
  bool any;
  size_t n;
  const char **strs; /* borrowed from the nodes */
  uint64_t *lo, *hi;
} cons;

static void cons_free(cons *c) {
  free(c->strs);
  free(c->lo);
  free(c->hi);
  memset(c, 0, sizeof *c);
}

static bool cons_add_str(cons *c, const char *s) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->strs[i], s) == 0) return true;
  const char **p = realloc(c->strs, (c->n + 1) * sizeof *p);
  if (!p) return false;
  c->strs = p;
  c->strs[c->n++] = s;
  return true;
}

static bool cons_add_range(cons *c, uint64_t lo, uint64_t hi) {
  if (lo > hi) return true;
  uint64_t *a = realloc(c->lo, (c->n + 1) * sizeof *a);
  if (!a) return false;
  c->lo = a;
  uint64_t *b = realloc(c->hi, (c->n + 1) * sizeof *b);
  if (!b) return false;
  c->hi = b;
  c->lo[c->n] = lo;
  c->hi[c->n] = hi;
  c->n++;
  return true;
}

/* Derives the necessary condition of n on field (numeric or text). False when out of memory. */
static bool derive(const pc__node *n, int field, bool numeric, cons *out) {
  memset(out, 0, sizeof *out);
  switch (n->kind) {
    case PC__N_FALSE:
      return true; /* the empty set: never matches */
    case PC__N_STR:
      if (numeric || n->field != field || n->op != PC__OP_EQ) break;
      return cons_add_str(out, n->str);
    case PC__N_STR_IN:
      if (numeric || n->field != field) break;
      for (size_t i = 0; i < n->count; i++)
        if (!cons_add_str(out, n->strs[i])) return false;
      return true;
    case PC__N_NUM:
      if (!numeric || n->field != field) break;
      switch (n->op) {
        case PC__OP_EQ:
          return cons_add_range(out, n->num, n->num);
        case PC__OP_LT:
          return n->num == 0 || cons_add_range(out, 0, n->num - 1);
        case PC__OP_LE:
          return cons_add_range(out, 0, n->num);
        case PC__OP_GT:
          return n->num == UINT64_MAX || cons_add_range(out, n->num + 1, UINT64_MAX);
        case PC__OP_GE:
          return cons_add_range(out, n->num, UINT64_MAX);
        default:
          break;
      }
      break;
    case PC__N_NUM_IN:
      if (!numeric || n->field != field) break;
      for (size_t i = 0; i < n->count; i++)
        if (!cons_add_range(out, n->ranges[2 * i], n->ranges[2 * i + 1])) return false;
      return true;
    case PC__N_KNOWN:
      if (!numeric || n->field != field) break;
      return cons_add_range(out, 0, UINT64_MAX); /* any known number */
    case PC__N_AND:
    case PC__N_OR: {
      cons a, b;
      if (!derive(n->left, field, numeric, &a)) return false;
      if (!derive(n->right, field, numeric, &b)) {
        cons_free(&a);
        return false;
      }
      bool ok = true;
      if (n->kind == PC__N_OR) {
        if (a.any || b.any) {
          out->any = true;
        } else {
          for (size_t i = 0; ok && i < a.n; i++)
            ok = numeric ? cons_add_range(out, a.lo[i], a.hi[i]) : cons_add_str(out, a.strs[i]);
          for (size_t i = 0; ok && i < b.n; i++)
            ok = numeric ? cons_add_range(out, b.lo[i], b.hi[i]) : cons_add_str(out, b.strs[i]);
        }
      } else if (a.any || b.any) {
        /* One side says nothing: the other's set is the condition. */
        cons *keep = a.any ? &b : &a;
        *out = *keep;
        memset(keep, 0, sizeof *keep);
      } else if (numeric) {
        for (size_t i = 0; ok && i < a.n; i++)
          for (size_t j = 0; ok && j < b.n; j++) {
            uint64_t lo = a.lo[i] > b.lo[j] ? a.lo[i] : b.lo[j], hi = a.hi[i] < b.hi[j] ? a.hi[i] : b.hi[j];
            ok = cons_add_range(out, lo, hi);
          }
      } else {
        for (size_t i = 0; ok && i < a.n; i++)
          for (size_t j = 0; j < b.n; j++)
            if (strcmp(a.strs[i], b.strs[j]) == 0) {
              ok = cons_add_str(out, a.strs[i]);
              break;
            }
      }
      cons_free(&a);
      cons_free(&b);
      if (ok && out->n > 4096) { /* a product of long lists: not worth a precise set */
        cons_free(out);
        out->any = true;
      }
      return ok;
    }
    default:
      break;
  }
  out->any = true;
  return true;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void set_bit(uint64_t *row, size_t i) {
  row[i / 64] |= UINT64_C(1) << (i % 64);
}

/* Builds the bitsets of one field from the rules' conditions cs[0..n). Returns PC_OK,
 * PC_ENOMEM, or PC_ELIMIT when the field is not worth indexing (left out). */
static int build_field(pc__index_field *f, const cons *cs, size_t n, size_t words) {
  /* Keys: the distinct strings, or the interval starts that split the number line. */
  size_t nk = 0;
  bool all_any = true;
  for (size_t i = 0; i < n; i++) {
    if (!cs[i].any) all_any = false;
    if (!cs[i].any) nk += f->numeric ? 2 * cs[i].n : cs[i].n;
  }
  if (all_any) return PC_ELIMIT; /* no rule constrains it: nothing to gain */
  if (f->numeric) {
    uint64_t *k = malloc((nk + 1) * sizeof *k);
    if (!k) return PC_ENOMEM;
    size_t m = 0;
    k[m++] = 0;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; !cs[i].any && j < cs[i].n; j++) {
        k[m++] = cs[i].lo[j];
        if (cs[i].hi[j] != UINT64_MAX) k[m++] = cs[i].hi[j] + 1;
      }
    qsort(k, m, sizeof *k, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
      if (u == 0 || k[i] != k[u - 1]) k[u++] = k[i];
    f->starts = k;
    f->nkeys = u;
  } else {
    const char **k = malloc((nk ? nk : 1) * sizeof *k);
    if (!k) return PC_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; !cs[i].any && j < cs[i].n; j++) k[m++] = cs[i].strs[j];
    qsort(k, m, sizeof *k, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
      if (u == 0 || strcmp(k[i], k[u - 1]) != 0) k[u++] = k[i];
    f->vals = k;
    f->nkeys = u;
  }
  /* Row 0: unknown or named by no rule; row 1 + i: key i. */
  if ((f->nkeys + 1) > INDEX_MAX_WORDS / words) return PC_ELIMIT;
  f->bits = calloc((f->nkeys + 1) * words, sizeof *f->bits);
  if (!f->bits) return PC_ENOMEM;
  for (size_t r = 0; r < n; r++) {
    const cons *c = &cs[r];
    if (c->any) {
      for (size_t row = 0; row <= f->nkeys; row++) set_bit(f->bits + row * words, r);
      continue;
    }
    for (size_t j = 0; j < c->n; j++) {
      if (f->numeric) {
        /* Every elementary interval inside [lo, hi]: the starts from lo's up to hi. */
        for (size_t i = 0; i < f->nkeys && f->starts[i] <= c->hi[j]; i++)
          if (f->starts[i] >= c->lo[j]) set_bit(f->bits + (i + 1) * words, r);
      } else {
        const char **hit = bsearch(&c->strs[j], f->vals, f->nkeys, sizeof *f->vals, cmp_str);
        if (hit) set_bit(f->bits + (size_t)(hit - f->vals + 1) * words, r);
      }
    }
  }
  return PC_OK;
}

static void field_free(pc__index_field *f) {
  free(f->vals);
  free(f->starts);
  free(f->bits);
  memset(f, 0, sizeof *f);
}

void pc__rule_index_free(pc__rule_index *ix) {
  if (!ix) return;
  for (size_t i = 0; i < ix->nfields; i++) field_free(&ix->fields[i]);
  free(ix);
}

int pc__rule_index_build(pc__rule *const *rules, size_t n, pc__rule_index **out) {
  *out = NULL;
  if (n == 0) return PC_OK;
  pc__rule_index *ix = calloc(1, sizeof *ix);
  cons *cs = calloc(n, sizeof *cs);
  if (!ix || !cs) {
    free(ix);
    free(cs);
    return PC_ENOMEM;
  }
  ix->words = (n + 63) / 64;
  int rc = PC_OK;
  for (size_t k = 0; k < PC__INDEX_FIELDS && rc == PC_OK; k++) {
    int field = k_fields[k];
    bool numeric = pc__fields[field].type == PC__FT_NUM;
    for (size_t r = 0; r < n && rc == PC_OK; r++)
      if (!derive(rules[r]->cond, field, numeric, &cs[r])) rc = PC_ENOMEM;
    pc__index_field *f = &ix->fields[ix->nfields];
    f->field = field;
    f->numeric = numeric;
    if (rc == PC_OK) {
      int b = build_field(f, cs, n, ix->words);
      if (b == PC_OK)
        ix->nfields++;
      else
        field_free(f);
      if (b == PC_ENOMEM) rc = b;
    }
    for (size_t r = 0; r < n; r++) cons_free(&cs[r]);
  }
  free(cs);
  if (rc != PC_OK || ix->nfields == 0) {
    pc__rule_index_free(ix);
    return rc;
  }
  *out = ix;
  return PC_OK;
}

const uint64_t *pc__rule_index_row(const pc__rule_index *ix, size_t k, pc__view *v) {
  const pc__index_field *f = &ix->fields[k];
  size_t row = 0;
  if (f->numeric) {
    uint64_t x;
    if (pc__field_num(v, f->field, &x)) {
      /* The last start <= x (starts[0] is 0, so there is one). */
      size_t lo = 0, hi = f->nkeys;
      while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (f->starts[mid] <= x)
          lo = mid;
        else
          hi = mid;
      }
      row = lo + 1;
    }
  } else {
    const char *s = pc__field_str(v, f->field);
    if (s) {
      const char **hit = bsearch(&s, f->vals, f->nkeys, sizeof *f->vals, cmp_str);
      if (hit) row = (size_t)(hit - f->vals) + 1;
    }
  }
  return f->bits + row * ix->words;
}
