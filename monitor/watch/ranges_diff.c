/* ranges_diff.c - range snapshots, their state file, and `portclash ranges --diff`
 * (ranges_diff.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_error.h"
#include "pc_format.h"
#include "pc_text.h"
#include "pc_vec.h"
#include "ranges_diff.h"
#include "pc_os.h"

#define HEADER "portclash ranges 1"

/* ---- snapshots ------------------------------------------------------------------------------ */

static int cmp_excl(const void *pa, const void *pb) {
  const pc_port_range *a = pa, *b = pb;
  if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
  if (a->family != b->family) return a->family < b->family ? -1 : 1;
  if (a->start != b->start) return a->start < b->start ? -1 : 1;
  if (a->end != b->end) return a->end < b->end ? -1 : 1;
  return (int)a->administered - (int)b->administered;
}

static int cmp_dyn(const void *pa, const void *pb) {
  const pc_dynamic_range *a = pa, *b = pb;
  if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
  if (a->family != b->family) return a->family < b->family ? -1 : 1;
  if (a->start != b->start) return a->start < b->start ? -1 : 1;
  return a->count < b->count ? -1 : a->count > b->count;
}

void pc_range_snapshot_clear(pc_range_snapshot *s) {
  if (!s) return;
  free(s->excluded);
  free(s->dynamic);
  memset(s, 0, sizeof *s);
  s->taken = PC_TIME_UNKNOWN;
}

int pc_range_snapshot_take(pc_hoststate *hs, pc_time taken, pc_range_snapshot *out) {
  memset(out, 0, sizeof *out);
  out->taken = taken;
  snprintf(out->source, sizeof out->source, "%s", pc_hoststate_backend(hs));
  /* Whether the excluded ranges were read at all is only exposed through enrich; facts
   * without a port or pid make it look nothing up. */
  pc_facts probe;
  memset(&probe, 0, sizeof probe);
  (void)pc_hoststate_enrich(hs, &probe);
  out->excluded_known = probe.ranges_known;
  const pc_port_range *ex;
  const pc_dynamic_range *dy;
  size_t ne = pc_hoststate_excluded(hs, &ex), nd = pc_hoststate_dynamic(hs, &dy);
  if (ne > PC_SNAPSHOT_MAX_RANGES) ne = PC_SNAPSHOT_MAX_RANGES;
  if (nd > PC_SNAPSHOT_MAX_RANGES) nd = PC_SNAPSHOT_MAX_RANGES;
  if (ne) {
    out->excluded = malloc(ne * sizeof *out->excluded);
    if (!out->excluded) return PC_ENOMEM;
    memcpy(out->excluded, ex, ne * sizeof *ex);
    out->n_excluded = ne;
    qsort(out->excluded, ne, sizeof *ex, cmp_excl);
  }
  if (nd) {
    out->dynamic = malloc(nd * sizeof *out->dynamic);
    if (!out->dynamic) {
      pc_range_snapshot_clear(out);
      return PC_ENOMEM;
    }
    memcpy(out->dynamic, dy, nd * sizeof *dy);
    out->n_dynamic = nd;
    qsort(out->dynamic, nd, sizeof *dy, cmp_dyn);
  }
  return PC_OK;
}

bool pc_range_snapshot_equal(const pc_range_snapshot *a, const pc_range_snapshot *b) {
  if (a->n_excluded != b->n_excluded || a->n_dynamic != b->n_dynamic) return false;
  for (size_t i = 0; i < a->n_excluded; i++)
    if (cmp_excl(&a->excluded[i], &b->excluded[i]) != 0) return false;
  for (size_t i = 0; i < a->n_dynamic; i++)
    if (cmp_dyn(&a->dynamic[i], &b->dynamic[i]) != 0) return false;
  return true;
}

/* The words of the state file (and of the diff's output) for protocols and families: one
 * table each, read and written alike. The last row ("any" = 0) is also what an unknown value
 * is written as. */
typedef struct word_value {
  const char *word;
  uint8_t value;
} word_value;
static const word_value k_protos[] = {{"tcp", PC_PROTO_TCP}, {"udp", PC_PROTO_UDP}, {"any", 0}};
static const word_value k_families[] = {{"ipv4", PC_AF_INET}, {"ipv6", PC_AF_INET6}, {"any", 0}};
#define N_WORDS 3
_Static_assert(sizeof k_protos / sizeof k_protos[0] == N_WORDS, "k_protos has N_WORDS rows");
_Static_assert(sizeof k_families / sizeof k_families[0] == N_WORDS, "k_families has N_WORDS rows");

