/* pc_kernel_types.h - the few kernel types pc_bind.bpf.c reads, declared by hand.
 *
 * This is portclash's own minimal CO-RE header, not a generated vmlinux.h: every struct below
 * lists only the members the program touches, and is marked preserve_access_index, so libbpf
 * relocates each access against the running kernel's BTF (/sys/kernel/btf/vmlinux) at load
 * time. Offsets here are therefore irrelevant; names and (roughly) types are what count.
 * Members the kernel keeps inside anonymous structs/unions are declared flat: libbpf finds
 * them through the anonymous levels. Names ending in ___suffix are "flavours" (the suffix is
 * ignored when matching), used to describe an older layout of the same kernel struct.
 *
 * Dual licensed (BSD-2-Clause OR GPL-2.0), like the program that includes it. */
#ifndef PC_KERNEL_TYPES_H
#define PC_KERNEL_TYPES_H

/* Tells bpf_tracing.h that kernel register names (di, si, ...) are in use. */
#define __VMLINUX_H__

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef _Bool bool;
#define true 1
#define false 0

/* UAPI values the program needs; the kernel's UAPI headers are not included so that this
 * header stays the only description of the kernel (and builds need no kernel headers). */
enum bpf_map_type {
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_PERCPU_ARRAY = 6,
  BPF_MAP_TYPE_LRU_HASH = 9,
  BPF_MAP_TYPE_RINGBUF = 27,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1 };
enum { BPF_RB_NO_WAKEUP = 1, BPF_RB_FORCE_WAKEUP = 2 };

#define PC_EPERM 1
#define PC_EACCES 13
#define PC_EADDRINUSE 98
#define PC_EADDRNOTAVAIL 99
#define PC_AF_INET_K 2
#define PC_AF_INET6_K 10
#define PC_S_IFMT 00170000
#define PC_S_IFSOCK 0140000

/* Syscall numbers for the raw sys_exit fallback (arch-specific, never change). */
#if defined(__TARGET_ARCH_x86)
#define PC_NR_BIND 49
#define PC_NR_LISTEN 50
#elif defined(__TARGET_ARCH_arm64)
#define PC_NR_BIND 200
#define PC_NR_LISTEN 201
#else
#error "pc_bind.bpf.c supports __TARGET_ARCH_x86 and __TARGET_ARCH_arm64"
#endif

/* Tracepoint contexts: the layout of the tracepoint record itself (see
 * /sys/kernel/tracing/events/syscalls/sys_exit_bind/format), read by fixed offset. */
struct trace_entry {
  unsigned short type;
  unsigned char flags;
  unsigned char preempt_count;
  int pid;
};
struct trace_event_raw_sys_exit {
  struct trace_entry ent;
  long id;
  long ret;
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* User registers saved at syscall entry (bpf_task_pt_regs). */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
  unsigned long di, si, dx, cx, r10, r8, r9, ax, orig_ax, ip, sp, bp;
};
#else
struct pt_regs {
  __u64 regs[31];
  __u64 sp, pc, pstate;
  __u64 orig_x0;
  __s32 syscallno;
};
#endif

typedef struct {
  __u64 val; /* u32 cap[2] before 6.3: the same 8 bytes, read as a whole */
} kernel_cap_t;
typedef struct {
  __u32 val;
} kuid_t;

struct cred {
  kuid_t uid;
  kuid_t euid;
  kernel_cap_t cap_effective;
};

struct qstr {
  const unsigned char *name;
};
struct dentry {
  struct qstr d_name;
};
struct path {
  struct dentry *dentry;
};
struct inode {
  unsigned short i_mode;
  unsigned long i_ino;
};
struct file {
  struct path f_path;
  struct inode *f_inode;
  void *private_data;
};
struct fdtable {
  unsigned int max_fds;
  struct file **fd;
};
struct files_struct {
  struct fdtable *fdt;
};
struct mm_struct {
  struct file *exe_file;
};
struct ns_common {
  unsigned int inum;
};
struct net {
  struct ns_common ns;
};
struct nsproxy {
  struct net *net_ns;
};
struct task_struct {
  int pid;
  int tgid;
  u64 start_time; /* CLOCK_MONOTONIC ns at fork: tells a reused PID apart */
  struct task_struct *real_parent;
  const struct cred *cred;
  struct mm_struct *mm;
  struct files_struct *files;
  struct nsproxy *nsproxy;
};

struct in6_addr {
  union {
    __u8 u6_addr8[16];
    __be32 u6_addr32[4];
  } in6_u;
};
typedef struct {
  struct net *net;
} possible_net_t;
struct sock_common {
  __be32 skc_rcv_saddr;
  __u16 skc_num;
  unsigned short skc_family;
  unsigned char skc_reuse : 4;
  unsigned char skc_reuseport : 1;
  unsigned char skc_ipv6only : 1;
  int skc_bound_dev_if;
  possible_net_t skc_net;
  struct in6_addr skc_v6_rcv_saddr;
};
struct sock {
  struct sock_common __sk_common;
  __u16 sk_type; /* bitfields before 5.6: read with BPF_CORE_READ_BITFIELD_PROBED */
  __u16 sk_protocol;
};
struct socket {
  struct sock *sk;
};
/* 6.6+: IP_FREEBIND and IP_TRANSPARENT are bits of inet_flags. */
struct inet_sock {
  unsigned long inet_flags;
};
/* Before 6.6: separate bitfields. */
struct inet_sock___old {
  __u8 freebind : 1;
  __u8 transparent : 1;
};

/* io_uring (6.11+ has IORING_OP_BIND/LISTEN). */
struct io_kiocb {
  struct file *file;
  __u8 opcode;
  void *async_data;
};
struct io_uring_cqe {
  __u64 user_data;
  __s32 res;
  __u32 flags;
};
enum io_uring_op {
  IORING_OP_BIND = 56,
  IORING_OP_LISTEN = 57,
};

#pragma clang attribute pop

/* The kernel's own constants for the 6.6+ inet_flags bits. The enum that defines them is
 * anonymous in the kernel, so CO-RE cannot relocate them (bpf_core_enum_value needs a
 * named enum); they have kept these values since 6.6. */
#define PC_INET_FLAGS_FREEBIND 11
#define PC_INET_FLAGS_TRANSPARENT 15

/* User-space socket addresses as the caller passes them to bind(). */
struct pc_sockaddr_in {
  __u16 family;
  __be16 port;
  __u8 addr[4];
};
struct pc_sockaddr_in6 {
  __u16 family;
  __be16 port;
  __u32 flowinfo;
  __u8 addr[16];
  __u32 scope_id;
};

#endif
