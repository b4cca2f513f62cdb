/* ebpf-linux.c - loads pc_bind.bpf.c, reads its ring buffer on a thread of its own and
 * hands out pc_bind_attempts through a bounded queue (contract in ebpf.h). */
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
#include "pc_source.h"

#define DEFAULT_RING_BYTES (512u * 1024u)
#define DEFAULT_QUEUE 4096u
#define POLL_MS 100

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

  pthread_mutex_t mu;
  pthread_cond_t cv;
  pc_ebpf_item *queue; /* ring of cap items */
  size_t cap, head, len;
  pc_ebpf_stats st; /* user-space counters, under mu */
};

/* ---- conversion ----------------------------------------------------------------------------- */

void pc_ebpf_convert(const struct pc_bpf_event *e, int64_t mono_to_unix_ns, pc_bind_attempt *a,
                     pc_ebpf_extra *x) {
  memset(a, 0, sizeof *a);
  memset(x, 0, sizeof *x);
  int64_t unix_ns = (int64_t)e->ts_ns + mono_to_unix_ns;
  a->ts_first = a->ts_last = pc_time_from_unix(unix_ns / 1000000000, unix_ns % 1000000000);
  a->pid = e->pid;
  a->pid_known = true;
  a->tid = e->tid;
  a->stage = (e->source == PC_BPF_SRC_LISTEN || e->source == PC_BPF_SRC_URING_LISTEN) ? PC_STAGE_LISTEN
                                                                                      : PC_STAGE_BIND;
  a->failed = true;
  a->error = (uint32_t)(e->ret < 0 ? -e->ret : e->ret);
  a->error_known = true;
  a->error_is_errno = true;
  a->seen_by = PC_SEEN_EBPF;

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

  a->ppid = e->ppid;
  a->uid_known = true;
  a->uid = e->uid;
  a->euid = e->euid;
  a->cgroup_id = e->cgroup_id;
  a->netns = e->netns;
  a->caps_known = true;
  a->cap_effective = e->cap_eff;
  memcpy(a->comm, e->comm, sizeof a->comm - 1);
  a->comm[sizeof a->comm - 1] = '\0';

  x->source = e->source;
  x->fd = e->fd;
  x->ts_mono_ns = e->ts_ns;
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

/* Ring-buffer callback, on the reader thread: convert and queue, never block. */
static int on_event(void *ctx, void *data, size_t size) {
  pc_ebpf_source *s = ctx;
  if (size < sizeof(struct pc_bpf_event)) {
    pthread_mutex_lock(&s->mu);
    s->st.malformed++;
    pthread_mutex_unlock(&s->mu);
    return 0;
  }
  pc_ebpf_item it;
  pc_ebpf_convert(data, s->mono_to_unix_ns, &it.attempt, &it.extra);
  if (it.extra.bound_dev_if > 0) {
    /* Interface names are per network namespace: only ours can be looked up here. */
    char name[IF_NAMESIZE];
    if (it.attempt.netns == s->own_netns && if_indextoname((unsigned)it.extra.bound_dev_if, name))
      snprintf(it.attempt.bound_device, sizeof it.attempt.bound_device, "%s", name);
    else
      snprintf(it.attempt.bound_device, sizeof it.attempt.bound_device, "ifindex %d",
               (int)it.extra.bound_dev_if);
  }
  pthread_mutex_lock(&s->mu);
  s->st.received++;
  if (s->len == s->cap) {
    s->st.queue_dropped++;
  } else {
    s->queue[(s->head + s->len) % s->cap] = it;
    s->len++;
    if (s->len > s->st.queue_high) s->st.queue_high = s->len;
    pthread_cond_signal(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  return 0;
}

static void *reader_main(void *arg) {
  pc_ebpf_source *s = arg;
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    int n = ring_buffer__poll(s->rb, POLL_MS);
    if (n < 0 && n != -EINTR) break;
  }
  return NULL;
}

/* ---- public --------------------------------------------------------------------------------- */

void pc_ebpf_options_init(pc_ebpf_options *o) {
  memset(o, 0, sizeof *o);
  o->hooks = PC_EBPF_HOOKS_AUTO;
  o->io_uring = true;
  o->ring_bytes = DEFAULT_RING_BYTES;
  o->queue_capacity = DEFAULT_QUEUE;
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
  s->cap = o.queue_capacity;
  s->queue = calloc(s->cap, sizeof *s->queue);
  if (!s->queue) {
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
  if (s->len == 0 && timeout_ms > 0) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (s->len == 0)
      if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0) break;
  }
  int rc = PC_EAGAIN;
  if (s->len > 0) {
    *out = s->queue[s->head];
    s->head = (s->head + 1) % s->cap;
    s->len--;
    s->st.delivered++;
    rc = PC_OK;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
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
  }
  free(vals);
}

void pc_ebpf_close(pc_ebpf_source *s) {
  if (!s) return;
  /* Detach first so that no new events arrive while the reader stops. */
  if (s->skel) pc_bind_bpf__detach(s->skel);
  if (s->reader_started) {
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_join(s->reader, NULL);
  }
  ring_buffer__free(s->rb);
  pc_bind_bpf__destroy(s->skel);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s->queue);
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
  /* After stop, what was queued when the stop was seen is handed out (not waited for), then
   * the end: the reader may still be queueing a storm, which must not delay the end. */
  int stopped = e->stopped;
  if (stopped && e->left < 0) {
    pc_ebpf_stats es;
    pc_ebpf_get_stats(e->s, &es);
    uint64_t gone = es.delivered + es.queue_dropped;
    e->left = es.received > gone ? (int64_t)(es.received - gone) : 0;
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
  st->lost = es.kernel_dropped + es.queue_dropped;
  snprintf(
      st->detail, sizeof st->detail,
      "eBPF source: %llu failures seen by the kernel, %llu lost in the kernel ring (full), %llu lost in the "
      "queue (full), %llu read from it; queue peak %llu",
      (unsigned long long)(es.kernel_submitted + es.kernel_dropped), (unsigned long long)es.kernel_dropped,
      (unsigned long long)es.queue_dropped, (unsigned long long)es.delivered,
      (unsigned long long)es.queue_high);
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
