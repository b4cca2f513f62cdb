/* The configuration file (monitor/cli/config.c): syntax, every error kind with its FILE:LINE
 * message, the watch list, limits, and command-line options overriding the file
 * (pc_options_parse: the rows of the option table through both). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pc_service.h"
#include "pc_error.h"
#include "options.h"
#include "pc_test.h"

static char err[PC_CONFIG_ERR_MAX];

/* Applies text to fresh options in *o; returns the result, storage freed by the caller. */
static int apply(pc_options *o, const char *text, pc_config **c) {
  pc_options_init(o);
  err[0] = 0;
  return pc_config_apply_text(o, text, strlen(text), "t.conf", c, err, sizeof err);
}

/* Expects text to fail with rc and exactly msg. */
static void refused(const char *text, int rc, const char *msg) {
  pc_options o;
  pc_config *c = (pc_config *)1;
  PC_CHECK_INT(apply(&o, text, &c), rc);
  PC_CHECK(c == NULL);
  PC_CHECK_STR(err, msg);
}

PC_TEST(every_key_sets_its_option) {
  pc_options o;
  pc_config *c;
  PC_CHECK_INT(apply(&o,
                     "\xEF\xBB\xBF# comment\r\n"
                     "  format = json  \r\n"
                     "\n"
                     "\t# indented comment\n"
                     "log = C:\\ProgramData\\portclash\\x # not a comment.log\n"
                     "log-format=cef\n"
                     "log-max-bytes = 1000\n"
                     "log-keep = 3\n"
                     "syslog = tcp://[::1]:6514\n"
                     "syslog-facility = 16\n"
                     "syslog-max-bytes = 4096\n"
                     "sd-id = acme@12345\n"
                     "app-name = \" spaced \"\n"
                     "host = web-01\n"
                     "rules = /etc/portclash/rules\n"
                     "window = 0\n"
                     "quiet = yes\n"
                     "no-color = on\n"
                     "summary = 1\n"
                     "watch = tcp 8080\n"
                     "watch = udp   5353   \n"
                     "watch = \"tcp 80 \"",
                     &c),
               PC_OK);
  PC_CHECK_STR(err, "");
  PC_CHECK_INT(o.run.sinks.format, PC_FORMAT_JSON);
  PC_CHECK_STR(o.run.sinks.log_path, "C:\\ProgramData\\portclash\\x # not a comment.log");
  PC_CHECK_INT(o.run.sinks.log_format, PC_FORMAT_CEF);
  PC_CHECK_UINT(o.run.sinks.log_max_bytes, 1000);
  PC_CHECK_INT(o.run.sinks.log_keep, 3);
  PC_CHECK_STR(o.run.sinks.syslog_url, "tcp://[::1]:6514");
  PC_CHECK_INT(o.run.sinks.syslog_facility, 16);
  PC_CHECK_INT(o.run.sinks.syslog_max_bytes, 4096);
  PC_CHECK_STR(o.run.sinks.sd_id, "acme@12345");
  PC_CHECK_STR(o.run.sinks.app_name, " spaced ");
  PC_CHECK_STR(o.run.sinks.host, "web-01");
  PC_CHECK_STR(o.run.rules_dir, "/etc/portclash/rules");
  PC_CHECK_INT(o.run.window, 0);
  PC_CHECK(!o.run.sinks.console);
  PC_CHECK_INT(o.run.sinks.color, PC_COLOR_NEVER);
  PC_CHECK(o.run.summary);
  PC_CHECK_INT(o.run.watch_count, 3);
  PC_CHECK_STR(o.run.watch[0], "tcp 8080");
  PC_CHECK_STR(o.run.watch[1], "udp   5353");
  PC_CHECK_STR(o.run.watch[2], "tcp 80 ");
  pc_config_free(c);

  /* false values, and an empty file. */
  PC_CHECK_INT(apply(&o, "quiet = false\nno-color = off\nsummary = no\n", &c), PC_OK);
  PC_CHECK(o.run.sinks.console);
  PC_CHECK_INT(o.run.sinks.color, PC_COLOR_AUTO);
  PC_CHECK(!o.run.summary);
  PC_CHECK_INT(o.run.watch_count, 0);
  pc_config_free(c);
  PC_CHECK_INT(apply(&o, "", &c), PC_OK);
  PC_CHECK_INT(o.run.window, 10 * PC_TIME_TICKS_PER_SEC); /* untouched default */
  pc_config_free(c);
  pc_config_free(NULL);
}

