/* selftest.h - `portclash selftest`: the part every platform shares (cmd_selftest.c) and what
 * a platform provides (selftest-linux.c, selftest-win.c): its live source and the real
 * failures it can provoke with its own sockets. Private to the cli library. */
#ifndef PC_CLI_SELFTEST_H
#define PC_CLI_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor.h"
#include "pc_addr.h"

/* One provoked bind and what a correct live run must report for it. */
typedef struct pc_selftest_case {
  const char *name; /* "tcp-in-use" */
  const char *what; /* one sentence: what was done */
  uint8_t proto;    /* PC_PROTO_TCP / PC_PROTO_UDP */
  pc_addr addr;     /* the address and port of the provoked bind */
  uint32_t pid;     /* the process that made it */
  int error;        /* the OS error the bind really got (0: it succeeded) */
  /* What the explanation must be: rule ids accepted ("L04|L05"), NULL = any rule that is not
   * a built-in fallback. */
  const char *expect_rules;
  uint32_t holder_pid; /* the process that holds the port, 0 = not checked */
  /* The provocation changed what host state reads (an excluded range added): read it again
   * before the failure is explained. */
  bool refresh_hoststate;
  bool skipped;
  char why[200]; /* why it was skipped, or what went wrong setting it up */
} pc_selftest_case;

typedef struct pc_selftest_platform {
  pc_monitor_platform mon; /* the live source, as the monitor opens it */
  /* PC_OK when this process may open the live source; else PC_EPRIV with msg saying what is
   * missing and how to get it. */
  int (*privileges)(char *msg, size_t cap);
  /* Provokes case number i (0, 1, ...) into *c. PC_OK (c filled; c->skipped with a reason
   * when it cannot be done here), PC_EEND when there are no more cases. Anything it starts
   * (holder processes, sockets) stays alive until cleanup, so owners can be looked up. */
  int (*provoke)(void *ud, unsigned i, pc_selftest_case *c);
  /* Ends every holder and closes every socket provoke made; called on every path, also after
   * Ctrl+C. */
  void (*cleanup)(void *ud);
  void *ud;
  /* Optional: the platform's first next steps when no provoked failure arrived ("check ...;
   * then "), printed before the common ones. */
  const char *no_events_hint;
} pc_selftest_platform;

/* Makes a running self-test stop after the current check and clean up, as SIGINT does: for
 * handlers that are not signals (Windows' console control handler). Any thread. */
void pc_selftest_interrupt(void);

/* Runs the self-test: argv is the command line (options --json, --timeout, and the
 * platform's source options parsed by the caller into pl). Returns the exit code: 0 when
 * every case that was not skipped passed, 1 otherwise, 3 without the privileges. */
int pc_selftest_run(const pc_selftest_platform *pl, bool json, unsigned timeout_ms);

/* The same, and with collect_dir (selftest --collect DIR; NULL = none) also writes the folder
 * of `portclash collect` around it (collect.h): the host state before and after, the live
 * source's recording and the findings during the checks, the report as selftest.json and
 * manifest.json, so that `portclash analyze DIR` reproduces the findings elsewhere. */
int pc_selftest_run_collect(const pc_selftest_platform *pl, bool json, unsigned timeout_ms,
                            const char *collect_dir);

#endif
