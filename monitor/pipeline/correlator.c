/* The correlator: AFD socket lifecycle + TCPIP + Winsock-Sockets evidence → attempts.
 *
 * ASSUMPTIONS ABOUT REAL WINDOWS. No public capture of these providers' bind events exists
 * (etw-facts.md §7, §12), so every line below is a hypothesis that a first real capture
 * should confirm or refute, one by one. Each names where it is coded.
 *
 * A1 AfdCreate's ProcessId payload field is the user-mode PID of the socket's creator, and
 *    `Process` is the EPROCESS address, the same for every socket of one process
 *    (on_afd PC_EV_SOCKET_CREATE, learn_process). [MS "Control of Winsock Tracing"]
 * A2 The AFD header PID is the caller only at the Locations NetBlame lists: AfdCreate enter
 *    1002/1006/1015 and exit 1012/1013, AfdBindWithAddress 7010/7022, AfdClose 2000/2001,
 *    AfdAbort 8000/8004 (reliable_afd_location). Everywhere else it may be System or a worker.
 * A3 Header PIDs 0 and 4 never name a socket owner, whatever the event (header_pid_usable).
 *    A payload ProcessId of 0 is "unknown" (parsers/decode.c); a non-zero one is believed.
 * A4 The TCPIP bind events (1005-1008, 1393-1396) do not run in the caller's context
 *    reliably: their header PID is ignored (on_tcpip); only a payload Pid/ProcessId is used.
 * A5 The TCPIP `Endpoint` of 1006 v1 / 1007 v1 / 1008 v1 (Win11) and of 1393-1396 is the same
 *    pointer as the `Endpoint` of 1013 v2 / 1001 / 1391 (TcpCreateEndpointComplete,
 *    TcpEndpointCreation, UdpCreateEndpointComplete), so the ProcessId of the latter names
 *    the process of the former (on_tcpip: PC_EV_ENDPOINT_CREATE fills tcpip_eps).
 * A6 Winsock-Sockets is a user-mode provider in ws2_32.dll: its header PID is the caller
 *    (on_winsock), and its Socket field is the SOCKET handle, unique per process while open.
 * A7 One bind() logs AfdBindWithAddress at entry (EnterExit 0, requested address) and at
 *    completion (EnterExit 1, final NTSTATUS; address possibly empty), joined by Endpoint
 *    (on_afd). Nested pairs (enter, enter, exit, exit) belong to the same bind.
 * A8 A completion carrying STATUS_PENDING (0x103) is followed by another AFD event of the
 *    same Endpoint with the final status (EnterExit 1, or 2-4 when the driver completes it),
 *    within cfg.pending_timeout (on_afd, set_status, waits/due_of). An AFD entry whose
 *    socket closes with no completion at all is counted as of unknown outcome (on_afd close).
 * A9 EnterExit 2-4 events with a failure status are that bind's failure; with success they
 *    are internal steps, except that they complete a bind left pending (on_afd).
 * A10 The legacy AFD events (2, 3 bind with status, 40 failed bind, 1 create, 13/14 close,
 *    29 option) describe the same binds as the 1000 series, so they join the same attempt
 *    by Endpoint (match_score: same-source key match).
 * A11 One bind's events from all providers lie within cfg.merge_window (100 ms) of each other
 *    in event time, and a retry of the same bind by the same socket comes later than that
 *    (match_score, due_of: an attempt waits a merge window after its last evidence).
 * A12 Without a shared key, events agreeing on (address, port, protocol) within the window,
 *    and not naming different processes, are views of one bind (match_score). Two processes
 *    failing the same address at the same instant are told apart only when some provider
 *    names both processes or their final statuses differ.
 * A13 An NTSTATUS maps to the WSA error as in parsers/ntstatus.c (set_status); Winsock-Sockets'
 *    ErrorCode is the error the application saw and wins over it (fill_from).
 * A14 A successful bind (AFD exit with success, TCPIP 1008/1396, Winsock-Sockets 12 with
 *    ErrorCode 0) holds its address until one of its sockets closes (AFD 1001/1002/13/14,
 *    Winsock-Sockets 4, TCPIP 1009/1397/1398); Winsock-Sockets 8 with Level SOL_SOCKET and
 *    OptName SO_REUSEADDR (4) / SO_EXCLUSIVEADDRUSE (~4) set before the bind are that
 *    holder's sharing options (holder_* functions). One holder is kept per (protocol,
 *    address, port); a failing wildcard bind blocked by a specific holder is not matched.
 * A15 Events of one processor reach us in timestamp order; across processors the skew is at
 *    most the reorder watermark (reorder.c; FlushTimer + 500 ms live, cli/cmd_monitor-win.c).
 *
 * Attribution, outcome and holders in one paragraph: a process id is "known" only from a
 * reliable source (A1-A6); evidence is merged into one attempt when it shares a per-source
 * key (AFD endpoint, TCPIP endpoint, Winsock socket) or agrees on address, protocol and time
 * (A11, A12); an attempt whose only outcome is STATUS_PENDING stays open for the final status
 * and is counted as `outcome_unknown`, never reported, when none comes; failed attempts carry
 * the options of the socket that held the address when the stream showed it (A14).
 */
