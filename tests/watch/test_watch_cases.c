/* Watcher cases as data: every tests/watch/cases/NAME/ holds a `script` and an `expected`
 * file. The script drives one watcher (state directory in a fresh temporary directory) step
 * by step; every finding is written as one JSON line (pc_format_json), and some steps write
 * lines of their own; the whole output must equal `expected` exactly. Set
 * PC_WATCH_CASES_UPDATE=1 to (re)write the expected files after a deliberate change.
 *
 * Script lines ("#" starts a comment; paths are relative to the case folder):
 *   os windows|linux          the watcher's os option (default: the polled host state's)
 *   watch LIST                add to the watch list (--watch syntax)
 *   learn on|off              learning (default on)
 *   cap N                     learned-ports capacity
 *   state FILE NAME           copy FILE into the state directory as NAME (before start)
 *   start                     create the watcher (implicit at the first step that needs it)
 *   restart                   free the watcher (saving its state) and create a new one
 *   hoststate ARGS...         open an offline host state (--netsh-excluded, --netsh-dynamic,
 *                             --netstat, --tasklist with hints as in `analyze`); events and
 *                             attempts use it for process names
 *   linuxproc DIR             open the Linux host state over a fake /proc tree (DIR/sys/net/
 *                             ipv4/ip_local_port_range, ip_local_reserved_ports); no process
 *                             names for events
 *   poll SECONDS              pc_watcher_poll at 2026-01-01T00:00:00Z + SECONDS
 *   records FILE              record fixture -> decoder -> pc_watcher_on_event, and the
 *                             correlator (report_success) -> pc_watcher_on_attempt
 *   diff text|json SECONDS    pc_ranges_diff_at with the current host state (its output)
 *   learned                   one line per learned port, sorted: "learned tcp 3000 7777 node.exe"
 *   echo TEXT                 writes "# TEXT" (to label parts of the output)
 *   expect_warning TEXT       a warning containing TEXT was printed since the last check
 *   expect_no_warning         no warning was printed since the last check */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "correlator.h"
#include "pc_decode.h"
#include "pc_error.h"
#include "pc_fixture.h"
#include "pc_format.h"
#include "options.h"
#include "ranges_diff.h"
#include "pc_test.h"
#include "pc_watch.h"

#define OUT_MAX (256 * 1024)
#define BASE_TIME (PC_TIME_UNIX_EPOCH + INT64_C(1767225600) * PC_TIME_TICKS_PER_SEC) /* 2026-01-01 */

typedef struct run {
  const char *case_dir;
  const char *name;
  char state_dir[512];
  pc_ruleset *rules;
  pc_watch_list *watch;
  pc_watcher_options o;
  pc_watcher *w;
  pc_hoststate *hs;
  char proc_root[1024]; /* borrowed by a Linux host state opened with linuxproc */
  FILE *warn;
  long warn_checked;
  char *out;
  size_t len;
  int failed;
} run;

static void out_append(run *r, const char *s, size_t n) {
  if (r->len + n + 1 >= OUT_MAX) return;
  memcpy(r->out + r->len, s, n);
  r->len += n;
  r->out[r->len] = '\0';
}

static void on_finding(void *ud, const pc_finding *f) {
  run *r = ud;
  char buf[16384];
  size_t n = pc_format_json(f, NULL, buf, sizeof buf);
  if (n >= sizeof buf) n = sizeof buf - 1;
  out_append(r, buf, n);
  out_append(r, "\n", 1);
}

static void fail(run *r, int lineno, const char *what) {
  pc__test_fail(__FILE__, __LINE__, "%s: script:%d: %s", r->name, lineno, what);
  r->failed = 1;
}

static int start(run *r) {
  if (r->w) return 0;
  r->o.rules = r->rules;
  r->o.watch = r->watch;
  r->o.hoststate = r->hs;
  r->o.state_dir = r->state_dir;
  r->o.host = "test-host";
  r->o.source = "fixture";
  r->o.warn = r->warn;
  return pc_watcher_new(&r->o, on_finding, r, &r->w) == PC_OK ? 0 : -1;
}

/* "tcp:ipv6:file" -> "tcp:ipv6:CASEDIR/file". */
static void with_dir(const char *dir, const char *arg, char *buf, size_t cap) {
  const char *p = arg;
  static const char *hints[] = {"tcp:", "udp:", "ipv4:", "ipv6:"};
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < 4; i++)
      if (strncmp(p, hints[i], strlen(hints[i])) == 0) {
        p += strlen(hints[i]);
        again = true;
      }
  }
  snprintf(buf, cap, "%.*s%s/%s", (int)(p - arg), arg, dir, p);
}

