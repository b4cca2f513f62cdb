// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0
/* pc_bind.bpf.c - the kernel side of `portclash monitor` on Linux.
 *
 * Reports every bind()/listen() that fails (EADDRINUSE, EACCES, EPERM, EADDRNOTAVAIL; every
 * error with report_all) to user space through a ring buffer, with who failed, what they
 * asked for and how their socket was set up. Successful calls cost one compare.
 *
 * Hooks (user space picks the set, see ebpf-linux.c):
 *   tracepoint/syscalls/sys_exit_bind, sys_exit_listen  default; need tracefs to attach
 *   tp_btf/sys_exit                                      fallback without tracefs; runs on
 *                                                        every syscall, so it costs more
 *   tp_btf/io_uring_complete                             IORING_OP_BIND/LISTEN (6.11+), which
 *                                                        never enter the syscalls above
 * Only exit hooks are used: the arguments are re-read from the user registers saved at
 * syscall entry (bpf_task_pt_regs), so no entry hook and no per-thread map is needed, which
 * keeps successful binds cheap (see reference/linux-ebpf.md, section 3).
 *
 * The licence must be GPL-compatible for the ring buffer and probe-read helpers; dual
 * licensing keeps the rest of portclash free of the GPL. */
/* The kernel types must come first: libbpf's headers use them. */
// clang-format off
#include "pc_kernel_types.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
// clang-format on

#include "pc_bpf_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Fixed size; user space may set another size before loading (a power of two pages). */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 512 * 1024);
} events SEC(".maps");

/* Per-CPU, so counting needs no atomics; user space sums the CPUs. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PC_BPF_CNT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

/* Keys being counted (see pc_bpf_event.h). A plain hash, not an LRU: an LRU would evict a
 * key's count without telling anyone. User space deletes idle keys; when the map is full a
 * new key's failures go to the ring one by one (counted in PC_BPF_CNT_MAP_FULL). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PC_BPF_AGG_ENTRIES);
  __type(key, struct pc_bpf_agg_key);
  __type(value, struct pc_bpf_agg_val);
} agg SEC(".maps");

/* Per-uid budgets: ring events per second. User space inserts PC_BPF_UID_OTHER at start,
 * the shared slot of the uids that find the map full. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PC_BPF_UID_ENTRIES);
  __type(key, __u32);
  __type(value, struct pc_bpf_uid_val);
} uids SEC(".maps");

/* Keys of each uid (budget slot) that user space deleted from "agg": written by user space
 * only, so that neither side's count races the other's (pc_bpf_uid_val.keys). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PC_BPF_UID_ENTRIES);
  __type(key, __u32);
  __type(value, __u64);
} uid_freed SEC(".maps");

/* Successful listen() calls sent lately, so that a server restarting in a loop does not
 * flood the ring; an LRU is right here: forgetting one only sends it again. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, struct pc_bpf_agg_key);
  __type(value, __u64);
} listened SEC(".maps");

/* The event is built here, not on the 512-byte stack; one slot per hook kind, because an
 * io_uring completion may interrupt a syscall hook on the same CPU. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, struct pc_bpf_event);
} scratch SEC(".maps");

/* Set by user space before loading. */
const volatile bool report_all = false;         /* every error, not only the bind-related ones */
const volatile __u64 window_ns = 1000000000ULL; /* per-key window (the monitor's --window) */
const volatile __u64 uid_budget = 4096;  /* ring events per uid per second (a process: half); 0 = none */
const volatile bool learn_listen = true; /* send successful listen() calls */
const volatile __u64 learn_every_ns = 60000000000ULL; /* the same listener at most this often */

static __always_inline void count(__u32 idx) {
  __u64 *v = bpf_map_lookup_elem(&counters, &idx);
  if (v) (*v)++;
}

