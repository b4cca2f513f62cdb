/* The portable half of host state: range storage and lookup, owner ranking (which socket
 * conflicts with a bind, and how strongly) and pc_hoststate_enrich. Back ends only list
 * sockets, describe processes and read ranges. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_os.h"

/* Sockets examined per lookup: a port rarely has more than a few; a busy server port with
 * thousands of connections only needs its listener, which ranks first anyway. */
#define SCRATCH_ROWS 512

struct pc_hoststate {
  const pc__hoststate_ops *ops;
  void *impl;
  pc_port_range *excluded;
  size_t n_excluded;
  pc_dynamic_range *dynamic;
  size_t n_dynamic;
  bool unpriv_known;
  uint16_t unpriv;
  bool excluded_known, owners_known; /* see pc__hoststate_set_known */
  uint32_t view_pid;                 /* see pc__hoststate_view_pid */
  bool holders_first;                /* see pc__hoststate_holders_first */
  bool holders_only;                 /* see pc__hoststate_holders_only */
  pc_owner_row scratch[SCRATCH_ROWS];
  char error[PC_HOSTSTATE_ERR_MAX];
};

int pc__hoststate_fail(pc_hoststate *hs, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(hs->error, sizeof hs->error, fmt, ap);
  va_end(ap);
  return code;
}

int pc__hoststate_create(const pc__hoststate_ops *ops, void *impl, pc_hoststate **out, char *err,
                         size_t errcap) {
  *out = NULL;
  pc_hoststate *hs = calloc(1, sizeof *hs);
  if (!hs) {
    if (ops->destroy) ops->destroy(impl);
    if (err && errcap) snprintf(err, errcap, "%s", pc_strerror(PC_ENOMEM));
    return PC_ENOMEM;
  }
  hs->ops = ops;
  hs->impl = impl;
  hs->excluded_known = hs->owners_known = true;
  int rc = pc_hoststate_refresh(hs);
  if (rc != PC_OK) {
    if (err && errcap) snprintf(err, errcap, "%s", hs->error);
    pc_hoststate_close(hs);
    return rc;
  }
  *out = hs;
  return PC_OK;
}

uint32_t pc__hoststate_view_pid(const pc_hoststate *hs) {
  return hs->view_pid;
}

bool pc__hoststate_holders_first(const pc_hoststate *hs) {
  return hs->holders_first;
}

bool pc__hoststate_holders_only(const pc_hoststate *hs) {
  return hs->holders_only;
}

void *pc__hoststate_impl(const pc_hoststate *hs) {
  return hs->impl;
}

void pc__hoststate_set_known(pc_hoststate *hs, bool excluded_known, bool owners_known) {
  hs->excluded_known = excluded_known;
  hs->owners_known = owners_known;
}

void pc__hoststate_set_ranges(pc_hoststate *hs, pc_port_range *excluded, size_t n_excluded,
                              pc_dynamic_range *dynamic, size_t n_dynamic, bool unpriv_known,
                              uint16_t unpriv) {
  free(hs->excluded);
  free(hs->dynamic);
  hs->excluded = excluded;
  hs->n_excluded = n_excluded;
  hs->dynamic = dynamic;
  hs->n_dynamic = n_dynamic;
  hs->unpriv_known = unpriv_known;
  hs->unpriv = unpriv;
}

void pc_hoststate_close(pc_hoststate *hs) {
  if (!hs) return;
  if (hs->ops->destroy) hs->ops->destroy(hs->impl);
  free(hs->excluded);
  free(hs->dynamic);
  free(hs);
}

const char *pc_hoststate_backend(const pc_hoststate *hs) {
  return hs->ops->name;
}
bool pc_hoststate_is_live(const pc_hoststate *hs) {
  return hs->ops->live;
}
uint8_t pc_hoststate_os(const pc_hoststate *hs) {
  return hs->ops->os;
}
const char *pc_hoststate_error(const pc_hoststate *hs) {
  return hs->error;
}

static pc_hoststate_bg_options bg_override;
static bool bg_override_set;

void pc__hoststate_set_bg_override(const pc_hoststate_bg_options *o) {
  bg_override_set = o != NULL;
  if (o) bg_override = *o;
}