static int open_hoststate(run *r, char *args, int lineno) {
  char *argv[64];
  static char bufs[64][1024];
  int argc = 0;
  for (char *t = strtok(args, " "); t && argc < 64; t = strtok(NULL, " ")) {
    if (t[0] == '-')
      argv[argc++] = t;
    else {
      with_dir(r->case_dir, t, bufs[argc], sizeof bufs[argc]);
      argv[argc] = bufs[argc];
      argc++;
    }
  }
  /* The files go where `ranges` puts them: through the rows of the option table. */
  char *pargv[65];
  pargv[0] = "ranges";
  memcpy(pargv + 1, argv, (size_t)argc * sizeof *argv);
  pc_options opts;
  if (pc_options_parse(&opts, PC_CMD_RANGES, argc + 1, pargv, stdout, stderr) != PC_OPTIONS_RUN) {
    fail(r, lineno, "bad hoststate arguments");
    return -1;
  }
  const pc_hoststate_offline_files files = opts.run.offline;
  char err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs;
  if (pc_hoststate_open_offline(&files, &hs, err, sizeof err) != PC_OK) {
    fail(r, lineno, err);
    return -1;
  }
  /* Events look up process names in the newest host state (the watcher borrows it). */
  if (r->w) pc_watcher_set_hoststate(r->w, hs);
  r->o.hoststate = hs;
  pc_hoststate_close(r->hs);
  r->hs = hs;
  return 0;
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  pc_watcher_on_attempt(((run *)ud)->w, a);
}

static int feed_records(run *r, const char *file, int lineno) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", r->case_dir, file);
  size_t len;
  char *text = pc_test_read_file(path, &len);
  if (!text) {
    fail(r, lineno, "cannot read the records file");
    return -1;
  }
  pc_decoder *d;
  pc_correlator *c;
  pc_correlator_config cfg;
  pc_correlator_config_default(&cfg);
  cfg.report_success = true;
  pc_decoder_new(NULL, &d);
  pc_correlator_new(&cfg, on_attempt, r, &c);
  pc_fixture *fx;
  int rc = pc_fixture_open(text, len, file, pc_decoder_schemas(d), &fx);
  pc_record rec;
  while (rc == PC_OK && (rc = pc_fixture_next(fx, &rec)) == PC_OK) {
    pc_event ev;
    if (pc_decoder_decode(d, &rec, &ev) == PC_OK) {
      pc_watcher_on_event(r->w, &ev);
      pc_correlator_feed(c, &ev);
    }
  }
  if (rc != 1) fail(r, lineno, pc_fixture_error(fx));
  pc_correlator_flush(c);
  pc_correlator_free(c);
  pc_fixture_close(fx);
  pc_decoder_free(d);
  free(text);
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_learned(run *r) {
  const pc_learned *l = pc_watcher_learned(r->w);
  size_t n = pc_learned_count(l);
  char **lines = calloc(n ? n : 1, sizeof *lines);
  for (size_t i = 0; i < n; i++) {
    const pc_learned_port *e = pc_learned_at(l, i);
    lines[i] = malloc(PC_NAME_MAX + 64);
    snprintf(lines[i], PC_NAME_MAX + 64, "learned %s %u %u %s\n", e->proto == PC_PROTO_UDP ? "udp" : "tcp",
             (unsigned)e->port, (unsigned)e->pid, e->process);
  }
  qsort(lines, n, sizeof *lines, cmp_str);
  for (size_t i = 0; i < n; i++) {
    out_append(r, lines[i], strlen(lines[i]));
    free(lines[i]);
  }
  free(lines);
}

static char *warnings_since(run *r) {
  fflush(r->warn);
  long end = ftell(r->warn);
  size_t n = (size_t)(end - r->warn_checked);
  char *buf = calloc(1, n + 1);
  fseek(r->warn, r->warn_checked, SEEK_SET);
  if (n && fread(buf, 1, n, r->warn) != n) buf[0] = '\0';
  fseek(r->warn, end, SEEK_SET);
  r->warn_checked = end;
  return buf;
}

