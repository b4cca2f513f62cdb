/* watch.c - the port_at_risk detector (pc_watch.h).
 *
 * "Ports of interest" are kept as two bitmaps per protocol (watched, learned), so every
 * question "does this change touch a port we care about" is a bit test, whatever the size
 * of the watch list; a range change is then checked port by port over the ports of interest
 * only when the snapshot really differs. */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "ranges_diff.h"
#include "pc_os.h"
#include "pc_watch.h"

#define NPROTO 2 /* index 0 tcp, 1 udp */
#define BITMAP_BYTES (65536 / 8)
#define RECENT_RESERVATIONS 32

typedef struct recent_range {
  uint8_t proto; /* 0 = both */
  uint16_t start, end;
  bool used;
} recent_range;

struct pc_watcher {
  pc_watcher_options o;
  char state_dir[4096];
  bool persist;
  FILE *warn;
  pc_risk_emitter em;
  pc_learned *learned;
  uint8_t watched[NPROTO][BITMAP_BYTES];
  uint8_t learned_bits[NPROTO][BITMAP_BYTES];
  bool learned_bits_stale;

  pc_range_snapshot prev;
  bool have_prev;
  bool prev_saved; /* prev is what the state file holds */
  uint8_t os;      /* pc_os of the polled host state (or of the options) */
  bool ranges_stale;

  recent_range recent[RECENT_RESERVATIONS];
  unsigned recent_next;

  unsigned cursor_proto; /* owner lookups resume here */
  uint32_t cursor_port;

  size_t budget_left; /* findings still allowed in the current event or poll */
  pc_watcher_stats stats;
};

static int proto_index(uint8_t proto) {
  return proto == PC_PROTO_TCP ? 0 : proto == PC_PROTO_UDP ? 1 : -1;
}
static uint8_t index_proto(int i) {
  return i == 0 ? PC_PROTO_TCP : PC_PROTO_UDP;
}

static bool bit(const uint8_t *map, uint16_t port) {
  return (map[port >> 3] >> (port & 7)) & 1u;
}
static void set_bit(uint8_t *map, uint16_t port) {
  map[port >> 3] = (uint8_t)(map[port >> 3] | (1u << (port & 7)));
}

static uint8_t os_id(const char *os) {
  if (!os) return PC_OS_UNKNOWN;
  if (strcmp(os, "windows") == 0) return PC_OS_WINDOWS;
  if (strcmp(os, "linux") == 0) return PC_OS_LINUX;
  return PC_OS_UNKNOWN;
}

static void warnf(pc_watcher *w, const char *msg) {
  fprintf(w->warn, "portclash: warning: %s\n", msg);
  fflush(w->warn);
}

void pc_watcher_options_init(pc_watcher_options *o) {
  memset(o, 0, sizeof *o);
  o->learn = true;
  o->persist = true;
}

/* ---- ports of interest --------------------------------------------------------------------- */

static void rebuild_learned_bits(pc_watcher *w) {
  memset(w->learned_bits, 0, sizeof w->learned_bits);
  size_t n = pc_learned_count(w->learned);
  for (size_t i = 0; i < n; i++) {
    const pc_learned_port *e = pc_learned_at(w->learned, i);
    int pi = proto_index(e->proto);
    if (pi >= 0) set_bit(w->learned_bits[pi], e->port);
  }
  w->learned_bits_stale = false;
}

static bool is_watched(const pc_watcher *w, int pi, uint16_t port) {
  return bit(w->watched[pi], port);
}

static bool is_interesting(pc_watcher *w, int pi, uint16_t port) {
  if (port == 0) return false;
  if (is_watched(w, pi, port)) return true;
  if (!w->o.learn) return false;
  if (w->learned_bits_stale) rebuild_learned_bits(w);
  return bit(w->learned_bits[pi], port);
}

/* ---- creation ------------------------------------------------------------------------------- */

