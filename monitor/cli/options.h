/* options.h - the one option table of portclash: every option of every command is one row
 * (long name, short name, type, default, where the value is stored, which commands take it,
 * whether it is a configuration-file key, help text, group), in the manner of Fluent Bit's
 * config_map and curl's cmdline-opts. The same rows drive
 *   - argv parsing (pc_options_parse: "--opt value", "--opt=value", -h/-v, "--"),
 *   - the configuration file (config.c maps `key = value` through pc__options_set),
 *   - each command's --help (pc_options_help: usage line, positional arguments, grouped
 *     options with their defaults),
 *   - `portclash help-options` (man-page section, completion data, the README's option list),
 *   - the tests that packaging/portclash.conf.example and the README list every key/option.
 * A default is written once, in its row: pc_options_init applies it and --help prints it.
 *
 * Not thread-safe (one command parses its argv once); the table itself is immutable. */
#ifndef PC_OPTIONS_H
#define PC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_hoststate.h"
#include "pc_rules.h"
#include "pc_sinks.h"
#include "pc_time.h"

/* ---- Where the values go ------------------------------------------------------------------ */

/* The options shared by the commands that produce findings (analyze, monitor): outputs,
 * rules, offline host state, aggregation, the watch list. run.h builds the finding path from
 * it. */
typedef struct pc_run_options {
  pc_sink_options sinks;
  pc_hoststate_offline_files offline;
  const char *rules_dir;   /* --rules DIR: added on top of the default catalog */
  pc_time window;          /* --window SECONDS: aggregation window; 0 = no aggregation */
  bool summary;            /* --summary: what was read, on stderr */
  const char *config_path; /* --config FILE, once read; NULL = none */
  /* The `watch = ...` lines of the configuration file, in file order, as written (trimmed);
   * their meaning belongs to the watch list (pc_watch.h). NULL/0 = none. */
  const char *const *watch;
  size_t watch_count;
  /* --watch LIST (repeatable; borrowed from argv) and --no-learn. */
  const char *watch_args[64];
  size_t watch_arg_count;
  bool no_learn;
  pc_time watch_poll; /* --watch-poll SECONDS: how often live monitors re-read ranges and owners */
} pc_run_options;

#define PC_OPTIONS_MAX_ARGS 4

/* Every command's options. Strings are borrowed from argv or from the configuration file's
 * text (which lives until the process exits). */
typedef struct pc_options {
  pc_run_options run;  /* analyze, monitor; explain uses rules_dir, explain/ranges the offline files */
  bool json;           /* explain, ranges, etl info: --format text|json */
  int proto;           /* explain --proto: PC_PROTO_TCP or PC_PROTO_UDP */
  const char *address; /* explain --address; NULL = 0.0.0.0 */
  bool no_test_bind;   /* explain --no-test-bind */
  bool diff;           /* ranges --diff */
  bool with_defaults;  /* rules check --with-defaults */
  const char *out;     /* schema dump --out FILE; NULL = stdout */
  /* monitor, the live source (some are for one platform: see the table) */
  bool attempts, successes, no_os_schemas, no_io_uring, all_errors, verbose;
  bool drain;               /* --drain: at a stop, explain what is still queued (as before: can take long) */
  int hooks;                /* index into {auto, tracepoint, raw} (Linux) */
  int stale;                /* index into {stop, attach, fail} (Windows) */
  const char *session;      /* --session NAME (Windows) */
  const char *record;       /* --record FILE.etl (Windows); NULL = none */
  unsigned etw_queue;       /* --etw-queue RECORDS (Windows); 0 = the source's default */
  bool service_child;       /* --service-child: the monitor of `portclash service run` (Windows) */
  pc_time status, duration; /* --status, --duration; 0 = never / until stopped */
  /* selftest (and json: --json) */
  pc_time timeout;         /* --timeout SECONDS: how long to wait for each finding */
  bool without_bind_hook;  /* --without-bind-hook (Linux) */
  const char *collect_dir; /* selftest --collect DIR; collect writes to out (--out DIR) */
  /* The positional arguments, in order (the command's table entry says how many). */
  const char *args[PC_OPTIONS_MAX_ARGS];
  size_t n_args;
} pc_options;

/* ---- The table ---------------------------------------------------------------------------- */

/* Commands (bits of pc_opt.commands). */
enum {
  PC_CMD_ANALYZE = 1u << 0,
  PC_CMD_MONITOR = 1u << 1,
  PC_CMD_EXPLAIN = 1u << 2,
  PC_CMD_RANGES = 1u << 3,
  PC_CMD_ETL_INFO = 1u << 4,
  PC_CMD_RULES_CHECK = 1u << 5,
  PC_CMD_SCHEMA_DUMP = 1u << 6,
  PC_CMD_SCHEMA_CHECK = 1u << 7,
  PC_CMD_SELFTEST = 1u << 8,
  PC_CMD_COLLECT = 1u << 9,
  PC_CMD_ALL = (1u << 10) - 1,
};

/* Platforms (bits of pc_opt.platforms; 0 = every platform). */
enum { PC_OPT_LINUX = 1u << 0, PC_OPT_WINDOWS = 1u << 1 };

typedef enum pc_opt_type {
  PC_OPT_FLAG,    /* a switch (--quiet); in the configuration file true/false */
  PC_OPT_STRING,  /* one non-empty value; the last one given wins */
  PC_OPT_UINT,    /* a whole number in [min, max] */
  PC_OPT_SECONDS, /* a number of seconds in [min, max] (fractions allowed), stored as pc_time */
  PC_OPT_ENUM,    /* one of choices; the choice's value is stored */
  PC_OPT_LIST,    /* repeatable: every value is kept, in order */
  PC_OPT_HELP,    /* -h, --help */
  PC_OPT_CONFIG,  /* --config FILE: read before the other options, which then win over it */
} pc_opt_type;

