/* The correlator: AFD socket lifecycle + TCPIP + Winsock-Sockets evidence → attempts.
 *
 * Facts it relies on (etw-facts.md §2, §3, §9):
 * - AfdCreate's ProcessId payload field is the user-mode PID; Process is an EPROCESS
 *   address, the same for every socket of a process.
 * - The AFD header PID is only trusted at the Locations Microsoft's NetBlame decoder
 *   found reliable (bind 7010/7022); elsewhere it may be System or a worker.
 * - AfdBindWithAddress is logged at entry (EnterExit 0, requested address) and exit
 *   (EnterExit 1, final status; the address may be empty), joined by Endpoint.
 * - TCPIP bind failures run in the caller's context [INF], so their header PID is used
 *   when the payload has none; Winsock-Sockets is user mode, its header PID is the caller.
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

/* What is known about one AFD endpoint or Winsock socket. */
typedef struct sock_info {
  uint32_t pid;
  bool pid_known;
  uint64_t start_key;
  uint64_t process; /* EPROCESS */
  uint8_t proto;
  uint32_t socktype;
  bool bind_pending; /* an AfdBindWithAddress entry was seen */
  pc_time bind_started;
  pc_addr requested;
  bool requested_known;
  pc_addr bound; /* last successful bind, for listen failures */
  bool bound_known;
  uint32_t sockopts, sockopts_known;
} sock_info;

typedef struct proc_info {
  uint32_t pid;
  uint64_t start_key;
} proc_info;

/* One piece of evidence about a bind, whatever provider it came from. */
typedef struct evidence {
  uint8_t source;
  pc_time ts;      /* when this provider reported the outcome */
  pc_time started; /* when the bind began, if earlier (AFD enter); else == ts */
  uint32_t tid;
  bool pid_known;
  uint32_t pid;
  uint64_t start_key;
  uint64_t endpoint;
  bool addr_known;
  pc_addr addr;
  uint8_t proto;
  int32_t socktype;
  uint8_t stage;
  bool failed;
  bool ntstatus_known;
  uint32_t ntstatus;
  bool error_known;
  uint32_t error;
  uint32_t sockopts, sockopts_known;
  uint16_t tcpip_event;
} evidence;

struct pc_correlator {
  pc_correlator_config cfg;
  pc_attempt_fn emit;
  void *ud;
  pc_time now;
  pc_bmap *afd_sockets;  /* key (endpoint, 0) */
  pc_bmap *ws_sockets;   /* key (socket handle, pid) */
  pc_bmap *processes;    /* key (EPROCESS, 0) */
  pc_bind_attempt *open; /* ring of attempts waiting for more evidence, oldest first */
  size_t open_head, open_count;
  pc_correlator_stats stats;
};

void pc_correlator_config_default(pc_correlator_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->merge_window = 100 * PC_TIME_TICKS_PER_MS;
  cfg->hold = 200 * PC_TIME_TICKS_PER_MS;
  cfg->max_endpoints = 65536;
  cfg->max_processes = 16384;
  cfg->max_open = 1024;
}

