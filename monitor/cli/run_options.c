#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pc_error.h"
#include "run_options.h"
#include "watch_list.h"

void pc_run_options_init(pc_run_options *o) {
  memset(o, 0, sizeof *o);
  pc_sink_options_init(&o->sinks);
  o->window = 10 * PC_TIME_TICKS_PER_SEC;
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || s[0] == '-') return false;
  *out = v;
  return true;
}

/* Takes the value of option argv[*i], from "--opt=value" or the next argument. */
static const char *value_of(int argc, char **argv, int *i, const char *name) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) == 0 && a[n] == '=') return a + n + 1;
  if (*i + 1 >= argc) return NULL;
  return argv[++*i];
}

static bool is_opt(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static const char *const valued[] = {"--format",   "--log",      "--log-format",      "--log-max-bytes",
                                     "--log-keep", "--syslog",   "--syslog-facility", "--syslog-max-bytes",
                                     "--sd-id",    "--app-name", "--rules",           "--window",
                                     "--host"};

int pc__run_option_value(pc_run_options *o, const char *name, const char *v, char *err, size_t errcap) {
  size_t k = 0;
  while (k < sizeof valued / sizeof valued[0] && strcmp(name, valued[k]) != 0) k++;
  if (k == sizeof valued / sizeof valued[0]) return 0;
  uint64_t n = 0;
  bool ok = true;
  if (k == 0)
    ok = pc_format_kind_parse(v, &o->sinks.format) == PC_OK;
  else if (k == 1)
    o->sinks.log_path = v;
  else if (k == 2)
    ok = pc_format_kind_parse(v, &o->sinks.log_format) == PC_OK;
  else if (k == 3)
    ok = parse_u64(v, &o->sinks.log_max_bytes);
  else if (k == 4)
    ok = parse_u64(v, &n) && n <= 1000 && (o->sinks.log_keep = (unsigned)n, true);
  else if (k == 5)
    o->sinks.syslog_url = v;
  else if (k == 6)
    ok = parse_u64(v, &n) && n <= 23 && (o->sinks.syslog_facility = (unsigned)n, true);
  else if (k == 7)
    ok = parse_u64(v, &n) && n >= 480 && n <= 65536 && (o->sinks.syslog_max_bytes = (size_t)n, true);
  else if (k == 8)
    o->sinks.sd_id = v;
  else if (k == 9)
    o->sinks.app_name = v;
  else if (k == 10)
    o->rules_dir = v;
  else if (k == 11)
    ok = parse_u64(v, &n) && n <= 86400 && (o->window = (pc_time)n * PC_TIME_TICKS_PER_SEC, true);
  else if (k == 12)
    o->sinks.host = v;
  if (!ok) {
    snprintf(err, errcap, "bad value for %s: '%s' (see --help)", valued[k], v);
    return 2;
  }
  return 1;
}

int pc_run_options_arg(pc_run_options *o, int argc, char **argv, int *i) {
  /* The watch list: values are checked when the findings path builds the list, so that the
   * config file's and the command line's entries report their errors the same way. */
  if (strcmp(argv[*i], "--no-learn") == 0) {
    o->no_learn = true;
    return 1;
  }
  if (strcmp(argv[*i], "--watch-poll") == 0 || strncmp(argv[*i], "--watch-poll=", 13) == 0) {
    const char *v = argv[*i][12] == '=' ? argv[*i] + 13 : (*i + 1 < argc ? argv[++*i] : NULL);
    char *end = NULL;
    long secs = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || secs < 1 || secs > 86400) {
      fprintf(stderr, "portclash: --watch-poll needs a number of seconds from 1 to 86400\n");
      return 2;
    }
    o->watch_poll = (pc_time)secs * PC_TIME_TICKS_PER_SEC;
    return 1;
  }
  if (strcmp(argv[*i], "--watch") == 0 || strncmp(argv[*i], "--watch=", 8) == 0) {
    const char *v = argv[*i][7] == '=' ? argv[*i] + 8 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!v) {
      fprintf(stderr, "portclash: --watch needs a value (e.g. 8080,3000-3010/tcp,5353/udp)\n");
      return 2;
    }
    if (o->watch_arg_count == sizeof o->watch_args / sizeof o->watch_args[0]) {
      fprintf(stderr, "portclash: too many --watch options (put the ports in one list)\n");
      return 2;
    }
    o->watch_args[o->watch_arg_count++] = v;
    return 1;
  }
  const char *a = argv[*i];
  char err[PC_HOSTSTATE_ERR_MAX];
  int rc = pc_hoststate_offline_arg(&o->offline, argc, argv, i, err, sizeof err);
  if (rc == 1) return 1;
  if (rc < 0) {
    fprintf(stderr, "portclash: %s\n", err);
    return 2;
  }
  if (is_opt(a, "--config")) {
    /* Read before the other options by pc_run_options_preload; here only skipped. */
    if (!value_of(argc, argv, i, "--config")) {
      fprintf(stderr, "portclash: --config needs a value\n");
      return 2;
    }
    return 1;
  }
  for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
    if (!is_opt(a, valued[k])) continue;
    const char *v = value_of(argc, argv, i, valued[k]);
    if (!v) {
      fprintf(stderr, "portclash: %s needs a value\n", valued[k]);
      return 2;
    }
    rc = pc__run_option_value(o, valued[k], v, err, sizeof err);
    if (rc == 2) fprintf(stderr, "portclash: %s\n", err);
    return rc;
  }
  if (strcmp(a, "--no-color") == 0) {
    o->sinks.color = PC_COLOR_NEVER;
    return 1;
  }
  if (strcmp(a, "--quiet") == 0) {
    o->sinks.console = false;
    return 1;
  }
  if (strcmp(a, "--summary") == 0) {
    o->summary = true;
    return 1;
  }
  return 0;
}