static __always_inline bool interesting(long ret) {
  if (ret >= 0) return false;
  if (report_all) return true;
  return ret == -PC_EADDRINUSE || ret == -PC_EACCES || ret == -PC_EPERM || ret == -PC_EADDRNOTAVAIL;
}

/* The budget slot of uid (the shared one when the map is full), or NULL. */
static __always_inline struct pc_bpf_uid_val *uid_slot(__u32 uid, __u64 now) {
  struct pc_bpf_uid_val *u = bpf_map_lookup_elem(&uids, &uid);
  if (u) return u;
  struct pc_bpf_uid_val nv = {.win_start = now};
  bpf_map_update_elem(&uids, &uid, &nv, BPF_NOEXIST); /* fails when full or raced: look again */
  u = bpf_map_lookup_elem(&uids, &uid);
  if (u) return u;
  __u32 other = PC_BPF_UID_OTHER;
  return bpf_map_lookup_elem(&uids, &other);
}

/* The budget slot a uid's keys are counted in (its own, or the shared one), and its key. */
static __always_inline struct pc_bpf_uid_val *share_slot(__u32 uid, __u32 *slot_key) {
  *slot_key = uid;
  struct pc_bpf_uid_val *u = bpf_map_lookup_elem(&uids, slot_key);
  if (u) return u;
  *slot_key = PC_BPF_UID_OTHER;
  return bpf_map_lookup_elem(&uids, slot_key);
}

/* True when the uid may make one more key (it holds fewer than PC_BPF_UID_KEYS_MAX). */
static __always_inline bool share_left(__u32 uid) {
  __u32 sk;
  struct pc_bpf_uid_val *u = share_slot(uid, &sk);
  if (!u) return true;
  __u64 *freed = bpf_map_lookup_elem(&uid_freed, &sk);
  return (__s64)(u->keys - (freed ? *freed : 0)) < (__s64)PC_BPF_UID_KEYS_MAX;
}

/* Counts a key made (+1) or deleted by the kernel (-1) for uid. */
static __always_inline void share_add(__u32 uid, __s64 n) {
  __u32 sk;
  struct pc_bpf_uid_val *u = share_slot(uid, &sk);
  if (u) __sync_fetch_and_add(&u->keys, n);
}

/* The per-window ring-event counter of one process (the process budget). */
struct proc_key {
  __u64 start_time;
  __u32 tgid;
  __u32 pad;
};
struct proc_val {
  __u64 win_start;
  __u64 used;
};

/* Per-process budgets inside the uid's, so that one process of a uid (root, say) failing in
 * a loop cannot use up the budget of the uid's other processes. An LRU: forgetting an idle
 * process only gives it a fresh budget. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, struct proc_key);
  __type(value, struct proc_val);
} procs SEC(".maps");

/* What budget_take took, for budget_return and lost_for. */
struct budget {
  struct pc_bpf_uid_val *u;
  struct proc_val *p;
};

/* One more in a budget counter (win_start, used) that allows limit per second; false, and
 * nothing taken, when it is at the limit. A second, not the key window: budgets bound the
 * ring and the queue, whatever --window is. */
static __always_inline bool window_take(__u64 *win_start, __u64 *used, __u64 now, __u64 limit) {
  __u64 ws = *win_start;
  if (now - ws >= 1000000000ULL && __sync_val_compare_and_swap(win_start, ws, now) == ws) *used = 0;
  if (__sync_fetch_and_add(used, 1) < limit) return true;
  __sync_fetch_and_add(used, -1); /* not used: keeps it from growing without end */
  return false;
}

/* The process's budget slot, or NULL (then it has none: the uid's alone applies). */
static __always_inline struct proc_val *proc_slot(const struct pc_bpf_agg_key *k, __u64 now) {
  struct proc_key pk = {.start_time = k->start_time, .tgid = k->tgid};
  struct proc_val *p = bpf_map_lookup_elem(&procs, &pk);
  if (p) return p;
  struct proc_val nv = {.win_start = now};
  bpf_map_update_elem(&procs, &pk, &nv, BPF_NOEXIST);
  return bpf_map_lookup_elem(&procs, &pk);
}