int pc_correlator_new(const pc_correlator_config *cfg, pc_attempt_fn emit, void *ud, pc_correlator **out) {
  *out = NULL;
  pc_correlator *c = calloc(1, sizeof *c);
  if (!c) return PC_ENOMEM;
  if (cfg)
    c->cfg = *cfg;
  else
    pc_correlator_config_default(&c->cfg);
  if (!c->cfg.max_endpoints || !c->cfg.max_processes || !c->cfg.max_open) {
    free(c);
    return PC_EINVAL;
  }
  c->emit = emit;
  c->ud = ud;
  c->now = PC_TIME_UNKNOWN;
  int rc = pc_bmap_new(c->cfg.max_endpoints, sizeof(sock_info), &c->afd_sockets);
  if (rc == PC_OK) rc = pc_bmap_new(c->cfg.max_endpoints, sizeof(sock_info), &c->ws_sockets);
  if (rc == PC_OK) rc = pc_bmap_new(c->cfg.max_processes, sizeof(proc_info), &c->processes);
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

static void emit_oldest(pc_correlator *c) {
  pc_bind_attempt *a = &c->open[c->open_head];
  c->open_head = (c->open_head + 1) % c->cfg.max_open;
  c->open_count--;
  if (!a->failed && !c->cfg.report_success) return;
  c->stats.attempts_emitted++;
  if (a->failed) c->stats.failures_emitted++;
  c->emit(a, c->ud);
}

void pc_correlator_flush(pc_correlator *c) {
  while (c->open_count) emit_oldest(c);
}

void pc_correlator_free(pc_correlator *c) {
  if (!c) return;
  if (c->open) pc_correlator_flush(c);
  pc_bmap_free(c->afd_sockets);
  pc_bmap_free(c->ws_sockets);
  pc_bmap_free(c->processes);
  free(c->open);
  free(c);
}

void pc_correlator_advance(pc_correlator *c, pc_time now) {
  if (c->now != PC_TIME_UNKNOWN && now < c->now) return; /* event time never goes back */
  c->now = now;
  /* Attempts are opened in event order, so the ring is (nearly) sorted by first time;
   * stop at the first one still inside its hold. */
  while (c->open_count && c->open[c->open_head].ts_first + c->cfg.hold <= now) emit_oldest(c);
}

static uint8_t proto_from_socket(uint32_t socktype, uint32_t protocol) {
  if (protocol == PC_PROTO_TCP || protocol == PC_PROTO_UDP) return (uint8_t)protocol;
  if (socktype == 1) return PC_PROTO_TCP;
  if (socktype == 2) return PC_PROTO_UDP;
  return PC_PROTO_UNKNOWN;
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

/* Attributes an AFD event to a process: the socket's creator, else the EPROCESS map,
 * else the header at the Locations where it is reliable. */
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
  if (ev->location == 7010 || ev->location == 7022) {
    e->pid_known = true;
    e->pid = ev->header_pid;
    e->start_key = ev->header_start_key;
    learn_process(c, ev->process, ev->header_pid, ev->header_start_key);
  }
}

static bool addr_compatible(const evidence *e, const pc_bind_attempt *a) {
  if (!e->addr_known || !a->addr_known) return true;
  return pc_addr_equal(&e->addr, &a->local);
}

/* Can e be another provider's view of the same bind as a? */
static bool same_bind(const pc_correlator *c, const evidence *e, const pc_bind_attempt *a) {
  if (a->seen_by & e->source) return false; /* one provider reports one bind once */
  if (e->failed != a->failed) return false;
  pc_time d = e->ts - a->ts_first;
  if (d < 0) d = -d;
  if (d > c->cfg.merge_window) return false;
  if (e->proto && a->proto && e->proto != a->proto) return false;
  if (e->pid_known && a->pid_known) {
    if (e->pid != a->pid) return false;
    if (e->start_key && a->start_key && e->start_key != a->start_key) return false; /* PID reuse */
  } else if (!e->addr_known || !a->addr_known) {
    return false; /* neither process nor address to match on: keep apart */
  }
  if (!e->addr_known || !a->addr_known) return e->pid_known && a->pid_known;
  return addr_compatible(e, a);
}

static void fill_from(pc_bind_attempt *a, const evidence *e) {
  if (!a->pid_known && e->pid_known) {
    a->pid_known = true;
    a->pid = e->pid;
  }
  if (!a->start_key) a->start_key = e->start_key;
  if (!a->tid) a->tid = e->tid;
  if (!a->endpoint) a->endpoint = e->endpoint;
  if (!a->addr_known && e->addr_known) {
    a->addr_known = true;
    a->local = e->addr;
  }
  if (!a->proto) a->proto = e->proto;
  if (!a->socktype) a->socktype = e->socktype;
  if (e->stage == PC_STAGE_LISTEN) a->stage = PC_STAGE_LISTEN;
  /* Prefer the kernel's NTSTATUS for the name, but a Winsock ErrorCode is the error the
   * application actually saw, so it wins for `error`. */
  if (!a->ntstatus_known && e->ntstatus_known) {
    a->ntstatus_known = true;
    a->ntstatus = e->ntstatus;
  }
  if (e->error_known && (!a->error_known || e->source == PC_SEEN_WINSOCK)) {
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
  /* Successful binds only matter when asked for; skipping them keeps the open list (and its
   * linear merge scan) as short as the number of recent failures. */
  if (!e->failed && !c->cfg.report_success) return;
  if (!e->started || e->started > e->ts) e->started = e->ts;
  for (size_t k = 0; k < c->open_count; k++) {
    pc_bind_attempt *a = &c->open[(c->open_head + k) % c->cfg.max_open];
    if (same_bind(c, e, a)) {
      fill_from(a, e);
      c->stats.merged++;
      return;
    }
  }
  if (c->open_count == c->cfg.max_open) {
    emit_oldest(c);
    c->stats.early_emits++;
  }
  pc_bind_attempt *a = &c->open[(c->open_head + c->open_count) % c->cfg.max_open];
  c->open_count++;
  memset(a, 0, sizeof *a);
  a->ts_first = e->started;
  a->ts_last = e->ts;
  a->failed = e->failed;
  fill_from(a, e);
}

static void set_status(evidence *e, uint32_t status) {
  e->ntstatus_known = true;
  e->ntstatus = status;
  e->failed = pc_ntstatus_failed(status) != 0;
  uint32_t wsa = pc_ntstatus_to_wsa(status);
  e->error_known = e->failed ? wsa != 0 : true;
  e->error = wsa;
}

static void on_afd(pc_correlator *c, const pc_event *ev) {
  bool evicted;
  switch (ev->kind) {
    case PC_EV_SOCKET_CREATE: {
      /* Only the completed create (or the legacy event 1, which has no EnterExit) carries a
       * usable socket; the payload PID is the user-mode PID. */
      if (ev->enter_exit_known && ev->enter_exit != 1) return;
      if (ev->status_known && pc_ntstatus_failed(ev->status)) return;
      sock_info *s = afd_socket(c, ev->endpoint, true);
      memset(s, 0, sizeof *s);
      s->pid_known = ev->pid_known;
      s->pid = ev->pid;
      s->start_key = ev->header_pid == ev->pid ? ev->header_start_key : 0;
      s->process = ev->process;
      s->socktype = ev->socktype;
      s->proto = proto_from_socket(ev->socktype, ev->protocol);
      if (ev->pid_known) learn_process(c, ev->process, ev->pid, s->start_key);
      (void)evicted;
      return;
    }
    case PC_EV_SOCKET_CLOSE:
      pc_bmap_remove(c->afd_sockets, ev->endpoint, 0);
      return;
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
    /* Request start: remember what was asked for; the exit tells how it ended. */
    if (!s) s = afd_socket(c, ev->endpoint, true);
    s->bind_pending = true;
    s->bind_started = ev->ts;
    s->requested_known = ev->addr_known;
    s->requested = ev->addr;
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
  if (ev->enter_exit_known && ev->enter_exit != 1) return; /* internal AFD/TCPIP steps */
  evidence e = {0};
  e.source = PC_SEEN_AFD;
  e.ts = ev->ts;
  e.tid = ev->tid;
  e.endpoint = ev->endpoint;
  afd_owner(c, ev, s, &e);
  if (ev->status_known) set_status(&e, ev->status);
  if (ev->kind == PC_EV_BIND_FAIL) e.failed = true; /* legacy event 40 is failure by definition */
  if (ev->kind == PC_EV_LISTEN) {
    if (!e.failed) return; /* a successful listen adds nothing to a bind */
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
    if (s->bind_pending && ev->kind == PC_EV_BIND && s->bind_started < e.ts) e.started = s->bind_started;
    s->bind_pending = false;
    if (!e.failed && e.addr_known) {
      s->bound = e.addr;
      s->bound_known = true;
    }
  }
  add_evidence(c, &e);
}

static void on_tcpip(pc_correlator *c, const pc_event *ev) {
  if (ev->kind != PC_EV_BIND_FAIL && ev->kind != PC_EV_LISTEN_FAIL && ev->kind != PC_EV_BIND_OK) return;
  evidence e = {0};
  e.source = PC_SEEN_TCPIP;
  e.ts = ev->ts;
  e.tid = ev->tid;
  e.pid_known = true;
  e.pid = ev->pid_known ? ev->pid : ev->header_pid;
  e.start_key = ev->start_key_known ? ev->start_key : ev->header_start_key;
  e.addr_known = ev->addr_known;
  e.addr = ev->addr;
  e.proto = ev->proto;
  e.socktype = ev->proto == PC_PROTO_TCP ? 1 : ev->proto == PC_PROTO_UDP ? 2 : 0;
  e.tcpip_event = ev->id;
  if (ev->status_known) set_status(&e, ev->status);
  /* The event itself says whether the bind failed, whatever its status field holds. */
  e.failed = ev->kind != PC_EV_BIND_OK;
  if (e.failed && !e.error_known && ev->status_known) {
    /* A failure event with a status we cannot map: keep the NTSTATUS, error unknown. */
    e.error_known = false;
  }
  if (ev->kind == PC_EV_LISTEN_FAIL) e.stage = PC_STAGE_LISTEN;
  add_evidence(c, &e);
}

static void on_winsock(pc_correlator *c, const pc_event *ev) {
  bool evicted;
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
    case PC_EV_SOCKET_CLOSE:
      pc_bmap_remove(c->ws_sockets, ev->endpoint, ev->header_pid);
      return;
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
  evidence e = {0};
  e.source = PC_SEEN_WINSOCK;
  e.ts = ev->ts;
  e.tid = ev->tid;
  e.pid_known = true;
  e.pid = ev->header_pid;
  e.start_key = ev->header_start_key;
  e.endpoint = ev->endpoint;
  e.addr_known = ev->addr_known;
  e.addr = ev->addr;
  e.error_known = ev->wsa_known;
  e.error = ev->wsa_error;
  e.failed = ev->wsa_known && ev->wsa_error != 0;
  if (s) {
    e.proto = s->proto;
    e.socktype = (int32_t)s->socktype;
    e.sockopts = s->sockopts;
    e.sockopts_known = s->sockopts_known;
  }
  if (ev->kind == PC_EV_LISTEN) {
    if (!e.failed) return;
    e.stage = PC_STAGE_LISTEN;
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
}
