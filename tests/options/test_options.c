/* The option table (monitor/cli/options.c): the table is consistent, argv is parsed through it
 * (every type, every error with its exact message), every row is in the --help of each
 * command that takes it (with its default), packaging/portclash.conf.example lists exactly
 * the configuration keys, and the README's option list is the one the table generates. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "pc_attempt.h"
#include "pc_error.h"
#include "pc_test.h"

static char out_text[65536], err_text[4096];

/* Reads f (a tmpfile) into buf. */
static void slurp(FILE *f, char *buf, size_t cap) {
  rewind(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
}

/* Parses argv (NULL-terminated, argv[0] the command word) for cmd; out_text and err_text hold
 * what was written. */
static int parse(pc_options *o, unsigned cmd, char **argv) {
  int argc = 0;
  while (argv[argc]) argc++;
  FILE *out = tmpfile(), *err = tmpfile();
  if (!out || !err) return -100;
  int rc = pc_options_parse(o, cmd, argc, argv, out, err);
  slurp(out, out_text, sizeof out_text);
  slurp(err, err_text, sizeof err_text);
  return rc;
}

/* Expects argv to be refused with exactly msg (one line). */
#define REFUSED(cmd, msg, ...)                             \
  do {                                                     \
    pc_options o_;                                         \
    char *argv_[] = {"x", __VA_ARGS__, NULL};              \
    PC_CHECK_INT(parse(&o_, (cmd), argv_), PC_EXIT_USAGE); \
    PC_CHECK_STR(err_text, "portclash " msg "\n");         \
  } while (0)

PC_TEST(table_is_consistent) {
  size_t n;
  const pc_opt *rows = pc_options_table(&n);
  PC_CHECK(n > 40);
  pc_options o;
  for (size_t i = 0; i < n; i++) {
    const pc_opt *r = &rows[i];
    PC_CHECK(r->name && r->name[0] && r->help && r->help[0] && r->commands);
    PC_CHECK(pc_options_group_title(r->group) != NULL);
    for (const char *c = r->name; *c; c++)
      PC_CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-');
    if (r->type == PC_OPT_ENUM) PC_CHECK(r->choices && r->choices[0].name);
    if (r->type == PC_OPT_LIST) PC_CHECK(r->cap > 0);
    if (r->type == PC_OPT_UINT || r->type == PC_OPT_SECONDS) PC_CHECK(r->min <= r->max);
    if (r->type == PC_OPT_STRING || r->type == PC_OPT_LIST || r->type == PC_OPT_UINT ||
        r->type == PC_OPT_SECONDS || r->type == PC_OPT_CONFIG)
      PC_CHECK(r->arg != NULL);
    /* A key is read from the file of --config: a key belongs to a command that takes it. */
    if (r->key) PC_CHECK((r->commands & pc_options_find("config", 0)->commands) != 0);
    PC_CHECK(!(r->key && r->input));
    PC_CHECK(!(r->def && r->def_text));
    /* Every default is a valid value of its own row. */
    if (r->def) {
      char err[256];
      pc_options_init(&o);
      if (!pc__options_set(&o, r, r->def, false, r->name, err, sizeof err)) {
        fprintf(stderr, "default of --%s: %s\n", r->name, err);
        PC_CHECK(0);
      }
    }
    /* No two rows with one name for the same command and platform; short names likewise. */
    for (size_t j = i + 1; j < n; j++) {
      const pc_opt *s = &rows[j];
      bool platforms_meet = !r->platforms || !s->platforms || (r->platforms & s->platforms);
      if ((r->commands & s->commands) && platforms_meet) {
        PC_CHECK(strcmp(r->name, s->name) != 0);
        PC_CHECK(!r->short_name || r->short_name != s->short_name);
      }
    }
  }
  /* Every command of a row has a description, and the other way round. */
  size_t nc;
  const pc_cmd_info *cmds = pc_options_commands(&nc);
  unsigned all = 0;
  for (size_t c = 0; c < nc; c++) {
    all |= cmds[c].cmd;
    PC_CHECK(cmds[c].min_args <= cmds[c].max_args && cmds[c].max_args <= PC_OPTIONS_MAX_ARGS);
  }
  PC_CHECK_UINT(all, PC_CMD_ALL);
}

PC_TEST(defaults_come_from_the_rows) {
  pc_options o;
  pc_options_init(&o);
  PC_CHECK_INT(o.run.sinks.format, PC_FORMAT_TEXT);
  PC_CHECK_INT(o.run.sinks.log_format, PC_FORMAT_SAME);
  PC_CHECK_UINT(o.run.sinks.log_max_bytes, 10485760);
  PC_CHECK_UINT(o.run.sinks.log_keep, 5);
  PC_CHECK_UINT(o.run.sinks.syslog_facility, 1);
  PC_CHECK_UINT(o.run.sinks.syslog_max_bytes, 0); /* the formatter's own default */
  PC_CHECK_STR(o.run.sinks.sd_id, "portclash@32473");
  PC_CHECK_STR(o.run.sinks.app_name, "portclash");
  PC_CHECK(o.run.sinks.host == NULL);
  PC_CHECK(o.run.sinks.console);
  PC_CHECK_INT(o.run.sinks.color, PC_COLOR_AUTO);
  PC_CHECK_INT(o.run.window, 10 * PC_TIME_TICKS_PER_SEC);
  PC_CHECK_INT(o.run.watch_poll, 30 * PC_TIME_TICKS_PER_SEC);
  PC_CHECK_INT(o.status, 10 * PC_TIME_TICKS_PER_SEC);
  PC_CHECK_INT(o.duration, 0);
  PC_CHECK_INT(o.proto, PC_PROTO_TCP);
  PC_CHECK(!o.json);
  PC_CHECK(o.session == NULL); /* the ETW source names the session: portclash-console-PID */
  PC_CHECK_UINT(o.etw_queue, 0);
  PC_CHECK(!o.service_child);
  PC_CHECK_INT(o.hooks, 0);
  PC_CHECK_INT(o.stale, 0);
}

PC_TEST(argv_every_type) {
  pc_options o;
  char *a1[] = {"analyze",
                "cap.etl",
                "--format=json",
                "--log",
                "f.log",
                "--log-format",
                "cef",
                "--log-max-bytes=0",
                "--log-keep",
                "1000",
                "--syslog-facility",
                "23",
                "--syslog-max-bytes",
                "480",
                "--quiet",
                "--no-color",
                "--summary",
                "--window",
                "0.25",
                "--watch",
                "80",
                "--watch=443/tcp",
                "--no-learn",
                "--watch-poll",
                "1",
                "--netsh-excluded",
                "a.txt",
                "--netsh-excluded=b.txt",
                "--netstat",
                "n.txt",
                "--rules",
                "r",
                "--host",
                "h1",
                "--host",
                "h2",
                NULL};
  PC_CHECK_INT(parse(&o, PC_CMD_ANALYZE, a1), PC_OPTIONS_RUN);
  PC_CHECK_STR(err_text, "");
  PC_CHECK_INT(o.n_args, 1);
  PC_CHECK_STR(o.args[0], "cap.etl");
  PC_CHECK_INT(o.run.sinks.format, PC_FORMAT_JSON);
  PC_CHECK_STR(o.run.sinks.log_path, "f.log");
  PC_CHECK_INT(o.run.sinks.log_format, PC_FORMAT_CEF);
  PC_CHECK_UINT(o.run.sinks.log_max_bytes, 0);
  PC_CHECK_UINT(o.run.sinks.log_keep, 1000);
  PC_CHECK_UINT(o.run.sinks.syslog_facility, 23);
  PC_CHECK_UINT(o.run.sinks.syslog_max_bytes, 480);
  PC_CHECK(!o.run.sinks.console);
  PC_CHECK_INT(o.run.sinks.color, PC_COLOR_NEVER);
  PC_CHECK(o.run.summary);
  PC_CHECK_INT(o.run.window, PC_TIME_TICKS_PER_SEC / 4);
  PC_CHECK_INT(o.run.watch_arg_count, 2);
  PC_CHECK_STR(o.run.watch_args[1], "443/tcp");
  PC_CHECK(o.run.no_learn);
  PC_CHECK_INT(o.run.watch_poll, PC_TIME_TICKS_PER_SEC);
  PC_CHECK_INT(o.run.offline.n_netsh_excluded, 2);
  PC_CHECK_STR(o.run.offline.netsh_excluded[1], "b.txt");
  PC_CHECK_INT(o.run.offline.n_netstat, 1);
  PC_CHECK_STR(o.run.rules_dir, "r");
  PC_CHECK_STR(o.run.sinks.host, "h2"); /* the last one wins */

  char *a2[] = {"explain", "--proto", "udp", "--address=::1", "--no-test-bind", "--format", "json",
                "--",      "-5",      NULL};
  PC_CHECK_INT(parse(&o, PC_CMD_EXPLAIN, a2), PC_OPTIONS_RUN);
  PC_CHECK_INT(o.proto, PC_PROTO_UDP);
  PC_CHECK_STR(o.address, "::1");
  PC_CHECK(o.no_test_bind && o.json);
  PC_CHECK_STR(o.args[0], "-5"); /* after "--" everything is an argument */

  char *a3[] = {"check", NULL};
  PC_CHECK_INT(parse(&o, PC_CMD_RULES_CHECK, a3), PC_OPTIONS_RUN);
  PC_CHECK_INT(o.n_args, 0);
  char *a4[] = {"ranges", "--diff", "-h", NULL};
  PC_CHECK_INT(parse(&o, PC_CMD_RANGES, a4), PC_OPTIONS_HELP);
  PC_CHECK(strncmp(out_text, "usage: portclash ranges [OPTIONS]\n", 34) == 0);
  PC_CHECK_STR(err_text, "");

  if (pc_options_platform() == PC_OPT_LINUX) {
    char *a5[] = {"monitor",
                  "-v",
                  "--hooks=raw",
                  "--no-io-uring",
                  "--all-errors",
                  "--duration",
                  "2.5",
                  "--status",
                  "0",
                  "--attempts",
                  NULL};
    PC_CHECK_INT(parse(&o, PC_CMD_MONITOR, a5), PC_OPTIONS_RUN);
    PC_CHECK(o.verbose && o.no_io_uring && o.all_errors && o.attempts);
    PC_CHECK_INT(o.hooks, 2);
    PC_CHECK_INT(o.duration, 25 * PC_TIME_TICKS_PER_SEC / 10);
    PC_CHECK_INT(o.status, 0);
  }
  if (pc_options_platform() == PC_OPT_WINDOWS) {
    char *a6[] = {"monitor",  "--session", "s",           "--stale",         "attach",
                  "--record", "r.etl",     "--successes", "--no-os-schemas", NULL};
    PC_CHECK_INT(parse(&o, PC_CMD_MONITOR, a6), PC_OPTIONS_RUN);
    PC_CHECK_STR(o.session, "s");
    PC_CHECK_INT(o.stale, 1);
    PC_CHECK_STR(o.record, "r.etl");
    PC_CHECK(o.successes && o.no_os_schemas);
  }
}

PC_TEST(argv_errors_say_what_is_wanted) {
  REFUSED(PC_CMD_ANALYZE, "analyze: --window needs a number of seconds (0..86400), got 'x'", "c.etl",
          "--window", "x");
  REFUSED(PC_CMD_ANALYZE, "analyze: --window needs a number of seconds (0..86400), got '86400.5'", "c.etl",
          "--window=86400.5");
  REFUSED(PC_CMD_ANALYZE, "analyze: --window needs a number of seconds (0..86400), got '-1'", "c.etl",
          "--window", "-1");
  REFUSED(PC_CMD_ANALYZE, "analyze: --window needs a number of seconds (0..86400)", "c.etl", "--window");
  REFUSED(PC_CMD_ANALYZE, "analyze: --watch-poll needs a number of seconds (1..86400), got '0'", "c.etl",
          "--watch-poll", "0");
  REFUSED(PC_CMD_ANALYZE, "analyze: --log-keep needs a number (0..1000), got '1001'", "c.etl", "--log-keep",
          "1001");
  REFUSED(PC_CMD_ANALYZE, "analyze: --log-max-bytes needs a number, got '99999999999999999999'", "c.etl",
          "--log-max-bytes", "99999999999999999999");
  REFUSED(PC_CMD_ANALYZE, "analyze: --format needs one of text, json, syslog, syslog3164, cef, got 'xml'",
          "c.etl", "--format", "xml");
  REFUSED(PC_CMD_EXPLAIN, "explain: --format needs one of text, json, got 'cef'", "80", "--format", "cef");
  REFUSED(PC_CMD_ANALYZE, "analyze: --log needs a FILE", "c.etl", "--log=");
  REFUSED(PC_CMD_ANALYZE, "analyze: --quiet takes no value (got '--quiet=yes')", "c.etl", "--quiet=yes");
  REFUSED(PC_CMD_ANALYZE, "analyze: unknown option '--bogus' (see --help)", "c.etl", "--bogus");
  REFUSED(PC_CMD_ANALYZE, "analyze: unknown option '-x' (see --help)", "c.etl", "-x");
  REFUSED(PC_CMD_ANALYZE, "analyze: unexpected argument 'd.etl' (usage: portclash analyze FILE [OPTIONS])",
          "c.etl", "d.etl");
  REFUSED(PC_CMD_MONITOR,
          "monitor: --netstat is not an option of monitor (it is one of analyze, explain, ranges)",
          "--netstat", "n.txt");
  REFUSED(PC_CMD_RANGES, "ranges: --proto is not an option of ranges (it is one of explain)", "--proto",
          "tcp");
  if (pc_options_platform() == PC_OPT_LINUX)
    REFUSED(PC_CMD_MONITOR, "monitor: --session exists in the Windows version of portclash only", "--session",
            "s");
  pc_options o;
  char *missing[] = {"analyze", "--format", "json", NULL};
  PC_CHECK_INT(parse(&o, PC_CMD_ANALYZE, missing), PC_EXIT_USAGE);
  PC_CHECK_STR(err_text,
               "portclash analyze: FILE is missing\n"
               "usage: portclash analyze FILE [OPTIONS]\n"
               "Run 'portclash analyze --help' for more.\n");
  /* A list has a capacity. */
  char *many[2 + 2 * 17 + 1];
  many[0] = "explain";
  many[1] = "80";
  for (int i = 0; i < 17; i++) many[2 + 2 * i] = "--netstat", many[3 + 2 * i] = "n.txt";
  many[2 + 2 * 17] = NULL;
  PC_CHECK_INT(parse(&o, PC_CMD_EXPLAIN, many), PC_EXIT_USAGE);
  PC_CHECK_STR(err_text,
               "portclash explain: --netstat given more than 16 times (put the values in fewer options)\n");
}

/* Collapses every run of blanks and newlines into one space (help text is wrapped). */
static void flatten(const char *in, char *out, size_t cap) {
  size_t n = 0;
  bool blank = false;
  for (; *in && n + 1 < cap; in++) {
    if (*in == ' ' || *in == '\n') {
      blank = true;
      continue;
    }
    if (blank && n) out[n++] = ' ';
    blank = false;
    out[n++] = *in;
  }
  out[n] = 0;
}

PC_TEST(every_row_is_in_the_help_of_its_commands) {
  size_t n, nc;
  const pc_opt *rows = pc_options_table(&n);
  const pc_cmd_info *cmds = pc_options_commands(&nc);
  unsigned platform = pc_options_platform();
  static char flat[65536];
  for (size_t c = 0; c < nc; c++) {
    FILE *f = tmpfile();
    PC_CHECK(f != NULL);
    if (!f) return;
    pc_options_help(f, cmds[c].cmd);
    slurp(f, out_text, sizeof out_text);
    flatten(out_text, flat, sizeof flat);
    char usage[200];
    snprintf(usage, sizeof usage, "usage: portclash %s %s\n", cmds[c].name, cmds[c].synopsis);
    PC_CHECK(strncmp(out_text, usage, strlen(usage)) == 0);
    for (size_t i = 0; i < n; i++) {
      const pc_opt *r = &rows[i];
      bool takes = (r->commands & cmds[c].cmd) && (!r->platforms || (r->platforms & platform));
      /* The option as the first word of a line ("  --name" or "  -x, --name"). */
      char label[80], help[700];
      if (r->short_name)
        snprintf(label, sizeof label, "\n  -%c, --%s", r->short_name, r->name);
      else
        snprintf(label, sizeof label, "\n  --%s", r->name);
      size_t ll = strlen(label);
      const char *at = strstr(out_text, label);
      while (at && at[ll] != ' ' && at[ll] != '\n') at = strstr(at + 1, label);
      /* Another row of the same name (--format) may be this command's. */
      const pc_opt *same = pc_options_find(r->name, cmds[c].cmd);
      if (!takes && at && same && same != r && (!same->platforms || (same->platforms & platform))) continue;
      if (takes != (at != NULL)) {
        fprintf(stderr, "portclash %s --help: --%s %s\n", cmds[c].name, r->name,
                takes ? "is missing" : "is shown but not taken");
        PC_CHECK(0);
      }
      if (!takes) continue;
      /* Its help and its default, from the row. */
      const char *d = r->def ? r->def : r->def_text;
      if (d)
        snprintf(help, sizeof help, "%s [default: %s]", r->help, d);
      else
        snprintf(help, sizeof help, "%s", r->help);
      char flat_help[700];
      flatten(help, flat_help, sizeof flat_help);
      if (!strstr(flat, flat_help)) {
        fprintf(stderr, "portclash %s --help: the text of --%s is not '%s'\n", cmds[c].name, r->name,
                flat_help);
        PC_CHECK(0);
      }
    }
  }
}

/* Reads PC_SOURCE_DIR/rel into a malloc'ed string, or NULL (the test then skips). */
static char *source_file(const char *rel) {
  const char *src = getenv("PC_SOURCE_DIR");
  if (!src) return NULL;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", src, rel);
  size_t len;
  return pc_test_read_file(path, &len);
}

PC_TEST(example_config_lists_every_key_and_nothing_else) {
  char *text = source_file("packaging/portclash.conf.example");
  if (!text) PC_SKIP("PC_SOURCE_DIR not set");
  size_t n;
  const pc_opt *rows = pc_options_table(&n);
  /* The keys of the "#key = value" and "key = value" lines, each one counted. */
  char seen[128][40];
  size_t n_seen = 0;
  for (char *l = text; l && *l;) {
    char *e = strchr(l, '\n');
    if (e) *e = 0;
    char *k = l + (l[0] == '#');
    size_t kl = 0;
    while (islower((unsigned char)k[kl]) || isdigit((unsigned char)k[kl]) || k[kl] == '-') kl++;
    char *rest = k + kl;
    while (*rest == ' ') rest++;
    if (kl && kl < sizeof seen[0] && *rest == '=' && n_seen < 128) {
      memcpy(seen[n_seen], k, kl);
      seen[n_seen++][kl] = 0;
    }
    l = e ? e + 1 : NULL;
  }
  for (size_t i = 0; i < n; i++) {
    if (!rows[i].key) continue;
    bool found = false;
    for (size_t s = 0; s < n_seen; s++) found = found || strcmp(seen[s], rows[i].name) == 0;
    if (!found) fprintf(stderr, "portclash.conf.example does not show the key '%s'\n", rows[i].name);
    PC_CHECK(found);
  }
  for (size_t s = 0; s < n_seen; s++) {
    const pc_opt *r = NULL;
    for (size_t i = 0; i < n && !r; i++)
      if (rows[i].key && strcmp(rows[i].name, seen[s]) == 0) r = &rows[i];
    if (!r) fprintf(stderr, "portclash.conf.example shows '%s', which is not a key\n", seen[s]);
    PC_CHECK(r != NULL);
  }
  free(text);
}

#define README_BEGIN "<!-- options: generated by `portclash help-options --markdown`; do not edit -->\n"
#define README_END "<!-- options: end -->\n"

PC_TEST(readme_option_list_is_the_table) {
  char *text = source_file("README.md");
  if (!text) PC_SKIP("PC_SOURCE_DIR not set");
  const char *b = strstr(text, README_BEGIN), *e = b ? strstr(b, README_END) : NULL;
  PC_CHECK(b && e);
  if (!b || !e) {
    free(text);
    return;
  }
  b += strlen(README_BEGIN);
  FILE *f = tmpfile();
  PC_CHECK(f != NULL);
  if (!f) return;
  pc_options_write_markdown(f);
  slurp(f, out_text, sizeof out_text);
  size_t len = (size_t)(e - b);
  bool same = strlen(out_text) == len && memcmp(out_text, b, len) == 0;
  if (!same)
    fprintf(
        stderr,
        "README.md's option list differs from the table: regenerate it with tools/update-readme-options.sh "
        "BUILD_DIR\n");
  PC_CHECK(same);
  free(text);
}

PC_TEST(man_page_and_completion_cover_every_row) {
  FILE *f = tmpfile();
  PC_CHECK(f != NULL);
  if (!f) return;
  pc_options_write_man(f);
  slurp(f, out_text, sizeof out_text);
  size_t n;
  const pc_opt *rows = pc_options_table(&n);
  for (size_t i = 0; i < n; i++) {
    char want[80];
    snprintf(want, sizeof want, "\\fB\\-\\-");
    size_t wl = strlen(want);
    for (const char *c = rows[i].name; *c && wl + 3 < sizeof want; c++) {
      if (*c == '-') want[wl++] = '\\';
      want[wl++] = *c;
    }
    memcpy(want + wl, "\\fR", 4);
    PC_CHECK(strstr(out_text, want) != NULL);
  }
  PC_CHECK(strncmp(out_text, ".\\\" Generated", 13) == 0);
  f = tmpfile();
  PC_CHECK(f != NULL);
  if (!f) return;
  pc_options_write_completion(f);
  slurp(f, out_text, sizeof out_text);
  PC_CHECK(strstr(out_text, "analyze\t--window\t-\tseconds\tSECONDS\tall\n") != NULL);
  PC_CHECK(strstr(out_text, "explain\t--proto\t-\tchoice\ttcp|udp\tall\n") != NULL);
  PC_CHECK(strstr(out_text, "monitor\t--verbose\t-v\tflag\t-\tlinux\n") != NULL);
}
