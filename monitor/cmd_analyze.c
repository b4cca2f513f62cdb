/* portclash analyze FILE: run the same pipeline as the live monitor over a capture (an .etl
 * file, or a record fixture) taken anywhere, with the customer's netsh/netstat/tasklist text
 * as host state, and print the explained findings in any output format. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_cli.h"
#include "pc_error.h"
#include "pc_etl.h"
#include "pc_file.h"
#include "pc_finding_output.h"
#include "pc_fixture.h"
#include "pc_pipeline.h"
#include "pc_run_options.h"

#define FIXTURE_MAX_BYTES ((size_t)256 << 20)

static void usage(FILE *out) {
  fputs(
      "usage: portclash analyze FILE [OPTIONS]\n"
      "\n"
      "Explains the socket bind failures recorded in FILE, on any OS. FILE is an ETL capture\n"
      "(logman/wpr/xperf; XPRESS-compressed files too) or a record fixture (text, see\n"
      "tests/FIXTURES.md). Give the customer's netsh/netstat/tasklist output so that\n"
      "explanations can name excluded ranges and port owners.\n"
      "\n",
      out);
  pc_run_options_help(out);
  fputs(
      "  -h, --help             this text\n"
      "\n"
      "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input (the message names\n"
      "the file and line or byte offset; findings before the damage are still printed).\n",
      out);
}

typedef struct analyze_ctx {
  pc_finding_output *out;
  uint64_t records;
  pc_time last_ts; /* newest event time seen (the time of the final watch-list check) */
} analyze_ctx;

/* Ctrl+C stops reading; what was read is still explained and the summary printed. */
static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

/* Every so many records: the periodic status line (printed by the sinks at most every
 * status interval, so short runs print none). */
#define STATUS_EVERY 65536

static void pushed(analyze_ctx *c) {
  if (++c->records % STATUS_EVERY == 0) {
    pc_run_counts counts = {c->records, 0};
    pc_finding_output_tick(c->out, &counts);
  }
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  analyze_ctx *c = ud;
  pc_finding_output_attempt(c->out, a);
}

static void on_event(const pc_event *ev, void *ud) {
  analyze_ctx *c = ud;
  if (ev->ts > c->last_ts) c->last_ts = ev->ts;
  pc_finding_output_event(c->out, ev);
}

/* Streams an ETL file through the pipeline. Returns an exit code. */
static int feed_etl(pc_etl_reader *r, const char *path, pc_pipeline *p, analyze_ctx *c) {
  pc_record rec;
  int rc;
  while (!interrupted && (rc = pc_etl_next(r, &rec)) == PC_OK) {
    pc_pipeline_push(p, &rec);
    pushed(c);
  }
  if (interrupted || rc == 1) return PC_EXIT_OK;
  fprintf(stderr, "portclash: %s: %s (findings before it were reported)\n", path, pc_etl_error(r));
  return rc == PC_ENOMEM || rc == PC_EIO ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
}

/* Feeds a text fixture through the pipeline. Returns an exit code. */
static int feed_fixture(const char *path, pc_pipeline *p, analyze_ctx *c) {
  char *text;
  size_t len;
  int rc = pc_file_read(path, FIXTURE_MAX_BYTES, &text, &len);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s: %s\n", path, pc_strerror(rc));
    return rc == PC_ENOENT ? PC_EXIT_USAGE : PC_EXIT_FAILURE;
  }
  pc_fixture *fx;
  rc = pc_fixture_open(text, len, path, pc_decoder_schemas(pc_pipeline_decoder(p)), &fx);
  if (rc != PC_OK) {
    free(text);
    fprintf(stderr, "portclash: %s\n", pc_strerror(rc));
    return PC_EXIT_FAILURE;
  }
  int exit_code = PC_EXIT_OK;
  pc_record r;
  while (!interrupted && (rc = pc_fixture_next(fx, &r)) != 1) {
    if (rc != PC_OK) {
      /* Stop at the first bad line, after every good record before it. */
      fprintf(stderr, "portclash: %s\n", pc_fixture_error(fx));
      exit_code = PC_EXIT_USAGE;
      break;
    }
    pc_pipeline_push(p, &r);
    pushed(c);
  }
  pc_fixture_close(fx);
  free(text);
  return exit_code;
}