#include <stdlib.h>
#include <string.h>

#include "bmap.h"
#include "correlator.h"
#include "pc_error.h"
#include "pc_ntstatus.h"

/* Winsock constants for the options that decide sharing (winsock2.h). */
#define WS_SOL_SOCKET 0xFFFF
#define WS_SO_REUSEADDR 4
#define WS_SO_EXCLUSIVEADDRUSE (~4)
#define WS_IPPROTO_IPV6 41
#define WS_IPV6_V6ONLY 27
#define AFD_OPTION_IPV6_V6ONLY 0xd

/* Outcome of a piece of evidence or an attempt. */
enum { OUT_OK = 0, OUT_FAIL = 1, OUT_PENDING = 2 };

/* Per-source keys: index into the key arrays. */
enum { K_AFD = 0, K_TCPIP = 1, K_WS = 2, K_COUNT = 3 };

/* What is known about one AFD endpoint or Winsock socket. */
typedef struct sock_info {
  uint32_t pid;
  bool pid_known;
  uint64_t start_key;
  uint64_t process; /* EPROCESS */
  uint8_t proto;
  uint32_t socktype;
  bool bind_pending; /* an AfdBindWithAddress entry was seen, no final status yet */
  pc_time bind_started;
  pc_addr requested;
  bool requested_known;
  pc_addr bound; /* last successful bind: for listen failures and for closing its holder */
  bool bound_known;
  uint32_t sockopts, sockopts_known;
} sock_info;

typedef struct proc_info {
  uint32_t pid;
  uint64_t start_key;
} proc_info;

/* The process of a TCPIP endpoint (A5). */
typedef struct tcpip_ep {
  uint32_t pid;
  uint64_t start_key;
} tcpip_ep;

/* A socket that holds an address (A14). */
typedef struct holder {
  bool used;
  pc_addr addr;
  bool pid_known;
  uint32_t pid;
  uint32_t ws_pid; /* the Winsock key is (socket, pid) */
  uint64_t key[K_COUNT];
  uint32_t sockopts, sockopts_known;
  pc_time ts;
} holder;

/* One piece of evidence about a bind, whatever provider it came from. */
typedef struct evidence {
  uint8_t source;
  uint8_t ki;      /* K_* of the source */
  pc_time ts;      /* when this provider reported the outcome */
  pc_time started; /* when the bind began, if earlier (AFD enter); else == ts */
  uint32_t tid;
  bool pid_known;
  uint32_t pid;
  uint64_t start_key;
  uint64_t key; /* the source's own socket key (endpoint, socket handle), 0 when none */
  uint32_t ws_pid;
  bool addr_known;
  pc_addr addr;
  uint8_t proto;
  int32_t socktype;
  uint8_t stage;
  uint8_t outcome; /* OUT_* */
  bool ntstatus_known;
  uint32_t ntstatus;
  bool error_known;
  uint32_t error;
  uint32_t sockopts, sockopts_known;
  uint16_t tcpip_event;
} evidence;

/* The evidence of one provider's event: its provider, time, thread and socket key. */
static evidence evidence_of(uint8_t source, uint8_t ki, const pc_event *ev) {
  evidence e = {0};
  e.source = source;
  e.ki = ki;
  e.ts = ev->ts;
  e.tid = ev->tid;
  e.key = ev->endpoint;
  return e;
}

/* An attempt waiting for more evidence. */
typedef struct open_attempt {
  pc_bind_attempt a;
  uint8_t outcome;  /* OUT_*: OK and FAIL are final, PENDING waits */
  bool afd_waiting; /* AFD said STATUS_PENDING and has not given the final status */
  uint64_t key[K_COUNT];
  pc_time due; /* event time at which it is emitted (or counted as unknown) */
} open_attempt;

struct pc_correlator {
  pc_correlator_config cfg;
  pc_attempt_fn emit;
  void *ud;
  pc_time now;
  pc_bmap *afd_sockets; /* key (endpoint, 0) */
  pc_bmap *ws_sockets;  /* key (socket handle, pid) */
  pc_bmap *processes;   /* key (EPROCESS, 0) */
  pc_bmap *tcpip_eps;   /* key (TCPIP endpoint, 0) */
  pc_bmap *holders;     /* key (proto, family, port; address hash) */
  open_attempt *open;   /* attempts in order of creation */
  size_t open_count;
  size_t waiting; /* open attempts that wait for a final status */
  pc_time next_due;
  pc_correlator_stats stats;
};

void pc_correlator_config_default(pc_correlator_config *cfg) {
  *cfg = (pc_correlator_config){
      .merge_window = 100 * PC_TIME_TICKS_PER_MS,
      .hold = 200 * PC_TIME_TICKS_PER_MS,
      .pending_timeout = 2 * PC_TIME_TICKS_PER_SEC,
      .max_endpoints = 65536,
      .max_processes = 16384,
      .max_open = 1024,
      .max_holders = 16384,
  };
}

