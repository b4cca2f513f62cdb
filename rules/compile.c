/* compile.c - the compiler object: sources, layers, id replacement, diagnostics, build.
 *
 * The compiler collects rules from many sources into one list. Ids are checked as each rule
 * arrives: a duplicate in the same layer is an error, an id from an earlier layer is replaced
 * in place. build() sorts by (fallback, priority, load order) and hands the rules to an
 * immutable ruleset. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_file.h"
#include "rules_internal.h"

/* Diagnostics kept in memory; later ones are counted but not stored, so a hostile input cannot
 * make the compiler grow without bound. */
#define MAX_STORED_DIAGS 10000
/* A rule file is text a person wrote: the whole default catalog is about 40 KiB. The caps
 * keep a wrong path (a log file, a disk image) from being read into memory: 16 MiB per
 * file, 64 MiB for all the rule text of one compiler (files, strings and directories). */
#define RULES_FILE_MAX ((size_t)16 << 20)
#define RULES_SET_MAX ((size_t)64 << 20)

struct pc__diag_sink {
  char **msgs;
  size_t n, cap;
  size_t count; /* all errors, stored or not */
};

struct pc_rules_compiler {
  pc__diag_sink diag;
  pc__rule **rules;
  size_t n, cap;
  /* Open-addressing hash of the ids: index + 1 into rules, 0 = empty slot. Finding a
   * duplicate is O(1) per rule, so loading n rules is O(n) (a scan was O(n^2): 100 000
   * rules took minutes). */
  size_t *ids;
  size_t ids_cap;    /* a power of two, kept at least twice n */
  size_t text_bytes; /* rule text added so far, for RULES_SET_MAX */
  int layer;
  size_t seq;
  bool jit;
  bool loading_builtin;
  bool built;
};

void pc__vdiag(pc__diag_sink *d, const char *origin, int line, int col, const char *fmt, va_list ap) {
  d->count++;
  if (d->n >= MAX_STORED_DIAGS) return;
  char msg[512];
  int k = snprintf(msg, sizeof msg, "%s:%d:%d: ", origin, line, col);
  if (k < 0) return;
  if ((size_t)k < sizeof msg) vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
  if (d->n == d->cap) {
    size_t ncap = d->cap ? d->cap * 2 : 16;
    char **m = realloc(d->msgs, ncap * sizeof *m);
    if (!m) return;
    d->msgs = m;
    d->cap = ncap;
  }
  size_t len = strlen(msg);
  char *s = malloc(len + 1);
  if (!s) return;
  memcpy(s, msg, len + 1);
  d->msgs[d->n++] = s;
}

void pc__rules_diag(pc__diag_sink *d, const char *origin, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pc__vdiag(d, origin, line, col, fmt, ap);
  va_end(ap);
}

size_t pc_rules_compiler_error_count(const pc_rules_compiler *c) {
  return c ? c->diag.count : 0;
}

const char *pc_rules_compiler_error(const pc_rules_compiler *c, size_t i) {
  if (!c) return NULL;
  if (i < c->diag.n) return c->diag.msgs[i];
  return i < c->diag.count ? "(further errors not stored)" : NULL;
}

static size_t id_hash(const char *id) {
  size_t h = (size_t)14695981039346656037ull; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * (size_t)1099511628211ull;
  return h;
}

/* The slot of id in c->ids: the one holding it, or the empty slot where it would go. */
static size_t id_slot(const pc_rules_compiler *c, const char *id) {
  size_t mask = c->ids_cap - 1, i = id_hash(id) & mask;
  while (c->ids[i] && strcmp(c->rules[c->ids[i] - 1]->id, id) != 0) i = (i + 1) & mask;
  return i;
}

/* Makes room for one more id. */
static int ids_reserve(pc_rules_compiler *c) {
  if ((c->n + 1) * 2 <= c->ids_cap) return PC_OK;
  size_t ncap = c->ids_cap ? c->ids_cap * 2 : 256;
  size_t *old = c->ids, old_cap = c->ids_cap;
  c->ids = calloc(ncap, sizeof *c->ids);
  if (!c->ids) {
    c->ids = old;
    return PC_ENOMEM;
  }
  c->ids_cap = ncap;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i]) c->ids[id_slot(c, c->rules[old[i] - 1]->id)] = old[i];
  free(old);
  return PC_OK;
}

/* Takes ownership of r: checks its id against the rules so far, then keeps, replaces or
 * drops it. */
