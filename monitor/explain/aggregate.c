/* aggregate.c - the dedup window: a hash table of entries, also linked in order of
 * creation, so expiry and eviction look only at the oldest entries. */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

typedef struct entry {
  struct entry *hnext;         /* hash chain */
  struct entry *older, *newer; /* creation order */
  uint64_t hash;
  pc_time start;    /* event time the window opened */
  uint64_t repeats; /* occurrences not yet emitted (emit_first mode) */
  pc_finding f;     /* strings point into this entry's own allocation */
} entry;

struct pc_aggregator {
  pc_aggregator_options o;
  pc_agg_emit_fn emit;
  void *ud;
  entry **buckets;
  size_t nbuckets; /* power of two */
  entry *oldest, *newest;
  pc_time last_now; /* newest known event time, for findings that come without one */
  pc_agg_stats st;
};

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull; /* FNV-1a */
  return h;
}

static uint64_t mix_str(uint64_t h, const char *s) {
  if (!s) return mix(h, "\xff", 1); /* NULL and "" must differ */
  return mix(h, s, strlen(s) + 1);
}

static uint64_t key_hash(const pc_finding *f) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = mix_str(h, f->event);
  h = mix_str(h, f->address);
  h = mix_str(h, f->proto);
  h = mix_str(h, f->rule_id);
  uint32_t nums[6] = {f->pid_known,   f->pid_known ? f->pid : 0,
                      f->port_known,  f->port_known ? f->port : 0,
                      f->error_known, f->error_known ? f->error : 0};
  return mix(h, nums, sizeof nums);
}

