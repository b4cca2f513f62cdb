/* ebpf.h - the Linux live source: failed bind()/listen() calls, system-wide, from
 * an eBPF program (monitor/source/bpf/pc_bind.bpf.c), as pc_bind_attempts.
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

/* Takes the oldest queued failure into *out, waiting up to timeout_ms (0 = do not wait).
 * PC_OK with *out filled, or PC_EAGAIN when nothing came. Call from one thread. */
int pc_ebpf_next(pc_ebpf_source *s, pc_ebpf_item *out, int timeout_ms);

/* Current counters (the kernel ones are read from the counter map). */
void pc_ebpf_get_stats(pc_ebpf_source *s, pc_ebpf_stats *out);

/* Detaches the program, stops the reader and frees everything; what is still queued is
 * discarded (drain it with pc_ebpf_next first). NULL-safe. */
void pc_ebpf_close(pc_ebpf_source *s);

/* Converts one kernel record (pure; exposed for tests). mono_to_unix_ns is added to the
 * record's CLOCK_MONOTONIC time to get Unix time in ns. bound_device is left empty (the
 * source fills it from the interface index). */
void pc_ebpf_convert(const struct pc_bpf_event *e, int64_t mono_to_unix_ns, pc_bind_attempt *a,
                     pc_ebpf_extra *x);

#endif
