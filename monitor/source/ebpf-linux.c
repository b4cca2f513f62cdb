/* ebpf-linux.c - loads pc_bind.bpf.c, reads its ring buffer on a thread of its own and
 * hands out pc_bind_attempts through a bounded fair queue (contract in ebpf.h). The same
 * thread settles the kernel's per-key counts (see "counting" below). */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pc_bind.skel.h"
#include "pc_bpf_event.h"
#include "pc_error.h"
#include "ebpf.h"
#include "ebpf_agg.h"
#include "pc_source.h"

#define DEFAULT_RING_BYTES (512u * 1024u)
#define DEFAULT_QUEUE 4096u
#define DEFAULT_WINDOW_MS 1000u
#define DEFAULT_UID_BUDGET 4096u
#define MAX_WINDOW_MS 3600000u
#define POLL_MS 100
/* After a window's end, how long an opener may still be on its way to the ring: counts are
 * settled without it only then (see settle_due). */
#define GRACE_NS 200000000ull
/* A busy key's count is handed on at least this often, so that with a long --window the
 * repeats reach the findings' aggregation while its window for them is still open. */
#define SETTLE_MAX_NS 1000000000ull
/* Keys the kernel counts that user space does not know (lost races) are looked for this
 * often. */
#define SCAN_EVERY_NS 30000000000ull
#define LEAK_BATCH 256

/* Capability numbers (linux/capability.h on older headers lacks the newest ones). */
#define CAP_NR_SYS_ADMIN 21
#define CAP_NR_SYS_PTRACE 19
#define CAP_NR_DAC_READ_SEARCH 2
#define CAP_NR_PERFMON 38
#define CAP_NR_BPF 39

struct pc_ebpf_source {
  struct pc_bind_bpf *skel;
  struct ring_buffer *rb;
  char hooks[160];
  int64_t mono_to_unix_ns;
  uint32_t own_netns; /* to name bound devices only where our interface table is theirs */

  pthread_t reader;
  bool reader_started;
  volatile int stop; /* set by close; read by the reader between polls */

  uint64_t window_ns;
  uint64_t settle_ns; /* a busy key's count is handed on this often: min(window, 1 s) */
  bool finished;      /* pc_ebpf_finish ran */

  /* The reader thread's own (and pc_ebpf_finish's, after the reader stopped). */
  pc__aggtab *keys;
  uint64_t next_sweep_ns, next_scan_ns;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  pc__fairq *queue;     /* under mu */
  pc__uidlost uid_lost; /* losses in user space per uid, under mu */
  pc_ebpf_stats st;     /* user-space counters, under mu */
};

/* ---- conversion ----------------------------------------------------------------------------- */

void pc_ebpf_convert(const struct pc_bpf_event *e, int64_t mono_to_unix_ns, pc_bind_attempt *a,
                     pc_ebpf_extra *x) {
  int64_t unix_ns = (int64_t)e->ts_ns + mono_to_unix_ns;
  pc_time ts = pc_time_from_unix(unix_ns / 1000000000, unix_ns % 1000000000);
  bool listen = e->source == PC_BPF_SRC_LISTEN || e->source == PC_BPF_SRC_URING_LISTEN;
  *a = (pc_bind_attempt){
      .ts_first = ts,
      .ts_last = ts,
      .pid = e->pid,
      .pid_known = true,
      .tid = e->tid,
      .stage = listen ? PC_STAGE_LISTEN : PC_STAGE_BIND,
      .failed = e->ret != 0, /* 0: a successful listen() (learned ports) */
      .repeats = 1,
      .error = (uint32_t)(e->ret < 0 ? -e->ret : e->ret),
      .error_known = true,
      .error_is_errno = true,
      .seen_by = PC_SEEN_EBPF,
      .ppid = e->ppid,
      .uid_known = true,
      .uid = e->uid,
      .euid = e->euid,
      .cgroup_id = e->cgroup_id,
      .netns = e->netns,
      .caps_known = true,
      .cap_effective = e->cap_eff,
  };
  *x = (pc_ebpf_extra){.source = e->source, .fd = e->fd, .ts_mono_ns = e->ts_ns};

  if (e->flags & PC_BPF_F_ADDR) {
    if (e->family == 2) {
      a->local.family = PC_AF_INET;
      memcpy(a->local.bytes, e->addr, 4);
      a->addr_known = true;
    } else if (e->family == 10) {
      a->local.family = PC_AF_INET6;
      memcpy(a->local.bytes, e->addr, 16);
      a->local.scope_id = e->scope_id;
      a->addr_known = true;
    }
    a->local.port = e->port;
  }
  if (e->flags & PC_BPF_F_SOCK) {
    a->socktype = e->sk_type == 1 || e->sk_type == 2 ? e->sk_type : 0;
    a->proto = e->sk_protocol == 6 ? PC_PROTO_TCP : e->sk_protocol == 17 ? PC_PROTO_UDP : PC_PROTO_UNKNOWN;
    a->sockopts_known = PC_SOCKOPT_REUSEADDR | PC_SOCKOPT_REUSEPORT | PC_SOCKOPT_V6ONLY;
    if (e->opts & PC_BPF_OPT_REUSEADDR) a->sockopts |= PC_SOCKOPT_REUSEADDR;
    if (e->opts & PC_BPF_OPT_REUSEPORT) a->sockopts |= PC_SOCKOPT_REUSEPORT;
    if (e->opts & PC_BPF_OPT_V6ONLY) a->sockopts |= PC_SOCKOPT_V6ONLY;
    if (e->flags & PC_BPF_F_FREEBIND) {
      a->sockopts_known |= PC_SOCKOPT_FREEBIND;
      if (e->opts & PC_BPF_OPT_FREEBIND) a->sockopts |= PC_SOCKOPT_FREEBIND;
      x->transparent = (e->opts & PC_BPF_OPT_TRANSPARENT) != 0;
    }
    x->sk_inode = e->sk_ino;
    x->bound_dev_if = e->bound_dev_if;
  }

  memcpy(a->comm, e->comm, sizeof a->comm - 1);
  a->comm[sizeof a->comm - 1] = '\0';
  if (e->flags & PC_BPF_F_EXE) {
    x->exe_known = true;
    size_t n = sizeof x->exe < sizeof e->exe ? sizeof x->exe : sizeof e->exe;
    memcpy(x->exe, e->exe, n - 1);
    x->exe[n - 1] = '\0';
  }
}