static bool str_eq(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_key(const pc_finding *a, const pc_finding *b) {
  return a->pid_known == b->pid_known && (!a->pid_known || a->pid == b->pid) &&
         a->port_known == b->port_known && (!a->port_known || a->port == b->port) &&
         a->error_known == b->error_known && (!a->error_known || a->error == b->error) &&
         str_eq(a->event, b->event) && str_eq(a->address, b->address) && str_eq(a->proto, b->proto) &&
         str_eq(a->rule_id, b->rule_id);
}

pc_err pc_aggregator_create(const pc_aggregator_options *o, pc_agg_emit_fn emit, void *ud,
                            pc_aggregator **out) {
  *out = NULL;
  pc_aggregator *a = calloc(1, sizeof *a);
  if (!a) return PC_ENOMEM;
  if (o) a->o = *o;
  if (a->o.window == 0) a->o.window = PC_AGG_DEFAULT_WINDOW;
  if (a->o.max_entries == 0) a->o.max_entries = PC_AGG_DEFAULT_MAX_ENTRIES;
  a->nbuckets = 16;
  while (a->nbuckets < a->o.max_entries) a->nbuckets *= 2;
  a->buckets = calloc(a->nbuckets, sizeof *a->buckets);
  if (!a->buckets) {
    free(a);
    return PC_ENOMEM;
  }
  a->emit = emit;
  a->ud = ud;
  a->last_now = PC_TIME_UNKNOWN;
  *out = a;
  return PC_OK;
}

/* One allocation per entry: the entry, the fixes array, then every string. */
static entry *copy_entry(const pc_finding *f) {
  const char *const strs[] = {f->host,    f->os,       f->event,       f->error_name,
                              f->proto,   f->address,  f->process,     f->owner_process,
                              f->rule_id, f->severity, f->explanation, f->source};
  enum { NSTR = sizeof strs / sizeof strs[0] };
  size_t fixes = f->fixes ? f->fix_count : 0;
  size_t size = sizeof(entry) + fixes * sizeof(char *);
  for (size_t i = 0; i < NSTR; i++)
    if (strs[i]) size += strlen(strs[i]) + 1;
  for (size_t i = 0; i < fixes; i++)
    if (f->fixes[i]) size += strlen(f->fixes[i]) + 1;
  entry *e = malloc(size);
  if (!e) return NULL;
  memset(e, 0, sizeof *e);
  e->f = *f;
  const char **fx = (const char **)(e + 1);
  char *p = (char *)(fx + fixes);
  const char *copies[NSTR];
  for (size_t i = 0; i < NSTR; i++) {
    copies[i] = NULL;
    if (strs[i]) {
      size_t n = strlen(strs[i]) + 1;
      memcpy(p, strs[i], n);
      copies[i] = p;
      p += n;
    }
  }
  for (size_t i = 0; i < fixes; i++) {
    fx[i] = NULL;
    if (f->fixes[i]) {
      size_t n = strlen(f->fixes[i]) + 1;
      memcpy(p, f->fixes[i], n);
      fx[i] = p;
      p += n;
    }
  }
  e->f.host = copies[0];
  e->f.os = copies[1];
  e->f.event = copies[2];
  e->f.error_name = copies[3];
  e->f.proto = copies[4];
  e->f.address = copies[5];
  e->f.process = copies[6];
  e->f.owner_process = copies[7];
  e->f.rule_id = copies[8];
  e->f.severity = copies[9];
  e->f.explanation = copies[10];
  e->f.source = copies[11];
  e->f.fixes = f->fixes ? (const char *const *)fx : NULL;
  e->f.fix_count = fixes;
  return e;
}

static void unlink_entry(pc_aggregator *a, entry *e) {
  entry **pp = &a->buckets[e->hash & (a->nbuckets - 1)];
  while (*pp != e) pp = &(*pp)->hnext;
  *pp = e->hnext;
  if (e->older)
    e->older->newer = e->newer;
  else
    a->oldest = e->newer;
  if (e->newer)
    e->newer->older = e->older;
  else
    a->newest = e->older;
  a->st.entries--;
}

/* Emits e (unless emit_first already showed everything) and frees it. */
static void retire(pc_aggregator *a, entry *e) {
  unlink_entry(a, e);
  if (!a->o.emit_first) {
    a->emit(a->ud, &e->f);
    a->st.emitted++;
  } else if (e->repeats) {
    e->f.count = e->repeats;
    a->emit(a->ud, &e->f);
    a->st.emitted++;
  }
  free(e);
}

void pc_aggregator_advance(pc_aggregator *a, pc_time now) {
  if (now == PC_TIME_UNKNOWN) return;
  if (a->last_now == PC_TIME_UNKNOWN || now > a->last_now) a->last_now = now;
  /* Entries are in creation order, and every window has the same length, so the first
   * entry that has not expired ends the scan. */
  while (a->oldest && now - a->oldest->start >= a->o.window) retire(a, a->oldest);
}

pc_err pc_aggregator_add(pc_aggregator *a, const pc_finding *f, pc_time now) {
  a->st.added++;
  uint64_t n = f->count ? f->count : 1;
  if (a->o.window < 0) {
    a->emit(a->ud, f);
    a->st.emitted++;
    return PC_OK;
  }
  pc_aggregator_advance(a, now);
  if (now == PC_TIME_UNKNOWN) now = a->last_now == PC_TIME_UNKNOWN ? 0 : a->last_now;
  uint64_t h = key_hash(f);
  for (entry *e = a->buckets[h & (a->nbuckets - 1)]; e; e = e->hnext) {
    if (e->hash != h || !same_key(&e->f, f)) continue;
    e->f.count += n;
    e->repeats += n;
    pc_time last = f->ts_last != PC_TIME_UNKNOWN ? f->ts_last : f->ts;
    if (last != PC_TIME_UNKNOWN && (e->f.ts_last == PC_TIME_UNKNOWN || last > e->f.ts_last))
      e->f.ts_last = last;
    if (f->ts != PC_TIME_UNKNOWN && (e->f.ts == PC_TIME_UNKNOWN || f->ts < e->f.ts)) e->f.ts = f->ts;
    return PC_OK;
  }
  if (a->st.entries >= a->o.max_entries) {
    a->st.evictions++;
    retire(a, a->oldest);
  }
  entry *e = copy_entry(f);
  if (!e) {
    a->emit(a->ud, f); /* better unaggregated than lost */
    a->st.emitted++;
    return PC_ENOMEM;
  }
  e->hash = h;
  e->start = now;
  e->f.count = n;
  if (e->f.ts_last == PC_TIME_UNKNOWN || (e->f.ts != PC_TIME_UNKNOWN && e->f.ts_last < e->f.ts))
    e->f.ts_last = e->f.ts;
  size_t b = h & (a->nbuckets - 1);
  e->hnext = a->buckets[b];
  a->buckets[b] = e;
  e->older = a->newest;
  if (a->newest)
    a->newest->newer = e;
  else
    a->oldest = e;
  a->newest = e;
  a->st.entries++;
  if (a->o.emit_first) {
    a->emit(a->ud, &e->f);
    a->st.emitted++;
    e->f.count = 0; /* from now on count what the window adds */
  }
  return PC_OK;
}

void pc_aggregator_flush(pc_aggregator *a) {
  while (a->oldest) retire(a, a->oldest);
}

void pc_aggregator_stats(const pc_aggregator *a, pc_agg_stats *st) {
  *st = a->st;
}

void pc_aggregator_free(pc_aggregator *a) {
  if (!a) return;
  while (a->oldest) {
    entry *e = a->oldest;
    a->oldest = e->newer;
    free(e);
  }
  free(a->buckets);
  free(a);
}