int pc_correlator_new(const pc_correlator_config *cfg, pc_attempt_fn emit, void *ud, pc_correlator **out) {
  *out = NULL;
  pc_correlator_config k;
  if (cfg)
    k = *cfg;
  else
    pc_correlator_config_default(&k);
  if (!k.max_endpoints || !k.max_processes || !k.max_open || !k.max_holders) return PC_EINVAL;
  pc_correlator *c = malloc(sizeof *c);
  if (!c) return PC_ENOMEM;
  *c = (pc_correlator){.cfg = k, .emit = emit, .ud = ud, .now = PC_TIME_UNKNOWN, .next_due = INT64_MAX};
  int rc = pc_bmap_new(c->cfg.max_endpoints, sizeof(sock_info), &c->afd_sockets);
  if (rc == PC_OK) rc = pc_bmap_new(c->cfg.max_endpoints, sizeof(sock_info), &c->ws_sockets);
  if (rc == PC_OK) rc = pc_bmap_new(c->cfg.max_processes, sizeof(proc_info), &c->processes);
  if (rc == PC_OK) rc = pc_bmap_new(c->cfg.max_endpoints, sizeof(tcpip_ep), &c->tcpip_eps);
  if (rc == PC_OK) rc = pc_bmap_new(c->cfg.max_holders, sizeof(holder), &c->holders);
  if (rc == PC_OK) {
    c->open = calloc(c->cfg.max_open, sizeof *c->open);
    if (!c->open) rc = PC_ENOMEM;
  }
  if (rc != PC_OK) {
    pc_correlator_free(c);
    return rc;
  }
  *out = c;
  return PC_OK;
}

/* ---- Holders (A14) ---- */

/* One entry per (protocol, port, address): a hash of the address is the second key. */
static uint64_t holder_k1(uint8_t proto, const pc_addr *a) {
  return (uint64_t)proto << 24 | (uint64_t)a->family << 16 | a->port;
}

static uint64_t holder_k2(const pc_addr *a) {
  uint64_t lo, hi;
  memcpy(&lo, a->bytes, 8);
  memcpy(&hi, a->bytes + 8, 8);
  return lo ^ (hi * 0x9E3779B97F4A7C15ull);
}

static void holder_add(pc_correlator *c, const evidence *e) {
  if (!e->addr_known || !e->addr.port) return;
  bool evicted;
  holder *h = pc_bmap_put(c->holders, holder_k1(e->proto, &e->addr), holder_k2(&e->addr), c->now, &evicted);
  if (evicted) c->stats.holders_evicted++;
  /* Another provider's (or the same provider's) view of the same successful bind fills the
   * entry; a different socket on the same address (both set SO_REUSEADDR) replaces it. */
  bool same = h->used && ((e->key && h->key[e->ki] == e->key && (e->ki != K_WS || h->ws_pid == e->ws_pid)) ||
                          (e->ts - h->ts <= c->cfg.merge_window && !(h->key[e->ki] && e->key) &&
                           !(h->pid_known && e->pid_known && h->pid != e->pid)));
  if (!same) {
    memset(h, 0, sizeof *h);
    h->used = true;
    h->addr = e->addr;
  }
  h->ts = e->ts;
  if (e->key) h->key[e->ki] = e->key;
  if (e->ki == K_WS) h->ws_pid = e->ws_pid;
  if (e->pid_known && !h->pid_known) {
    h->pid_known = true;
    h->pid = e->pid;
  }
  h->sockopts_known |= e->sockopts_known;
  h->sockopts = (h->sockopts & ~e->sockopts_known) | (e->sockopts & e->sockopts_known);
}

/* A socket closed: forget the holder it was (its bound address finds the entry). */
static void holder_close(pc_correlator *c, uint8_t proto, const pc_addr *bound, uint8_t ki, uint64_t key,
                         uint32_t ws_pid) {
  if (!key) return;
  for (int pr = 0; pr < 2; pr++) {
    uint64_t k1 = holder_k1(pr ? 0 : proto, bound), k2 = holder_k2(bound);
    holder *h = pc_bmap_get(c->holders, k1, k2, c->now);
    if (h && h->key[ki] == key && (ki != K_WS || h->ws_pid == ws_pid)) {
      pc_bmap_remove(c->holders, k1, k2);
      c->stats.holders_closed++;
    }
    if (!proto) break;
  }
}

static const holder *holder_find(pc_correlator *c, uint8_t proto, const pc_addr *a, pc_time before) {
  holder *h = pc_bmap_get(c->holders, holder_k1(proto, a), holder_k2(a), c->now);
  if (!h || !pc_addr_equal(&h->addr, a) || h->ts > before) return NULL; /* bound after: not the blocker */
  return h;
}

/* Fills the attempt's holder: the most recent socket bound to the same address, or to the
 * wildcard of either family (a dual-stack [::] takes part in IPv4 conflicts, etw-facts.md
 * §4.3). A failing wildcard bind blocked by a specific address is not found (the table is
 * keyed by address). */