/* ---- privileges ----------------------------------------------------------------------------- */

static int cap_last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int v = -1;
  if (f) {
    if (fscanf(f, "%d", &v) != 1) v = -1;
    fclose(f);
  }
  return v;
}

/* Effective capability set of this process (bit n = capability n). */
static uint64_t effective_caps(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capget, &h, d) != 0) return 0;
  return (uint64_t)d[0].effective | ((uint64_t)d[1].effective << 32);
}

static bool has_cap(uint64_t caps, int n) {
  return (caps >> n) & 1u;
}

int pc_ebpf_check_privileges(char *msg, size_t cap) {
  uint64_t caps = effective_caps();
  int last = cap_last_cap();
  /* CAP_BPF and CAP_PERFMON exist since 5.8; before that only CAP_SYS_ADMIN allows BPF. */
  bool split = last < 0 || last >= CAP_NR_BPF;
  bool ok = has_cap(caps, CAP_NR_SYS_ADMIN) ||
            (split && has_cap(caps, CAP_NR_BPF) && has_cap(caps, CAP_NR_PERFMON));
  if (ok) return PC_OK;
  if (msg && cap) {
    char missing[64];
    if (split)
      snprintf(missing, sizeof missing, "%s%s", has_cap(caps, CAP_NR_BPF) ? "" : " CAP_BPF",
               has_cap(caps, CAP_NR_PERFMON) ? "" : " CAP_PERFMON");
    else
      snprintf(missing, sizeof missing, " CAP_SYS_ADMIN");
    snprintf(msg, cap,
             "the Linux live source loads an eBPF program: it needs root, or the capabilities "
             "CAP_BPF and CAP_PERFMON%s.\n"
             "  missing:%s\n"
             "  also wanted: CAP_DAC_READ_SEARCH (open tracefs for the cheaper tracepoint hooks; "
             "CAP_SYS_ADMIN mounts it when absent), CAP_SYS_PTRACE (name the owners of ports held "
             "by other users), CAP_NET_ADMIN (socket tables of other network namespaces)\n"
             "  grant them by running it as root:    sudo portclash monitor\n"
             "  or give the binary the capabilities: sudo setcap "
             "cap_bpf,cap_perfmon,cap_dac_read_search,cap_sys_ptrace+ep \"$(command -v portclash)\"\n"
             "  or as a service: AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_DAC_READ_SEARCH "
             "CAP_SYS_PTRACE (packaging/linux/portclash.service)",
             split ? "" : " (this kernel predates CAP_BPF: CAP_SYS_ADMIN)", missing);
  }
  return PC_EPRIV;
}

/* ---- loading -------------------------------------------------------------------------------- */

static bool verbose_libbpf;

/* libbpf's messages mislead on permission problems (it blames RLIMIT_MEMLOCK), so they are
 * hidden unless asked for; portclash prints its own. */
__attribute__((format(printf, 2, 0))) static int libbpf_print(enum libbpf_print_level level, const char *fmt,
                                                              va_list ap) {
  if (!verbose_libbpf || level == LIBBPF_DEBUG) return 0;
  return vfprintf(stderr, fmt, ap);
}