static int on_rule(void *ud, pc__rule *r) {
  pc_rules_compiler *c = ud;
  if (ids_reserve(c) != PC_OK) {
    pc__rule_free(r);
    return PC_ENOMEM;
  }
  size_t slot = id_slot(c, r->id);
  if (c->ids[slot]) {
    size_t i = c->ids[slot] - 1;
    pc__rule *old = c->rules[i];
    if (old->layer == r->layer) {
      pc__rules_diag(&c->diag, r->origin, r->line, r->id_col,
                     "duplicate rule id '%s' (first defined at %s:%d)", r->id, old->origin, old->line);
      pc__rule_free(r);
      return PC_ERULE;
    }
    /* A later layer replaces: same slot in the load order, same fallback role. */
    r->seq = old->seq;
    r->fallback = old->fallback;
    c->rules[i] = r;
    pc__rule_free(old);
    return PC_OK;
  }
  /* Broken rules are kept (the build fails anyway) so that duplicates of them are found. */
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 64;
    pc__rule **a = realloc(c->rules, ncap * sizeof *a);
    if (!a) {
      pc__rule_free(r);
      return PC_ENOMEM;
    }
    c->rules = a;
    c->cap = ncap;
  }
  r->seq = c->seq++;
  r->fallback = c->loading_builtin;
  c->rules[c->n++] = r;
  c->ids[slot] = c->n;
  return PC_OK;
}

static int add_text(pc_rules_compiler *c, const char *text, size_t len, const char *origin, int layer) {
  if (len > RULES_SET_MAX - c->text_bytes) {
    pc__rules_diag(&c->diag, origin, 1, 1, "the rules are too large: more than %u MiB of rule text in all",
                   (unsigned)(RULES_SET_MAX >> 20));
    return PC_ELIMIT;
  }
  c->text_bytes += len;
  pc__parse_out out = {.on_rule = on_rule, .ud = c, .diag = &c->diag, .jit = c->jit};
  return pc__parse(text, len, origin, layer, &out);
}

/* The rule array a compiler fills and hands to the rule set it builds: freed by either. */
static void free_rules(pc__rule **rules, size_t n) {
  for (size_t i = 0; i < n; i++) pc__rule_free(rules[i]);
  free(rules);
}

int pc_rules_compiler_new(pc_rules_compiler **out) {
  if (!out) return PC_EINVAL;
  *out = NULL;
  pc_rules_compiler *c = calloc(1, sizeof *c);
  if (!c) return PC_ENOMEM;
  c->jit = true;
  /* The fallbacks are layer 0, so any later source can replace them by id. */
  c->loading_builtin = true;
  for (size_t i = 0; i < pc__builtin_rules_count; i++) {
    int rc = add_text(c, pc__builtin_rules[i].text, pc__builtin_rules[i].len, pc__builtin_rules[i].name, 0);
    if (rc == PC_ENOMEM) {
      pc_rules_compiler_free(c);
      return PC_ENOMEM;
    }
  }
  c->loading_builtin = false;
  *out = c;
  return PC_OK;
}

void pc_rules_compiler_free(pc_rules_compiler *c) {
  if (!c) return;
  free_rules(c->rules, c->n);
  free(c->ids);
  for (size_t i = 0; i < c->diag.n; i++) free(c->diag.msgs[i]);
  free(c->diag.msgs);
  free(c);
}

void pc_rules_compiler_set_jit(pc_rules_compiler *c, bool on) {
  if (c) c->jit = on;
}

int pc_rules_compiler_add_string(pc_rules_compiler *c, const char *text, size_t len, const char *origin) {
  if (!c || !text || c->built) return PC_EINVAL;
  if (len == (size_t)-1) len = strlen(text);
  return add_text(c, text, len, origin ? origin : "(string)", ++c->layer);
}

static int add_file_layer(pc_rules_compiler *c, const char *path, int layer) {
  char *text = NULL;
  size_t len = 0;
  int rc = pc_file_read(path, RULES_FILE_MAX, &text, &len);
  if (rc != PC_OK) {
    if (rc == PC_ELIMIT)
      pc__rules_diag(&c->diag, path, 1, 1, "cannot read the file: larger than %u MiB, not a rule file",
                     (unsigned)(RULES_FILE_MAX >> 20));
    else if (rc != PC_ENOMEM)
      pc__rules_diag(&c->diag, path, 1, 1, "cannot read the file: %s", pc_strerror(rc));
    return rc;
  }
  rc = add_text(c, text, len, path, layer);
  free(text);
  return rc;
}