PC_TEST(every_error_names_file_and_line) {
  refused("format = json\nbogus = 1\n", PC_EPARSE,
          "t.conf:2: unknown key 'bogus' (see portclash.conf.example)");
  refused("netstat = n.txt\n", PC_EPARSE,
          "t.conf:1: 'netstat' is an input of one analysis: give it on the command line");
  refused("# x\nformat = json\n\nformat = text\n", PC_EPARSE,
          "t.conf:4: 'format' given twice (first on line 2)");
  refused("format json\n", PC_EPARSE, "t.conf:1: expected 'key = value', got 'format json'");
  refused(" = json\n", PC_EPARSE, "t.conf:1: a key is missing before '='");
  refused("format =   \n", PC_EPARSE, "t.conf:1: 'format' needs a value");
  refused("watch =\n", PC_EPARSE, "t.conf:1: 'watch' needs a value");
  /* Bad values: the message says what the option's row takes (the same words as on argv). */
  refused("format = xml\n", PC_EPARSE,
          "t.conf:1: 'format' needs one of text, json, syslog, syslog3164, cef, got 'xml'");
  refused("window = 86401\n", PC_EPARSE,
          "t.conf:1: 'window' needs a number of seconds (0..86400), got '86401'");
  refused("log-keep = -1\n", PC_EPARSE, "t.conf:1: 'log-keep' needs a number (0..1000), got '-1'");
  refused("quiet = maybe\n", PC_EPARSE, "t.conf:1: 'quiet' needs true or false, got 'maybe'");
  refused("attempts = true\n", PC_EPARSE, "t.conf:1: unknown key 'attempts' (see portclash.conf.example)");
  refused("[main]\nformat = json\n", PC_EPARSE,
          "t.conf:1: sections ('[main]') are not used: write key = value lines only");
  refused("--format = json\n", PC_EPARSE, "t.conf:1: unknown key '--format' (see portclash.conf.example)");
  refused("config = other.conf\n", PC_EPARSE, "t.conf:1: unknown key 'config' (see portclash.conf.example)");
  refused(
      "\xFF\xFE"
      "f\0o\0",
      PC_EPARSE, "t.conf: is UTF-16; save it as UTF-8");

  pc_options o;
  pc_config *c;
  /* A NUL byte inside a line. */
  pc_options_init(&o);
  PC_CHECK_INT(pc_config_apply_text(&o, "#\nform\0at = json\n", 17, "t.conf", &c, err, sizeof err),
               PC_EPARSE);
  PC_CHECK_STR(err, "t.conf:2: NUL byte in the line (is this a text file?)");
  /* A line longer than the limit (a comment counts too); exactly the limit is fine. */
  size_t n = PC_CONFIG_MAX_LINE + 20;
  char *big = malloc(n + 1);
  memset(big, '#', n);
  big[PC_CONFIG_MAX_LINE] = '\n';
  big[n] = 0;
  PC_CHECK_INT(apply(&o, big, &c), PC_OK);
  pc_config_free(c);
  big[PC_CONFIG_MAX_LINE] = '#';
  PC_CHECK_INT(apply(&o, big, &c), PC_ELIMIT);
  PC_CHECK_STR(err, "t.conf:1: line longer than 4096 bytes");
  free(big);
  /* Too many watch lines. */
  size_t cap = (PC_CONFIG_MAX_WATCH + 1) * 12 + 1;
  char *w = malloc(cap), *p = w;
  for (int i = 0; i <= PC_CONFIG_MAX_WATCH; i++) p += snprintf(p, 16, "watch = %d\n", i % 10);
  PC_CHECK_INT(apply(&o, w, &c), PC_ELIMIT);
  PC_CHECK_STR(err, "t.conf:1025: more than 1024 watch lines");
  free(w);
  /* Too large a file. */
  size_t huge = PC_CONFIG_MAX_BYTES + 1;
  char *h = malloc(huge);
  memset(h, '\n', huge);
  pc_options_init(&o);
  PC_CHECK_INT(pc_config_apply_text(&o, h, huge, "t.conf", &c, err, sizeof err), PC_ELIMIT);
  PC_CHECK_STR(err, "t.conf: larger than 262144 bytes; is this the right file?");
  free(h);
  /* A file that does not exist. */
  PC_CHECK_INT(pc_config_apply_file(&o, "no/such/portclash.conf", &c, err, sizeof err), PC_ENOENT);
  PC_CHECK_STR(err, "no/such/portclash.conf: cannot open the configuration file");
}

static const char *write_temp(const char *name, const char *text) {
  static char path[256];
  snprintf(path, sizeof path, "%s", name);
  FILE *f = fopen(path, "wb");
  if (!f) return NULL;
  fputs(text, f);
  fclose(f);
  return path;
}