typedef struct pc_opt_choice {
  const char *name;
  int value;
} pc_opt_choice;

typedef struct pc_opt {
  const char *name; /* long name without dashes; also the configuration-file key */
  char short_name;  /* 'h', or 0 */
  pc_opt_type type;
  const char *arg;    /* the value's placeholder in help ("SECONDS"); enums show their choices */
  unsigned commands;  /* PC_CMD_* bits */
  unsigned platforms; /* PC_OPT_LINUX / PC_OPT_WINDOWS bits; 0 = all */
  bool key;           /* also a key of the configuration file */
  bool input;         /* an input of one analysis (never a configuration key, said so) */
  unsigned group;     /* index into the groups (pc_options_group_title) */
  size_t off, size;   /* where the value is stored in pc_options, and its size */
  size_t count_off;   /* PC_OPT_LIST: the size_t count; the capacity is cap */
  size_t cap;
  uint64_t min, max;            /* PC_OPT_UINT, PC_OPT_SECONDS */
  int on, off_value;            /* PC_OPT_FLAG: stored when given (config: true) / config false */
  const pc_opt_choice *choices; /* PC_OPT_ENUM, ends with {NULL, 0} */
  const char *def;              /* the default, applied by pc_options_init and shown by --help */
  const char *def_text;         /* shown as the default when it is not a value ("this machine's name") */
  const char *help;             /* sentences; --help wraps them */
} pc_opt;

/* The rows, in help order (grouped). */
const pc_opt *pc_options_table(size_t *count);

/* The title of group g (one line) and its note (lines printed after the group's options, or
 * NULL). */
const char *pc_options_group_title(unsigned g);
const char *pc_options_group_note(unsigned g);

/* What a command looks like: its name ("etl info"), the synopsis after the name, its
 * positional arguments, the paragraph --help starts with and the exit-status text. */
typedef struct pc_cmd_info {
  unsigned cmd; /* PC_CMD_* bit */
  const char *name;
  const char *synopsis; /* "FILE [OPTIONS]" */
  unsigned min_args, max_args;
  const char *args_help;   /* lines "  FILE   ..." describing the positional arguments, or NULL */
  const char *description; /* paragraph(s), each line ends in '\n' */
  const char *exit_status; /* "Exit status: ..." lines */
} pc_cmd_info;

const pc_cmd_info *pc_options_commands(size_t *count);
const pc_cmd_info *pc_options_command(unsigned cmd);

/* The platform this portclash was built for (PC_OPT_LINUX, PC_OPT_WINDOWS, or 0 for another
 * OS, where the platform-specific options do not exist). */
unsigned pc_options_platform(void);

/* The row named name (long name, without dashes) that command cmd takes (cmd 0: any command;
 * the first such row). NULL when there is none. */
const pc_opt *pc_options_find(const char *name, unsigned cmd);

/* A row's value as help shows it: "text|json" for an enum, the placeholder ("SECONDS") for
 * the other rows that take a value, "" for switches. Returns buf. */
const char *pc_options_value_text(const pc_opt *row, char *buf, size_t cap);

/* The default as help shows it ("10", "this machine's name"), or NULL when there is none. */
const char *pc_options_default_text(const pc_opt *row);

/* The names of the commands in mask, in table order, separated by ", ". Returns buf. */
const char *pc_options_command_names(unsigned mask, char *buf, size_t cap);

/* ---- Using it ----------------------------------------------------------------------------- */

/* Zeroes o and applies every row's default. */
void pc_options_init(pc_options *o);

#define PC_OPTIONS_RUN 0
#define PC_OPTIONS_HELP (-1)

/* Parses the arguments of command cmd (argv[0] is the command's word, argv[1..] its
 * arguments) into o, after pc_options_init: defaults, then the --config file (when cmd takes
 * it), then argv, so the command line wins. Positional arguments go to o->args (the
 * command's min_args..max_args). Returns PC_OPTIONS_RUN; PC_OPTIONS_HELP after writing the
 * command's help to out (exit 0); PC_EXIT_USAGE after writing "portclash CMD: message" to err
 * (bad or missing value, unknown option, option of another command or platform, wrong
 * number of arguments, configuration file error with FILE:LINE). */
int pc_options_parse(pc_options *o, unsigned cmd, int argc, char **argv, FILE *out, FILE *err);

/* Writes the --help of command cmd: usage line, description, arguments, the options it takes
 * on this platform grouped under their titles with their defaults, the exit status. */
void pc_options_help(FILE *out, unsigned cmd);

/* Module-shared (config.c): applies value to row in o. as names the option in messages
 * ("--window" or "'window'"); from_config: a FLAG takes true/false (yes/no, on/off, 1/0).
 * Returns 1, or 0 with "AS needs ..., got 'value'" in err. */
int pc__options_set(pc_options *o, const pc_opt *row, const char *value, bool from_config, const char *as,
                    char *err, size_t errcap);

/* What a row's value must be, as a phrase: "a number of seconds (0..86400)", "one of text,
 * json", "a FILE", "true or false". */
void pc_options_expect(const pc_opt *row, bool from_config, char *buf, size_t cap);

/* The table as documentation (cmd_help_options.c, `portclash help-options`): a whole man page
 * (roff: synopsis, each command with its options, the configuration keys), completion data
 * (one tab-separated line per command and option), and the README's option list (Markdown). */
void pc_options_write_man(FILE *out);
void pc_options_write_completion(FILE *out);
void pc_options_write_markdown(FILE *out);

#endif
