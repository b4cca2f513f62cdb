/* pc_attempt.h - one bind attempt, as the correlator (or the eBPF source) reports it.
 *
 * Plain data with no heap pointers: it can be copied, queued and compared in tests. One
 * failed bind() is one attempt, however many providers saw it. */
#ifndef PC_ATTEMPT_H
#define PC_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_addr.h"
#include "pc_time.h"

typedef enum pc_proto { PC_PROTO_UNKNOWN = 0, PC_PROTO_TCP = 6, PC_PROTO_UDP = 17 } pc_proto;

/* Which sources contributed evidence (bit set). */
#define PC_SEEN_AFD 0x01u
#define PC_SEEN_TCPIP 0x02u
#define PC_SEEN_WINSOCK 0x04u
#define PC_SEEN_EBPF 0x08u

/* Socket options known for the failing socket (bits of pc_bind_attempt.sockopts). An option
 * is only meaningful when its bit is also set in sockopts_known. */
#define PC_SOCKOPT_REUSEADDR 0x01u
#define PC_SOCKOPT_EXCLUSIVEADDRUSE 0x02u
#define PC_SOCKOPT_REUSEPORT 0x04u
#define PC_SOCKOPT_V6ONLY 0x08u
#define PC_SOCKOPT_FREEBIND 0x10u

/* At which call the failure surfaced. */
typedef enum pc_stage { PC_STAGE_BIND = 0, PC_STAGE_LISTEN = 1, PC_STAGE_CREATE = 2 } pc_stage;

typedef struct pc_bind_attempt {
  pc_time ts_first; /* event time of the first evidence */
  pc_time ts_last;  /* event time of the last merged evidence */
  uint32_t pid;
  bool pid_known;
  uint64_t start_key; /* process start key, 0 when unknown: tells PID reuse apart */
  uint32_t tid;
  uint64_t endpoint; /* AFD endpoint (kernel address) or socket handle; 0 when unknown */
  pc_addr local;     /* requested local address and port */
  bool addr_known;
  uint8_t proto;     /* pc_proto */
  int32_t socktype;  /* 1 stream, 2 dgram, 0 unknown */
  uint8_t stage;     /* pc_stage */
  bool failed;       /* false for a successful bind (sources report those too) */
  uint32_t ntstatus; /* 0 when unknown or success */
  bool ntstatus_known;
  uint32_t error; /* WSA error on Windows (10048), errno on Linux; 0 = success */
  bool error_known;
  bool error_is_errno; /* true when error is a Linux errno */
  uint32_t seen_by;    /* PC_SEEN_* */
  uint32_t sockopts;
  uint32_t sockopts_known;
  uint16_t tcpip_event; /* id of the TCPIP event that saw it (1006, 1394, 1122...), 0 if none */

  /* The socket that held a colliding address when this bind failed, as the event stream
   * showed it (a successful bind whose socket had not closed); holder_known is false when
   * the stream showed none. Its options are known only where holder_sockopts_known says. */
  bool holder_known;
  bool holder_pid_known;
  uint32_t holder_pid;
  pc_addr holder_addr;
  uint32_t holder_sockopts;
  uint32_t holder_sockopts_known;

  /* Linux (eBPF) extras; zero / false when unknown. */
  uint32_t ppid;
  bool uid_known;
  uint32_t uid, euid;
  uint64_t cgroup_id;
  uint32_t netns; /* network namespace inode */
  bool caps_known;
  uint64_t cap_effective; /* bit 10 = CAP_NET_BIND_SERVICE */
  char comm[16];          /* task comm, NUL-terminated */
  char bound_device[16];  /* SO_BINDTODEVICE, NUL-terminated */

  /* Identical failures (same process, address, port, proto, error) this one attempt stands
   * for, counted before it reached user space (the eBPF program's per-key window). 0 and 1
   * both mean this attempt alone. */
  uint32_t repeats;
} pc_bind_attempt;

#endif
