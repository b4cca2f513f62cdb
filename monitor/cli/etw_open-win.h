/* etw_open-win.h - the one way `portclash monitor` and `portclash selftest` start the live
 * ETW source on Windows (pc__etw_open_live, etw_open-win.c): the plan from the decoder's
 * layouts, the session, the messages when it cannot start, and the OS's own event layouts.
 * Private to the cli library. Windows only. */
#ifndef PC_CLI_ETW_OPEN_WIN_H
#define PC_CLI_ETW_OPEN_WIN_H

#include <stdbool.h>

#include "etw.h"
#include "pc_pipeline.h"
#include "pc_source.h"

typedef struct pc_etw_open {
  const char *command;       /* "monitor", "selftest": the messages' prefix */
  const char *denied_next;   /* follows "access denied when starting the ETW session" */
  const pc_etw_options *etw; /* the session's options */
  const pc_os_version *os;   /* this Windows */
  const pc_etw_api *api;     /* NULL = the system's ETW functions */
  bool os_schemas;           /* reconcile with the OS's layouts through TDH */
  /* Where the OS has no manifest enumeration (before 8.1): NULL = keep the built-in layouts;
   * else *fallback is set and a note says each new kind of event is checked on arrival (the
   * caller's pc_monitor_platform.fallback_check does it with tdh). */
  bool *fallback;
  pc_tdh_api *tdh; /* keeps the TDH functions loaded for fallback_check; NULL = not kept */
} pc_etw_open;

/* Starts the session for the pipeline p and sets *out. Returns PC_EXIT_OK, or
 * PC_EXIT_PRIVILEGE / PC_EXIT_FAILURE after saying why on stderr. */
int pc__etw_open_live(const pc_etw_open *o, pc_pipeline *p, pc_source **out);

#endif