static const char *word_for(const word_value *t, uint8_t v) {
  size_t i = 0;
  while (i < N_WORDS - 1 && t[i].value != v) i++;
  return t[i].word;
}
static bool value_for(const word_value *t, const char *word, uint8_t *out) {
  for (size_t i = 0; i < N_WORDS; i++)
    if (strcmp(t[i].word, word) == 0) {
      *out = t[i].value;
      return true;
    }
  return false;
}
static const char *proto_word(uint8_t p) {
  return word_for(k_protos, p);
}
static const char *family_word(uint8_t f) {
  return word_for(k_families, f);
}

int pc_range_snapshot_format(const pc_range_snapshot *s, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  size_t cap = 256 + (s->n_excluded + s->n_dynamic) * 64;
  char *buf = malloc(cap);
  if (!buf) return PC_ENOMEM;
  size_t n =
      (size_t)snprintf(buf, cap, "%s\nsource %s\ntaken %lld\nexcluded_known %d\n", HEADER,
                       s->source[0] ? s->source : "unknown", (long long)s->taken, s->excluded_known ? 1 : 0);
  for (size_t i = 0; i < s->n_excluded; i++) {
    const pc_port_range *r = &s->excluded[i];
    n += (size_t)snprintf(buf + n, cap - n, "excluded %u %u %s %s %s\n", (unsigned)r->start, (unsigned)r->end,
                          r->administered ? "administered" : "dynamic", proto_word(r->proto),
                          family_word(r->family));
  }
  for (size_t i = 0; i < s->n_dynamic; i++) {
    const pc_dynamic_range *r = &s->dynamic[i];
    n += (size_t)snprintf(buf + n, cap - n, "dynamic %u %lu %s %s\n", (unsigned)r->start,
                          (unsigned long)r->count, proto_word(r->proto), family_word(r->family));
  }
  *out = buf;
  *len = n;
  return PC_OK;
}

/* ---- parsing -------------------------------------------------------------------------------- */

#define MAX_TOKENS 8

/* Splits a line into blank-separated tokens (pointers into a copy). */
static size_t split(char *line, char **tok) {
  size_t n = 0;
  char *p = line;
  while (*p && n < MAX_TOKENS) {
    while (*p == ' ') p++;
    if (!*p) break;
    tok[n++] = p;
    while (*p && *p != ' ') p++;
    if (*p) *p++ = '\0';
  }
  while (*p == ' ') p++;
  return *p ? MAX_TOKENS + 1 : n; /* too many tokens */
}

static bool num(const char *s, uint64_t max, uint64_t *out) {
  return pc_parse_uint(s, strlen(s), max, false, out);
}

static int push(void **arr, size_t *n, size_t *cap, size_t size, const void *item) {
  int rc = pc_vec_reserve(arr, cap, *n + 1, size, PC_SNAPSHOT_MAX_RANGES);
  if (rc != PC_OK) return rc;
  memcpy((char *)*arr + *n * size, item, size);
  (*n)++;
  return PC_OK;
}

/* One line; returns a message on error (static text), NULL when fine. */
static const char *parse_line(char *line, pc_range_snapshot *s, size_t *cap_e, size_t *cap_d, int *rc) {
  char *t[MAX_TOKENS];
  size_t n = split(line, t);
  uint64_t a, b;
  *rc = PC_OK;
  if (n == 0) return NULL;
  if (strcmp(t[0], "source") == 0 && n == 2) {
    if (strlen(t[1]) >= sizeof s->source) return "source name too long";
    snprintf(s->source, sizeof s->source, "%s", t[1]);
  } else if (strcmp(t[0], "taken") == 0 && n == 2) {
    if (t[1][0] == '-' ? strcmp(t[1], "-9223372036854775808") != 0 : !num(t[1], INT64_MAX, &a))
      return "bad time";
    s->taken = t[1][0] == '-' ? PC_TIME_UNKNOWN : (pc_time)a;
  } else if (strcmp(t[0], "excluded_known") == 0 && n == 2) {
    if (!num(t[1], 1, &a)) return "excluded_known must be 0 or 1";
    s->excluded_known = a == 1;
  } else if (strcmp(t[0], "excluded") == 0 && n == 6) {
    pc_port_range r = {0};
    if (!num(t[1], 65535, &a) || !num(t[2], 65535, &b) || a > b) return "bad port range";
    r.start = (uint16_t)a;
    r.end = (uint16_t)b;
    if (strcmp(t[3], "administered") == 0)
      r.administered = true;
    else if (strcmp(t[3], "dynamic") != 0)
      return "expected 'administered' or 'dynamic'";
    if (!value_for(k_protos, t[4], &r.proto) || !value_for(k_families, t[5], &r.family))
      return "bad protocol or family";
    *rc = push((void **)&s->excluded, &s->n_excluded, cap_e, sizeof r, &r);
    if (*rc != PC_OK) return *rc == PC_ELIMIT ? "too many ranges" : "out of memory";
  } else if (strcmp(t[0], "dynamic") == 0 && n == 5) {
    pc_dynamic_range r = {0};
    if (!num(t[1], 65535, &a) || !num(t[2], 65536, &b) || b == 0 || a + b - 1 > 65535)
      return "bad dynamic range";
    r.start = (uint16_t)a;
    r.count = (uint32_t)b;
    if (!value_for(k_protos, t[3], &r.proto) || !value_for(k_families, t[4], &r.family))
      return "bad protocol or family";
    *rc = push((void **)&s->dynamic, &s->n_dynamic, cap_d, sizeof r, &r);
    if (*rc != PC_OK) return *rc == PC_ELIMIT ? "too many ranges" : "out of memory";
  } else {
    return "unknown line";
  }
  return NULL;
}