static void copy_state(run *r, const char *file, const char *name, int lineno) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", r->case_dir, file);
  size_t len;
  char *text = pc_test_read_file(path, &len);
  snprintf(path, sizeof path, "%s/%s", r->state_dir, name);
  mkdir(r->state_dir, 0700); /* the watcher creates it itself; a planted file needs it first */
  FILE *f = text ? fopen(path, "wb") : NULL;
  if (!f || fwrite(text, 1, len, f) != len) fail(r, lineno, "cannot copy the state file");
  if (f) fclose(f);
  free(text);
}

static void step(run *r, char *line, int lineno) {
  char *arg = strchr(line, ' ');
  if (arg)
    *arg++ = '\0';
  else
    arg = line + strlen(line);
  char err[PC_WATCH_ERR_MAX];
  if (strcmp(line, "os") == 0) {
    r->o.os = strcmp(arg, "linux") == 0 ? "linux" : "windows";
  } else if (strcmp(line, "watch") == 0) {
    if (!r->watch) pc_watch_new(&r->watch);
    if (pc_watch_add(r->watch, arg, "watch", err, sizeof err) != PC_OK) fail(r, lineno, err);
  } else if (strcmp(line, "learn") == 0) {
    r->o.learn = strcmp(arg, "off") != 0;
  } else if (strcmp(line, "cap") == 0) {
    r->o.learned_cap = (size_t)strtoul(arg, NULL, 10);
  } else if (strcmp(line, "state") == 0) {
    char *name = strchr(arg, ' ');
    if (!name) return fail(r, lineno, "state FILE NAME");
    *name++ = '\0';
    copy_state(r, arg, name, lineno);
  } else if (strcmp(line, "start") == 0) {
    if (start(r) != 0) fail(r, lineno, "pc_watcher_new failed");
  } else if (strcmp(line, "restart") == 0) {
    pc_watcher_free(r->w);
    r->w = NULL;
    if (start(r) != 0) fail(r, lineno, "pc_watcher_new failed");
  } else if (strcmp(line, "hoststate") == 0) {
    open_hoststate(r, arg, lineno);
  } else if (strcmp(line, "linuxproc") == 0) {
    pc_hoststate *hs;
    char e[PC_HOSTSTATE_ERR_MAX];
    if (r->w) pc_watcher_set_hoststate(r->w, NULL);
    r->o.hoststate = NULL;
    pc_hoststate_close(r->hs);
    r->hs = NULL;
    snprintf(r->proc_root, sizeof r->proc_root, "%s/%s", r->case_dir, arg);
    if (pc_hoststate_open_linux_at(r->proc_root, &hs, e, sizeof e) != PC_OK) return fail(r, lineno, e);
    r->hs = hs;
  } else if (strcmp(line, "poll") == 0) {
    if (start(r) != 0 || !r->hs) return fail(r, lineno, "poll needs a hoststate");
    pc_time t = BASE_TIME + (pc_time)atol(arg) * PC_TIME_TICKS_PER_SEC;
    if (pc_watcher_poll(r->w, r->hs, t) != PC_OK) fail(r, lineno, "poll failed");
  } else if (strcmp(line, "records") == 0) {
    if (start(r) != 0) return fail(r, lineno, "pc_watcher_new failed");
    feed_records(r, arg, lineno);
  } else if (strcmp(line, "diff") == 0) {
    if (!r->hs) return fail(r, lineno, "diff needs a hoststate");
    char *secs = strchr(arg, ' ');
    pc_time t = BASE_TIME + (secs ? (pc_time)atol(secs + 1) : 0) * PC_TIME_TICKS_PER_SEC;
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    pc_ranges_diff_at(r->hs, r->state_dir, strncmp(arg, "json", 4) == 0, t, mem, r->warn);
    fclose(mem);
    out_append(r, buf, n);
    free(buf);
  } else if (strcmp(line, "learned") == 0) {
    if (start(r) != 0) return fail(r, lineno, "pc_watcher_new failed");
    dump_learned(r);
  } else if (strcmp(line, "echo") == 0) {
    out_append(r, "# ", 2);
    out_append(r, arg, strlen(arg));
    out_append(r, "\n", 1);
  } else if (strcmp(line, "expect_warning") == 0) {
    char *w = warnings_since(r);
    if (!strstr(w, arg)) {
      char msg[2048];
      snprintf(msg, sizeof msg, "expected a warning with '%s', got: '%s'", arg, w);
      fail(r, lineno, msg);
    }
    free(w);
  } else if (strcmp(line, "expect_no_warning") == 0) {
    char *w = warnings_since(r);
    if (w[0]) {
      char msg[2048];
      snprintf(msg, sizeof msg, "unexpected warning: '%s'", w);
      fail(r, lineno, msg);
    }
    free(w);
  } else {
    fail(r, lineno, "unknown step");
  }
}