int pc_hoststate_start_background(pc_hoststate *hs, const pc_hoststate_bg_options *o) {
  if (!hs->ops->start_background) return PC_ENOTSUP;
  pc_hoststate_bg_options m;
  memset(&m, 0, sizeof m);
  if (o) m = *o;
  if (bg_override_set) {
    if (bg_override.refresh_ms) m.refresh_ms = bg_override.refresh_ms;
    if (bg_override.tick_ms) m.tick_ms = bg_override.tick_ms;
    if (bg_override.now_ms) {
      m.now_ms = bg_override.now_ms;
      m.clock_ctx = bg_override.clock_ctx;
    }
  }
  return hs->ops->start_background(hs, hs->impl, &m);
}

bool pc_hoststate_update_pending(pc_hoststate *hs) {
  return hs && hs->ops->pending && hs->ops->pending(hs->impl);
}

int pc_hoststate_refresh(pc_hoststate *hs) {
  hs->error[0] = '\0';
  return hs->ops->refresh ? hs->ops->refresh(hs, hs->impl) : PC_OK;
}

size_t pc_hoststate_excluded(const pc_hoststate *hs, const pc_port_range **out) {
  *out = hs->excluded;
  return hs->n_excluded;
}

size_t pc_hoststate_dynamic(const pc_hoststate *hs, const pc_dynamic_range **out) {
  *out = hs->dynamic;
  return hs->n_dynamic;
}

static bool field_matches(uint8_t have, uint8_t want) {
  return have == 0 || want == 0 || have == want;
}

bool pc_hoststate_find_excluded(const pc_hoststate *hs, uint8_t proto, uint8_t family, uint16_t port,
                                pc_port_range *out) {
  for (size_t i = 0; i < hs->n_excluded; i++) {
    const pc_port_range *r = &hs->excluded[i];
    if (port >= r->start && port <= r->end && field_matches(r->proto, proto) &&
        field_matches(r->family, family)) {
      *out = *r;
      return true;
    }
  }
  return false;
}

bool pc_hoststate_find_dynamic(const pc_hoststate *hs, uint8_t proto, uint8_t family, pc_dynamic_range *out) {
  /* Pass 0: exact family; pass 1: a range for every family; pass 2: any family. */
  for (int pass = 0; pass < 3; pass++) {
    for (size_t i = 0; i < hs->n_dynamic; i++) {
      const pc_dynamic_range *r = &hs->dynamic[i];
      if (!field_matches(r->proto, proto)) continue;
      bool ok = pass == 0 ? (r->family == family && family != 0) : pass == 1 ? r->family == 0 : true;
      if (ok) {
        *out = *r;
        return true;
      }
    }
  }
  return false;
}

bool pc_hoststate_unprivileged_start(const pc_hoststate *hs, uint16_t *out) {
  if (hs->unpriv_known) *out = hs->unpriv;
  return hs->unpriv_known;
}

int pc_hoststate_process(pc_hoststate *hs, uint32_t pid, pc_process_info *out) {
  memset(out, 0, sizeof *out);
  out->pid = pid;
  if (!hs->ops->process) return PC_ENOENT;
  int rc = hs->ops->process(hs, hs->impl, pid, out);
  out->pid = pid;
  return rc;
}

int pc_hoststate_test_bind(pc_hoststate *hs, uint8_t proto, const pc_addr *addr, bool reuseaddr,
                           int *os_error, const char **stage) {
  *os_error = 0;
  *stage = "";
  /* A test bind is a bind on this machine: only a live back end describes it. */
  if (!hs->ops->live)
    return pc__hoststate_fail(hs, PC_ENOTSUP, "a test bind needs the live host state of this machine");
  if (pc_os_test_bind(proto, addr, reuseaddr, os_error, stage) != PC_OK)
    return pc__hoststate_fail(hs, PC_EINVAL, "test bind: no address family");
  return PC_OK;
}

/* ---- owner ranking ------------------------------------------------------------------------- */

/* IPv4-mapped IPv6 (::ffff:a.b.c.d) behaves as IPv4 for conflicts (etw-facts.md §4.3). */
static pc_addr normalize(const pc_addr *a) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  pc_addr n = *a;
  if (a->family == PC_AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
    memset(n.bytes, 0, sizeof n.bytes);
    memcpy(n.bytes, a->bytes + 12, 4);
    n.family = PC_AF_INET;
  }
  return n;
}

