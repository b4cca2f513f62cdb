/* monitor.h - `portclash monitor`, the part every platform shares (cmd_monitor.c): options,
 * host state, the finding output, signals, the one loop (feed.h), the summary. The platform
 * files (cmd_monitor-linux.c, cmd_monitor-win.c) parse their own source's options and open
 * the live source. Private to the cli library. */
#ifndef PC_CLI_MONITOR_H
#define PC_CLI_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_pipeline.h"
#include "pc_source.h"
#include "options.h"

typedef struct pc_monitor_options {
  pc_run_options run;      /* the options shared with analyze */
  unsigned status_seconds; /* --status SECONDS: 0 = never [10] */
  uint64_t duration_ms;    /* --duration SECONDS: 0 = until stopped */
  bool attempts;           /* --attempts: raw attempt lines instead of findings */
  bool successes;          /* --successes: with --attempts, successful binds too */
  bool drain;              /* --drain: at a stop, explain what the source still holds */
} pc_monitor_options;

typedef struct pc_monitor_platform {
  const char *os;     /* "linux", "windows" */
  uint32_t os_build;  /* Windows build, 0 elsewhere */
  const char *source; /* the findings' "source": "ebpf", "etw" */
  /* Opens the live source (after the rules and sinks, so a bad option or rule is exit 2
   * before anything touches the kernel). p's decoder is there for sources that need it.
   * Returns PC_EXIT_OK with *out set, or an exit code after printing why. */
  int (*open)(void *ud, pc_pipeline *p, pc_source **out);
  /* Optional, see pc_feed_options. */
  void (*format_extra)(const void *extra, char *buf, size_t cap);
  void (*on_record)(void *ud, const pc_record *r);
  void *ud;
  pc_time reorder_watermark; /* see pc_feed_options; 0 = default */
} pc_monitor_platform;

/* Parses monitor's arguments through the option table (options.h): the options every
 * platform's monitor has go to o, and all holds every value for the platform's own source
 * options (the table's rows for this platform). Returns PC_OPTIONS_RUN, PC_OPTIONS_HELP after
 * printing the help, or PC_EXIT_USAGE after printing why. */
int pc_monitor_options_parse(pc_monitor_options *o, pc_options *all, int argc, char **argv);

/* Runs the monitor until Ctrl+C / SIGTERM / SIGQUIT / --duration / the source ends, then
 * writes every finding made (the sinks drain; with --drain what the source and the pipeline
 * still hold is explained first, else counted as not explained) and prints the summary.
 * SIGHUP reopens the log files. Returns the exit code. */
int pc_monitor_run(pc_monitor_options *o, const pc_monitor_platform *pl);

/* pc_monitor_run for `portclash collect`: wrap (with ud) replaces the live host state by a
 * handle over it (taking it; NULL when that failed), and the watch list is off (its warnings
 * come from polling, which a recording cannot replay). */
typedef pc_hoststate *(*pc_monitor_wrap_fn)(void *ud, pc_hoststate *live);
int pc__monitor_run_wrapped(pc_monitor_options *o, const pc_monitor_platform *pl, pc_monitor_wrap_fn wrap,
                            void *ud);

/* True when the last pc_monitor_run was ended by Ctrl+C / SIGTERM (not --duration or the
 * source's end). */
bool pc__monitor_interrupted(void);

/* The platform's signal handling for the loop (cmd_monitor-linux.c, cmd_monitor-win.c): a
 * signal that ends the monitor sets *stop (a second one ends the process at once), SIGHUP
 * sets *reopen where there is one. restore puts the previous handlers back. */
void pc__monitor_signals_install(volatile int *stop, volatile int *reopen);
void pc__monitor_signals_restore(void);

#endif