static const char *const TRACEFS_DIRS[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

static bool tracefs_usable(void) {
  char p[128];
  for (size_t i = 0; i < sizeof TRACEFS_DIRS / sizeof TRACEFS_DIRS[0]; i++) {
    snprintf(p, sizeof p, "%s/events/syscalls/sys_exit_bind/id", TRACEFS_DIRS[i]);
    /* open(), not access(): access() checks with the real uid and ignores capabilities,
     * and a service user holds CAP_DAC_READ_SEARCH to read this root-only directory. */
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      return true;
    }
  }
  return false;
}

/* libbpf attaches tracepoints through tracefs (it reads the event id there). On systems
 * without systemd's sys-kernel-tracing.mount it is not mounted: mount it where systemd
 * would, as systemd would. Needs CAP_SYS_ADMIN; quietly does nothing without it. */
static void try_mount_tracefs(void) {
  struct stat st;
  if (stat("/sys/kernel/tracing", &st) != 0 || !S_ISDIR(st.st_mode)) return;
  if (!has_cap(effective_caps(), CAP_NR_SYS_ADMIN)) return;
  if (mount("nodev", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0 &&
      verbose_libbpf)
    fprintf(stderr, "portclash: cannot mount tracefs on /sys/kernel/tracing: %s\n", strerror(errno));
}

/* True when the kernel's io_uring_complete tracepoint has the (ctx, req, cqe) form and
 * knows IORING_OP_BIND, which is what pc_uring_complete is written for. */
static bool kernel_has_uring_bind(void) {
  struct btf *btf = btf__load_vmlinux_btf();
  if (!btf || libbpf_get_error(btf)) return false;
  bool form = false, op = false;
  int id = btf__find_by_name_kind(btf, "btf_trace_io_uring_complete", BTF_KIND_TYPEDEF);
  if (id > 0) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    t = t ? btf__type_by_id(btf, t->type) : NULL; /* pointer */
    t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
    if (t && btf_is_func_proto(t) && btf_vlen(t) == 4) {
      const struct btf_param *p = btf_params(t);
      const struct btf_type *last = btf__type_by_id(btf, p[3].type);
      form = last && btf_is_ptr(last);
    }
  }
  id = btf__find_by_name_kind(btf, "io_uring_op", BTF_KIND_ENUM);
  if (id > 0) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    const struct btf_enum *v = btf_enum(t);
    for (unsigned i = 0; i < btf_vlen(t); i++)
      if (strcmp(btf__name_by_offset(btf, v[i].name_off), "IORING_OP_BIND") == 0) op = true;
  }
  btf__free(btf);
  return form && op;
}

static int err_code(int e) {
  e = e < 0 ? -e : e;
  if (e == EPERM || e == EACCES) return PC_EPRIV;
  if (e == ENOMEM) return PC_ENOMEM;
  if (e == ENOENT || e == EOPNOTSUPP || e == ENOTSUP || e == EINVAL) return PC_ENOTSUP;
  return PC_EIO;
}

/* Opens, configures, loads and attaches one hook set. Returns 0 or a negative errno, with
 * *what naming the step that failed. */
static int load_attach(const pc_ebpf_options *o, bool raw, bool uring, struct pc_bind_bpf **out,
                       const char **what) {
  *out = NULL;
  *what = "open";
  struct pc_bind_bpf *sk = pc_bind_bpf__open();
  if (!sk) return -(errno ? errno : EINVAL);
  sk->rodata->report_all = o->report_all;
  sk->rodata->window_ns = (uint64_t)o->window_ms * 1000000u;
  sk->rodata->uid_budget = o->uid_budget;
  sk->rodata->learn_listen = !o->no_listen;
  bpf_map__set_max_entries(sk->maps.events, o->ring_bytes);
  bpf_program__set_autoload(sk->progs.pc_exit_bind, !raw && !o->without_bind_hook);
  bpf_program__set_autoload(sk->progs.pc_exit_listen, !raw);
  bpf_program__set_autoload(sk->progs.pc_sys_exit, raw);
  bpf_program__set_autoload(sk->progs.pc_uring_complete, uring);
  *what = "load";
  int rc = pc_bind_bpf__load(sk);
  if (rc == 0) {
    *what = "attach";
    rc = pc_bind_bpf__attach(sk);
  }
  if (rc != 0) {
    int saved = errno;
    pc_bind_bpf__destroy(sk);
    return rc < 0 ? rc : -(saved ? saved : EINVAL);
  }
  *out = sk;
  return 0;
}

/* ---- the reader ----------------------------------------------------------------------------- */