static void holder_lookup(pc_correlator *c, pc_bind_attempt *a) {
  if (!a->addr_known || !a->local.port) return;
  pc_addr cand[3];
  size_t n = 0;
  cand[n++] = a->local;
  pc_addr any4 = {.family = PC_AF_INET, .port = a->local.port};
  pc_addr any6 = {.family = PC_AF_INET6, .port = a->local.port};
  if (!pc_addr_equal(&a->local, &any4)) cand[n++] = any4;
  if (!pc_addr_equal(&a->local, &any6)) cand[n++] = any6;
  const holder *best = NULL;
  for (size_t i = 0; i < n; i++)
    for (int pr = 0; pr < 2; pr++) {
      const holder *h = holder_find(c, pr ? 0 : a->proto, &cand[i], a->ts_last);
      if (h && (!best || h->ts > best->ts)) best = h;
      if (!a->proto) break;
    }
  if (!best) return;
  a->holder_known = true;
  a->holder_pid_known = best->pid_known;
  a->holder_pid = best->pid;
  a->holder_addr = best->addr;
  a->holder_sockopts = best->sockopts;
  a->holder_sockopts_known = best->sockopts_known;
}

/* ---- Open attempts ---- */

static void emit_one(pc_correlator *c, open_attempt *o) {
  if (o->outcome == OUT_PENDING) {
    /* Never a final status: not a failure, not a success (A8). */
    c->stats.outcome_unknown++;
    return;
  }
  if (o->outcome == OUT_FAIL) holder_lookup(c, &o->a);
  o->a.failed = o->outcome == OUT_FAIL;
  if (!o->a.failed && !c->cfg.report_success) return;
  c->stats.attempts_emitted++;
  if (o->a.failed) c->stats.failures_emitted++;
  c->emit(&o->a, c->ud);
}

static bool waits(const open_attempt *o) {
  return o->outcome == OUT_PENDING || o->afd_waiting;
}

static pc_time due_of(const pc_correlator *c, const open_attempt *o) {
  if (waits(o)) return o->a.ts_last + c->cfg.pending_timeout;
  /* The hold from the first evidence, but never less than a merge window after the last:
   * the rest of a bind that completed late (A8) is still on its way. */
  pc_time after_last = o->a.ts_last + c->cfg.merge_window;
  pc_time hold = o->a.ts_first + c->cfg.hold;
  return hold > after_last ? hold : after_last;
}

/* Emits (in creation order) every attempt due at `now`, or all of them; keeps the rest. */
static void emit_due(pc_correlator *c, bool all) {
  size_t keep = 0;
  pc_time next = INT64_MAX;
  c->waiting = 0;
  for (size_t i = 0; i < c->open_count; i++) {
    open_attempt *o = &c->open[i];
    if (all || o->due <= c->now) {
      emit_one(c, o);
      continue;
    }
    if (o->due < next) next = o->due;
    if (waits(o)) c->waiting++;
    if (keep != i) c->open[keep] = *o;
    keep++;
  }
  c->open_count = keep;
  c->next_due = next;
}

void pc_correlator_flush(pc_correlator *c) {
  emit_due(c, true);
}

void pc_correlator_free(pc_correlator *c) {
  if (!c) return;
  if (c->open) pc_correlator_flush(c);
  pc_bmap_free(c->afd_sockets);
  pc_bmap_free(c->ws_sockets);
  pc_bmap_free(c->processes);
  pc_bmap_free(c->tcpip_eps);
  pc_bmap_free(c->holders);
  free(c->open);
  free(c);
}

void pc_correlator_advance(pc_correlator *c, pc_time now) {
  if (c->now != PC_TIME_UNKNOWN && now < c->now) return; /* event time never goes back */
  c->now = now;
  if (now >= c->next_due) emit_due(c, false);
}

static uint8_t proto_from_socket(uint32_t socktype, uint32_t protocol) {
  if (protocol == PC_PROTO_TCP || protocol == PC_PROTO_UDP) return (uint8_t)protocol;
  if (socktype == 1) return PC_PROTO_TCP;
  if (socktype == 2) return PC_PROTO_UDP;
  return PC_PROTO_UNKNOWN;
}

/* A3: the header PID of a kernel event is never the Idle or System process's socket. */
static bool header_pid_usable(uint32_t pid) {
  return pid != 0 && pid != 4;
}

/* A2: the AFD Locations at which NetBlame found the header PID to be the caller. */
static bool reliable_afd_location(uint32_t loc) {
  switch (loc) {
    case 1002:
    case 1006:
    case 1015:
    case 1012:
    case 1013:
    case 7010:
    case 7022:
    case 2000:
    case 2001:
    case 8000:
    case 8004:
      return true;
    default:
      return false;
  }
}

static void learn_process(pc_correlator *c, uint64_t eprocess, uint32_t pid, uint64_t start_key) {
  if (!eprocess) return;
  bool evicted;
  proc_info *p = pc_bmap_put(c->processes, eprocess, 0, c->now, &evicted);
  if (evicted) c->stats.processes_evicted++;
  p->pid = pid;
  if (start_key) p->start_key = start_key;
}

static sock_info *afd_socket(pc_correlator *c, uint64_t endpoint, bool create) {
  if (!create) return pc_bmap_get(c->afd_sockets, endpoint, 0, c->now);
  bool evicted;
  sock_info *s = pc_bmap_put(c->afd_sockets, endpoint, 0, c->now, &evicted);
  if (evicted) c->stats.endpoints_evicted++;
  return s;
}

