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

/* Set by user space before loading. */
const volatile bool report_all = false; /* every error, not only the bind-related ones */

static __always_inline void count(__u32 idx) {
  __u64 *v = bpf_map_lookup_elem(&counters, &idx);
  if (v) (*v)++;
}

static __always_inline bool interesting(long ret) {
  if (ret >= 0) return false;
  if (report_all) return true;
  return ret == -PC_EADDRINUSE || ret == -PC_EACCES || ret == -PC_EPERM || ret == -PC_EADDRNOTAVAIL;
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

/* Reserves a zeroed event, counting a drop when the ring is full. */
static __always_inline struct pc_bpf_event *reserve(void) {
  struct pc_bpf_event *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
  if (!e) {
    count(PC_BPF_CNT_DROPPED);
    return NULL;
  }
  __builtin_memset(e, 0, sizeof *e);
  return e;
}

static __always_inline void submit(struct pc_bpf_event *e) {
  count(PC_BPF_CNT_SUBMITTED);
  /* Default (adaptive) wake-up: the reader is woken only when it has caught up, so a single
   * failure is seen within microseconds and a storm does not pay one wake-up per event. */
  bpf_ringbuf_submit(e, 0);
}

/* Who: ids, credentials, namespaces, names. */
static __always_inline void fill_task(struct pc_bpf_event *e, struct task_struct *task, long ret,
                                      __u8 source) {
  __u64 id = bpf_get_current_pid_tgid();
  e->ts_ns = bpf_ktime_get_ns();
  e->ret = (__s32)ret;
  e->source = source;
  e->pid = id >> 32;
  e->tid = (__u32)id;
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  const struct cred *cred = BPF_CORE_READ(task, cred);
  e->uid = BPF_CORE_READ(cred, uid.val);
  e->euid = BPF_CORE_READ(cred, euid.val);
  /* kernel_cap_t is a u64 since 6.3 and u32[2] before: the same 8 bytes either way. */
  bpf_core_read(&e->cap_eff, sizeof e->cap_eff, &cred->cap_effective);
  e->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
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
  struct pc_bpf_event *e = reserve();
  if (!e) return 0;
  fill_task(e, task, ret, PC_BPF_SRC_BIND);
  e->fd = fd;
  fill_sock(e, sk, f);
  fill_addr(e, uaddr, len, true);
  submit(e);
  return 0;
}

/* listen(fd, backlog) failed: EADDRINUSE here means another socket took the port between
 * this socket's bind() and listen() (both SO_REUSEADDR, or an autobind). */
static __always_inline int on_listen_exit(long ret) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  int fd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
  struct file *f = file_from_fd(task, fd);
  struct sock *sk = sock_from_file(f);
  if (!sk || !is_inet(sk)) return 0;
  struct pc_bpf_event *e = reserve();
  if (!e) return 0;
  fill_task(e, task, ret, PC_BPF_SRC_LISTEN);
  e->fd = fd;
  fill_sock(e, sk, f);
  fill_addr_from_sock(e, sk);
  submit(e);
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
  if (!interesting(ret)) return 0;
  return on_listen_exit(ret);
}

/* Fallback when tracefs is not available: a BTF raw tracepoint on every syscall exit. */
SEC("tp_btf/sys_exit")
int BPF_PROG(pc_sys_exit, struct pt_regs *regs, long ret) {
  if (!interesting(ret)) return 0;
#if defined(__TARGET_ARCH_x86)
  long nr = BPF_CORE_READ(regs, orig_ax);
#else
  long nr = BPF_CORE_READ(regs, syscallno);
#endif
  if (nr == PC_NR_BIND) return on_bind_exit(ret);
  if (nr == PC_NR_LISTEN) return on_listen_exit(ret);
  return 0;
}

/* io_uring IORING_OP_BIND / IORING_OP_LISTEN completions (the (ctx, req, cqe) form of the
 * tracepoint; user space loads this only when the kernel has that form and the opcodes). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(pc_uring_complete, void *ring, void *req, struct io_uring_cqe *cqe) {
  int res = BPF_CORE_READ(cqe, res);
  if (!interesting(res)) return 0;
  if (!bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_BIND)) return 0;
  struct io_kiocb *r = req;
  __u8 op = BPF_CORE_READ(r, opcode);
  bool is_bind = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_BIND);
  bool is_listen = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_LISTEN);
  if (!is_bind && !is_listen) return 0;
  struct file *f = BPF_CORE_READ(r, file);
  struct sock *sk = sock_from_file(f);
  if (sk && !is_inet(sk)) return 0;
  struct pc_bpf_event *e = reserve();
  if (!e) return 0;
  fill_task(e, bpf_get_current_task_btf(), res, is_bind ? PC_BPF_SRC_URING_BIND : PC_BPF_SRC_URING_LISTEN);
  e->fd = -1;
  fill_sock(e, sk, f);
  if (is_bind) {
    /* Since 6.12 or so async_data is the kernel's sockaddr_storage copy; in other layouts
     * the family check in fill_addr fails and the address stays unknown (CO-RE cannot see
     * such a change of meaning). */
    fill_addr(e, BPF_CORE_READ(r, async_data), 28, false);
  } else {
    fill_addr_from_sock(e, sk);
  }
  submit(e);
  return 0;
}