int pc_watcher_new(const pc_watcher_options *o, pc_finding_fn emit, void *ud, pc_watcher **out) {
  *out = NULL;
  if (!o || !o->rules || !emit) return PC_EINVAL;
  pc_watcher *w = calloc(1, sizeof *w);
  if (!w) return PC_ENOMEM;
  w->o = *o;
  w->warn = o->warn ? o->warn : stderr;
  w->o.state_dir = NULL; /* copied below; the caller's string need not outlive us */
  if (pc_learned_new(o->learned_cap, &w->learned) != PC_OK) {
    free(w);
    return PC_ENOMEM;
  }
  pc_risk_emitter_init(&w->em, o->rules, o->host, o->os, o->source, emit, ud);
  w->os = o->os ? os_id(o->os) : o->hoststate ? pc_hoststate_os(o->hoststate) : PC_OS_UNKNOWN;
  w->prev.taken = PC_TIME_UNKNOWN;

  size_t n = pc_watch_count(o->watch);
  const pc_watch_entry *e = pc_watch_entries(o->watch);
  for (size_t i = 0; i < n; i++)
    for (uint32_t p = e[i].lo; p <= e[i].hi; p++) {
      if (e[i].protos & PC_WATCH_TCP) set_bit(w->watched[0], (uint16_t)p);
      if (e[i].protos & PC_WATCH_UDP) set_bit(w->watched[1], (uint16_t)p);
    }

  w->persist = o->persist;
  if (w->persist) {
    int rc = o->state_dir && o->state_dir[0]
                 ? (snprintf(w->state_dir, sizeof w->state_dir, "%s", o->state_dir) < (int)sizeof w->state_dir
                        ? PC_OK
                        : PC_EOVERFLOW)
                 : pc_state_dir_default(w->state_dir, sizeof w->state_dir);
    if (rc != PC_OK) {
      warnf(w,
            "no state directory (set PC_STATE_DIR): learned ports and range snapshots are not kept across "
            "runs");
      w->persist = false;
      w->stats.state_errors++;
    }
  }
  if (w->persist && o->learn) {
    char err[PC_LEARNED_ERR_MAX + 64];
    if (pc_learned_load(w->learned, w->state_dir, err, sizeof err) != PC_OK) {
      warnf(w, err);
      w->stats.state_errors++;
    }
  }
  w->learned_bits_stale = true;
  *out = w;
  return PC_OK;
}

int pc_watcher_save(pc_watcher *w) {
  if (!w || !w->persist || !w->o.learn || !pc_learned_dirty(w->learned)) return PC_OK;
  char err[PC_LEARNED_ERR_MAX];
  int rc = pc_learned_save(w->learned, w->state_dir, err, sizeof err);
  if (rc != PC_OK) {
    char msg[PC_LEARNED_ERR_MAX + 64];
    snprintf(msg, sizeof msg, "cannot save the learned ports: %s", err);
    warnf(w, msg);
    w->stats.state_errors++;
  }
  return rc;
}

void pc_watcher_free(pc_watcher *w) {
  if (!w) return;
  (void)pc_watcher_save(w);
  pc_range_snapshot_clear(&w->prev);
  pc_learned_free(w->learned);
  pc_risk_emitter_free(&w->em);
  free(w);
}

void pc_watcher_set_hoststate(pc_watcher *w, pc_hoststate *hs) {
  if (!w) return;
  w->o.hoststate = hs;
  if (!w->o.os && hs) w->os = pc_hoststate_os(hs);
}

bool pc_watcher_ranges_stale(const pc_watcher *w) {
  return w && w->ranges_stale;
}

const pc_learned *pc_watcher_learned(const pc_watcher *w) {
  return w ? w->learned : NULL;
}

void pc_watcher_get_stats(const pc_watcher *w, pc_watcher_stats *out) {
  *out = w->stats;
}

/* ---- findings -------------------------------------------------------------------------------- */

/* Facts common to every warning about (proto, port); proto 0 = TCP and UDP alike. */
static void base_facts(pc_watcher *w, pc_facts *f, uint8_t proto, uint16_t port, uint8_t reason) {
  pc_rules_facts_init(f);
  f->attempt.failed = false; /* nothing failed (yet) */
  f->attempt.proto = proto;
  f->attempt.local.port = port;
  f->attempt.addr_known = true;
  f->os = w->os;
  f->event_kind = PC_FACTS_PORT_AT_RISK;
  f->risk_reason = reason;
  const pc_learned_port *prev = NULL;
  for (int pi = 0; pi < NPROTO; pi++) {
    if (proto && index_proto(pi) != proto) continue;
    if (is_watched(w, pi, port)) f->watched = true;
    if (!prev) prev = pc_learned_find(w->learned, index_proto(pi), port);
  }
  if (prev) {
    f->previous_known = true;
    f->previous_pid = prev->pid;
    snprintf(f->previous_process, sizeof f->previous_process, "%s", prev->process);
  }
  if (w->have_prev) f->ranges_known = w->prev.excluded_known;
}