/* Attributes an AFD event to a process: the socket's creator, else the EPROCESS map, else
 * the header at the Locations where it is reliable (A1, A2, A3). */
static void afd_owner(pc_correlator *c, const pc_event *ev, const sock_info *s, evidence *e) {
  if (s && s->pid_known) {
    e->pid_known = true;
    e->pid = s->pid;
    e->start_key = s->start_key;
    return;
  }
  proc_info *p = ev->process ? pc_bmap_get(c->processes, ev->process, 0, c->now) : NULL;
  if (p) {
    e->pid_known = true;
    e->pid = p->pid;
    e->start_key = p->start_key;
    return;
  }
  if (reliable_afd_location(ev->location) && header_pid_usable(ev->header_pid)) {
    e->pid_known = true;
    e->pid = ev->header_pid;
    e->start_key = ev->header_start_key;
    learn_process(c, ev->process, ev->header_pid, ev->header_start_key);
  }
}

/* ---- Matching ---- */

static bool outcome_compatible(uint8_t a, uint8_t b) {
  return a == b || a == OUT_PENDING || b == OUT_PENDING;
}

/* How well e fits open attempt o as another view of the same bind: 0 = not at all, higher
 * is better (a shared key beats a process match beats an address match). */
static int match_score(const pc_correlator *c, const evidence *e, const open_attempt *o) {
  const pc_bind_attempt *a = &o->a;
  uint64_t ok = o->key[e->ki];
  bool key_equal = e->key && ok == e->key;
  if (e->key && ok && ok != e->key) return 0; /* another socket of the same source */
  if (!outcome_compatible(e->outcome, o->outcome)) return 0;
  /* A bind left pending joins its final status by key whatever the time (A8). */
  if (!(key_equal && waits(o))) {
    if (e->ts < a->ts_first - c->cfg.merge_window || e->ts > a->ts_last + c->cfg.merge_window) return 0;
  }
  if (e->proto && a->proto && e->proto != a->proto) return 0;
  if (e->pid_known && a->pid_known) {
    if (e->pid != a->pid) return 0;
    if (e->start_key && a->start_key && e->start_key != a->start_key) return 0; /* PID reuse */
  }
  if (e->addr_known && a->addr_known && !pc_addr_equal(&e->addr, &a->local)) return 0;
  if (e->stage != a->stage && !key_equal) return 0;
  if (key_equal) return 8;
  /* Two final statuses that differ are two binds (e.g. two processes failing one port). */
  if (e->ntstatus_known && a->ntstatus_known && e->ntstatus != a->ntstatus && e->outcome != OUT_PENDING &&
      o->outcome != OUT_PENDING && (a->seen_by & e->source))
    return 0;
  int score = 0;
  if (e->pid_known && a->pid_known)
    score = 4;
  else if (e->addr_known && a->addr_known)
    score = 2;
  else
    return 0; /* neither a key, a process nor an address to match on: keep apart */
  if (!(a->seen_by & e->source)) score++; /* prefer the attempt this source has not seen yet */
  return score;
}

static void fill_from(open_attempt *o, const evidence *e) {
  pc_bind_attempt *a = &o->a;
  if (!a->pid_known && e->pid_known) {
    a->pid_known = true;
    a->pid = e->pid;
  }
  if (!a->start_key) a->start_key = e->start_key;
  if (!a->tid) a->tid = e->tid;
  if (e->key && !o->key[e->ki]) o->key[e->ki] = e->key;
  if (!a->endpoint && e->ki == K_AFD) a->endpoint = e->key;
  if (!a->addr_known && e->addr_known) {
    a->addr_known = true;
    a->local = e->addr;
  }
  if (!a->proto) a->proto = e->proto;
  if (!a->socktype) a->socktype = e->socktype;
  if (e->stage == PC_STAGE_LISTEN) a->stage = PC_STAGE_LISTEN;
  /* Outcome: a final status wins over PENDING; AFD's own pending state is cleared only by
   * an AFD final status. */
  if (e->outcome != OUT_PENDING) o->outcome = o->outcome == OUT_FAIL ? OUT_FAIL : e->outcome;
  if (e->source == PC_SEEN_AFD) o->afd_waiting = e->outcome == OUT_PENDING;
  /* Prefer the kernel's NTSTATUS for the name, but a Winsock ErrorCode is the error the
   * application actually saw, so it wins for `error` (A13). */
  if (!a->ntstatus_known && e->ntstatus_known && e->outcome != OUT_PENDING) {
    a->ntstatus_known = true;
    a->ntstatus = e->ntstatus;
  }
  if (e->error_known && e->outcome != OUT_PENDING && (!a->error_known || e->source == PC_SEEN_WINSOCK)) {
    a->error_known = true;
    a->error = e->error;
  }
  a->sockopts_known |= e->sockopts_known;
  a->sockopts = (a->sockopts & ~e->sockopts_known) | (e->sockopts & e->sockopts_known);
  if (e->tcpip_event && !a->tcpip_event) a->tcpip_event = e->tcpip_event;
  a->seen_by |= e->source;
  if (e->started < a->ts_first) a->ts_first = e->started;
  if (e->ts > a->ts_last) a->ts_last = e->ts;
}

