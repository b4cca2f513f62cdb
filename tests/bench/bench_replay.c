/* bench_replay.c - replay from an ETL file against its budget (issue 19: >= 3 M records/s
 * per core "from an ETL file", not from memory). Writes the seeded stream of the pipeline
 * benchmark (pc_bench_gen: 30/1000 binds failing) into an ETL file with the test writer
 * (8 CPUs round-robin unless --cpus, 64 KiB buffers), then measures, each the best of 3, in CPU time:
 *   1. `portclash analyze FILE --format json > /dev/null`, the real binary (records per CPU
 *      second of the process: utime + stime);
 *   2. the same in this process: ETL reader -> pipeline -> explainer -> JSON to /dev/null;
 *   3. the ETL reader alone, the pipeline alone on the records in memory, and the file with
 *      every processor number 0 (one reorder queue instead of one per CPU),
 * so that a miss says which stage is slow. The file is deleted afterwards.
 * Usage: bench_replay [--portclash BIN] [--records N] [--cpus N] [--keep PATH]
 * (BIN defaults to ../portclash beside this executable's folder). Exit 1 when (1) misses. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etl_writer.h"
#include "pc_bench_budgets.h"
#include "pc_bench_gen.h"
#include "pc_error.h"
#include "pc_etl.h"
#include "pc_explain.h"
#include "pc_format.h"
#include "pc_pipeline.h"
#include "run.h"

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct ctx {
  pc_explainer *ex;
  FILE *devnull;
  pc_format_options fo;
  size_t findings;
} ctx;

static void on_finding(void *ud, const pc_finding *f) {
  ctx *c = ud;
  pc_bench_write_json(f, &c->fo, c->devnull);
  c->findings++;
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  pc_explainer_attempt(((ctx *)ud)->ex, a);
}

/* mode 0: file -> pipeline; 1: file, reader only; 2: memory -> pipeline; 3: as 0 with every
 * record's processor number 0 (the reader already merged them in time order). CPU seconds. */
static double in_process(int mode, const char *path, const pc_bench_stream *s, const pc_ruleset *rules,
                         size_t *records, size_t *findings) {
  ctx c;
  memset(&c, 0, sizeof c);
  c.devnull = fopen("/dev/null", "w");
  pc_format_options_init(&c.fo);
  pc_explainer_options eo = {rules, NULL, "bench-host", "windows", 22631, "etl"};
  pc_pipeline *p = NULL;
  if (!c.devnull || pc_explainer_new(&eo, on_finding, &c, &c.ex) != PC_OK ||
      pc_pipeline_new(NULL, on_attempt, &c, &p) != PC_OK)
    exit(1);
  *records = 0;
  double t0 = cpu_now();
  if (mode == 2) {
    for (size_t i = 0; i < s->count; i++) pc_pipeline_push(p, &s->records[i]);
    *records = s->count;
  } else {
    pc_etl_reader *r;
    char err[256];
    if (pc_etl_open(path, &r, err, sizeof err) != PC_OK) {
      fprintf(stderr, "bench_replay: %s\n", err);
      exit(1);
    }
    pc_record rec;
    while (pc_etl_next(r, &rec) == PC_OK) {
      if (mode == 3) rec.processor = 0; /* one reorder queue: what the per-CPU queues cost */
      if (mode != 1) pc_pipeline_push(p, &rec);
      (*records)++;
    }
    pc_etl_close(r);
  }
  pc_pipeline_finish(p);
  double dt = cpu_now() - t0;
  *findings = c.findings;
  pc_pipeline_free(p);
  pc_explainer_free(c.ex);
  fclose(c.devnull);
  return dt;
}

/* `BIN analyze PATH --format json`, stdout to /dev/null: CPU seconds of the child (-1 on
 * failure); *lines = findings it printed (counted through a pipe would cost the child
 * nothing, but a pipe reader competes for the core: the summary's count is used instead). */