static uint32_t netns_of_self(void) {
  struct stat st;
  return stat("/proc/self/ns/net", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t); /* bpf_ktime_get_ns()'s clock */
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Queues it (fairly per uid), counting what that costs; under mu. */
static void enqueue_locked(pc_ebpf_source *s, const pc_ebpf_item *it) {
  pc_ebpf_item dropped;
  bool did_drop;
  bool queued = pc__fairq_push(s->queue, it, &dropped, &did_drop);
  if (did_drop) {
    uint64_t n = pc__item_failures(&dropped);
    s->st.queue_dropped++;
    s->st.queue_lost += n;
    pc__uidlost_add(&s->uid_lost, dropped.attempt.uid, n);
  }
  size_t len = pc__fairq_len(s->queue);
  if (len > s->st.queue_high) s->st.queue_high = len;
  if (queued) pthread_cond_signal(&s->cv);
}

/* ---- counting: the kernel's per-key counts handed on as repeats ------------------------------
 * Protocol in pc_bpf_event.h and ebpf_agg.h. A key is settled (its count read and what is new
 * handed on) a settle interval (the window, at most 1 s) after its opener and then once an
 * interval while it fails, and forgotten
 * (here and in the kernel) once a settle finds nothing new a window after its last failure.
 * The count read is trusted only when no opener of it can still be on its way: the window's
 * start read before and after the count is the same, and it is the start of the opener last
 * received (or so old that its opener, if any, was lost on a full ring and is counted here). */

/* Deletes key k from the kernel's map and tells the kernel that its uid holds one key less
 * (uid_freed, written only here; see pc_bpf_uid_val.keys). False when it was not there. */
static bool delete_key(pc_ebpf_source *s, const struct pc_bpf_agg_key *k) {
  if (bpf_map_delete_elem(bpf_map__fd(s->skel->maps.agg), k) != 0) return false;
  uint32_t slot = k->uid;
  struct pc_bpf_uid_val uv;
  if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.uids), &slot, &uv) != 0) slot = PC_BPF_UID_OTHER;
  int fd = bpf_map__fd(s->skel->maps.uid_freed);
  uint64_t freed = 0;
  (void)bpf_map_lookup_elem(fd, &slot, &freed);
  freed++;
  (void)bpf_map_update_elem(fd, &slot, &freed, BPF_ANY);
  return true;
}

static void forget_key(pc_ebpf_source *s, size_t i) {
  pc__agg_entry *e = pc__aggtab_at(s->keys, i);
  (void)delete_key(s, &e->key);
  pc__aggtab_remove(s->keys, i);
}

static void hand_repeats(pc_ebpf_source *s, const pc__agg_entry *e, uint64_t n, uint64_t last_ns) {
  pc_ebpf_item it = e->model;
  it.attempt.repeats = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
  it.extra.repeats_only = true;
  if (last_ns > it.extra.ts_mono_ns) {
    int64_t unix_ns = (int64_t)last_ns + s->mono_to_unix_ns;
    it.attempt.ts_last = pc_time_from_unix(unix_ns / 1000000000, unix_ns % 1000000000);
  }
  pthread_mutex_lock(&s->mu);
  s->st.repeats_items++;
  /* Counts beyond UINT32_MAX in one window (not reachable at today's syscall rates) are
   * counted as lost rather than wrapped. */
  if (n > UINT32_MAX) {
    s->st.unaccounted += n - UINT32_MAX;
    pc__uidlost_add(&s->uid_lost, it.attempt.uid, n - UINT32_MAX);
  }
  enqueue_locked(s, &it);
  pthread_mutex_unlock(&s->mu);
}

/* Settles the keys that are due (all of them with force: after the program was detached and
 * the ring drained, when nothing can be on its way). */
static void settle_due(pc_ebpf_source *s, uint64_t now, bool force) {
  int fd = bpf_map__fd(s->skel->maps.agg);
  for (size_t i = 0; i < pc__aggtab_count(s->keys);) {
    pc__agg_entry *e = pc__aggtab_at(s->keys, i);
    if (!force && now < e->due_ns) {
      i++;
      continue;
    }
    struct pc_bpf_agg_val v1, v2;
    if (bpf_map_lookup_elem(fd, &e->key, &v1) != 0) {
      pc__aggtab_remove(s->keys, i); /* deleted in the kernel (a lost opener of a new key) */
      continue;
    }
    if (!force) {
      bool stable = bpf_map_lookup_elem(fd, &e->key, &v2) == 0 && v2.win_start == v1.win_start &&
                    (v1.win_start == e->open_ws || now - v1.win_start >= s->window_ns + GRACE_NS);
      if (!stable) {
        e->due_ns = now + POLL_MS * 1000000ull;
        i++;
        continue;
      }
    }
    uint64_t n = pc__agg_settle(e, v1.seq);
    if (n) hand_repeats(s, e, n, v1.last_ns);
    if (!n && !force && now - v1.last_ns >= s->window_ns) {
      forget_key(s, i);
      continue;
    }
    e->due_ns = now + s->settle_ns;
    i++;
  }
}