PC_TEST(command_line_overrides_the_file) {
  const char *path =
      write_temp("test_config_override.conf", "format = json\nhost = from-file\nwindow = 5\nquiet = true\n");
  PC_CHECK(path != NULL);
  char *argv[] = {"analyze", "x.etl", "--format", "cef", "--config", (char *)path, "--window=7", NULL};
  int argc = 7;
  pc_options o;
  FILE *out = tmpfile(), *err_out = tmpfile();
  PC_CHECK(out && err_out);
  PC_CHECK_INT(pc_options_parse(&o, PC_CMD_ANALYZE, argc, argv, out, err_out), PC_OPTIONS_RUN);
  PC_CHECK_STR(o.run.config_path, path);
  PC_CHECK_INT(o.run.sinks.format, PC_FORMAT_CEF);       /* command line wins */
  PC_CHECK_INT(o.run.window, 7 * PC_TIME_TICKS_PER_SEC); /* command line wins, --opt=value too */
  PC_CHECK_STR(o.run.sinks.host, "from-file");           /* the file where the command line is silent */
  PC_CHECK(!o.run.sinks.console);
  PC_CHECK_INT(o.n_args, 1);
  PC_CHECK_STR(o.args[0], "x.etl");

  /* Errors: the file's, a second --config, a missing value; --help reads nothing. */
  const char *bad = write_temp("test_config_bad.conf", "format = json\nwindow = soon\n");
  char *a2[] = {"monitor", "--config", (char *)bad, NULL};
  PC_CHECK_INT(pc_options_parse(&o, PC_CMD_MONITOR, 3, a2, out, err_out), PC_EXIT_USAGE);
  char *a3[] = {"monitor", "--config=a.conf", "--config", "b.conf", NULL};
  PC_CHECK_INT(pc_options_parse(&o, PC_CMD_MONITOR, 4, a3, out, err_out), PC_EXIT_USAGE);
  char *a4[] = {"monitor", "--config", NULL};
  PC_CHECK_INT(pc_options_parse(&o, PC_CMD_MONITOR, 2, a4, out, err_out), PC_EXIT_USAGE);
  char *a5[] = {"monitor", "--config", "no-such.conf", "--help", NULL};
  PC_CHECK_INT(pc_options_parse(&o, PC_CMD_MONITOR, 4, a5, out, err_out), PC_OPTIONS_HELP);
  /* explain takes no configuration file. */
  char *a6[] = {"explain", "80", "--config", "x.conf", NULL};
  PC_CHECK_INT(pc_options_parse(&o, PC_CMD_EXPLAIN, 4, a6, out, err_out), PC_EXIT_USAGE);
  char text[4096];
  rewind(err_out);
  size_t n = fread(text, 1, sizeof text - 1, err_out);
  text[n] = 0;
  PC_CHECK_STR(
      text,
      "portclash monitor: test_config_bad.conf:2: 'window' needs a number of seconds (0..86400), got "
      "'soon'\n"
      "portclash monitor: --config given twice ('a.conf' and 'b.conf')\n"
      "portclash monitor: --config needs a FILE\n"
      "portclash explain: --config is not an option of explain (it is one of analyze, monitor)\n");
  fclose(out);
  fclose(err_out);
  remove("test_config_override.conf");
  remove("test_config_bad.conf");
}

/* The shipped example documents every key: uncommenting each `#key = value` line gives a file
 * that is accepted, and the text compiled into the program (service install) is the file. */
PC_TEST(example_file_documents_valid_keys) {
  const char *src = getenv("PC_SOURCE_DIR");
  if (!src) PC_SKIP("PC_SOURCE_DIR not set");
  char path[1024];
  snprintf(path, sizeof path, "%s/packaging/portclash.conf.example", src);
  FILE *f = fopen(path, "rb");
  PC_CHECK(f != NULL);
  if (!f) return;
  static char text[65536], on[65536];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  PC_CHECK_STR(pc_service_config_example(), text);
  pc_options o;
  pc_config *c;
  PC_CHECK_INT(apply(&o, text, &c), PC_OK); /* all commented out */
  PC_CHECK_INT(o.run.watch_count, 0);
  pc_config_free(c);
  /* Uncomment "#key = value" lines (a key directly after the '#'). */
  char *d = on;
  int keys = 0;
  for (const char *l = text; *l;) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l + 1) : strlen(l);
    if (l[0] == '#' && l[1] >= 'a' && l[1] <= 'z' && memchr(l, '=', len)) {
      l++, len--;
      keys++;
    }
    memcpy(d, l, len);
    d += len;
    l += len;
  }
  *d = 0;
  PC_CHECK_INT(apply(&o, on, &c), PC_OK);
  PC_CHECK_STR(err, "");
  PC_CHECK(keys >= 18);
  PC_CHECK_INT(o.run.watch_count, 2);
  pc_config_free(c);
}