static void emit(pc_watcher *w, const pc_facts *f, pc_time ts) {
  if (w->budget_left == 0) {
    w->stats.suppressed++;
    return;
  }
  w->budget_left--;
  if (pc_risk_emit(&w->em, f, ts) == PC_OK) w->stats.findings++;
}

static void fill_process(pc_hoststate *hs, uint32_t pid, char *name, size_t cap) {
  name[0] = '\0';
  if (!hs || pid == 0) return;
  pc_process_info pi;
  if (pc_hoststate_process(hs, pid, &pi) == PC_OK && pi.name[0]) snprintf(name, cap, "%s", pi.name);
}

/* ---- new holders ------------------------------------------------------------------------------ */

static int ascii_casecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int ca = (unsigned char)*a, cb = (unsigned char)*b;
    if (ca >= 'A' && ca <= 'Z') ca += 'a' - 'A';
    if (cb >= 'A' && cb <= 'Z') cb += 'a' - 'A';
    if (ca != cb || !ca) return ca - cb;
  }
}

/* The same program as the learned holder: by name when both names are known (a restart gets
 * a new PID; Windows image names are case-insensitive), else by PID. */
static bool same_holder(const pc_learned_port *prev, uint32_t pid, const char *name) {
  if (prev->process[0] && name[0]) return ascii_casecmp(prev->process, name) == 0;
  return prev->pid != 0 && prev->pid == pid;
}

typedef struct holder {
  uint32_t pid;
  char name[PC_NAME_MAX];
  pc_addr addr;
  bool addr_known;
  uint8_t state; /* pc_owner_state */
  bool kernel;
} holder;

static void observe(pc_watcher *w, uint8_t proto, uint16_t port, const holder *h, pc_time ts) {
  int pi = proto_index(proto);
  if (pi < 0 || port == 0) return;
  /* A socket of another user or namespace: nobody to compare or remember. */
  if (h->pid == 0 && !h->name[0]) return;
  w->stats.observations++;
  bool watched = is_watched(w, pi, port);
  if (!watched && !w->o.learn) return;
  const pc_learned_port *prev = pc_learned_find(w->learned, proto, port);
  if (prev && same_holder(prev, h->pid, h->name)) {
    (void)pc_learned_record(w->learned, proto, port, h->pid, h->name, ts);
    return;
  }
  if (prev || watched) {
    pc_facts f;
    base_facts(w, &f, proto, port, PC_RISK_NEW_HOLDER);
    f.owner_known = true;
    f.owner_pid = h->pid;
    snprintf(f.owner_name, sizeof f.owner_name, "%s", h->name);
    if (h->addr_known) f.owner_addr = h->addr;
    f.owner_state = h->state;
    f.owner_kernel = h->kernel;
    f.owners_known = true;
    emit(w, &f, ts);
  }
  /* Without learning the store still remembers the holders of watched ports (in memory
   * only), so the same listener is reported once, not on every poll. */
  if (pc_learned_record(w->learned, proto, port, h->pid, h->name, ts) == PC_OK) w->learned_bits_stale = true;
}

/* ---- events and attempts -------------------------------------------------------------------- */

static void remember_reservation(pc_watcher *w, uint8_t proto, uint16_t start, uint16_t end) {
  recent_range *r = &w->recent[w->recent_next++ % RECENT_RESERVATIONS];
  *r = (recent_range){.proto = proto, .start = start, .end = end, .used = true};
}

/* An excluded range that a reservation event already reported (consumed once). */
static bool reported_by_event(pc_watcher *w, const pc_port_range *r) {
  for (size_t i = 0; i < RECENT_RESERVATIONS; i++) {
    recent_range *x = &w->recent[i];
    if (x->used && x->start == r->start && x->end == r->end &&
        (x->proto == 0 || r->proto == 0 || x->proto == r->proto))
      return true;
  }
  return false;
}

static void emit_reservation(pc_watcher *w, const pc_event *ev, uint8_t proto, uint16_t port, uint16_t start,
                             uint16_t end, uint32_t owner, const char *owner_name) {
  pc_facts f;
  base_facts(w, &f, proto, port, PC_RISK_RESERVATION_EVENT);
  f.attempt.tcpip_event = ev->id;
  f.excluded = true;
  f.excluded_start = start;
  f.excluded_end = end;
  if (owner) {
    f.owner_known = true;
    f.owner_pid = owner;
    snprintf(f.owner_name, sizeof f.owner_name, "%s", owner_name);
  }
  emit(w, &f, ev->ts);
}