/* Keys the kernel counts that user space does not know (a race lost: an opener dropped
 * while the key was forgotten): idle ones are deleted and their counts said lost. */
static void scan_leaks(pc_ebpf_source *s, uint64_t now) {
  int fd = bpf_map__fd(s->skel->maps.agg);
  struct pc_bpf_agg_key cur, next, idle[LEAK_BATCH];
  size_t n_idle = 0;
  bool first = true;
  while (n_idle < LEAK_BATCH && bpf_map_get_next_key(fd, first ? NULL : &cur, &next) == 0) {
    first = false;
    cur = next;
    struct pc_bpf_agg_val v;
    if (pc__aggtab_find(s->keys, &cur) || bpf_map_lookup_elem(fd, &cur, &v) != 0) continue;
    if (now - v.last_ns >= 2 * s->window_ns) idle[n_idle++] = cur;
  }
  for (size_t i = 0; i < n_idle; i++) {
    struct pc_bpf_agg_val v;
    if (bpf_map_lookup_elem(fd, &idle[i], &v) != 0 || !delete_key(s, &idle[i])) continue;
    pthread_mutex_lock(&s->mu);
    s->st.unaccounted += v.seq;
    pc__uidlost_add(&s->uid_lost, idle[i].uid, v.seq);
    pthread_mutex_unlock(&s->mu);
  }
}

/* An opener (a failure that is the first of its key's window): remembered so that its
 * repeats can be handed on. When the table is full the key stops being counted in the
 * kernel (its next failure opens it anew) and what it counted meanwhile is said lost. */
static void opened(pc_ebpf_source *s, const struct pc_bpf_event *ev, const pc_ebpf_item *it) {
  if (pc__aggtab_opened(s->keys, &ev->key, ev->seq, it, ev->ts_ns + s->settle_ns + GRACE_NS)) return;
  int fd = bpf_map__fd(s->skel->maps.agg);
  struct pc_bpf_agg_val v;
  if (bpf_map_lookup_elem(fd, &ev->key, &v) == 0 && delete_key(s, &ev->key) && v.seq > ev->seq) {
    pthread_mutex_lock(&s->mu);
    s->st.unaccounted += v.seq - ev->seq;
    pc__uidlost_add(&s->uid_lost, ev->key.uid, v.seq - ev->seq);
    pthread_mutex_unlock(&s->mu);
  }
}

/* Ring-buffer callback, on the reader thread: convert and queue, never block. */
static int on_event(void *ctx, void *data, size_t size) {
  pc_ebpf_source *s = ctx;
  if (size < sizeof(struct pc_bpf_event)) {
    pthread_mutex_lock(&s->mu);
    s->st.malformed++;
    pthread_mutex_unlock(&s->mu);
    return 0;
  }
  const struct pc_bpf_event *ev = data;
  pc_ebpf_item it;
  pc_ebpf_convert(ev, s->mono_to_unix_ns, &it.attempt, &it.extra);
  if (it.extra.bound_dev_if > 0) {
    /* Interface names are per network namespace: only ours can be looked up here. */
    char name[IF_NAMESIZE];
    if (it.attempt.netns == s->own_netns && if_indextoname((unsigned)it.extra.bound_dev_if, name))
      snprintf(it.attempt.bound_device, sizeof it.attempt.bound_device, "%s", name);
    else
      snprintf(it.attempt.bound_device, sizeof it.attempt.bound_device, "ifindex %d",
               (int)it.extra.bound_dev_if);
  }
  if (it.attempt.failed && (ev->flags & PC_BPF_F_AGG)) opened(s, ev, &it);
  pthread_mutex_lock(&s->mu);
  s->st.received++;
  if (!it.attempt.failed) s->st.listens++;
  enqueue_locked(s, &it);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

/* Between polls: the keys that are due, and now and then the leak scan. */
static void housekeeping(pc_ebpf_source *s) {
  uint64_t now = mono_ns();
  if (now >= s->next_sweep_ns) {
    settle_due(s, now, false);
    s->next_sweep_ns = now + POLL_MS * 1000000ull;
  }
  if (now >= s->next_scan_ns) {
    scan_leaks(s, now);
    s->next_scan_ns = now + SCAN_EVERY_NS;
  }
}

static void *reader_main(void *arg) {
  pc_ebpf_source *s = arg;
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    int n = ring_buffer__poll(s->rb, POLL_MS);
    if (n < 0 && n != -EINTR) break;
    housekeeping(s);
  }
  return NULL;
}