static void add_evidence(pc_correlator *c, evidence *e) {
  if (!e->started || e->started > e->ts) e->started = e->ts;
  if (e->outcome == OUT_OK) holder_add(c, e);
  /* A success only matters to an attempt that waits for it, or when successes are
   * reported; skipping the scan otherwise keeps the common path short. */
  if (e->outcome == OUT_OK && !c->cfg.report_success && !c->waiting) return;
  open_attempt *best = NULL;
  int best_score = 0;
  for (size_t k = 0; k < c->open_count; k++) {
    int s = match_score(c, e, &c->open[k]);
    if (s > best_score) {
      best_score = s;
      best = &c->open[k];
    }
  }
  if (best) {
    bool waited = waits(best);
    fill_from(best, e);
    best->due = due_of(c, best);
    if (best->due < c->next_due) c->next_due = best->due;
    if (waited && !waits(best) && c->waiting) c->waiting--;
    if (!waited && waits(best)) c->waiting++;
    c->stats.merged++;
    return;
  }
  if (e->outcome == OUT_OK && !c->cfg.report_success) return;
  if (c->open_count == c->cfg.max_open) {
    /* Full: the oldest goes out before its hold. */
    if (waits(&c->open[0]) && c->waiting) c->waiting--;
    emit_one(c, &c->open[0]);
    memmove(&c->open[0], &c->open[1], (c->open_count - 1) * sizeof *c->open);
    c->open_count--;
    c->stats.early_emits++;
  }
  open_attempt *o = &c->open[c->open_count++];
  memset(o, 0, sizeof *o);
  o->a.ts_first = e->started;
  o->a.ts_last = e->ts;
  o->outcome = e->outcome;
  fill_from(o, e);
  o->due = due_of(c, o);
  if (waits(o)) c->waiting++;
  if (o->due < c->next_due) c->next_due = o->due;
}

static void set_status(evidence *e, uint32_t status) {
  e->ntstatus_known = true;
  e->ntstatus = status;
  if (status == PC_STATUS_PENDING) {
    e->outcome = OUT_PENDING;
    return;
  }
  e->outcome = pc_ntstatus_failed(status) ? OUT_FAIL : OUT_OK;
  uint32_t wsa = pc_ntstatus_to_wsa(status);
  e->error_known = e->outcome == OUT_FAIL ? wsa != 0 : true;
  e->error = wsa;
}

/* ---- Providers ---- */