static void on_reservation(pc_watcher *w, const pc_event *ev) {
  w->stats.reservations++;
  if (ev->status_known && ev->status != 0) return; /* the reservation failed: nothing changed */
  if (ev->num_ports == 0 || ev->start_port == 0) return;
  uint32_t end32 = (uint32_t)ev->start_port + ev->num_ports - 1;
  uint16_t start = ev->start_port, end = (uint16_t)(end32 > 65535 ? 65535 : end32);
  uint8_t proto = ev->proto == PC_PROTO_TCP || ev->proto == PC_PROTO_UDP ? ev->proto : 0;
  remember_reservation(w, proto, start, end);
  w->ranges_stale = true;

  uint32_t owner = ev->pid_known ? ev->pid : ev->header_pid;
  char owner_name[PC_NAME_MAX] = "";
  bool named = false;
  w->budget_left = PC_WATCHER_MAX_FINDINGS;
  for (uint32_t p = start; p <= end; p++) {
    bool hit[NPROTO] = {false, false};
    for (int pi = 0; pi < NPROTO; pi++)
      hit[pi] = (proto == 0 || index_proto(pi) == proto) && is_interesting(w, pi, (uint16_t)p);
    if (!hit[0] && !hit[1]) continue;
    if (!named) {
      fill_process(w->o.hoststate, owner, owner_name, sizeof owner_name);
      named = true;
    }
    /* One finding when the reservation covers both protocols and both are of interest. */
    if (proto == 0 && hit[0] && hit[1]) {
      emit_reservation(w, ev, 0, (uint16_t)p, start, end, owner, owner_name);
    } else {
      for (int pi = 0; pi < NPROTO; pi++)
        if (hit[pi]) emit_reservation(w, ev, index_proto(pi), (uint16_t)p, start, end, owner, owner_name);
    }
  }
}

void pc_watcher_on_event(pc_watcher *w, const pc_event *ev) {
  if (!w || !ev) return;
  if (ev->kind == PC_EV_GLOBAL_RESERVATION) {
    on_reservation(w, ev);
  } else if (ev->kind == PC_EV_LISTEN_OK && ev->addr_known) {
    if (ev->status_known && ev->status != 0) return;
    holder h;
    memset(&h, 0, sizeof h);
    h.pid = ev->pid_known ? ev->pid : 0;
    fill_process(w->o.hoststate, h.pid, h.name, sizeof h.name);
    h.addr = ev->addr;
    h.addr_known = true;
    h.state = PC_OWNER_STATE_LISTEN;
    h.kernel = h.pid == 4;
    w->budget_left = PC_WATCHER_MAX_FINDINGS;
    observe(w, PC_PROTO_TCP, ev->addr.port, &h, ev->ts);
  }
}

void pc_watcher_on_attempt(pc_watcher *w, const pc_bind_attempt *a) {
  if (!w || !a || a->failed || !a->addr_known || a->local.port == 0) return;
  uint8_t proto = a->proto;
  if (proto == PC_PROTO_UNKNOWN)
    proto = a->socktype == 1 ? PC_PROTO_TCP : a->socktype == 2 ? PC_PROTO_UDP : 0;
  if (proto_index(proto) < 0) return;
  holder h;
  memset(&h, 0, sizeof h);
  h.pid = a->pid_known ? a->pid : 0;
  if (a->comm[0])
    snprintf(h.name, sizeof h.name, "%s", a->comm);
  else
    fill_process(w->o.hoststate, h.pid, h.name, sizeof h.name);
  h.addr = a->local;
  h.addr_known = true;
  h.state = proto == PC_PROTO_UDP         ? PC_OWNER_STATE_UDP
            : a->stage == PC_STAGE_LISTEN ? PC_OWNER_STATE_LISTEN
                                          : PC_OWNER_STATE_BOUND;
  w->budget_left = PC_WATCHER_MAX_FINDINGS;
  observe(w, proto, a->local.port, &h, a->ts_first);
}

/* ---- range changes ---------------------------------------------------------------------------- */

static const pc_port_range *snap_excluded(const pc_range_snapshot *s, uint8_t proto, uint16_t port) {
  for (size_t i = 0; i < s->n_excluded; i++) {
    const pc_port_range *r = &s->excluded[i];
    if ((r->proto == 0 || r->proto == proto) && port >= r->start && port <= r->end) return r;
  }
  return NULL;
}

