/* portclash analyze FILE|DIR: run the same pipeline as the live monitor over a capture (an .etl
 * file, or a record fixture) taken anywhere, with the customer's netsh/netstat/tasklist text
 * as host state, and print the explained findings in any output format. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "pc_error.h"
#include "run.h"
#include "feed.h"

/* Ctrl+C stops reading; what was read is still explained and the summary printed. */
static volatile int interrupted;
static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

int pc_cmd_analyze(int argc, char **argv) {
  pc_options all;
  int prc = pc_options_parse(&all, PC_CMD_ANALYZE, argc, argv, stdout, stderr);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  pc_run_options opt = all.run;
  const char *path = all.args[0];

  /* A folder written by `portclash collect`: its manifest names the capture (or the Linux
   * recording) and implies every host-state option. */
  pc_collect_inputs *dir = NULL;
  if (pc__collect_is_dir(path)) {
    if (!pc_hoststate_offline_empty(&opt.offline)) {
      fprintf(stderr,
              "portclash analyze: %s is a collect folder: its own host-state files are used, so "
              "--netsh-excluded, --netsh-dynamic, --netstat, --tasklist and --netsh-http do not go with it\n",
              path);
      return PC_EXIT_USAGE;
    }
    dir = malloc(sizeof *dir);
    if (!dir) return PC_EXIT_FAILURE;
    int drc = pc__collect_inputs(path, dir, &opt.offline, stderr);
    if (drc != PC_EXIT_OK) {
      free(dir);
      return drc;
    }
    path = dir->source_path;
    /* The findings say what the live run said: its host and its source. */
    if (!opt.sinks.host && dir->m.host[0]) opt.sinks.host = dir->m.host;
  }

  /* Open the input first: a wrong path should fail before anything else is set up, and the
   * findings take the capture's OS build from it. */
  char err[1024] = "";
  pc_schema_set *schemas = NULL;
  pc_source *src = NULL;
  int rc = pc_schema_builtin_load(&schemas);
  if (rc == PC_OK)
    rc = dir && dir->recording ? pc_source_open_recording(path, &src, err, sizeof err)
                               : pc_source_open_file(path, schemas, &src, err, sizeof err);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s\n", err[0] ? err : pc_strerror(rc));
    pc_schema_set_free(schemas);
    free(dir);
    return rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
  }
  pc_source_info info;
  pc_source_get_info(src, &info);

  int exit_code = PC_EXIT_FAILURE;
  pc_hoststate *hs = NULL;
  pc_finding_output *out = NULL;
  pc_feed *feed = NULL;
  if (dir && dir->recording) {
    /* What the live host state answered at each failure, replayed. */
    char hserr[PC_HOSTSTATE_ERR_MAX];
    rc = pc_hoststate_open_recording(path, &hs, hserr, sizeof hserr);
    if (rc != PC_OK) {
      fprintf(stderr, "portclash: %s\n", hserr);
      exit_code = rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
      goto done;
    }
  } else if (!pc_hoststate_offline_empty(&opt.offline)) {
    char hserr[PC_HOSTSTATE_ERR_MAX];
    rc = pc_hoststate_open_offline(&opt.offline, &hs, hserr, sizeof hserr);
    /* A collect folder's file that does not parse is left out, said, and the rest used. */
    while (dir && (rc == PC_EPARSE || rc == PC_ELIMIT) && pc__collect_drop_failed(&opt.offline, hserr)) {
      fprintf(stderr, "portclash analyze: warning: leaving out %s\n", hserr);
      rc = pc_hoststate_offline_empty(&opt.offline)
               ? PC_OK
               : pc_hoststate_open_offline(&opt.offline, &hs, hserr, sizeof hserr);
    }
    if (rc != PC_OK) {
      fprintf(stderr, "portclash: %s\n", hserr);
      exit_code = rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
      goto done;
    }
  }
  /* The watch list only when asked for: a capture's own listeners are not this machine's
   * learned ports, and offline analysis never changes the local state. */
  bool watch = opt.watch_arg_count > 0 || opt.watch_count > 0;
  pc_finding_output_options fo = {hs, info.os, info.os_build, info.name, false, watch, false};
  if (dir) {
    /* A collect folder reproduces the live run's findings: its source's name and its
     * aggregation (the first of a kind at once, the repeats at the window's end). */
    if (dir->m.source[0]) fo.source = dir->m.source;
    if (dir->m.os[0]) fo.os = dir->m.os; /* a recording of a Windows self-test is Windows' */
    if (dir->m.os_build && !fo.os_build) fo.os_build = dir->m.os_build;
    fo.live = true;
  }
  rc = pc_finding_output_open(&opt, &fo, &out);
  if (rc != PC_OK) {
    exit_code = rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
    goto done;
  }
  pc_feed_options feo = {.live = false, .stop_flag = &interrupted};
  if (pc_feed_new(&feo, out, &feed) != PC_OK) goto done;

  interrupted = 0;
  signal(SIGINT, on_sigint);
  pc_feed_result res;
  pc_feed_run(feed, src, &res);
  signal(SIGINT, SIG_DFL);
  if (res.interrupted) {
    fprintf(stderr, "portclash: interrupted after %llu records; explaining what was read\n",
            (unsigned long long)res.items);
    opt.summary = true;
  }
  exit_code = res.source_error == PC_OK                                     ? PC_EXIT_OK
              : res.source_error == PC_ENOMEM || res.source_error == PC_EIO ? PC_EXIT_FAILURE
                                                                            : PC_EXIT_USAGE;
  /* With host-state files, the watched ports are checked against them once. */
  if (watch && hs) {
    pc_finding_output_poll(out, pc_feed_last_time(feed), true);
    pc_finding_output_flush(out);
  }
  pc_run_counts counts;
  pc_feed_counts(feed, &res, &counts);
  if (opt.summary) pc_feed_write_summary(feed, stderr);
  pc_finding_output_close(out, &counts, opt.summary);
  out = NULL;

done:
  pc_feed_free(feed);
  pc_finding_output_close(out, NULL, false);
  pc_hoststate_close(hs);
  pc_source_close(src);
  pc_schema_set_free(schemas);
  free(dir);
  return exit_code;
}