/* Takes one ring event of the budgets of k's process (half of its uid's) and of its
 * uid. False when either is used up; then a failure that is lost for it is counted
 * (lost_if_over). */
static __always_inline bool budget_take(const struct pc_bpf_agg_key *k, __u64 now, bool reopen,
                                        bool lost_if_over, struct budget *b) {
  b->u = NULL;
  b->p = NULL;
  if (!uid_budget) return true;
  struct pc_bpf_uid_val *u = uid_slot(k->uid, now);
  struct proc_val *p = proc_slot(k, now);
  /* A known key reopening its window takes at most half of each budget, so that the new
   * keys of a uid (and of a process) always have the other half. */
  __u64 uid_limit = reopen ? uid_budget / 2 : uid_budget;
  __u64 proc_limit = reopen ? uid_budget / 4 : uid_budget / 2;
  if (!proc_limit) proc_limit = 1;
  bool ok = !p || window_take(&p->win_start, &p->used, now, proc_limit);
  if (ok && u && !window_take(&u->win_start, &u->used, now, uid_limit)) {
    if (p) __sync_fetch_and_add(&p->used, -1);
    ok = false;
  }
  if (!ok) {
    if (lost_if_over) {
      if (u) __sync_fetch_and_add(&u->lost, 1);
      count(PC_BPF_CNT_BUDGET);
    }
    return false;
  }
  b->u = u;
  b->p = p;
  return true;
}

static __always_inline void budget_return(struct budget *b) {
  if (b->u) __sync_fetch_and_add(&b->u->used, -1);
  if (b->p) __sync_fetch_and_add(&b->p->used, -1);
  b->u = NULL;
  b->p = NULL;
}

static __always_inline void lost_for(const struct budget *b) {
  if (b->u) __sync_fetch_and_add(&b->u->lost, 1);
}

/* What becomes of one failure (decide()). */
enum { AGG_SEND_NEW, AGG_SEND_OPEN, AGG_SEND_LOOSE, AGG_COUNTED, AGG_DENIED };

/* Counts the failure whose key is k: the first of a window is sent (AGG_SEND_NEW for a new
 * key, AGG_SEND_OPEN for a known one, with *seq its number), the others only add to the
 * key's seq (AGG_COUNTED), and so do a known key's failures while its uid is over budget.
 * AGG_SEND_LOOSE: the map (or the uid's share of it) is full, send it without a key. AGG_DENIED: a new key of
 * a uid over its budget (counted as lost for the uid). */
static __always_inline int decide(const struct pc_bpf_agg_key *k, __u64 now, __u64 *seq, struct budget *b) {
  struct pc_bpf_agg_val *v = bpf_map_lookup_elem(&agg, k);
  if (!v) {
    if (!budget_take(k, now, false, true, b)) return AGG_DENIED;
    if (!share_left(k->uid)) {
      count(PC_BPF_CNT_MAP_FULL); /* the uid's share of the map is used up */
      return AGG_SEND_LOOSE;
    }
    struct pc_bpf_agg_val nv = {.win_start = now, .seq = 1, .last_ns = now};
    if (bpf_map_update_elem(&agg, k, &nv, BPF_NOEXIST) == 0) {
      share_add(k->uid, 1);
      *seq = 1;
      return AGG_SEND_NEW;
    }
    v = bpf_map_lookup_elem(&agg, k);
    if (!v) {
      count(PC_BPF_CNT_MAP_FULL);
      return AGG_SEND_LOOSE;
    }
    budget_return(b); /* another CPU made the key first */
  }
  v->last_ns = now;
  __u64 ws = v->win_start;
  /* Over budget, a known key's failure is still counted (user space hands it on as a
   * repeat when it settles the key, once a window): only new keys are refused. */
  if (now - ws >= window_ns && budget_take(k, now, true, false, b)) {
    /* The CAS comes before the add: see struct pc_bpf_agg_val. */
    if (__sync_val_compare_and_swap(&v->win_start, ws, now) == ws) {
      *seq = __sync_fetch_and_add(&v->seq, 1) + 1;
      return AGG_SEND_OPEN;
    }
    budget_return(b); /* another CPU opened the window */
  }
  __sync_fetch_and_add(&v->seq, 1);
  count(PC_BPF_CNT_COUNTED);
  return AGG_COUNTED;
}

