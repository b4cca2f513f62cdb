/* eventlog-none.c - the Event Log sink where there is no Windows Event Log: opening it
 * says so (PC_ENOTSUP), so `--eventlog` on Linux is a clear error, not a silent no-op. Its
 * other operations are never called (pc_sink_ops). */
#include "sinks_internal.h"

static pc_err none_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) {
  (void)opts;
  *state = NULL;
  pc__diag(diag, ud, PC_ENOTSUP,
           "--eventlog: the Windows Event Log exists only on Windows (use --syslog or --log here)");
  return PC_ENOTSUP;
}

const pc_sink_ops pc_sink_eventlog_ops = {.name = "eventlog", .open = none_open};