static double analyze(const char *bin, const char *path, double *wall) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || dup2(fd, 1) < 0) _exit(127);
    execl(bin, bin, "analyze", path, "--format", "json", (char *)NULL);
    _exit(127);
  }
  int st;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
  clock_gettime(CLOCK_MONOTONIC, &b);
  *wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  size_t n = 2000000;
  unsigned cpus = 8;
  const char *bin = NULL, *keep = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--portclash") == 0 && i + 1 < argc)
      bin = argv[++i];
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      n = (size_t)strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc)
      cpus = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
      keep = argv[++i];
    else {
      fprintf(stderr, "usage: bench_replay [--portclash BIN] [--records N] [--cpus N] [--keep PATH]\n");
      return 2;
    }
  }
  char self[4096], binbuf[4200];
  if (cpus < 1 || cpus > 64) {
    fprintf(stderr, "bench_replay: --cpus is 1..64\n");
    return 2;
  }
  if (!bin) {
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) {
      self[k] = '\0';
      snprintf(binbuf, sizeof binbuf, "%s/../portclash", dirname(self));
      bin = binbuf;
    }
  }
  pc_ruleset *rules;
  if (pc_run_load_rules(NULL, &rules) != PC_OK) return 1;
  pc_bench_stream s;
  if (pc_bench_generate(42, n, 30, &s) != 0) {
    fputs("bench_replay: out of memory\n", stderr);
    return 1;
  }
  char path[256];
  const char *dir = getenv("TMPDIR");
  if (keep)
    snprintf(path, sizeof path, "%s", keep);
  else
    snprintf(path, sizeof path, "%s/bench_replay_%d.etl", dir && *dir ? dir : "/tmp", (int)getpid());
  pc_etl_writer_opts o = {0};
  o.cpus = cpus;
  o.buffer_size = 64 * 1024;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) {
    perror(path);
    return 1;
  }
  for (size_t i = 0; i < s.count; i++) {
    pc_record rec = s.records[i];
    rec.processor = (uint16_t)(i % cpus);
    if (pc_etl_writer_add(w, &rec) != PC_OK) {
      fputs("bench_replay: write failed\n", stderr);
      return 1;
    }
  }
  if (pc_etl_writer_close(w) != PC_OK) return 1;
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  double mb = (double)ftell(f) / 1e6;
  fclose(f);
  printf(
      "replay from an ETL file: seed 42, %zu records (%zu failed binds), %.1f MB, %u CPUs, 64 KiB buffers\n",
      s.count, s.failures, mb, cpus);

  double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9}, wall = 0, best_wall = 1e9;
  size_t recs[4] = {0, 0, 0, 0}, finds[4] = {0, 0, 0, 0};
  bool cli_ok = bin != NULL;
  for (int rep = 0; rep < 3; rep++) {
    double w1 = 0;
    double t = cli_ok ? analyze(bin, path, &w1) : -1;
    if (t < 0) cli_ok = false;
    if (t >= 0 && t < best[0]) best[0] = t, best_wall = w1;
    for (int m = 0; m < 4; m++) {
      t = in_process(m, path, &s, rules, &recs[m], &finds[m]);
      if (t < best[1 + m]) best[1 + m] = t;
    }
  }
  (void)wall;
  char b[32];
  snprintf(b, sizeof b, ">= %.2f", PC_BUDGET_REPLAY_RECORDS_PER_S / 1e6);
  printf("%-52s %12s %12s\n", "M records per CPU second (best of 3)", "value", "budget");
  if (cli_ok)
    printf("%-52s %12.2f %12s\n", "portclash analyze FILE --format json (the binary)",
           (double)s.count / best[0] / 1e6, b);
  else
    printf("%-52s %12s %12s\n", "portclash analyze FILE --format json (the binary)", "failed", b);
  printf("%-52s %12.2f %12s\n", "  wall-clock M records/s", cli_ok ? (double)s.count / best_wall / 1e6 : 0.0,
         "-");
  printf("%-52s %12.2f %12s\n", "in process: file -> pipeline -> JSON", (double)recs[0] / best[1] / 1e6, b);
  printf("%-52s %12.2f %12s\n", "in process: file, ETL reader only", (double)recs[1] / best[2] / 1e6, "-");
  printf("%-52s %12.2f %12s\n", "in process: memory -> pipeline -> JSON", (double)recs[2] / best[3] / 1e6,
         "-");
  printf("%-52s %12.2f %12s\n", "in process: file -> pipeline, all on processor 0",
         (double)recs[3] / best[4] / 1e6, "-");
  printf("%-52s %12zu %12zu\n", "records read back from the file", recs[0], s.count);
  printf("%-52s %12zu %12zu\n", "findings (file, in process; = failed binds)", finds[0], s.failures);
  printf("%-52s %12zu %12zu\n", "findings (file, all on processor 0)", finds[3], s.failures);
  bool ok = cli_ok && (double)s.count / best[0] >= PC_BUDGET_REPLAY_RECORDS_PER_S && recs[0] == s.count &&
            finds[0] == s.failures && finds[3] == s.failures;
  if (!keep) remove(path);
  pc_bench_stream_free(&s);
  pc_ruleset_free(rules);
  printf("%s\n", ok ? "all budgets met" : "BUDGET MISSED");
  return ok ? 0 : 1;
}