int pc_run_options_preload(pc_run_options *o, int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 0; /* help needs no file */
    if (!is_opt(argv[i], "--config")) continue;
    const char *v = value_of(argc, argv, &i, "--config");
    if (!v || !*v) {
      fprintf(stderr, "portclash: --config needs a file name\n");
      return 2;
    }
    if (path) {
      fprintf(stderr, "portclash: --config given twice ('%s' and '%s')\n", path, v);
      return 2;
    }
    path = v;
  }
  if (!path) return 0;
  /* The options point into the file's text, which therefore lives as long as the process: a
   * command reads one configuration. Kept in a static so it stays reachable (not a leak). */
  static pc_config *loaded;
  pc_config_free(loaded);
  loaded = NULL;
  char err[PC_CONFIG_ERR_MAX];
  int rc = pc_config_apply_file(o, path, &loaded, err, sizeof err);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s\n", err);
    return 2;
  }
  o->config_path = path;
  return 0;
}

void pc_run_options_help(FILE *out) {
  fputs("Watch list (warn before a port is taken away):\n", out);
  fputs(pc_watch_help(), out);
  fputs("  --watch-poll SECONDS   live: re-read ranges and owners of watched ports this often [30]\n", out);
  fputs(
      "Output:\n"
      "  --format text|json|syslog|syslog3164|cef   console (and log) format [text]\n"
      "  --log FILE             also write findings to FILE (rotated)\n"
      "  --log-format FMT       format of FILE [same as --format]\n"
      "  --log-max-bytes N      rotate before FILE exceeds N bytes [10485760]\n"
      "  --log-keep N           keep N rotated files [5]\n"
      "  --syslog URL           udp://HOST[:PORT] or tcp://HOST[:PORT] (RFC 5424; TCP octet counting)\n"
      "  --syslog-facility N    0..23 [1]\n"
      "  --syslog-max-bytes N   record size cap [2048]\n"
      "  --sd-id ID             RFC 5424 SD-ID [portclash@32473]\n"
      "  --app-name NAME        syslog APP-NAME [portclash]\n"
      "  --host NAME            host name written in findings [this machine's]\n"
      "  --no-color             no colours on the console (also when NO_COLOR is set)\n"
      "  --quiet                no findings on stdout\n"
      "  --window SECONDS       collapse identical failures within this window into one\n"
      "                         finding with a count; 0 = report each [10]\n"
      "  --summary              print what was read and dropped on stderr at the end\n"
      "  --config FILE          read these options from FILE (key = value; options given\n"
      "                         on the command line win); see portclash.conf.example\n"
      "Rules:\n"
      "  --rules DIR            add the *.rules files of DIR to the built-in catalog\n"
      "                         (a rule with the same id replaces the built-in one)\n",
      out);
  fputs(pc_hoststate_offline_help(), out);
}

int pc_run_load_rules(const char *rules_dir, pc_ruleset **out) {
  *out = NULL;
  pc_rules_compiler *c;
  int rc = pc_rules_compiler_new(&c);
  if (rc != PC_OK) return rc;
  pc_rules_compiler_add_defaults(c);
  if (rules_dir) pc_rules_compiler_add_dir(c, rules_dir);
  rc = pc_rules_compiler_build(c, out);
  if (rc == PC_ERULE) {
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      fprintf(stderr, "%s\n", pc_rules_compiler_error(c, i));
    fprintf(stderr, "portclash: the rules have %zu error(s); check them with 'portclash rules check %s'\n",
            pc_rules_compiler_error_count(c), rules_dir ? rules_dir : "");
  }
  pc_rules_compiler_free(c);
  return rc;
}
