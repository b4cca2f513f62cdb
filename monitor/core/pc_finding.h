/* pc_finding.h - what the sinks print: one explained failure (or warning).
 *
 * All pointers are borrowed from the producer for the duration of the sink call. A NULL
 * string or a false *_known flag means "unknown" and is printed as JSON null, never
 * omitted and never "n/a". The keys are a public contract (DESIGN.md, README). */
#ifndef PC_FINDING_H
#define PC_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_time.h"

typedef struct pc_finding {
  pc_time ts;      /* first occurrence (event time) */
  pc_time ts_last; /* last occurrence when count > 1, else == ts */
  const char *host;
  const char *os;    /* "windows", "linux" */
  const char *event; /* "bind_failure", "port_at_risk", "events_lost", ... */
  bool error_known;
  uint32_t error;         /* WSA error or errno */
  const char *error_name; /* "WSAEADDRINUSE", "EADDRINUSE" */
  const char *proto;      /* "tcp", "udp" */
  const char *address;    /* "0.0.0.0", "::1" (no port) */
  bool port_known;
  uint16_t port;
  bool pid_known;
  uint32_t pid;
  const char *process;
  bool owner_pid_known;
  uint32_t owner_pid;
  const char *owner_process;
  const char *rule_id;  /* "C12" */
  const char *severity; /* "error", "warning", "info" */
  const char *explanation;
  const char *const *fixes;
  size_t fix_count;
  uint64_t count;     /* >= 1 */
  const char *source; /* "etw", "etl", "ebpf", "fixture" */
} pc_finding;

#endif