/* fd -> struct file -> struct socket -> struct sock, or NULL when fd is not a socket. */
static __always_inline struct file *file_from_fd(struct task_struct *task, int fd) {
  struct file **fds, *f = NULL;
  if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(task, files, fdt, max_fds)) return NULL;
  fds = BPF_CORE_READ(task, files, fdt, fd);
  if (!fds || bpf_probe_read_kernel(&f, sizeof f, &fds[fd])) return NULL;
  return f;
}

static __always_inline struct sock *sock_from_file(struct file *f) {
  if (!f) return NULL;
  if ((BPF_CORE_READ(f, f_inode, i_mode) & PC_S_IFMT) != PC_S_IFSOCK) return NULL;
  struct socket *so = BPF_CORE_READ(f, private_data);
  return so ? BPF_CORE_READ(so, sk) : NULL;
}

static __always_inline bool is_inet(struct sock *sk) {
  unsigned short fam = BPF_CORE_READ(sk, __sk_common.skc_family);
  return fam == PC_AF_INET_K || fam == PC_AF_INET6_K;
}

/* A zeroed event in this CPU's scratch slot. */
static __always_inline struct pc_bpf_event *scratch_event(__u32 slot) {
  struct pc_bpf_event *e = bpf_map_lookup_elem(&scratch, &slot);
  if (e) __builtin_memset(e, 0, sizeof *e);
  return e;
}

/* Copies e onto the ring; false (counted) when the ring is full. Default (adaptive)
 * wake-up: the reader is woken only when it has caught up, so a single failure is seen
 * within microseconds and a storm does not pay one wake-up per event. */
static __always_inline bool send(struct pc_bpf_event *e) {
  if (bpf_ringbuf_output(&events, e, sizeof *e, 0) != 0) return false;
  count(PC_BPF_CNT_SUBMITTED);
  return true;
}

/* Who, the part the key needs: ids, uid, network namespace, time. */
static __always_inline void fill_who(struct pc_bpf_event *e, struct task_struct *task, long ret,
                                     __u8 source) {
  __u64 id = bpf_get_current_pid_tgid();
  e->ts_ns = bpf_ktime_get_ns();
  e->ret = (__s32)ret;
  e->source = source;
  e->pid = id >> 32;
  e->tid = (__u32)id;
  e->uid = BPF_CORE_READ(task, cred, uid.val);
  e->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
}

/* Who, the rest (only for failures that are sent): credentials, names. */
static __always_inline void fill_task(struct pc_bpf_event *e, struct task_struct *task) {
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  const struct cred *cred = BPF_CORE_READ(task, cred);
  e->euid = BPF_CORE_READ(cred, euid.val);
  /* kernel_cap_t is a u64 since 6.3 and u32[2] before: the same 8 bytes either way. */
  bpf_core_read(&e->cap_eff, sizeof e->cap_eff, &cred->cap_effective);
  e->cgroup_id = bpf_get_current_cgroup_id();
  bpf_get_current_comm(e->comm, sizeof e->comm);
  /* The executable's name from the kernel: /proc/PID/exe is often gone by the time user
   * space looks, because failing processes tend to exit at once. */
  const unsigned char *name = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
  if (name && bpf_probe_read_kernel_str(e->exe, sizeof e->exe, name) > 0) e->flags |= PC_BPF_F_EXE;
}