static uint8_t address_match(const pc_addr *query, const pc_addr *owner) {
  if (!query || query->family == PC_AF_UNKNOWN) return PC_OWNER_MATCH_ANY;
  pc_addr q = normalize(query), o = normalize(owner);
  if (q.family == o.family) {
    size_t n = q.family == PC_AF_INET ? 4 : 16;
    if (memcmp(q.bytes, o.bytes, n) == 0) return PC_OWNER_MATCH_EXACT;
    if (pc_addr_is_wildcard(&q) || pc_addr_is_wildcard(&o)) return PC_OWNER_MATCH_WILDCARD;
    return PC_OWNER_MATCH_NONE;
  }
  /* Across families only a real IPv6 wildcard (dual-stack unless V6ONLY) meets IPv4. */
  if (q.family == PC_AF_INET && o.family == PC_AF_INET6 && pc_addr_is_wildcard(&o))
    return PC_OWNER_MATCH_DUALSTACK;
  if (q.family == PC_AF_INET6 && o.family == PC_AF_INET && pc_addr_is_wildcard(&q))
    return PC_OWNER_MATCH_DUALSTACK;
  return PC_OWNER_MATCH_NONE;
}

/* Sockets that hold the port for new binds come first; connections and TIME_WAIT only block
 * binds without SO_REUSEADDR. */
static int state_rank(uint8_t state) {
  switch (state) {
    case PC_OWNER_STATE_LISTEN:
    case PC_OWNER_STATE_BOUND:
    case PC_OWNER_STATE_UDP:
      return 3;
    case PC_OWNER_STATE_TIME_WAIT:
      return 0;
    default:
      return 1;
  }
}

void pc__hoststate_keep_row(pc_owner_row *rows, size_t cap, size_t *n, const pc_owner_row *row) {
  if (*n < cap) {
    rows[(*n)++] = *row;
    return;
  }
  (*n)++;
  if (state_rank(row->state) < 3) return;
  for (size_t i = cap; i > 0; i--)
    if (state_rank(rows[i - 1].state) < 3) {
      rows[i - 1] = *row;
      return;
    }
}

typedef struct ranked {
  const pc_owner_row *row;
  uint8_t match;
  int score;
} ranked;

static int by_score(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->score != y->score) return y->score - x->score;
  /* Stable enough: earlier rows first. */
  return x->row < y->row ? -1 : x->row > y->row;
}

int pc_hoststate_owners(pc_hoststate *hs, uint8_t proto, uint16_t port, const pc_addr *addr, pc_owner *out,
                        size_t cap, size_t *total) {
  *total = 0;
  hs->error[0] = '\0';
  if (!hs->ops->sockets) return PC_OK;
  size_t n = 0;
  int rc = hs->ops->sockets(hs, hs->impl, proto, port, hs->scratch, SCRATCH_ROWS, &n);
  if (rc != PC_OK) return rc;
  /* Back ends fill min(n, SCRATCH_ROWS) rows and count the rest. */
  if (n > SCRATCH_ROWS) n = SCRATCH_ROWS;
  ranked *rk = malloc((n ? n : 1) * sizeof *rk);
  if (!rk) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    const pc_owner_row *r = &hs->scratch[i];
    if (r->proto != proto || r->local.port != port) continue;
    uint8_t match = address_match(addr, &r->local);
    if (match == PC_OWNER_MATCH_NONE) continue;
    /* The state weighs more than the address: a listener on the wildcard is what blocks a
     * bind, not the connection it accepted on the exact address. */
    rk[m++] = (ranked){r, match, state_rank(r->state) * 8 + match};
  }
  qsort(rk, m, sizeof *rk, by_score);
  for (size_t i = 0; i < m && i < cap; i++) {
    const pc_owner_row *r = rk[i].row;
    pc_owner *o = &out[i];
    memset(o, 0, sizeof *o);
    o->proto = r->proto;
    o->local = r->local;
    o->remote = r->remote;
    o->state = r->state;
    o->pid = r->pid;
    o->match = rk[i].match;
    o->kernel = hs->ops->os == PC_OS_WINDOWS && r->pid == 4;
    if (r->pid != 0) pc_hoststate_process(hs, r->pid, &o->process);
    o->process.pid = r->pid;
  }
  *total = m;
  free(rk);
  return PC_OK;
}

