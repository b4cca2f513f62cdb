/* pc_bpf_event.h - the record the kernel-side program (pc_bind.bpf.c) puts on the ring buffer
 * for every failed bind()/listen() (and, for the learned ports, a successful listen() now and
 * then: ret 0), and the counters and maps it keeps. Shared by the BPF object and
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
#define PC_BPF_F_AGG 0x10u      /* a failure that opened a window of its key: key and seq valid */

/* Socket options (pc_bpf_event.opts). */
#define PC_BPF_OPT_REUSEADDR 0x01u
#define PC_BPF_OPT_REUSEPORT 0x02u
#define PC_BPF_OPT_V6ONLY 0x04u
#define PC_BPF_OPT_FREEBIND 0x08u
#define PC_BPF_OPT_TRANSPARENT 0x10u

/* Indexes of the per-CPU counter array (map "counters"). */
#define PC_BPF_CNT_SUBMITTED 0 /* events put on the ring */
#define PC_BPF_CNT_DROPPED 1   /* failures seen but lost: the ring was full */
#define PC_BPF_CNT_FAILURES 2  /* failures seen (every one, whatever became of it) */
#define PC_BPF_CNT_COUNTED 3   /* failures only counted in their key's entry (no ring event) */
#define PC_BPF_CNT_BUDGET 4    /* failures lost: their uid was over its budget */
#define PC_BPF_CNT_MAP_FULL 5  /* failures sent without a key: the key map was full */
#define PC_BPF_CNT_LISTEN_OK 6 /* successful listen() calls put on the ring */
#define PC_BPF_CNT_MAX 7

/* Kernel-side counting (maps "agg" and "uids"). A failure's key is who failed (process and
 * its start time, uid, network namespace) and what failed (address, port, protocol, error,
 * call). The first failure of a key in a window (window_ns) goes to the ring with the key
 * and its sequence number; later ones in the window only add to the key's seq. User space
 * reads seq and hands the difference on as repeats (ebpf-linux.c, "counting"). */
#define PC_BPF_AGG_ENTRIES 8192u /* keys counted at once (a plain hash: full = counted, sent as is) */
#define PC_BPF_UID_ENTRIES 4096u /* uids with a budget; the rest share PC_BPF_UID_OTHER */
/* Keys one uid may have in "agg" at once: no uid can fill the map for the others. */
#define PC_BPF_UID_KEYS_MAX (PC_BPF_AGG_ENTRIES / 4)
#define PC_BPF_UID_OTHER 0xfffffffeu

struct pc_bpf_agg_key {
  __u64 start_time; /* task start time (ns since boot): with tgid, one process */
  __u32 tgid;
  __u32 netns;
  __u32 uid; /* real uid (the budget's owner) */
  __s32 ret; /* negative errno; 0 never (successes are not counted) */
  __u8 addr[16];
  __u16 family;
  __u16 port;
  __u16 proto; /* sk_protocol, 0 unknown */
  __u8 source; /* PC_BPF_SRC_* */
  __u8 pad;    /* zero: keys are compared as bytes */
};

/* Value of "agg". The window's first failure CASes win_start before it adds to seq, so a
 * reader that sees win_start unchanged around its read of seq knows that every failure
 * numbered up to seq that opened a window is already on the ring (ebpf-linux.c). */
struct pc_bpf_agg_val {
  __u64 win_start; /* ktime of the failure that opened the current window */
  __u64 seq;       /* failures of this key since the entry was made; only grows */
  __u64 last_ns;   /* ktime of the latest failure (a hint: unsynchronised) */
};

/* Value of "uids": the ring events a uid caused this second, and what it lost. */
struct pc_bpf_uid_val {
  __u64 win_start;
  __u64 used; /* ring events in this second */
  __u64 lost; /* failures of this uid not delivered (over budget, ring full); only grows */
  __u64 keys; /* keys the kernel made for this uid in "agg"; those in use: keys - the uid's
                 count in "uid_freed" (deleted by user space, which alone writes that map) */
};

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
  struct pc_bpf_agg_key key;  /* with PC_BPF_F_AGG: the key whose window this failure opened */
  __u64 seq;                  /* with PC_BPF_F_AGG: this failure's number within its key */
};

#endif