/* How: the socket's type, protocol and options. */
static __always_inline void fill_sock(struct pc_bpf_event *e, struct sock *sk, struct file *f) {
  if (!sk) return;
  e->flags |= PC_BPF_F_SOCK;
  e->sk_ino = (__u32)BPF_CORE_READ(f, f_inode, i_ino);
  e->sk_type = (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type);
  e->sk_protocol = (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
  e->bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
  __u8 o = 0;
  if (BPF_CORE_READ_BITFIELD_PROBED(&sk->__sk_common, skc_reuse)) o |= PC_BPF_OPT_REUSEADDR;
  if (BPF_CORE_READ_BITFIELD_PROBED(&sk->__sk_common, skc_reuseport)) o |= PC_BPF_OPT_REUSEPORT;
  if (BPF_CORE_READ_BITFIELD_PROBED(&sk->__sk_common, skc_ipv6only)) o |= PC_BPF_OPT_V6ONLY;
  if (bpf_core_field_exists(struct inet_sock, inet_flags)) {
    unsigned long fl = BPF_CORE_READ((struct inet_sock *)sk, inet_flags);
    if ((fl >> PC_INET_FLAGS_FREEBIND) & 1) o |= PC_BPF_OPT_FREEBIND;
    if ((fl >> PC_INET_FLAGS_TRANSPARENT) & 1) o |= PC_BPF_OPT_TRANSPARENT;
    e->flags |= PC_BPF_F_FREEBIND;
  } else if (bpf_core_field_exists(struct inet_sock___old, freebind)) {
    struct inet_sock___old *old = (void *)sk;
    if (BPF_CORE_READ_BITFIELD_PROBED(old, freebind)) o |= PC_BPF_OPT_FREEBIND;
    if (BPF_CORE_READ_BITFIELD_PROBED(old, transparent)) o |= PC_BPF_OPT_TRANSPARENT;
    e->flags |= PC_BPF_F_FREEBIND;
  }
  e->opts = o;
}

/* What: the address as the caller passed it (user memory for bind(), kernel memory for
 * io_uring). The kernel has already copied it, so the page is resident. */
static __always_inline void fill_addr(struct pc_bpf_event *e, const void *sa, int len, bool user) {
  __u16 fam = 0;
  if (!sa || len < (int)sizeof(struct pc_sockaddr_in)) return;
  if (user ? bpf_probe_read_user(&fam, sizeof fam, sa) : bpf_probe_read_kernel(&fam, sizeof fam, sa)) return;
  e->family = fam;
  if (fam == PC_AF_INET_K) {
    struct pc_sockaddr_in in;
    if (user ? bpf_probe_read_user(&in, sizeof in, sa) : bpf_probe_read_kernel(&in, sizeof in, sa)) return;
    e->port = bpf_ntohs(in.port);
    __builtin_memcpy(e->addr, in.addr, 4);
    e->flags |= PC_BPF_F_ADDR;
  } else if (fam == PC_AF_INET6_K && len >= 24) {
    struct pc_sockaddr_in6 in6 = {};
    /* The scope id is optional (an addrlen of 24 is accepted without it). */
    long n = len >= (int)sizeof in6 ? (long)sizeof in6 : 24;
    if (user ? bpf_probe_read_user(&in6, n & 0x1f, sa) : bpf_probe_read_kernel(&in6, n & 0x1f, sa)) return;
    e->port = bpf_ntohs(in6.port);
    __builtin_memcpy(e->addr, in6.addr, 16);
    e->scope_id = in6.scope_id;
    e->flags |= PC_BPF_F_ADDR;
  }
}

/* The address a socket is bound to (listen() has no address argument). */
static __always_inline void fill_addr_from_sock(struct pc_bpf_event *e, struct sock *sk) {
  if (!sk) return;
  e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
  if (e->family == PC_AF_INET_K) {
    __be32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __builtin_memcpy(e->addr, &a, 4);
  } else {
    bpf_core_read(e->addr, sizeof e->addr, &sk->__sk_common.skc_v6_rcv_saddr);
  }
  e->flags |= PC_BPF_F_ADDR;
}

/* The key of e (who and what, already filled in). */
static __always_inline void make_key(struct pc_bpf_event *e, struct task_struct *task, struct sock *sk) {
  struct pc_bpf_agg_key *k = &e->key;
  k->start_time = BPF_CORE_READ(task, start_time);
  k->tgid = e->pid;
  k->netns = e->netns;
  k->uid = e->uid;
  k->ret = e->ret;
  __builtin_memcpy(k->addr, e->addr, sizeof k->addr);
  k->family = e->family;
  k->port = e->port;
  k->proto = sk ? (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) : 0;
  k->source = e->source;
}

/* One failure whose who (fill_who) and what (address) are in e: counted, and sent when it
 * is the first of its key's window. */
static __always_inline void failed(struct pc_bpf_event *e, struct task_struct *task, struct sock *sk,
                                   struct file *f) {
  count(PC_BPF_CNT_FAILURES);
  make_key(e, task, sk);
  __u64 seq = 0;
  struct budget b = {NULL, NULL};
  int what = decide(&e->key, e->ts_ns, &seq, &b);
  if (what == AGG_COUNTED || what == AGG_DENIED) return;
  fill_task(e, task);
  fill_sock(e, sk, f);
  if (what != AGG_SEND_LOOSE) {
    e->flags |= PC_BPF_F_AGG;
    e->seq = seq;
  }
  if (send(e)) return;
  if (what == AGG_SEND_OPEN) return; /* still in the key's seq: user space counts it as a repeat */
  if (what == AGG_SEND_NEW && bpf_map_delete_elem(&agg, &e->key) == 0) /* unknown to user space */
    share_add(e->key.uid, -1);
  count(PC_BPF_CNT_DROPPED);
  lost_for(&b);
}

/* A successful listen(): sent so that the watch list learns the port, at most once per
 * learn_every_ns per (process, address, port), within the uid's budget; never counted as
 * lost. */
static __always_inline void listened_ok(struct pc_bpf_event *e, struct task_struct *task, struct sock *sk,
                                        struct file *f) {
  make_key(e, task, sk);
  __u64 *last = bpf_map_lookup_elem(&listened, &e->key);
  if (last && e->ts_ns - *last < learn_every_ns) return;
  struct budget b;
  if (!budget_take(&e->key, e->ts_ns, false, false, &b)) return;
  bpf_map_update_elem(&listened, &e->key, &e->ts_ns, BPF_ANY);
  fill_task(e, task);
  fill_sock(e, sk, f);
  if (send(e)) count(PC_BPF_CNT_LISTEN_OK);
}

/* A listen() (or an io_uring bind or listen) whose who and what are in e: a new listener
 * when it returned 0, else a failure. */
static __always_inline void listened_or_failed(struct pc_bpf_event *e, struct task_struct *task,
                                               struct sock *sk, struct file *f) {
  if (e->ret == 0)
    listened_ok(e, task, sk, f);
  else
    failed(e, task, sk, f);
}

/* bind(fd, addr, len) failed with ret in the current task. */
static __always_inline int on_bind_exit(long ret) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  int fd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
  const void *uaddr = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
  int len = (int)PT_REGS_PARM3_CORE_SYSCALL(regs);
  struct file *f = file_from_fd(task, fd);
  struct sock *sk = sock_from_file(f);
  if (sk && !is_inet(sk)) return 0; /* AF_UNIX, AF_NETLINK...: not portclash's business */
  struct pc_bpf_event *e = scratch_event(0);
  if (!e) return 0;
  fill_who(e, task, ret, PC_BPF_SRC_BIND);
  e->fd = fd;
  fill_addr(e, uaddr, len, true);
  failed(e, task, sk, f);
  return 0;
}

