/* aggregate.c - the dedup window: a hash table of entries, also linked in order of
 * creation, so expiry and eviction look only at the oldest entries. An entry is keyed
 * either by its finding (pc_aggregator_add) or by the failure it explains
 * (pc_aggregator_add_explained), so that repeats are counted without being explained. */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

/* What makes two failures identical before they are explained: the failing process (pid and
 * start key, which tells PID reuse apart), the address and port, proto, error and stage,
 * and the holder the event stream showed (explain.c uses it beyond host state). Unknown
 * fields are zero, their flag clear. */
enum {
  K_PID = 1u << 0,
  K_ADDR = 1u << 1,
  K_ERROR = 1u << 2,
  K_ERRNO = 1u << 3,
  K_HOLDER = 1u << 4,
  K_HOLDER_PID = 1u << 5
};
typedef struct akey {
  uint32_t pid;
  uint64_t start_key;
  pc_addr local;
  uint32_t error;
  uint32_t holder_pid;
  uint8_t proto, stage, flags;
} akey;

typedef struct entry {
  struct entry *hnext;         /* hash chain */
  struct entry *older, *newer; /* creation order */
  uint64_t hash;
  pc_time start;    /* event time the window opened */
  uint64_t repeats; /* occurrences not yet emitted (emit_first mode) */
  bool by_attempt;  /* keyed by k (the failure), not by f */
  akey k;
  pc_finding f; /* strings point into this entry's own allocation */
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

static akey attempt_key(const pc_bind_attempt *at) {
  akey k;
  memset(&k, 0, sizeof k);
  k.flags = (uint8_t)((at->pid_known ? K_PID : 0) | (at->addr_known ? K_ADDR : 0) |
                      (at->error_known ? K_ERROR : 0) | (at->error_is_errno ? K_ERRNO : 0) |
                      (at->holder_known ? K_HOLDER : 0) | (at->holder_pid_known ? K_HOLDER_PID : 0));
  if (at->pid_known) {
    k.pid = at->pid;
    k.start_key = at->start_key;
  }
  if (at->addr_known) {
    k.local.family = at->local.family;
    k.local.port = at->local.port;
    k.local.scope_id = at->local.scope_id;
    memcpy(k.local.bytes, at->local.bytes, sizeof k.local.bytes);
  }
  if (at->error_known) k.error = at->error;
  if (at->holder_pid_known) k.holder_pid = at->holder_pid;
  k.proto = at->proto;
  k.stage = at->stage;
  return k;
}

/* Field by field: a struct's padding is not part of its value. */
static uint64_t akey_hash(const akey *k) {
  uint64_t h = 0x84222325cbf29ce4ull; /* not key_hash's seed: the two kinds of key stay apart */
  h = mix(h, &k->pid, sizeof k->pid);
  h = mix(h, &k->start_key, sizeof k->start_key);
  h = mix(h, &k->local.family, sizeof k->local.family);
  h = mix(h, &k->local.port, sizeof k->local.port);
  h = mix(h, &k->local.scope_id, sizeof k->local.scope_id);
  h = mix(h, k->local.bytes, sizeof k->local.bytes);
  h = mix(h, &k->error, sizeof k->error);
  h = mix(h, &k->holder_pid, sizeof k->holder_pid);
  uint8_t small[3] = {k->proto, k->stage, k->flags};
  return mix(h, small, sizeof small);
}

static bool akey_eq(const akey *a, const akey *b) {
  return a->pid == b->pid && a->start_key == b->start_key && a->local.family == b->local.family &&
         a->local.port == b->local.port && a->local.scope_id == b->local.scope_id &&
         memcmp(a->local.bytes, b->local.bytes, sizeof a->local.bytes) == 0 && a->error == b->error &&
         a->holder_pid == b->holder_pid && a->proto == b->proto && a->stage == b->stage &&
         a->flags == b->flags;
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

/* Copies s to *p and moves *p past it; NULL stays NULL. */
static const char *put_string(char **p, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *copy = memcpy(*p, s, n);
  *p += n;
  return copy;
}

/* One allocation per entry: the entry, the fixes array, then every string. */
static entry *copy_entry(const pc_finding *f) {
  pc_finding c = *f;
  const char **strs[] = {&c.host,    &c.os,       &c.event,       &c.error_name,
                         &c.proto,   &c.address,  &c.process,     &c.owner_process,
                         &c.rule_id, &c.severity, &c.explanation, &c.source};
  enum { NSTR = sizeof strs / sizeof strs[0] };
  size_t fixes = f->fixes ? f->fix_count : 0;
  size_t size = sizeof(entry) + fixes * sizeof(char *);
  for (size_t i = 0; i < NSTR; i++)
    if (*strs[i]) size += strlen(*strs[i]) + 1;
  for (size_t i = 0; i < fixes; i++)
    if (f->fixes[i]) size += strlen(f->fixes[i]) + 1;
  entry *e = malloc(size);
  if (!e) return NULL;
  memset(e, 0, sizeof *e);
  const char **fx = (const char **)(e + 1);
  char *p = (char *)(fx + fixes);
  for (size_t i = 0; i < NSTR; i++) *strs[i] = put_string(&p, *strs[i]);
  for (size_t i = 0; i < fixes; i++) fx[i] = put_string(&p, f->fixes[i]);
  c.fixes = f->fixes ? (const char *const *)fx : NULL;
  c.fix_count = fixes;
  e->f = c;
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

/* Adds n occurrences from first to last (event times, either unknown) to e. */
static void merge(entry *e, uint64_t n, pc_time first, pc_time last) {
  e->f.count += n;
  e->repeats += n;
  if (last == PC_TIME_UNKNOWN) last = first;
  if (last != PC_TIME_UNKNOWN && (e->f.ts_last == PC_TIME_UNKNOWN || last > e->f.ts_last))
    e->f.ts_last = last;
  if (first != PC_TIME_UNKNOWN && (e->f.ts == PC_TIME_UNKNOWN || first < e->f.ts)) e->f.ts = first;
}

/* Emits what expired at now; returns the time a new window opens at. */
static pc_time open_time(pc_aggregator *a, pc_time now) {
  pc_aggregator_advance(a, now);
  if (now == PC_TIME_UNKNOWN) now = a->last_now == PC_TIME_UNKNOWN ? 0 : a->last_now;
  return now;
}

/* Starts the entry of f (hash h; keyed by *k when k is not NULL) at now. */
static pc_err insert(pc_aggregator *a, const pc_finding *f, uint64_t h, const akey *k, pc_time now) {
  uint64_t n = f->count ? f->count : 1;
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
  if (k) {
    e->by_attempt = true;
    e->k = *k;
  }
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

/* Counts f as added; in pass-through mode (window < 0) emits it and returns true. */
static bool added(pc_aggregator *a, const pc_finding *f) {
  a->st.added++;
  if (a->o.window >= 0) return false;
  a->emit(a->ud, f);
  a->st.emitted++;
  return true;
}

pc_err pc_aggregator_add(pc_aggregator *a, const pc_finding *f, pc_time now) {
  if (added(a, f)) return PC_OK;
  now = open_time(a, now);
  uint64_t h = key_hash(f);
  for (entry *e = a->buckets[h & (a->nbuckets - 1)]; e; e = e->hnext) {
    if (e->hash != h || e->by_attempt || !same_key(&e->f, f)) continue;
    merge(e, f->count ? f->count : 1, f->ts, f->ts_last);
    return PC_OK;
  }
  return insert(a, f, h, NULL, now);
}

/* The event time of at's last failure: its own time, or, when it stands for repeats counted
 * before it reached us, the last of them. */
static pc_time attempt_last(const pc_bind_attempt *at) {
  return at->repeats > 1 && at->ts_last != PC_TIME_UNKNOWN ? at->ts_last : at->ts_first;
}

bool pc_aggregator_count(pc_aggregator *a, const pc_bind_attempt *at, pc_time now) {
  if (a->o.window < 0) return false;
  (void)open_time(a, now);
  akey k = attempt_key(at);
  uint64_t h = akey_hash(&k);
  for (entry *e = a->buckets[h & (a->nbuckets - 1)]; e; e = e->hnext) {
    if (e->hash != h || !e->by_attempt || !akey_eq(&e->k, &k)) continue;
    uint64_t n = at->repeats > 1 ? at->repeats : 1;
    merge(e, n, at->ts_first, attempt_last(at));
    a->st.counted += n;
    return true;
  }
  return false;
}

pc_err pc_aggregator_add_explained(pc_aggregator *a, const pc_bind_attempt *at, const pc_finding *f,
                                   pc_time now) {
  if (added(a, f)) return PC_OK;
  now = open_time(a, now);
  akey k = attempt_key(at);
  return insert(a, f, akey_hash(&k), &k, now);
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