int pc_rules_compiler_add_file(pc_rules_compiler *c, const char *path) {
  if (!c || !path || c->built) return PC_EINVAL;
  return add_file_layer(c, path, ++c->layer);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rules_name(const char *n) {
  size_t len = strlen(n);
  return n[0] != '.' && len > 6 && strcmp(n + len - 6, ".rules") == 0;
}

int pc_rules_compiler_add_dir(pc_rules_compiler *c, const char *dir) {
  if (!c || !dir || c->built) return PC_EINVAL;
  DIR *d = opendir(dir);
  if (!d) {
    int err = pc_err_from_errno(errno) == PC_ENOENT ? PC_ENOENT : PC_EIO;
    pc__rules_diag(&c->diag, dir, 1, 1, "cannot open the directory: %s", pc_strerror(err));
    return err;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = PC_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!is_rules_name(e->d_name)) continue;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      char **a = realloc(names, ncap * sizeof *a);
      if (!a) {
        rc = PC_ENOMEM;
        break;
      }
      names = a;
      cap = ncap;
    }
    size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
    names[n] = malloc(len);
    if (!names[n]) {
      rc = PC_ENOMEM;
      break;
    }
    snprintf(names[n], len, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (rc == PC_OK) {
    if (n == 0) {
      pc__rules_diag(&c->diag, dir, 1, 1, "no *.rules files in this directory");
      rc = PC_ERULE;
    }
    qsort(names, n, sizeof *names, cmp_str);
    int layer = ++c->layer;
    for (size_t i = 0; i < n && rc != PC_ENOMEM; i++) {
      int r = add_file_layer(c, names[i], layer);
      if (r != PC_OK && rc == PC_OK) rc = r;
    }
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

int pc_rules_compiler_add_defaults(pc_rules_compiler *c) {
  if (!c || c->built) return PC_EINVAL;
  int layer = ++c->layer, rc = PC_OK;
  for (size_t i = 0; i < pc__default_rules_count && rc != PC_ENOMEM; i++) {
    int r =
        add_text(c, pc__default_rules[i].text, pc__default_rules[i].len, pc__default_rules[i].name, layer);
    if (r != PC_OK && rc == PC_OK) rc = r;
  }
  return rc;
}

static int cmp_rule(const void *a, const void *b) {
  const pc__rule *x = *(pc__rule *const *)a, *y = *(pc__rule *const *)b;
  if (x->fallback != y->fallback) return x->fallback ? 1 : -1;
  if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int pc_rules_compiler_build(pc_rules_compiler *c, pc_ruleset **out) {
  if (!c || !out || c->built) return PC_EINVAL;
  *out = NULL;
  c->built = true;
  if (c->diag.count) return PC_ERULE;
  pc_ruleset *rs = calloc(1, sizeof *rs);
  if (!rs) return PC_ENOMEM;
  rs->mctx = pcre2_match_context_create(NULL);
  if (!rs->mctx) {
    free(rs);
    return PC_ENOMEM;
  }
  pcre2_set_match_limit(rs->mctx, PC__MATCH_LIMIT);
  pcre2_set_depth_limit(rs->mctx, PC__DEPTH_LIMIT);
  pcre2_set_heap_limit(rs->mctx, PC__HEAP_LIMIT_KIB);
  qsort(c->rules, c->n, sizeof *c->rules, cmp_rule);
  /* Which rules each fact value can match, so evaluation skips the rest. */
  if (pc__rule_index_build(c->rules, c->n, &rs->index) != PC_OK) {
    pcre2_match_context_free(rs->mctx);
    free(rs);
    return PC_ENOMEM;
  }
  rs->rules = c->rules;
  rs->count = c->n;
  c->rules = NULL;
  c->n = c->cap = 0;
  *out = rs;
  return PC_OK;
}

void pc_ruleset_free(pc_ruleset *rs) {
  if (!rs) return;
  free_rules(rs->rules, rs->count);
  pc__rule_index_free(rs->index);
  pcre2_match_context_free(rs->mctx);
  free(rs);
}

size_t pc_ruleset_count(const pc_ruleset *rs) {
  return rs ? rs->count : 0;
}

size_t pc_ruleset_fallback_count(const pc_ruleset *rs) {
  size_t n = 0;
  for (size_t i = 0; rs && i < rs->count; i++) n += rs->rules[i]->fallback;
  return n;
}

const char *pc_ruleset_rule_id(const pc_ruleset *rs, size_t i) {
  return rs && i < rs->count ? rs->rules[i]->id : NULL;
}