int pc_range_snapshot_parse(const char *text, size_t len, const char *origin, pc_range_snapshot *out,
                            char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  out->taken = PC_TIME_UNKNOWN;
  if (!origin) origin = "range snapshot";
  size_t cap_e = 0, cap_d = 0;
  pc_lines it;
  pc_lines_init(&it, text, len);
  const char *p;
  size_t ll;
  char line[512];
  while (pc_lines_next(&it, &p, &ll)) {
    unsigned lineno = it.no;
    const char *why = NULL;
    int rc = PC_ECORRUPT;
    if (ll >= sizeof line || memchr(p, '\0', ll)) {
      why = "line too long or binary";
    } else {
      memcpy(line, p, ll);
      line[ll] = '\0';
      if (lineno == 1) {
        if (strcmp(line, HEADER) != 0) why = "not a portclash range snapshot (expected '" HEADER "')";
      } else {
        why = parse_line(line, out, &cap_e, &cap_d, &rc);
      }
    }
    if (why) {
      snprintf(err, errcap, "%s:%u: %s", origin, lineno, why);
      pc_range_snapshot_clear(out);
      return rc == PC_ENOMEM ? PC_ENOMEM : PC_ECORRUPT;
    }
  }
  if (it.no == 0) {
    snprintf(err, errcap, "%s: empty file", origin);
    return PC_ECORRUPT;
  }
  if (out->n_excluded) qsort(out->excluded, out->n_excluded, sizeof *out->excluded, cmp_excl);
  if (out->n_dynamic) qsort(out->dynamic, out->n_dynamic, sizeof *out->dynamic, cmp_dyn);
  return PC_OK;
}