/* The dynamic range for proto: IPv4 or family-less first (what binds mostly meet). */
static const pc_dynamic_range *snap_dynamic(const pc_range_snapshot *s, uint8_t proto) {
  const pc_dynamic_range *any = NULL;
  for (size_t i = 0; i < s->n_dynamic; i++) {
    const pc_dynamic_range *r = &s->dynamic[i];
    if (r->proto != 0 && r->proto != proto) continue;
    if (r->family == 0 || r->family == PC_AF_INET) return r;
    if (!any) any = r;
  }
  return any;
}

/* The port can be handed to outgoing connections. On Linux a reserved port is exempt (that
 * is what ip_local_reserved_ports is for); on Windows an excluded port blocks binds anyway
 * and is reported as such. */
static bool exposed(const pc_range_snapshot *s, uint8_t os, uint8_t proto, uint16_t port,
                    const pc_dynamic_range **dyn) {
  const pc_dynamic_range *d = snap_dynamic(s, proto);
  *dyn = d;
  if (!d || port < d->start || (uint32_t)port > (uint32_t)d->start + d->count - 1) return false;
  if (os == PC_OS_LINUX && snap_excluded(s, proto, port)) return false;
  return true;
}

typedef struct change {
  const pc_port_range *ex;     /* newly covering excluded range, or NULL */
  const pc_dynamic_range *dyn; /* newly exposing dynamic range, or NULL */
} change;

static void emit_excluded(pc_watcher *w, uint8_t proto, uint16_t port, const pc_port_range *r, pc_time ts) {
  pc_facts f;
  base_facts(w, &f, proto, port, PC_RISK_EXCLUDED_RANGE);
  f.excluded = true;
  f.excluded_start = r->start;
  f.excluded_end = r->end;
  f.excluded_administered = r->administered;
  f.ranges_known = true;
  emit(w, &f, ts);
}

static void emit_dynamic(pc_watcher *w, uint8_t proto, uint16_t port, const pc_dynamic_range *d, pc_time ts) {
  pc_facts f;
  base_facts(w, &f, proto, port, PC_RISK_DYNAMIC_RANGE);
  f.dynamic_known = true;
  f.dynamic_start = d->start;
  f.dynamic_end = (uint16_t)((uint32_t)d->start + d->count - 1);
  f.in_dynamic = true;
  emit(w, &f, ts);
}

static void diff_ranges(pc_watcher *w, const pc_range_snapshot *was, const pc_range_snapshot *now,
                        pc_time ts) {
  w->budget_left = PC_WATCHER_MAX_FINDINGS;
  /* A kind of range that was not read before (offline files added, a back end that failed)
   * is not "new": every range of it would look added. */
  bool excluded_comparable = was->excluded_known && now->excluded_known;
  bool dynamic_comparable = was->n_dynamic > 0 && now->n_dynamic > 0;
  for (uint32_t p = 1; p <= 65535; p++) {
    uint16_t port = (uint16_t)p;
    bool any = false;
    change c[NPROTO];
    memset(c, 0, sizeof c);
    for (int pi = 0; pi < NPROTO; pi++) {
      if (!is_interesting(w, pi, port)) continue;
      uint8_t proto = index_proto(pi);
      const pc_port_range *ex_new = snap_excluded(now, proto, port);
      if (excluded_comparable && ex_new && !snap_excluded(was, proto, port) && !reported_by_event(w, ex_new))
        c[pi].ex = ex_new;
      const pc_dynamic_range *d_new, *d_old;
      if (dynamic_comparable && exposed(now, w->os, proto, port, &d_new) &&
          !exposed(was, w->os, proto, port, &d_old))
        c[pi].dyn = d_new;
      any = any || c[pi].ex || c[pi].dyn;
    }
    if (!any) continue;
    /* A range for every protocol that hits the port for TCP and UDP is one finding. */
    if (c[0].ex && c[0].ex == c[1].ex && c[0].ex->proto == 0) {
      emit_excluded(w, 0, port, c[0].ex, ts);
    } else {
      for (int pi = 0; pi < NPROTO; pi++)
        if (c[pi].ex) emit_excluded(w, index_proto(pi), port, c[pi].ex, ts);
    }
    if (c[0].dyn && c[0].dyn == c[1].dyn && c[0].dyn->proto == 0) {
      emit_dynamic(w, 0, port, c[0].dyn, ts);
    } else {
      for (int pi = 0; pi < NPROTO; pi++)
        if (c[pi].dyn) emit_dynamic(w, index_proto(pi), port, c[pi].dyn, ts);
    }
  }
  /* Reservation events are matched against one range change only. */
  memset(w->recent, 0, sizeof w->recent);
}

