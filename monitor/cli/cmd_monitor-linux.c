/* cmd_monitor-linux.c - `portclash monitor` on Linux: the eBPF source's options and the
 * signals; the source is opened through ebpf_open-linux.c, the rest is the monitor every
 * platform shares (cmd_monitor.c).
 *
 * The source's reader thread only moves events from the kernel ring into its bounded queue,
 * and one thread does the explaining, so host-state lookups never make the kernel ring
 * overflow by themselves. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ebpf.h"
#include "ebpf_open-linux.h"
#include "monitor.h"
#include "pc_format.h"

static const char *source_name(uint8_t src) {
  switch (src) {
    case 1:
      return "bind";
    case 2:
      return "listen";
    case 3:
      return "io_uring-bind";
    case 4:
      return "io_uring-listen";
    default:
      return "?";
  }
}

/* --attempts: the Linux facts the attempt line does not show. comm, exe and the device name
 * are chosen by whoever runs the process: they go through the console escaping of the
 * formatters, so they cannot start a line or send a terminal sequence. */
static void format_extra(const void *extra, char *buf, size_t cap) {
  const pc_ebpf_item *it = extra;
  const pc_bind_attempt *a = &it->attempt;
  char comm[4 * sizeof a->comm + 8], exe[4 * sizeof it->extra.exe + 8], dev[4 * sizeof a->bound_device + 8];
  pc_format_escape_text(a->comm[0] ? a->comm : "?", comm, sizeof comm);
  pc_format_escape_text(it->extra.exe_known ? it->extra.exe : "?", exe, sizeof exe);
  pc_format_escape_text(a->bound_device[0] ? a->bound_device : "-", dev, sizeof dev);
  snprintf(buf, cap,
           " via=%s ppid=%u uid=%u euid=%u comm=%s exe=%s caps=0x%llx netns=%u cgroup=%llu fd=%d type=%d "
           "dev=%s%s repeats=%u%s",
           source_name(it->extra.source), (unsigned)a->ppid, (unsigned)a->uid, (unsigned)a->euid, comm, exe,
           (unsigned long long)a->cap_effective, (unsigned)a->netns, (unsigned long long)a->cgroup_id,
           (int)it->extra.fd, (int)a->socktype, dev, it->extra.transparent ? " transparent" : "",
           (unsigned)(a->repeats ? a->repeats : 1),
           it->extra.repeats_only ? " (repeats of the failure above)" : "");
}

/* ---- signals ----
 * SIGINT, SIGTERM and SIGQUIT end the monitor the orderly way: the loop stops the source,
 * the sinks write every finding made (with --drain what the source still holds is explained
 * first) and the summary is printed (a service manager's stop, Ctrl+C and Ctrl+\ alike). A second one while
 * that runs ends the process at once with the signal's default action, for a drain that takes too long.
 * SIGHUP, which would otherwise end the process (exit 129, queued findings lost), asks the loop to reopen the
 * log files, as daemons do after logrotate. The handlers only set flags (async-signal-safe); SA_RESTART keeps
 * the other threads' writes and sends from failing with EINTR. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGQUIT};
static volatile int *sig_stop, *sig_reopen;
static struct sigaction saved[4];

static void on_stop(int sig) {
  if (*sig_stop) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  *sig_stop = 1;
}

static void on_hup(int sig) {
  (void)sig;
  *sig_reopen = 1;
}

void pc__monitor_signals_install(volatile int *stop, volatile int *reopen) {
  sig_stop = stop;
  sig_reopen = reopen;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = on_stop;
  for (size_t i = 0; i < 3; i++) sigaction(stop_signals[i], &sa, &saved[i]);
  sa.sa_handler = on_hup;
  sigaction(SIGHUP, &sa, &saved[3]);
}

void pc__monitor_signals_restore(void) {
  for (size_t i = 0; i < 3; i++) sigaction(stop_signals[i], &saved[i], NULL);
  sigaction(SIGHUP, &saved[3], NULL);
}

static int open_source(void *ud, pc_pipeline *p, pc_source **out) {
  (void)p;
  return pc__ebpf_open_live(ud, "monitor", out);
}

int pc_cmd_monitor(int argc, char **argv) {
  pc_monitor_options mo;
  pc_options all;
  int prc = pc_monitor_options_parse(&mo, &all, argc, argv);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  /* The eBPF source's own options (the table's Linux rows). */
  static const pc_ebpf_hooks hooks[] = {PC_EBPF_HOOKS_AUTO, PC_EBPF_HOOKS_TRACEPOINT, PC_EBPF_HOOKS_RAW};
  pc_ebpf_options eo;
  pc_ebpf_options_init(&eo);
  eo.verbose = all.verbose;
  eo.io_uring = !all.no_io_uring;
  eo.report_all = all.all_errors;
  eo.hooks = hooks[all.hooks];
  /* The kernel counts identical failures per --window (1 s without one), at most an hour. */
  uint64_t win_ms = (uint64_t)(all.run.window / PC_TIME_TICKS_PER_MS);
  eo.window_ms = win_ms == 0 ? 0 : win_ms > 3600000 ? 3600000 : (uint32_t)win_ms;

  /* Privileges first: a missing capability is the most likely problem and has its own exit
   * code. */
  char err[1536];
  if (pc_ebpf_check_privileges(err, sizeof err) != PC_OK) {
    fprintf(stderr, "portclash monitor: %s\n", err);
    return PC_EXIT_PRIVILEGE;
  }
  pc_monitor_platform pl = {"linux", 0, "ebpf", open_source, format_extra, NULL, &eo, 0};
  return pc_monitor_run(&mo, &pl);
}
