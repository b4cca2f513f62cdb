/* run_options.h - the options shared by the commands that produce findings (analyze,
 * monitor): outputs, rules, offline host state, aggregation. One parser, one help text. */
#ifndef PC_RUN_OPTIONS_H
#define PC_RUN_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "pc_hoststate.h"
#include "pc_rules.h"
#include "pc_sinks.h"

typedef struct pc_run_options {
  pc_sink_options sinks;
  pc_hoststate_offline_files offline;
  const char *rules_dir;   /* --rules DIR: added on top of the default catalog */
  pc_time window;          /* --window SECONDS: aggregation window; 0 = no aggregation */
  bool summary;            /* --summary: what was read, on stderr */
  const char *config_path; /* --config FILE, once read by pc_run_options_preload; NULL = none */
  /* The `watch = ...` lines of the configuration file, in file order, as written (trimmed);
   * their meaning belongs to the watch list (pc_watch.h). NULL/0 = none. */
  const char *const *watch;
  size_t watch_count;
  /* --watch LIST (repeatable; borrowed from argv) and --no-learn (issue: watch list). */
  const char *watch_args[64];
  size_t watch_arg_count;
  bool no_learn;
  pc_time watch_poll; /* --watch-poll SECONDS: how often live monitors re-read ranges and owners */
} pc_run_options;

void pc_run_options_init(pc_run_options *o);

/* Looks at argv[*i]. Returns 1 when it was one of the shared options (and consumed its
 * value, advancing *i), 0 when it is not one of them, 2 after printing an error (bad
 * value, missing value): the caller exits with PC_EXIT_USAGE. */
int pc_run_options_arg(pc_run_options *o, int argc, char **argv, int *i);

/* Reads the file of `--config FILE` (or --config=FILE) in argv, if any, into o (config.h),
 * BEFORE the caller parses argv with pc_run_options_arg, so that options given on the command
 * line override the file's. Call it once, after pc_run_options_init. Returns 0, or 2 after
 * printing "portclash: FILE:LINE: message" (the caller exits with PC_EXIT_USAGE). The
 * file's strings stay valid until the process exits or the next call that reads a file (which
 * frees them: one command reads one configuration). With -h/--help in argv it reads nothing. */
int pc_run_options_preload(pc_run_options *o, int argc, char **argv);

/* Module-shared (config.c): sets the valued shared option name ("--format", ...) to v, which
 * must outlive o. Returns 1 when set, 0 when name is not a valued shared option, 2 with a
 * message in err for a bad value. Prints nothing. */
int pc__run_option_value(pc_run_options *o, const char *name, const char *v, char *err, size_t errcap);

/* Prints the help of the shared options. */
void pc_run_options_help(FILE *out);

/* Builds the rule set: the default catalog plus rules_dir (may be NULL). Prints every
 * compile error (file:line:col) to stderr. Returns PC_OK, PC_ERULE or PC_ENOMEM. */
int pc_run_load_rules(const char *rules_dir, pc_ruleset **out);

#endif