/* ---- owner lookups ---------------------------------------------------------------------------- */

static bool holds_port(uint8_t state) {
  return state == PC_OWNER_STATE_LISTEN || state == PC_OWNER_STATE_BOUND || state == PC_OWNER_STATE_UDP;
}

static void poll_owners(pc_watcher *w, pc_hoststate *hs, pc_time ts) {
  size_t budget = w->o.owner_budget ? w->o.owner_budget : PC_WATCHER_DEFAULT_OWNER_BUDGET;
  /* One full turn over both bitmaps at most, starting where the last poll stopped. */
  for (uint32_t step = 0; step < NPROTO * 65536u && budget > 0; step++) {
    int pi = (int)w->cursor_proto;
    uint16_t port = (uint16_t)w->cursor_port;
    if (++w->cursor_port > 65535) {
      w->cursor_port = 0;
      w->cursor_proto = (w->cursor_proto + 1) % NPROTO;
    }
    if (!is_interesting(w, pi, port)) continue;
    budget--;
    pc_owner owners[8];
    size_t total = 0;
    if (pc_hoststate_owners(hs, index_proto(pi), port, NULL, owners, 8, &total) != PC_OK) continue;
    for (size_t i = 0; i < total && i < 8; i++) {
      const pc_owner *o = &owners[i];
      if (!holds_port(o->state)) continue;
      holder h;
      memset(&h, 0, sizeof h);
      h.pid = o->pid;
      snprintf(h.name, sizeof h.name, "%s", o->process.name);
      h.addr = o->local;
      h.addr_known = true;
      h.state = o->state;
      h.kernel = o->kernel;
      observe(w, index_proto(pi), port, &h, ts);
      break; /* the best-ranked holder speaks for the port */
    }
  }
}

/* ---- the poll --------------------------------------------------------------------------------- */

static void save_snapshot(pc_watcher *w) {
  if (!w->persist) return;
  char err[1024];
  if (pc_range_snapshot_save(w->state_dir, &w->prev, err, sizeof err) != PC_OK) {
    char msg[1100];
    snprintf(msg, sizeof msg, "cannot save the range snapshot: %s", err);
    warnf(w, msg);
    w->stats.state_errors++;
    return;
  }
  w->prev_saved = true;
}

int pc_watcher_poll(pc_watcher *w, pc_hoststate *hs, pc_time now) {
  if (!w || !hs) return PC_EINVAL;
  w->stats.polls++;
  int rc = PC_OK;
  if (pc_hoststate_is_live(hs)) rc = pc_hoststate_refresh(hs);
  if (!w->o.os) w->os = pc_hoststate_os(hs);

  pc_range_snapshot cur;
  if (pc_range_snapshot_take(hs, now, &cur) != PC_OK) return PC_ENOMEM;
  if (!w->have_prev && w->persist) {
    /* The first poll compares with the last run's snapshot: changes made while portclash
     * was not running are reported too. */
    char err[1024];
    int lrc = pc_range_snapshot_load(w->state_dir, cur.source, &w->prev, err, sizeof err);
    if (lrc == PC_OK) {
      w->have_prev = true;
      w->prev_saved = true;
    } else if (lrc != PC_ENOENT) {
      warnf(w, err);
      w->stats.state_errors++;
    }
  }
  if (w->have_prev && !pc_range_snapshot_equal(&w->prev, &cur)) {
    w->stats.range_changes++;
    diff_ranges(w, &w->prev, &cur, now);
    w->prev_saved = false;
  } else if (!w->have_prev) {
    w->prev_saved = false; /* the baseline: nothing to compare with, nothing reported */
  }
  pc_range_snapshot_clear(&w->prev);
  w->prev = cur;
  w->have_prev = true;
  if (!w->prev_saved) save_snapshot(w);
  w->ranges_stale = false;

  w->budget_left = PC_WATCHER_MAX_FINDINGS;
  poll_owners(w, hs, now);
  (void)pc_watcher_save(w);
  return rc;
}
