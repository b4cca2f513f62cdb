/* pc_bpf_event.h - the record the kernel-side program (pc_bind.bpf.c) puts on the ring buffer
 * for every failed bind()/listen(), and the counters it keeps. Shared by the BPF object and
 * the user-space loader (ebpf-linux.c), so it uses only fixed-size kernel UAPI types
 * and has no pointers: the layout is the same on both sides of the ring.
 *
 * Dual licensed (BSD-2-Clause OR GPL-2.0) because it is compiled into the GPL-only BPF
 * object as well as into portclash itself. */
#ifndef PC_BPF_EVENT_H
#define PC_BPF_EVENT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Where the failure was seen (pc_bpf_event.source). */
#define PC_BPF_SRC_BIND 1         /* bind(2) returned an error */
#define PC_BPF_SRC_LISTEN 2       /* listen(2) returned an error */
#define PC_BPF_SRC_URING_BIND 3   /* io_uring IORING_OP_BIND completed with an error */
#define PC_BPF_SRC_URING_LISTEN 4 /* io_uring IORING_OP_LISTEN completed with an error */

/* What could be read (pc_bpf_event.flags). A field whose bit is clear is unknown. */
#define PC_BPF_F_ADDR 0x01u     /* family/port/addr hold the requested (bind) or bound (listen) address */
#define PC_BPF_F_SOCK 0x02u     /* the socket was found: sk_type, sk_protocol, opts, bound_dev_if */
#define PC_BPF_F_FREEBIND 0x04u /* the freebind/transparent bits of opts are known */
#define PC_BPF_F_EXE 0x08u      /* exe holds the executable's file name */

/* Socket options (pc_bpf_event.opts). */
#define PC_BPF_OPT_REUSEADDR 0x01u
#define PC_BPF_OPT_REUSEPORT 0x02u
#define PC_BPF_OPT_V6ONLY 0x04u
#define PC_BPF_OPT_FREEBIND 0x08u
#define PC_BPF_OPT_TRANSPARENT 0x10u

/* Indexes of the per-CPU counter array (map "counters"). */
#define PC_BPF_CNT_SUBMITTED 0 /* events put on the ring */
#define PC_BPF_CNT_DROPPED 1   /* failures seen but lost: the ring was full */
#define PC_BPF_CNT_MAX 2

#define PC_BPF_COMM_LEN 16
#define PC_BPF_EXE_LEN 32

struct pc_bpf_event {
  __u64 ts_ns;     /* bpf_ktime_get_ns() at syscall exit: CLOCK_MONOTONIC */
  __u64 cgroup_id; /* cgroup v2 id of the task */
  __u64 cap_eff;   /* effective capabilities of the task (bit 10 = CAP_NET_BIND_SERVICE) */
  __s32 ret;       /* negative errno */
  __s32 fd;        /* socket fd, -1 for io_uring (fixed files) */
  __u32 pid;       /* tgid */
  __u32 tid;
  __u32 ppid; /* tgid of the real parent */
  __u32 uid;
  __u32 euid;
  __u32 netns;        /* inode number of the task's network namespace */
  __u32 sk_ino;       /* inode of the socket ("socket:[N]" in /proc/PID/fd), 0 unknown */
  __s32 bound_dev_if; /* SO_BINDTODEVICE interface index, 0 none */
  __u32 scope_id;     /* IPv6 scope id of the requested address */
  __u16 family;       /* AF_INET 2, AF_INET6 10, as the caller passed it */
  __u16 port;         /* host byte order */
  __u8 addr[16];      /* IPv4 in the first 4 bytes */
  __u16 sk_type;      /* SOCK_STREAM 1, SOCK_DGRAM 2 */
  __u16 sk_protocol;  /* IPPROTO_TCP 6, IPPROTO_UDP 17 */
  __u8 source;        /* PC_BPF_SRC_* */
  __u8 flags;         /* PC_BPF_F_* */
  __u8 opts;          /* PC_BPF_OPT_* (valid with PC_BPF_F_SOCK) */
  __u8 pad;
  char comm[PC_BPF_COMM_LEN]; /* thread name, NUL-terminated */
  char exe[PC_BPF_EXE_LEN];   /* executable file name (not the path), NUL-terminated, maybe cut */
};

#endif
