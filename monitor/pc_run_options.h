/* pc_run_options.h - the options shared by the commands that produce findings (analyze,
 * monitor): outputs, rules, offline host state, aggregation. One parser, one help text. */
#ifndef PC_RUN_OPTIONS_H
#define PC_RUN_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "pc_hoststate.h"
#include "pc_rules.h"
#include "pc_sink.h"

typedef struct pc_run_options {
  pc_sink_options sinks;
  pc_hoststate_offline_files offline;
  const char *rules_dir; /* --rules DIR: added on top of the default catalog */
  pc_time window;        /* --window SECONDS: aggregation window; 0 = no aggregation */
  bool summary;          /* --summary: what was read, on stderr */
} pc_run_options;

void pc_run_options_init(pc_run_options *o);

/* Looks at argv[*i]. Returns 1 when it was one of the shared options (and consumed its
 * value, advancing *i), 0 when it is not one of them, 2 after printing an error (bad
 * value, missing value): the caller exits with PC_EXIT_USAGE. */
int pc_run_options_arg(pc_run_options *o, int argc, char **argv, int *i);

/* Prints the help of the shared options. */
void pc_run_options_help(FILE *out);

/* Builds the rule set: the default catalog plus rules_dir (may be NULL). Prints every
 * compile error (file:line:col) to stderr. Returns PC_OK, PC_ERULE or PC_ENOMEM. */
int pc_run_load_rules(const char *rules_dir, pc_ruleset **out);

#endif