void pc_range_snapshot_file(const char *source, char *buf, size_t cap) {
  /* The back end name is ours ("linux", "offline", "windows"), but keep the file name safe. */
  char clean[32];
  size_t i = 0;
  for (; source && source[i] && i + 1 < sizeof clean; i++) {
    char c = source[i];
    clean[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ? c : '_';
  }
  clean[i] = '\0';
  snprintf(buf, cap, "ranges-%s.state", i ? clean : "unknown");
}

int pc_range_snapshot_load(const char *dir, const char *source, pc_range_snapshot *out, char *err,
                           size_t errcap) {
  memset(out, 0, sizeof *out);
  out->taken = PC_TIME_UNKNOWN;
  char name[64], origin[4096];
  pc_range_snapshot_file(source, name, sizeof name);
  char *text;
  size_t len;
  int rc = pc_state_load(dir, name, "ignoring it", origin, sizeof origin, &text, &len, err, errcap);
  if (rc != PC_OK) return rc;
  char why[512];
  rc = pc_range_snapshot_parse(text, len, origin, out, why, sizeof why);
  free(text);
  if (rc != PC_OK) snprintf(err, errcap, "%s; ignoring it (it is replaced by the next snapshot)", why);
  return rc;
}

int pc_range_snapshot_save(const char *dir, const pc_range_snapshot *s, char *err, size_t errcap) {
  char name[64];
  pc_range_snapshot_file(s->source, name, sizeof name);
  char *text = NULL;
  size_t len = 0;
  int rc = pc_range_snapshot_format(s, &text, &len);
  return pc_state_save(dir, name, rc, text, len, err, errcap);
}

/* ---- the diff -------------------------------------------------------------------------------- */

static bool excl_key_eq(const pc_port_range *a, const pc_port_range *b) {
  return a->start == b->start && a->end == b->end && a->proto == b->proto && a->family == b->family;
}

static const pc_port_range *find_excl(const pc_range_snapshot *s, const pc_port_range *r) {
  for (size_t i = 0; i < s->n_excluded; i++)
    if (excl_key_eq(&s->excluded[i], r)) return &s->excluded[i];
  return NULL;
}

static const pc_dynamic_range *find_dyn(const pc_range_snapshot *s, uint8_t proto, uint8_t family) {
  for (size_t i = 0; i < s->n_dynamic; i++)
    if (s->dynamic[i].proto == proto && s->dynamic[i].family == family) return &s->dynamic[i];
  return NULL;
}

typedef struct diff_out {
  FILE *out;
  pc_json_writer *json; /* NULL: text */
  size_t changes;
} diff_out;

static void json_excl(pc_json_writer *w, const pc_port_range *r) {
  pc_json_begin_object(w);
  pc_json_key_u64(w, "start", r->start);
  pc_json_key_u64(w, "end", r->end);
  pc_json_key_bool(w, "administered", r->administered);
  pc_json_key_str(w, "proto", proto_word(r->proto));
  pc_json_key_str(w, "family", family_word(r->family));
  pc_json_end_object(w);
}

static void text_excl(FILE *out, char mark, const pc_port_range *r, const char *tail) {
  fprintf(out, "  %c excluded %s %s %u-%u%s%s\n", mark, proto_word(r->proto), family_word(r->family),
          (unsigned)r->start, (unsigned)r->end, r->administered ? " administered" : "", tail);
}

/* Added (in b, not in a) or removed (in a, not in b) excluded ranges. */
static void excluded_only_in(diff_out *d, const pc_range_snapshot *a, const pc_range_snapshot *b, char mark) {
  for (size_t i = 0; i < b->n_excluded; i++) {
    if (find_excl(a, &b->excluded[i])) continue;
    d->changes++;
    if (d->json) {
      json_excl(d->json, &b->excluded[i]);
    } else {
      text_excl(d->out, mark, &b->excluded[i], "");
    }
  }
}

static void excluded_changed(diff_out *d, const pc_range_snapshot *was, const pc_range_snapshot *now) {
  for (size_t i = 0; i < now->n_excluded; i++) {
    const pc_port_range *old = find_excl(was, &now->excluded[i]);
    if (!old || old->administered == now->excluded[i].administered) continue;
    d->changes++;
    if (d->json) {
      json_excl(d->json, &now->excluded[i]);
    } else {
      text_excl(d->out, '~', &now->excluded[i],
                now->excluded[i].administered ? " (now administered, was not)" : " (no longer administered)");
    }
  }
}

static void json_dyn(pc_json_writer *w, const char *key, const pc_dynamic_range *r) {
  pc_json_key(w, key);
  if (!r) {
    pc_json_null(w);
    return;
  }
  pc_json_begin_object(w);
  pc_json_key_u64(w, "start", r->start);
  pc_json_key_u64(w, "end", (uint64_t)r->start + r->count - 1);
  pc_json_end_object(w);
}

static void dynamic_changes(diff_out *d, const pc_range_snapshot *was, const pc_range_snapshot *now) {
  /* Keys present in either snapshot, each once. */
  for (int pass = 0; pass < 2; pass++) {
    const pc_range_snapshot *s = pass == 0 ? now : was;
    for (size_t i = 0; i < s->n_dynamic; i++) {
      const pc_dynamic_range *r = &s->dynamic[i];
      if (pass == 1 && find_dyn(now, r->proto, r->family)) continue; /* seen in pass 0 */
      const pc_dynamic_range *before = find_dyn(was, r->proto, r->family);
      const pc_dynamic_range *after = find_dyn(now, r->proto, r->family);
      if (before && after && before->start == after->start && before->count == after->count) continue;
      d->changes++;
      if (d->json) {
        pc_json_begin_object(d->json);
        pc_json_key_str(d->json, "proto", proto_word(r->proto));
        pc_json_key_str(d->json, "family", family_word(r->family));
        json_dyn(d->json, "before", before);
        json_dyn(d->json, "after", after);
        pc_json_end_object(d->json);
      } else {
        fprintf(d->out, "  ~ dynamic %s %s: ", proto_word(r->proto), family_word(r->family));
        if (before)
          fprintf(d->out, "%u-%lu", (unsigned)before->start,
                  (unsigned long)(before->start + before->count - 1));
        else
          fputs("(none)", d->out);
        fputs(" -> ", d->out);
        if (after)
          fprintf(d->out, "%u-%lu\n", (unsigned)after->start,
                  (unsigned long)(after->start + after->count - 1));
        else
          fputs("(none)\n", d->out);
      }
    }
  }
}

static pc_time wall_now(void) {
  return pc_time_from_unix((int64_t)time(NULL), 0);
}

static int resolve_dir(const char *state_dir, char *buf, size_t cap) {
  if (state_dir && state_dir[0]) {
    snprintf(buf, cap, "%s", state_dir);
    return PC_OK;
  }
  return pc_state_dir_default(buf, cap);
}

int pc_ranges_snapshot_update(pc_hoststate *hs, const char *state_dir, pc_time now) {
  char dir[4096], err[512];
  int rc = resolve_dir(state_dir, dir, sizeof dir);
  if (rc != PC_OK) return rc;
  pc_range_snapshot s;
  rc = pc_range_snapshot_take(hs, now, &s);
  if (rc == PC_OK) rc = pc_range_snapshot_save(dir, &s, err, sizeof err);
  pc_range_snapshot_clear(&s);
  return rc;
}

int pc_ranges_diff(pc_hoststate *hs, const char *state_dir, bool json, FILE *out, FILE *err) {
  return pc_ranges_diff_at(hs, state_dir, json, wall_now(), out, err);
}

int pc_ranges_diff_at(pc_hoststate *hs, const char *state_dir, bool json, pc_time now, FILE *out, FILE *err) {
  char dir[4096], msg[1024];
  if (resolve_dir(state_dir, dir, sizeof dir) != PC_OK) {
    fprintf(err, "portclash ranges: no state directory: set PC_STATE_DIR (or HOME / XDG_STATE_HOME)\n");
    return 1;
  }
  pc_range_snapshot cur, was;
  if (pc_range_snapshot_take(hs, now, &cur) != PC_OK) {
    fprintf(err, "portclash ranges: out of memory\n");
    return 1;
  }
  int lrc = pc_range_snapshot_load(dir, cur.source, &was, msg, sizeof msg);
  if (lrc != PC_OK && lrc != PC_ENOENT) fprintf(err, "portclash ranges: warning: %s\n", msg);
  bool have = lrc == PC_OK;
  char since[40] = "";
  if (have) pc_time_format_rfc3339(was.taken, since, sizeof since);

  pc_json_writer w;
  pc_json_init(&w, out);
  diff_out d = {.out = out, .json = json ? &w : NULL};
  if (json) {
    pc_json_begin_object(&w);
    pc_json_key_str(&w, "source", cur.source);
    pc_json_key_str(&w, "since", since[0] ? since : NULL);
    pc_json_key(&w, "now");
    pc_json_time(&w, now);
    pc_json_key_bool(&w, "first_run", !have);
    const char *keys[3] = {"excluded_added", "excluded_removed", "excluded_changed"};
    for (int k = 0; k < 3; k++) {
      pc_json_key(&w, keys[k]);
      pc_json_begin_array(&w);
      if (have && k == 0) excluded_only_in(&d, &was, &cur, '+');
      if (have && k == 1) excluded_only_in(&d, &cur, &was, '-');
      if (have && k == 2) excluded_changed(&d, &was, &cur);
      pc_json_end_array(&w);
    }
    pc_json_key(&w, "dynamic_changed");
    pc_json_begin_array(&w);
    if (have) dynamic_changes(&d, &was, &cur);
    pc_json_end_array(&w);
    pc_json_key_u64(&w, "changes", d.changes);
    pc_json_end_object(&w);
    pc_json_end_document(&w);
  } else if (!have) {
    fprintf(out, "No earlier snapshot of the %s ranges: this one is the baseline for the next --diff.\n",
            cur.source);
  } else {
    fprintf(out, "Ranges (%s) since %s:\n", cur.source, since[0] ? since : "an unknown time");
    excluded_only_in(&d, &was, &cur, '+');
    excluded_only_in(&d, &cur, &was, '-');
    excluded_changed(&d, &was, &cur);
    dynamic_changes(&d, &was, &cur);
    if (d.changes == 0) fputs("  no changes\n", out);
    if (was.excluded_known != cur.excluded_known)
      fprintf(out, "  note: the excluded ranges were %s then and %s now\n",
              was.excluded_known ? "read" : "not read", cur.excluded_known ? "read" : "not read");
  }
  int code = 0;
  if (pc_range_snapshot_save(dir, &cur, msg, sizeof msg) != PC_OK) {
    fprintf(err, "portclash ranges: cannot save the snapshot: %s\n", msg);
    code = 1;
  }
  pc_range_snapshot_clear(&cur);
  pc_range_snapshot_clear(&was);
  return code;
}
