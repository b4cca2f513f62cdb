/* eventlog-none.c - the Event Log sink where there is no Windows Event Log: opening it
 * says so (PC_ENOTSUP), so `--eventlog` on Linux is a clear error, not a silent no-op. */
#include "sinks_internal.h"

static pc_err none_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) {
  (void)opts;
  *state = NULL;
  pc__diag(diag, ud, PC_ENOTSUP,
           "--eventlog: the Windows Event Log exists only on Windows (use --syslog or --log here)");
  return PC_ENOTSUP;
}

static pc_err none_write(void *state, const pc_finding *f) {
  (void)state;
  (void)f;
  return PC_ENOTSUP;
}

static pc_err none_flush(void *state, unsigned timeout_ms) {
  (void)state;
  (void)timeout_ms;
  return PC_OK;
}

static void none_stats(void *state, pc_sink_stats *out) {
  (void)state;
  *out = (pc_sink_stats){0};
}

static void none_close(void *state, pc_sink_stats *final) {
  (void)state;
  if (final) *final = (pc_sink_stats){0};
}

const pc_sink_ops pc_sink_eventlog_ops = {
    .name = "eventlog",
    .open = none_open,
    .write = none_write,
    .flush = none_flush,
    .stats = none_stats,
    .close = none_close,
};
