/* ebpf.h - the Linux live source: failed bind()/listen() calls, system-wide, from
 * an eBPF program (monitor/source/bpf/pc_bind.bpf.c), as pc_bind_attempts.
 *
 * Identical failures (same process, network namespace, address, port, protocol, error and
 * call) are counted in the kernel: only the first of each window reaches the ring; the
 * others come later as one attempt whose repeats says how many they were (extra.repeats_only).
 * So a storm neither fills the ring nor wakes user space per failure, and every failure is
 * counted: handed on (the sum of repeats), or counted as lost. Each uid (and within it each
 * process) has a budget of ring events per second, and the queue serves uids in turn, so that one user
 * failing in a loop cannot hide another's failures; losses are counted per uid. Successful listen() calls are
 * handed on too (failed = false, stage listen, at most once a minute per listener) for the
 * watch list's learned ports.
 *
 * The kernel side fills a fixed-size ring buffer; a reader thread of the source drains it at
 * once into a bounded user-space queue, so that slow work on the consumer's side (host state
 * lookups, rules, sinks) never holds up the ring. Both stages are bounded and count what they
 * lose: the kernel counts failures it could not put on a full ring, the source counts events
 * it could not queue. Nothing grows with the event rate.
 *
 * Needs root, or CAP_BPF + CAP_PERFMON (kernels before 5.8: CAP_SYS_ADMIN); see
 * pc_ebpf_check_privileges. Kernel 5.15 or later with BTF (/sys/kernel/btf/vmlinux). */
#ifndef PC_SOURCE_EBPF_H
#define PC_SOURCE_EBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_attempt.h"

struct pc_bpf_event;

/* Which kernel hooks to use. */
typedef enum pc_ebpf_hooks {
  PC_EBPF_HOOKS_AUTO = 0,   /* tracepoints when tracefs is (or can be) mounted, else raw */
  PC_EBPF_HOOKS_TRACEPOINT, /* syscalls/sys_exit_bind + sys_exit_listen (cheapest) */
  PC_EBPF_HOOKS_RAW         /* tp_btf/sys_exit: no tracefs needed, ~50 ns more per syscall */
} pc_ebpf_hooks;

typedef struct pc_ebpf_options {
  pc_ebpf_hooks hooks;
  bool io_uring;         /* also IORING_OP_BIND/LISTEN when the kernel has them [true] */
  bool report_all;       /* every failed bind/listen, not only EADDRINUSE, EACCES, EPERM and
                            EADDRNOTAVAIL [false] */
  bool verbose;          /* libbpf's own messages on stderr [false] */
  uint32_t ring_bytes;   /* kernel ring buffer, a power of 2 >= 4096 [524288] */
  size_t queue_capacity; /* user-space queue, in events [4096] */
  uint32_t window_ms;    /* kernel-side counting window per key [1000]; 0 = the default */
  uint32_t uid_budget;   /* ring events per uid per second (per process: half) [4096];
                            0 = no budget */
  bool no_listen;        /* do not hand on successful listen() calls [false] */
  /* For testing the self-test only: leave the bind() tracepoint detached (tracepoint hooks),
   * so that the checks that need it must fail [false]. */
  bool without_bind_hook;
} pc_ebpf_options;

/* Fills o with the defaults shown above. */
void pc_ebpf_options_init(pc_ebpf_options *o);

/* Facts about a failure that have no place in pc_bind_attempt. */
typedef struct pc_ebpf_extra {
  uint8_t source;    /* PC_BPF_SRC_* (pc_bpf_event.h): bind, listen, io_uring bind/listen */
  int32_t fd;        /* the socket's fd, -1 for io_uring */
  uint32_t sk_inode; /* "socket:[N]" in /proc/PID/fd; 0 unknown */
  int32_t bound_dev_if;
  bool transparent; /* IP_TRANSPARENT (known when the FREEBIND bit is in sockopts_known) */
  bool exe_known;
  char exe[32];        /* file name of the executable (from the kernel, so known even after
                          the process exited); may be cut */
  uint64_t ts_mono_ns; /* CLOCK_MONOTONIC time of the failure (latency measurements) */
  /* The attempt stands only for repeats (attempt.repeats) of the failure handed on before
   * with the same key, counted in the kernel after it; its other fields are that failure's,
   * its times the first and last of the repeats. */
  bool repeats_only;
} pc_ebpf_extra;