/* A file that does not start like an ETL file and reads as text is taken as a fixture. */
static bool looks_like_text(const char *path) {
  FILE *f;
  if (pc_file_open(path, &f) != PC_OK) return false; /* the ETL reader then says why */
  unsigned char buf[512];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (buf[i] == 0 || (buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t')) return false;
  return true;
}

static const char *os_name_from_etl(const pc_etl_info *info) {
  return info->os_major ? "windows" : "windows"; /* ETL captures come from Windows */
}

int pc_cmd_analyze(int argc, char **argv) {
  const char *path = NULL;
  pc_run_options opt;
  pc_run_options_init(&opt);
  /* --config first, so that the options given on the command line override the file's. */
  if (pc_run_options_preload(&opt, argc, argv) != 0) return PC_EXIT_USAGE;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return PC_EXIT_OK;
    }
    int rc = pc_run_options_arg(&opt, argc, argv, &i);
    if (rc == 1) continue;
    if (rc == 2) return PC_EXIT_USAGE;
    if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "portclash analyze: unknown option '%s' (see --help)\n", argv[i]);
      return PC_EXIT_USAGE;
    }
    if (path) {
      fprintf(stderr, "portclash analyze: one FILE only (got '%s' too)\n", argv[i]);
      return PC_EXIT_USAGE;
    }
    path = argv[i];
  }
  if (!path) {
    usage(stderr);
    return PC_EXIT_USAGE;
  }

  /* Open the input first: a wrong path should fail before anything else is set up. */
  char err[512] = "";
  pc_etl_reader *etl = NULL;
  int rc = pc_etl_open(path, &etl, err, sizeof err);
  bool fixture = false;
  if (rc != PC_OK) {
    if (rc == PC_ENOENT || rc == PC_EIO || rc == PC_ENOTFILE || !looks_like_text(path)) {
      fprintf(stderr, "portclash: %s: %s\n", path, err[0] ? err : pc_strerror(rc));
      return rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
    }
    fixture = true;
  }

  int exit_code = PC_EXIT_FAILURE;
  pc_hoststate *hs = NULL;
  analyze_ctx ctx = {0};
  pc_pipeline *pipe = NULL;
  if (!pc_hoststate_offline_empty(&opt.offline)) {
    char hserr[PC_HOSTSTATE_ERR_MAX];
    rc = pc_hoststate_open_offline(&opt.offline, &hs, hserr, sizeof hserr);
    if (rc != PC_OK) {
      fprintf(stderr, "portclash: %s\n", hserr);
      exit_code = rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
      goto done;
    }
  }
  const pc_etl_info *info = etl ? pc_etl_get_info(etl) : NULL;
  /* The watch list only when asked for: a capture's own listeners are not this machine's
   * learned ports, and offline analysis never changes the local state. */
  bool watch = opt.watch_arg_count > 0 || opt.watch_count > 0;
  pc_finding_output_options fo = {hs,
                                  info ? os_name_from_etl(info) : "windows",
                                  info ? info->os_build : 0,
                                  fixture ? "fixture" : "etl",
                                  false,
                                  watch,
                                  false};
  rc = pc_finding_output_open(&opt, &fo, &ctx.out);
  if (rc != PC_OK) {
    exit_code = rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
    goto done;
  }
  pc_pipeline_options po = {watch, watch ? on_event : NULL, &ctx};
  if (pc_pipeline_new(&po, on_attempt, &ctx, &pipe) != PC_OK) goto done;

  interrupted = 0;
  signal(SIGINT, on_sigint);
  exit_code = fixture ? feed_fixture(path, pipe, &ctx) : feed_etl(etl, path, pipe, &ctx);
  signal(SIGINT, SIG_DFL);
  if (interrupted) {
    fprintf(stderr, "portclash: interrupted after %llu records; explaining what was read\n",
            (unsigned long long)ctx.records);
    opt.summary = true;
  }
  pc_pipeline_finish(pipe);
  /* With host-state files, the watched ports are checked against them once. */
  if (watch && hs) pc_finding_output_poll(ctx.out, ctx.last_ts, true);
  pc_finding_output_flush(ctx.out);

  pc_pipeline_stats ps;
  pc_pipeline_get_stats(pipe, &ps);
  pc_run_counts counts = {ps.records, info ? info->events_lost : 0};
  if (opt.summary) pc_pipeline_write_summary(pipe, stderr);
  pc_finding_output_close(ctx.out, &counts, opt.summary);
  ctx.out = NULL;

done:
  pc_pipeline_free(pipe);
  pc_finding_output_close(ctx.out, NULL, false);
  pc_hoststate_close(hs);
  pc_etl_close(etl);
  return exit_code;
}