/* ---- public --------------------------------------------------------------------------------- */

void pc_ebpf_options_init(pc_ebpf_options *o) {
  *o = (pc_ebpf_options){
      .hooks = PC_EBPF_HOOKS_AUTO,
      .io_uring = true,
      .ring_bytes = DEFAULT_RING_BYTES,
      .queue_capacity = DEFAULT_QUEUE,
      .window_ms = DEFAULT_WINDOW_MS,
      .uid_budget = DEFAULT_UID_BUDGET,
  };
}

static int64_t mono_to_unix_offset(void) {
  struct timespec r1, m, r2;
  clock_gettime(CLOCK_REALTIME, &r1);
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r2);
  int64_t real =
      ((int64_t)r1.tv_sec * 1000000000 + r1.tv_nsec + (int64_t)r2.tv_sec * 1000000000 + r2.tv_nsec) / 2;
  return real - ((int64_t)m.tv_sec * 1000000000 + m.tv_nsec);
}

int pc_ebpf_open(const pc_ebpf_options *opts, pc_ebpf_source **out, char *err, size_t cap) {
  *out = NULL;
  pc_ebpf_options o;
  if (opts)
    o = *opts;
  else
    pc_ebpf_options_init(&o);
  if (o.ring_bytes < 4096 || (o.ring_bytes & (o.ring_bytes - 1))) o.ring_bytes = DEFAULT_RING_BYTES;
  if (o.queue_capacity == 0) o.queue_capacity = DEFAULT_QUEUE;
  if (o.window_ms == 0) o.window_ms = DEFAULT_WINDOW_MS;
  if (o.window_ms > MAX_WINDOW_MS) o.window_ms = MAX_WINDOW_MS;

  int rc = pc_ebpf_check_privileges(err, cap);
  if (rc != PC_OK) return rc;
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    snprintf(err, cap,
             "this kernel has no BTF (/sys/kernel/btf/vmlinux missing): the eBPF source needs a "
             "kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian 11+, Ubuntu 20.10+, RHEL 8.2+)");
    return PC_ENOTSUP;
  }

  verbose_libbpf = o.verbose;
  libbpf_set_print(libbpf_print);

  pc_ebpf_source *s = calloc(1, sizeof *s);
  if (!s) return PC_ENOMEM;
  s->window_ns = (uint64_t)o.window_ms * 1000000u;
  s->settle_ns = s->window_ns < SETTLE_MAX_NS ? s->window_ns : SETTLE_MAX_NS;
  if (pc__fairq_new(o.queue_capacity, &s->queue) != PC_OK ||
      pc__aggtab_new(PC_BPF_AGG_ENTRIES + 1024, &s->keys) != PC_OK) {
    pc__fairq_free(s->queue);
    pc__aggtab_free(s->keys);
    free(s);
    return PC_ENOMEM;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);

  bool raw = o.hooks == PC_EBPF_HOOKS_RAW;
  if (o.hooks == PC_EBPF_HOOKS_AUTO && !tracefs_usable()) {
    try_mount_tracefs();
    raw = !tracefs_usable();
  }
  bool uring = o.io_uring && kernel_has_uring_bind();
  const char *what;
  int e = load_attach(&o, raw, uring, &s->skel, &what);
  if (e != 0 && uring) {
    /* io_uring is a bonus: do without it rather than fail. */
    uring = false;
    e = load_attach(&o, raw, uring, &s->skel, &what);
  }
  if (e != 0 && !raw && o.hooks == PC_EBPF_HOOKS_AUTO) {
    raw = true; /* e.g. tracefs exists but the tracepoints cannot be attached */
    e = load_attach(&o, raw, uring, &s->skel, &what);
  }
  if (e != 0) {
    rc = err_code(e);
    if (rc == PC_EPRIV)
      snprintf(err, cap,
               "the kernel refused to %s the eBPF program: %s. Run as root (or with CAP_BPF, CAP_PERFMON "
               "and CAP_DAC_READ_SEARCH); inside a container also allow the bpf() syscall; with kernel "
               "lockdown in confidentiality mode BPF tracing is not possible",
               what, strerror(-e));
    else
      snprintf(err, cap,
               "cannot %s the eBPF program: %s (run with -v to see libbpf's messages; kernel 5.15+ "
               "with BTF is needed)",
               what, strerror(-e));
    pc_ebpf_close(s);
    return rc;
  }
  snprintf(s->hooks, sizeof s->hooks, "%s%s",
           raw ? "tp_btf:sys_exit (bind, listen)" : "tracepoint:syscalls:sys_exit_bind,sys_exit_listen",
           uring ? " + tp_btf:io_uring_complete (IORING_OP_BIND, IORING_OP_LISTEN)" : "");

  s->mono_to_unix_ns = mono_to_unix_offset();
  s->own_netns = netns_of_self();
  /* The shared budget slot of the uids that find the budget map full. */
  uint32_t other = PC_BPF_UID_OTHER;
  struct pc_bpf_uid_val uv;
  memset(&uv, 0, sizeof uv);
  (void)bpf_map_update_elem(bpf_map__fd(s->skel->maps.uids), &other, &uv, BPF_NOEXIST);
  s->next_sweep_ns = 0;
  s->next_scan_ns = mono_ns() + SCAN_EVERY_NS;
  s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, s, NULL);
  if (!s->rb) {
    snprintf(err, cap, "cannot open the eBPF ring buffer: %s", strerror(errno));
    pc_ebpf_close(s);
    return PC_EIO;
  }
  if (pthread_create(&s->reader, NULL, reader_main, s) != 0) {
    snprintf(err, cap, "cannot start the ring-buffer reader thread");
    pc_ebpf_close(s);
    return PC_ENOMEM;
  }
  s->reader_started = true;
  *out = s;
  return PC_OK;
}