static void on_afd(pc_correlator *c, const pc_event *ev) {
  switch (ev->kind) {
    case PC_EV_SOCKET_CREATE: {
      /* Only the completed create (or the legacy event 1, which has no EnterExit) carries a
       * usable socket; the payload PID is the user-mode PID (A1). */
      if (ev->enter_exit_known && ev->enter_exit != 1) {
        if (reliable_afd_location(ev->location) && header_pid_usable(ev->header_pid))
          learn_process(c, ev->process, ev->header_pid, ev->header_start_key);
        return;
      }
      if (ev->status_known && pc_ntstatus_failed(ev->status)) return;
      sock_info *s = afd_socket(c, ev->endpoint, true);
      memset(s, 0, sizeof *s);
      s->pid_known = ev->pid_known;
      s->pid = ev->pid;
      if (!s->pid_known && reliable_afd_location(ev->location) && header_pid_usable(ev->header_pid)) {
        s->pid_known = true;
        s->pid = ev->header_pid;
      }
      s->start_key = s->pid_known && ev->header_pid == s->pid ? ev->header_start_key : 0;
      s->process = ev->process;
      s->socktype = ev->socktype;
      s->proto = proto_from_socket(ev->socktype, ev->protocol);
      if (s->pid_known) learn_process(c, ev->process, s->pid, s->start_key);
      return;
    }
    case PC_EV_SOCKET_CLOSE: {
      if (reliable_afd_location(ev->location) && header_pid_usable(ev->header_pid) &&
          !pc_bmap_get(c->processes, ev->process, 0, c->now))
        learn_process(c, ev->process, ev->header_pid, ev->header_start_key);
      sock_info *s = afd_socket(c, ev->endpoint, false);
      if (s) {
        if (s->bind_pending) c->stats.outcome_unknown++; /* an entry that never completed */
        if (s->bound_known) holder_close(c, s->proto, &s->bound, K_AFD, ev->endpoint, 0);
      }
      pc_bmap_remove(c->afd_sockets, ev->endpoint, 0);
      return;
    }
    case PC_EV_SOCKOPT: {
      sock_info *s = afd_socket(c, ev->endpoint, false);
      if (s && ev->opt_name == AFD_OPTION_IPV6_V6ONLY) {
        s->sockopts_known |= PC_SOCKOPT_V6ONLY;
        s->sockopts = ev->opt_value ? s->sockopts | PC_SOCKOPT_V6ONLY : s->sockopts & ~PC_SOCKOPT_V6ONLY;
      }
      return;
    }
    case PC_EV_BIND:
    case PC_EV_BIND_FAIL:
    case PC_EV_LISTEN:
      break;
    default:
      return;
  }
  sock_info *s = afd_socket(c, ev->endpoint, false);
  if (ev->kind == PC_EV_BIND && ev->enter_exit_known && ev->enter_exit == 0) {
    /* Request start: remember what was asked for; the exit tells how it ended. A nested
     * entry (A7) keeps the first one's start and fills what it lacked. */
    if (!s) s = afd_socket(c, ev->endpoint, true);
    if (!s->bind_pending) {
      s->bind_pending = true;
      s->bind_started = ev->ts;
      s->requested_known = false;
    }
    if (ev->addr_known && !s->requested_known) {
      s->requested_known = true;
      s->requested = ev->addr;
    }
    if (!s->pid_known) {
      evidence tmp = {0};
      afd_owner(c, ev, s, &tmp);
      if (tmp.pid_known) {
        s->pid_known = true;
        s->pid = tmp.pid;
        s->start_key = tmp.start_key;
      }
    }
    return;
  }
  evidence e = evidence_of(PC_SEEN_AFD, K_AFD, ev);
  afd_owner(c, ev, s, &e);
  if (ev->status_known) set_status(&e, ev->status);
  if (ev->kind == PC_EV_BIND_FAIL) {
    e.outcome = OUT_FAIL; /* legacy event 40 is failure by definition */
  } else if (ev->kind == PC_EV_BIND && !ev->status_known) {
    return; /* AfdBind without a status says nothing about the outcome */
  }
  if (ev->enter_exit_known && ev->enter_exit >= 2) {
    /* A9: internal steps. A failure is the bind's failure; a final success or a pending
     * status only matters to a bind that waits for it. */
    if (e.outcome != OUT_FAIL && !(s && s->bind_pending && e.outcome == OUT_OK)) return;
  }
  if (ev->kind == PC_EV_LISTEN) {
    if (e.outcome != OUT_FAIL) return; /* a successful listen adds nothing to a bind */
    e.stage = PC_STAGE_LISTEN;
    if (s && s->bound_known) {
      e.addr_known = true;
      e.addr = s->bound;
    }
  } else if (ev->addr_known) {
    e.addr_known = true;
    e.addr = ev->addr;
  } else if (s && s->requested_known) {
    e.addr_known = true;
    e.addr = s->requested;
  }
  if (ev->kind == PC_EV_BIND && (!s || !s->bind_pending) && ev->id != 2 && ev->id != 3)
    c->stats.exits_without_enter++;
  if (s) {
    e.proto = s->proto;
    e.socktype = (int32_t)s->socktype;
    e.sockopts = s->sockopts;
    e.sockopts_known = s->sockopts_known;
    if (s->bind_pending && s->bind_started < e.ts) e.started = s->bind_started;
    if (e.outcome != OUT_PENDING && ev->kind != PC_EV_LISTEN) s->bind_pending = false;
    if (e.outcome == OUT_OK && e.addr_known) {
      s->bound = e.addr;
      s->bound_known = true;
    }
  }
  add_evidence(c, &e);
}

static void on_tcpip(pc_correlator *c, const pc_event *ev) {
  switch (ev->kind) {
    case PC_EV_ENDPOINT_CREATE: {
      /* A5: the endpoint's process, from the events that carry ProcessId. */
      if (!ev->endpoint || !ev->pid_known) return;
      if (ev->status_known && pc_ntstatus_failed(ev->status)) return;
      bool evicted;
      tcpip_ep *t = pc_bmap_put(c->tcpip_eps, ev->endpoint, 0, c->now, &evicted);
      if (evicted) c->stats.endpoints_evicted++;
      t->pid = ev->pid;
      t->start_key = ev->start_key_known ? ev->start_key : 0;
      return;
    }
    case PC_EV_ENDPOINT_CLOSE:
      if (ev->addr_known) holder_close(c, ev->proto, &ev->addr, K_TCPIP, ev->endpoint, 0);
      if (ev->endpoint) pc_bmap_remove(c->tcpip_eps, ev->endpoint, 0);
      return;
    case PC_EV_BIND_FAIL:
    case PC_EV_LISTEN_FAIL:
    case PC_EV_BIND_OK:
      break;
    default:
      return;
  }
  evidence e = evidence_of(PC_SEEN_TCPIP, K_TCPIP, ev);
  /* A4: the header PID of a bind event is not the caller; only a payload PID, or the
   * endpoint's creation event, names the process. */
  if (ev->pid_known) {
    e.pid_known = true;
    e.pid = ev->pid;
    e.start_key = ev->start_key_known ? ev->start_key : 0;
  } else if (ev->endpoint) {
    tcpip_ep *t = pc_bmap_get(c->tcpip_eps, ev->endpoint, 0, c->now);
    if (t) {
      e.pid_known = true;
      e.pid = t->pid;
      e.start_key = t->start_key;
    }
  }
  e.addr_known = ev->addr_known;
  e.addr = ev->addr;
  e.proto = ev->proto;
  e.socktype = ev->proto == PC_PROTO_TCP ? 1 : ev->proto == PC_PROTO_UDP ? 2 : 0;
  e.tcpip_event = ev->id;
  if (ev->status_known) set_status(&e, ev->status);
  /* The event itself says whether the bind failed, whatever its status field holds. */
  if (ev->kind == PC_EV_BIND_OK) {
    e.outcome = OUT_OK;
    e.error_known = true;
    e.error = 0;
  } else {
    if (e.outcome != OUT_FAIL) e.error_known = false;
    e.outcome = OUT_FAIL;
  }
  if (ev->kind == PC_EV_LISTEN_FAIL) e.stage = PC_STAGE_LISTEN;
  add_evidence(c, &e);
}