static void rm_rf(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  char path[1024];
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    remove(path);
  }
  closedir(d);
  rmdir(dir);
}

static void run_case(pc_ruleset *rules, const char *cases, const char *name) {
  run r;
  memset(&r, 0, sizeof r);
  char case_dir[1024];
  if (snprintf(case_dir, sizeof case_dir, "%s/%s", cases, name) >= (int)sizeof case_dir) {
    pc__test_fail(__FILE__, __LINE__, "case path too long: %s/%s", cases, name);
    return;
  }
  r.case_dir = case_dir;
  r.name = name;
  r.rules = rules;
  pc_watcher_options_init(&r.o);
  snprintf(r.state_dir, sizeof r.state_dir, "/tmp/pc-watch-XXXXXX");
  if (!mkdtemp(r.state_dir)) {
    pc__test_fail(__FILE__, __LINE__, "mkdtemp failed");
    return;
  }
  /* A subdirectory that does not exist yet: the watcher must create it. */
  strncat(r.state_dir, "/state", sizeof r.state_dir - strlen(r.state_dir) - 1);
  r.warn = tmpfile();
  r.out = calloc(1, OUT_MAX);

  char path[1200];
  snprintf(path, sizeof path, "%s/script", case_dir);
  char *script = pc_test_read_file(path, NULL);
  if (!script) {
    pc__test_fail(__FILE__, __LINE__, "%s: no script", name);
  } else {
    int lineno = 0;
    for (char *line = script, *next; line && *line; line = next) {
      next = strchr(line, '\n');
      if (next) *next++ = '\0';
      lineno++;
      char *hash = strchr(line, '#');
      if (hash && (hash == line || hash[-1] == ' ')) *hash = '\0';
      size_t n = strlen(line);
      while (n && (line[n - 1] == ' ' || line[n - 1] == '\r')) line[--n] = '\0';
      while (*line == ' ') line++;
      if (*line) step(&r, line, lineno);
    }
  }
  pc_watcher_free(r.w);
  /* Warnings left unchecked at the end are failures too: a case says what it expects. */
  char *w = warnings_since(&r);
  if (w[0]) pc__test_fail(__FILE__, __LINE__, "%s: unchecked warning: %s", name, w);
  free(w);

  snprintf(path, sizeof path, "%s/expected", case_dir);
  if (getenv("PC_WATCH_CASES_UPDATE")) {
    FILE *f = fopen(path, "wb");
    if (f) {
      fwrite(r.out, 1, r.len, f);
      fclose(f);
    }
  } else {
    char *expected = pc_test_read_file(path, NULL);
    if (!expected || strcmp(expected, r.out) != 0)
      pc__test_fail(__FILE__, __LINE__, "%s: output differs\n--- got:\n%s--- expected:\n%s", name, r.out,
                    expected ? expected : "(no expected file)\n");
    free(expected);
  }
  free(script);
  free(r.out);
  fclose(r.warn);
  pc_hoststate_close(r.hs);
  pc_watch_free(r.watch);
  rm_rf(r.state_dir);
  *strrchr(r.state_dir, '/') = '\0';
  rmdir(r.state_dir);
}

PC_TEST(every_watch_case_gives_the_expected_findings) {
  const char *dir = pc_test_source_path("tests/watch/cases");
  PC_CHECK(dir != NULL);
  if (!dir) return;
  char cases[1024];
  snprintf(cases, sizeof cases, "%s", dir);
  pc_rules_compiler *c;
  pc_ruleset *rules = NULL;
  PC_CHECK_INT(pc_rules_compiler_new(&c), PC_OK);
  pc_rules_compiler_add_defaults(c);
  PC_CHECK_INT(pc_rules_compiler_build(c, &rules), PC_OK);
  pc_rules_compiler_free(c);
  if (!rules) return;
  DIR *d = opendir(cases);
  PC_CHECK(d != NULL);
  if (!d) return;
  char *names[256];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < 256)
    if (de->d_name[0] != '.') names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  PC_CHECK(n >= 8);
  for (size_t i = 0; i < n; i++) {
    run_case(rules, cases, names[i]);
    free(names[i]);
  }
  pc_ruleset_free(rules);
}