/* ---- enrichment ---------------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src) {
  if (!src[0]) return;
  snprintf(dst, cap, "%s", src);
}

/* Linux EACCES and EPERM come from privilege (a port below ip_unprivileged_port_start
 * without CAP_NET_BIND_SERVICE) or a policy (LSM, cgroup BPF), never from another socket on
 * the port: the holders a snapshot shows are context enough, and the exact dump of every
 * socket on the port (which costs a walk of the kernel's whole table: ~5 ms with 20 000
 * listeners) is not worth it. A storm of such failures over 1023 ports made that walk 96 %
 * of the monitor's CPU. Windows' WSAEACCES is different: an exclusive holder causes it. */
static bool not_about_holders(const pc_bind_attempt *a) {
  enum { LINUX_EPERM = 1, LINUX_EACCES = 13 };
  return a->failed && a->error_known && a->error_is_errno &&
         (a->error == LINUX_EACCES || a->error == LINUX_EPERM);
}

int pc_hoststate_enrich(pc_hoststate *hs, pc_facts *facts) {
  if (hs->ops->enrich) return hs->ops->enrich(hs, hs->impl, facts);
  const pc_bind_attempt *a = &facts->attempt;
  facts->os = hs->ops->os;
  hs->error[0] = '\0';

  if (a->pid_known) {
    pc_process_info pi;
    if (pc_hoststate_process(hs, a->pid, &pi) == PC_OK) {
      copy_str(facts->process_name, sizeof facts->process_name, pi.name);
      copy_str(facts->process_path, sizeof facts->process_path, pi.path);
      copy_str(facts->process_user, sizeof facts->process_user, pi.user);
      copy_str(facts->process_service, sizeof facts->process_service, pi.service);
    }
  }
  /* A process that failed and exited before this lookup: the live source saw its effective
   * uid (the one the kernel compares for SO_REUSEPORT sharing). */
  if (!facts->process_user[0] && a->uid_known && hs->ops->user_name)
    hs->ops->user_name(hs->impl, a->euid, facts->process_user, sizeof facts->process_user);

  uint8_t proto = a->proto;
  if (proto == PC_PROTO_UNKNOWN)
    proto = a->socktype == 1 ? PC_PROTO_TCP : a->socktype == 2 ? PC_PROTO_UDP : 0;
  uint8_t family = a->addr_known ? a->local.family : 0;
  uint16_t port = a->addr_known ? a->local.port : 0;

  /* Ports are per network namespace: look from the failing process's (a container's sockets
   * are invisible from the host's), and say when it is not ours. */
  if (a->pid_known && hs->ops->netns) {
    uint64_t mine, theirs;
    if (hs->ops->netns(hs->impl, 0, &mine) == PC_OK && hs->ops->netns(hs->impl, a->pid, &theirs) == PC_OK) {
      facts->netns_known = true;
      facts->other_netns = mine != theirs;
    }
  }
  hs->view_pid = a->pid_known ? a->pid : 0;
  int rc = PC_OK;
  /* Port 0 asks the kernel to pick one: no owner or exclusion can be about it. */
  if (proto != 0 && port != 0) {
    pc_owner owners[8];
    size_t total = 0;
    bool v6only = (a->sockopts_known & PC_SOCKOPT_V6ONLY) && (a->sockopts & PC_SOCKOPT_V6ONLY);
    /* Only the best owner is used, and a socket holding the port outranks every other: ask
     * for holders first (a back end may answer that from a snapshot), and for every socket
     * on the port only when no holder conflicts. The answer is the same either way. */
    hs->holders_first = true;
    hs->holders_only = not_about_holders(a);
    rc = pc_hoststate_owners(hs, proto, port, &a->local, owners, 8, &total);
    hs->holders_first = false;
    bool any = hs->holders_only;
    hs->holders_only = false;
    for (size_t i = 0; rc == PC_OK && i < total && i < 8 && !any; i++)
      any = state_rank(owners[i].state) == 3 &&
            !(v6only && owners[i].match == PC_OWNER_MATCH_DUALSTACK && owners[i].local.family == PC_AF_INET);
    if (rc == PC_OK && !any) rc = pc_hoststate_owners(hs, proto, port, &a->local, owners, 8, &total);
    for (size_t i = 0; rc == PC_OK && i < total && i < 8; i++) {
      const pc_owner *o = &owners[i];
      /* A V6ONLY wildcard does not reach into IPv4, so an IPv4 holder is not its problem. */
      if (v6only && o->match == PC_OWNER_MATCH_DUALSTACK && o->local.family == PC_AF_INET) continue;
      facts->owner_known = true;
      facts->owner_pid = o->pid;
      copy_str(facts->owner_name, sizeof facts->owner_name, o->process.name);
      copy_str(facts->owner_path, sizeof facts->owner_path, o->process.path);
      copy_str(facts->owner_service, sizeof facts->owner_service, o->process.service);
      copy_str(facts->owner_user, sizeof facts->owner_user, o->process.user);
      facts->owner_state = o->state;
      facts->owner_kernel = o->kernel;
      facts->owner_addr = o->local;
      break;
    }
    /* A kernel holder on Windows is most often HTTP.sys: name the URL, its request queue and the
     * service behind it, so that the HTTP.sys rules can say which one to stop. */
    const pc_http_reg *regs = NULL;
    size_t n_regs = facts->owner_kernel && hs->ops->http_regs ? hs->ops->http_regs(hs->impl, &regs) : 0;
    const pc_http_reg *reg = n_regs ? pc_http_reg_find(regs, n_regs, port) : NULL;
    if (reg) {
      copy_str(facts->owner_url, sizeof facts->owner_url, reg->url);
      copy_str(facts->owner_queue, sizeof facts->owner_queue, reg->queue);
      /* The queue's process names the service (tasklist /svc, or the service list live);
       * failing that, the image or the URL says who registered it. */
      char svc[PC_NAME_MAX] = "";
      for (uint8_t k = 0; k < reg->n_pids && !svc[0]; k++) {
        pc_process_info pi;
        if (reg->pids[k] != 0 && pc_hoststate_process(hs, reg->pids[k], &pi) == PC_OK)
          snprintf(svc, sizeof svc, "%s", pi.service);
      }
      const char *known = pc_http_reg_known_service(reg);
      if (!svc[0] && known) snprintf(svc, sizeof svc, "%s", known);
      /* "System" says nothing the owner_kernel flag does not: the service is what matters. */
      if (svc[0]) snprintf(facts->owner_service, sizeof facts->owner_service, "%s", svc);
    }
    pc_port_range r;
    if (pc_hoststate_find_excluded(hs, proto, family, port, &r)) {
      facts->excluded = true;
      facts->excluded_start = r.start;
      facts->excluded_end = r.end;
      facts->excluded_administered = r.administered;
    }
  }

  hs->view_pid = 0;
  /* After the owner lookup: a background back end installs its newest snapshot there. */
  facts->ranges_known = hs->excluded_known;
  facts->owners_known = hs->owners_known;
  uint64_t age = 0, interval = 0;
  if (hs->ops->snapshot_age && hs->ops->snapshot_age(hs->impl, &age, &interval)) {
    facts->hoststate_age_s = (uint32_t)(age / 1000);
    facts->hoststate_stale = interval && age > interval;
  }
  pc_dynamic_range d;
  if (pc_hoststate_find_dynamic(hs, proto, family, &d)) {
    facts->dynamic_known = true;
    facts->dynamic_start = d.start;
    facts->dynamic_end = (uint16_t)(d.start + d.count - 1);
    facts->in_dynamic = port != 0 && port >= d.start && port <= facts->dynamic_end;
  }
  uint16_t u;
  if (pc_hoststate_unprivileged_start(hs, &u)) {
    facts->unprivileged_start_known = true;
    facts->unprivileged_start = u;
  }
  return rc;
}

/* ---- names --------------------------------------------------------------------------------- */

const char *pc_owner_state_name(uint8_t state) {
  static const char *const names[] = {
      [PC_OWNER_STATE_LISTEN] = "LISTEN",       [PC_OWNER_STATE_ESTABLISHED] = "ESTABLISHED",
      [PC_OWNER_STATE_TIME_WAIT] = "TIME_WAIT", [PC_OWNER_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
      [PC_OWNER_STATE_BOUND] = "BOUND",         [PC_OWNER_STATE_UDP] = "UDP",
      [PC_OWNER_STATE_OTHER] = "OTHER",
  };
  return state < sizeof names / sizeof names[0] && names[state] ? names[state] : "UNKNOWN";
}

const char *pc_proto_name(uint8_t proto) {
  return proto == PC_PROTO_TCP ? "tcp" : proto == PC_PROTO_UDP ? "udp" : "any";
}