const char *pc_ebpf_hooks_in_use(const pc_ebpf_source *s) {
  return s->hooks;
}

int pc_ebpf_next(pc_ebpf_source *s, pc_ebpf_item *out, int timeout_ms) {
  pthread_mutex_lock(&s->mu);
  if (pc__fairq_len(s->queue) == 0 && timeout_ms > 0) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (pc__fairq_len(s->queue) == 0)
      if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0) break;
  }
  int rc = PC_EAGAIN;
  if (pc__fairq_pop(s->queue, out)) {
    s->st.delivered++;
    s->st.failures_handed += pc__item_failures(out);
    rc = PC_OK;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* Stops the reader thread (after which its state is this thread's). */
static void stop_reader(pc_ebpf_source *s) {
  if (!s->reader_started) return;
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_join(s->reader, NULL);
  s->reader_started = false;
}

void pc_ebpf_finish(pc_ebpf_source *s) {
  if (!s || s->finished) return;
  s->finished = true;
  if (s->skel) pc_bind_bpf__detach(s->skel);
  stop_reader(s);
  if (s->rb) (void)ring_buffer__consume(s->rb);
  if (s->skel && s->keys) settle_due(s, mono_ns(), true);
}

/* Adds the kernel's per-uid losses to a copy of the user-space ones and names the top. */
static void top_uids(pc_ebpf_source *s, char *buf, size_t cap) {
  pc__uidlost *all = malloc(sizeof *all);
  if (!all) {
    buf[0] = '\0';
    return;
  }
  pthread_mutex_lock(&s->mu);
  *all = s->uid_lost;
  pthread_mutex_unlock(&s->mu);
  int fd = bpf_map__fd(s->skel->maps.uids);
  uint32_t cur = 0, next;
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? NULL : &cur, &next) == 0) {
    first = false;
    cur = next;
    struct pc_bpf_uid_val v;
    if (bpf_map_lookup_elem(fd, &cur, &v) != 0 || !v.lost) continue;
    if (cur == PC_BPF_UID_OTHER)
      all->other += v.lost;
    else
      pc__uidlost_add(all, cur, v.lost);
  }
  pc__uidlost_top(all, 3, buf, cap);
  free(all);
}

void pc_ebpf_get_stats(pc_ebpf_source *s, pc_ebpf_stats *out) {
  pthread_mutex_lock(&s->mu);
  *out = s->st;
  pthread_mutex_unlock(&s->mu);
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0 || ncpu > 8192) return;
  uint64_t *vals = calloc((size_t)ncpu, sizeof *vals);
  if (!vals) return;
  int fd = bpf_map__fd(s->skel->maps.counters);
  for (uint32_t k = 0; k < PC_BPF_CNT_MAX; k++) {
    if (bpf_map_lookup_elem(fd, &k, vals) != 0) continue;
    uint64_t sum = 0;
    for (int c = 0; c < ncpu; c++) sum += vals[c];
    if (k == PC_BPF_CNT_SUBMITTED) out->kernel_submitted = sum;
    if (k == PC_BPF_CNT_DROPPED) out->kernel_dropped = sum;
    if (k == PC_BPF_CNT_FAILURES) out->kernel_failures = sum;
    if (k == PC_BPF_CNT_COUNTED) out->kernel_counted = sum;
    if (k == PC_BPF_CNT_BUDGET) out->budget_lost = sum;
    if (k == PC_BPF_CNT_MAP_FULL) out->map_full = sum;
  }
  free(vals);
  out->lost = out->kernel_dropped + out->budget_lost + out->queue_lost + out->unaccounted;
  if (out->lost) top_uids(s, out->top_uids, sizeof out->top_uids);
}