/* One failure as the source delivers it. */
typedef struct pc_ebpf_item {
  pc_bind_attempt attempt;
  pc_ebpf_extra extra;
} pc_ebpf_item;

/* Counters for the status line and the exit summary. */
typedef struct pc_ebpf_stats {
  uint64_t kernel_submitted; /* events the kernel put on the ring */
  uint64_t kernel_dropped;   /* failures lost because the ring was full */
  uint64_t received;         /* events read from the ring */
  uint64_t queue_dropped;    /* events lost because the user-space queue was full */
  uint64_t malformed;        /* ring records of the wrong size (never expected) */
  uint64_t delivered;        /* items handed out by pc_ebpf_next */
  uint64_t queue_high;       /* most items ever waiting in the queue */
  uint64_t kernel_failures;  /* failures the kernel saw */
  uint64_t kernel_counted;   /* failures only counted in the kernel (handed on as repeats) */
  uint64_t budget_lost;      /* failures lost: their uid was over its budget */
  uint64_t map_full;         /* failures sent one by one: the kernel's key map was full */
  uint64_t listens;          /* successful listen() calls received */
  uint64_t repeats_items;    /* attempts that carry repeats only */
  uint64_t failures_handed;  /* failures handed out: the sum of repeats (1 for a plain one) */
  uint64_t queue_lost;       /* failures lost in the queue (an item can stand for many) */
  uint64_t unaccounted;      /* failures counted in the kernel but never settled (races) */
  uint64_t lost;             /* all failures lost: ring, budget, queue, unaccounted */
  char top_uids[160];        /* the uids that lost most: "uid 65534 12000, uid 1000 3" */
} pc_ebpf_stats;

typedef struct pc_ebpf_source pc_ebpf_source;

/* Checks, without touching BPF, that this process may load and attach the program. PC_OK,
 * or PC_EPRIV with msg holding a multi-line message (no trailing newline) that names the
 * missing capabilities and how to grant them. msg may be NULL. */
int pc_ebpf_check_privileges(char *msg, size_t cap);

/* Loads and attaches the program and starts the reader thread. On failure *out is NULL,
 * err holds one message, and the result is PC_EPRIV (not permitted: the message says what
 * to grant), PC_ENOTSUP (kernel too old, no BTF), PC_ENOMEM or PC_EIO (anything else).
 * o may be NULL for the defaults. The caller owns *out (pc_ebpf_close). */
int pc_ebpf_open(const pc_ebpf_options *o, pc_ebpf_source **out, char *err, size_t cap);

/* Which hooks are attached, e.g. "tracepoint:syscalls:sys_exit_bind,sys_exit_listen +
 * tp_btf:io_uring_complete" (static or owned by s). */
const char *pc_ebpf_hooks_in_use(const pc_ebpf_source *s);

/* Takes the next queued item (the oldest of the next uid in turn) into *out, waiting up to
 * timeout_ms (0 = do not wait). PC_OK with *out filled, or PC_EAGAIN when nothing came.
 * Call from one thread. */
int pc_ebpf_next(pc_ebpf_source *s, pc_ebpf_item *out, int timeout_ms);

/* Current counters (the kernel ones are read from the counter map). */
void pc_ebpf_get_stats(pc_ebpf_source *s, pc_ebpf_stats *out);

/* Ends intake: detaches the program, reads what is left on the ring and hands on every
 * count not yet handed on (so that pc_ebpf_next then returns the rest and nothing is
 * uncounted). Idempotent; from the consumer's thread. */
void pc_ebpf_finish(pc_ebpf_source *s);

/* Detaches the program, stops the reader and frees everything; what is still queued is
 * discarded (drain it with pc_ebpf_next first). NULL-safe. */
void pc_ebpf_close(pc_ebpf_source *s);

/* Converts one kernel record (pure; exposed for tests). mono_to_unix_ns is added to the
 * record's CLOCK_MONOTONIC time to get Unix time in ns. bound_device is left empty (the
 * source fills it from the interface index). */
void pc_ebpf_convert(const struct pc_bpf_event *e, int64_t mono_to_unix_ns, pc_bind_attempt *a,
                     pc_ebpf_extra *x);

#endif