/* listen(fd, backlog) returned ret: EADDRINUSE here means another socket took the port
 * between this socket's bind() and listen() (both SO_REUSEADDR, or an autobind); 0 is a new
 * listener (learned ports). */
static __always_inline int on_listen_exit(long ret) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  int fd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
  struct file *f = file_from_fd(task, fd);
  struct sock *sk = sock_from_file(f);
  if (!sk || !is_inet(sk)) return 0;
  struct pc_bpf_event *e = scratch_event(0);
  if (!e) return 0;
  fill_who(e, task, ret, PC_BPF_SRC_LISTEN);
  e->fd = fd;
  fill_addr_from_sock(e, sk);
  listened_or_failed(e, task, sk, f);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int pc_exit_bind(struct trace_event_raw_sys_exit *ctx) {
  long ret = ctx->ret;
  if (!interesting(ret)) return 0; /* a successful bind pays only this */
  return on_bind_exit(ret);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int pc_exit_listen(struct trace_event_raw_sys_exit *ctx) {
  long ret = ctx->ret;
  if (!interesting(ret) && !(ret == 0 && learn_listen)) return 0;
  return on_listen_exit(ret);
}

/* Fallback when tracefs is not available: a BTF raw tracepoint on every syscall exit. */
SEC("tp_btf/sys_exit")
int BPF_PROG(pc_sys_exit, struct pt_regs *regs, long ret) {
  /* Successes of listen() too: this fallback then reads the syscall number of every
   * successful syscall returning 0 (a few ns more; the tracepoints do not pay it). */
  if (!interesting(ret) && !(ret == 0 && learn_listen)) return 0;
#if defined(__TARGET_ARCH_x86)
  long nr = BPF_CORE_READ(regs, orig_ax);
#else
  long nr = BPF_CORE_READ(regs, syscallno);
#endif
  if (nr == PC_NR_BIND) return ret ? on_bind_exit(ret) : 0;
  if (nr == PC_NR_LISTEN) return on_listen_exit(ret);
  return 0;
}

/* io_uring IORING_OP_BIND / IORING_OP_LISTEN completions (the (ctx, req, cqe) form of the
 * tracepoint; user space loads this only when the kernel has that form and the opcodes). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(pc_uring_complete, void *ring, void *req, struct io_uring_cqe *cqe) {
  int res = BPF_CORE_READ(cqe, res);
  if (!interesting(res) && !(res == 0 && learn_listen)) return 0;
  if (!bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_BIND)) return 0;
  struct io_kiocb *r = req;
  __u8 op = BPF_CORE_READ(r, opcode);
  bool is_bind = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_BIND);
  bool is_listen = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_LISTEN);
  if (!is_bind && !is_listen) return 0;
  if (is_bind && res == 0) return 0;
  struct file *f = BPF_CORE_READ(r, file);
  struct sock *sk = sock_from_file(f);
  if (sk && !is_inet(sk)) return 0;
  if (!sk && res == 0) return 0;
  struct task_struct *task = bpf_get_current_task_btf();
  struct pc_bpf_event *e = scratch_event(1);
  if (!e) return 0;
  fill_who(e, task, res, is_bind ? PC_BPF_SRC_URING_BIND : PC_BPF_SRC_URING_LISTEN);
  e->fd = -1;
  if (is_bind) {
    /* Since 6.12 or so async_data is the kernel's sockaddr_storage copy; in other layouts
     * the family check in fill_addr fails and the address stays unknown (CO-RE cannot see
     * such a change of meaning). */
    fill_addr(e, BPF_CORE_READ(r, async_data), 28, false);
  } else {
    fill_addr_from_sock(e, sk);
  }
  listened_or_failed(e, task, sk, f);
  return 0;
}
