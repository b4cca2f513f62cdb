/* pc_facts.h - everything known about one bind attempt once host state is added.
 *
 * This is what rules evaluate and what findings are built from. Strings are fixed-size,
 * NUL-terminated and may be empty (= unknown); numbers have a *_known flag. Host-state back
 * ends fill the enrichment part; the pipeline fills the rest. */
#ifndef PC_FACTS_H
#define PC_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_attempt.h"

#define PC_NAME_MAX 128
#define PC_PATH_MAX 520

typedef enum pc_os { PC_OS_UNKNOWN = 0, PC_OS_WINDOWS = 1, PC_OS_LINUX = 2 } pc_os;

/* Owner states (TCP states as netstat shows them, plus "bound" and "udp"). */
typedef enum pc_owner_state {
  PC_OWNER_STATE_UNKNOWN = 0,
  PC_OWNER_STATE_LISTEN,
  PC_OWNER_STATE_ESTABLISHED,
  PC_OWNER_STATE_TIME_WAIT,
  PC_OWNER_STATE_CLOSE_WAIT,
  PC_OWNER_STATE_BOUND, /* bound, neither listening nor connected */
  PC_OWNER_STATE_UDP,   /* a bound UDP endpoint */
  PC_OWNER_STATE_OTHER
} pc_owner_state;

typedef struct pc_facts {
  pc_bind_attempt attempt;

  /* The failing process. */
  char process_name[PC_NAME_MAX]; /* "nginx.exe" */
  char process_path[PC_PATH_MAX];
  char process_user[PC_NAME_MAX];
  char process_service[PC_NAME_MAX]; /* service hosted by the process, if any */

  /* What host state was available at all: an empty answer from a source that was consulted
   * ("no excluded range contains the port") differs from having no source (offline
   * analysis without netsh output). */
  bool ranges_known; /* excluded ranges were read */
  bool owners_known; /* the table of sockets and owners was read */
  /* Live Windows: the ranges come from a snapshot taken hoststate_age_s seconds ago by the
   * background worker; hoststate_stale when that is longer than its refresh interval (netsh
   * slow or failing): a range reserved since may be missing. */
  bool hoststate_stale;
  uint32_t hoststate_age_s;

  /* Who holds the port now (the first matching owner). */
  bool owner_known;
  uint32_t owner_pid;
  char owner_name[PC_NAME_MAX];
  char owner_path[PC_PATH_MAX];
  char owner_service[PC_NAME_MAX];
  char owner_user[PC_NAME_MAX];
  /* HTTP.sys (owner_kernel): the URL registered on the port (netsh http show servicestate, or a
   * urlacl reservation); owner_service then names the service behind its request queue. */
  char owner_url[256];
  char owner_queue[PC_NAME_MAX]; /* the request queue's name ("" unnamed or unknown) */
  uint8_t owner_state;           /* pc_owner_state */
  bool owner_kernel;             /* PID 4 / System: HTTP.sys, SMB, WinNAT */
  pc_addr owner_addr;            /* the owner's local address */
  uint32_t owner_sockopts;
  uint32_t owner_sockopts_known;

  /* The excluded range containing the port, if any. */
  bool excluded;
  uint16_t excluded_start, excluded_end;
  bool excluded_administered;

  /* The dynamic (ephemeral) port range for the attempt's protocol. */
  bool dynamic_known;
  uint16_t dynamic_start, dynamic_end;
  bool in_dynamic;

  /* Linux: ports below this need CAP_NET_BIND_SERVICE (ip_unprivileged_port_start). */
  bool unprivileged_start_known;
  uint16_t unprivileged_start;

  uint8_t os;            /* pc_os */
  uint32_t os_build;     /* Windows build number, 0 unknown */
  uint64_t repeat_count; /* identical failures in the aggregation window, including this one */

  /* Linux: the failing process lives in another network namespace than portclash (a
   * container); owners were looked up from its namespace. */
  bool netns_known;
  bool other_netns;

  /* `portclash explain PORT`: no process made this bind; the facts describe a bind that
   * would be made now (failed and error: the test bind's outcome, or the error the host
   * state makes certain). Rules see it as the field "hypothetical". */
  bool hypothetical;

  /* ---- port_at_risk warnings (monitor/watch/pc_watch.h); all zero for a bind failure ---- */
  uint8_t event_kind;  /* pc_facts_event: what these facts describe */
  uint8_t risk_reason; /* pc_risk_reason; PC_RISK_NONE for bind failures */
  bool watched;        /* the port is on the watch list, not only learned (port_at_risk only) */
  /* The process that used the port before (the learned holder); the new blocker, if a
   * process, is in owner_*. */
  bool previous_known;
  uint32_t previous_pid; /* 0 = unknown even when previous_known (only the name was kept) */
  char previous_process[PC_NAME_MAX];
} pc_facts;

/* What a pc_facts describes. Rules see it as the field "event". */
typedef enum pc_facts_event {
  PC_FACTS_BIND_FAILURE = 0, /* a bind attempt (failed, or successful when reported) */
  PC_FACTS_PORT_AT_RISK = 1  /* a watched or learned port is about to be taken away */
} pc_facts_event;

/* Why a port is at risk. Rules see it as the field "risk_reason". */
typedef enum pc_risk_reason {
  PC_RISK_NONE = 0,
  PC_RISK_RESERVATION_EVENT = 1, /* a TCPIP 1054/1519 global reservation covers it */
  PC_RISK_EXCLUDED_RANGE = 2,    /* an excluded (reserved) range now covers it */
  PC_RISK_DYNAMIC_RANGE = 3,     /* the dynamic range now covers it: outgoing connections may take it */
  PC_RISK_NEW_HOLDER = 4         /* another process now listens on it */
} pc_risk_reason;

#endif