void pc_ebpf_close(pc_ebpf_source *s) {
  if (!s) return;
  /* Detach first so that no new events arrive while the reader stops. */
  if (s->skel) pc_bind_bpf__detach(s->skel);
  stop_reader(s);
  ring_buffer__free(s->rb);
  pc_bind_bpf__destroy(s->skel);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  pc__fairq_free(s->queue);
  pc__aggtab_free(s->keys);
  free(s);
}

/* ---- as a pc_source (pc_source.h) ---- */

typedef struct ebpf_src {
  pc_ebpf_source *s;
  pc_ebpf_item cur;     /* the item handed out last (its extra points here) */
  volatile int stopped; /* set by stop, possibly from a signal handler */
  int64_t left;         /* after stop: queued items still to hand out; -1 before stop */
} ebpf_src;

static int ebpf_src_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  ebpf_src *e = self;
  /* After stop, intake ends and the kernel's counts are handed on (pc_ebpf_finish, which
   * also stops the reader, so a storm cannot delay the end); what is queued then is handed
   * out (not waited for), then the end. */
  int stopped = e->stopped;
  if (stopped && e->left < 0) {
    pc_ebpf_finish(e->s);
    pc_ebpf_stats es;
    pc_ebpf_get_stats(e->s, &es);
    uint64_t in = es.received + es.repeats_items, gone = es.delivered + es.queue_dropped;
    e->left = in > gone ? (int64_t)(in - gone) : 0;
  }
  if (stopped) {
    if (e->left == 0) return PC_EEND;
    e->left--;
  }
  if (pc_ebpf_next(e->s, &e->cur, stopped ? 0 : (int)timeout_ms) != PC_OK)
    return stopped ? PC_EEND : PC_ETIMEOUT;
  it->kind = PC_SOURCE_ATTEMPT;
  it->attempt = e->cur.attempt;
  it->extra = &e->cur;
  return PC_OK;
}

static void ebpf_src_stats(void *self, pc_source_stats *st) {
  pc_ebpf_stats es;
  pc_ebpf_get_stats(((ebpf_src *)self)->s, &es);
  st->items = es.delivered;
  st->lost = es.lost;
  char full[64] = "";
  if (es.map_full)
    snprintf(full, sizeof full, "; %llu sent uncounted (key map full)", (unsigned long long)es.map_full);
  char line[640];
  snprintf(line, sizeof line,
           "eBPF source: %llu failures seen by the kernel (%llu counted there), %llu ring events, %llu "
           "failures handed on; lost: %llu ring full, %llu over a uid's budget, %llu queue full, %llu "
           "other%s%s; queue peak %llu%s",
           (unsigned long long)es.kernel_failures, (unsigned long long)es.kernel_counted,
           (unsigned long long)es.received, (unsigned long long)es.failures_handed,
           (unsigned long long)es.kernel_dropped, (unsigned long long)es.budget_lost,
           (unsigned long long)es.queue_lost, (unsigned long long)es.unaccounted,
           es.top_uids[0] ? "; most lost by " : "", es.top_uids, (unsigned long long)es.queue_high, full);
  /* Cut to the field (the uids come last but one); never expected with counts below 1e12. */
  size_t n = strlen(line);
  if (n >= sizeof st->detail) n = sizeof st->detail - 1;
  memcpy(st->detail, line, n);
  st->detail[n] = '\0';
}

static void ebpf_src_info(void *self, pc_source_info *in) {
  in->name = "ebpf";
  in->os = "linux";
  in->attached = pc_ebpf_hooks_in_use(((ebpf_src *)self)->s);
}

static void ebpf_src_stop(void *self) {
  ((ebpf_src *)self)->stopped = 1;
}

static const char *ebpf_src_error(const void *self) {
  (void)self;
  return "";
}

static void ebpf_src_close(void *self) {
  ebpf_src *e = self;
  pc_ebpf_close(e->s);
  free(e);
}

static const pc_source_ops ebpf_src_ops = {ebpf_src_next,  ebpf_src_stats, ebpf_src_info, ebpf_src_stop,
                                           ebpf_src_error, ebpf_src_close, NULL};

int pc_source_open_ebpf(const struct pc_ebpf_options *o, pc_source **out, char *err, size_t errcap) {
  *out = NULL;
  ebpf_src *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(err, errcap, "out of memory");
    return PC_ENOMEM;
  }
  int rc = pc_ebpf_open(o, &e->s, err, errcap);
  if (rc != PC_OK) {
    free(e);
    return rc;
  }
  e->left = -1;
  return pc_source_new(&ebpf_src_ops, e, out);
}