static void on_winsock(pc_correlator *c, const pc_event *ev) {
  bool evicted;
  /* A6, A3: the header PID is the caller (a user-mode provider). */
  bool pid_ok = header_pid_usable(ev->header_pid);
  switch (ev->kind) {
    case PC_EV_SOCKET_CREATE: {
      if (ev->wsa_known && ev->wsa_error != 0) return;
      sock_info *s = pc_bmap_put(c->ws_sockets, ev->endpoint, ev->header_pid, c->now, &evicted);
      if (evicted) c->stats.endpoints_evicted++;
      memset(s, 0, sizeof *s);
      s->proto = proto_from_socket(ev->socktype, ev->protocol);
      s->socktype = ev->socktype;
      return;
    }
    case PC_EV_SOCKET_CLOSE: {
      sock_info *s = pc_bmap_get(c->ws_sockets, ev->endpoint, ev->header_pid, c->now);
      if (s && s->bound_known) holder_close(c, s->proto, &s->bound, K_WS, ev->endpoint, ev->header_pid);
      pc_bmap_remove(c->ws_sockets, ev->endpoint, ev->header_pid);
      return;
    }
    case PC_EV_SOCKOPT: {
      if (ev->wsa_known && ev->wsa_error != 0) return; /* the option did not take effect */
      uint32_t bit = 0;
      if (ev->opt_level == WS_SOL_SOCKET && ev->opt_name == WS_SO_REUSEADDR) bit = PC_SOCKOPT_REUSEADDR;
      if (ev->opt_level == WS_SOL_SOCKET && ev->opt_name == WS_SO_EXCLUSIVEADDRUSE)
        bit = PC_SOCKOPT_EXCLUSIVEADDRUSE;
      if (ev->opt_level == WS_IPPROTO_IPV6 && ev->opt_name == WS_IPV6_V6ONLY) bit = PC_SOCKOPT_V6ONLY;
      if (!bit) return;
      sock_info *s = pc_bmap_put(c->ws_sockets, ev->endpoint, ev->header_pid, c->now, &evicted);
      if (evicted) c->stats.endpoints_evicted++;
      s->sockopts_known |= bit;
      s->sockopts = ev->opt_value ? s->sockopts | bit : s->sockopts & ~bit;
      return;
    }
    case PC_EV_BIND:
    case PC_EV_LISTEN:
      break;
    default:
      return;
  }
  sock_info *s = pc_bmap_get(c->ws_sockets, ev->endpoint, ev->header_pid, c->now);
  evidence e = evidence_of(PC_SEEN_WINSOCK, K_WS, ev);
  e.pid_known = pid_ok;
  e.pid = pid_ok ? ev->header_pid : 0;
  e.start_key = pid_ok ? ev->header_start_key : 0;
  e.ws_pid = ev->header_pid;
  e.addr_known = ev->addr_known;
  e.addr = ev->addr;
  e.error_known = ev->wsa_known;
  e.error = ev->wsa_error;
  if (!ev->wsa_known) return; /* no ErrorCode: no outcome */
  e.outcome = ev->wsa_error != 0 ? OUT_FAIL : OUT_OK;
  if (s) {
    e.proto = s->proto;
    e.socktype = (int32_t)s->socktype;
    e.sockopts = s->sockopts;
    e.sockopts_known = s->sockopts_known;
  }
  if (ev->kind == PC_EV_LISTEN) {
    if (e.outcome != OUT_FAIL) return;
    e.stage = PC_STAGE_LISTEN;
    if (s && s->bound_known) {
      e.addr_known = true;
      e.addr = s->bound;
    }
  } else if (s && e.outcome == OUT_OK && e.addr_known) {
    s->bound = e.addr;
    s->bound_known = true;
  }
  add_evidence(c, &e);
}

void pc_correlator_feed(pc_correlator *c, const pc_event *ev) {
  c->stats.events++;
  pc_correlator_advance(c, ev->ts);
  switch (ev->source) {
    case PC_SEEN_AFD:
      on_afd(c, ev);
      break;
    case PC_SEEN_TCPIP:
      on_tcpip(c, ev);
      break;
    case PC_SEEN_WINSOCK:
      on_winsock(c, ev);
      break;
    default:
      break;
  }
}

void pc_correlator_get_stats(const pc_correlator *c, pc_correlator_stats *out) {
  *out = c->stats;
  out->endpoints_tracked = pc_bmap_count(c->afd_sockets) + pc_bmap_count(c->ws_sockets);
  out->open_waiting = c->waiting;
}
