/* The same capture written with 1, 4 and 64 CPUs must be read back in the same order and
 * explained the same. Records come from the benchmark generator (each bind's events 200 µs
 * apart, timestamped years before the writer's default session start, like any replayed
 * old capture); they are spread round-robin, so one bind's events sit on different CPUs.
 * Every reading goes through the whole pipeline (decode, correlate, rules, JSON) and the
 * findings are compared with those of the records pushed directly, without a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl_writer.h"
#include "pc_bench_gen.h"
#include "pc_error.h"
#include "pc_etl.h"
#include "pc_explain.h"
#include "pc_format.h"
#include "pc_pipeline.h"
#include "run.h"
#include "pc_test.h"

#define N_RECORDS 200000

typedef struct result {
  pc_explainer *ex;
  pc_format_options fo;
  size_t findings;
  uint64_t hash; /* FNV-1a over every finding's JSON line, in order */
} result;

static void on_finding(void *ud, const pc_finding *f) {
  result *r = ud;
  char buf[8192];
  size_t n = pc_format_json(f, &r->fo, buf, sizeof buf);
  if (n > sizeof buf) n = sizeof buf;
  for (size_t i = 0; i < n; i++) r->hash = (r->hash ^ (uint8_t)buf[i]) * 0x100000001b3ull;
  r->findings++;
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  pc_explainer_attempt(((result *)ud)->ex, a);
}

static pc_pipeline *start(result *r, const pc_ruleset *rules) {
  memset(r, 0, sizeof *r);
  r->hash = 0xcbf29ce484222325ull;
  pc_format_options_init(&r->fo);
  pc_explainer_options eo = {rules, NULL, "h", "windows", 19041, "etl"};
  pc_pipeline *p = NULL;
  if (pc_explainer_new(&eo, on_finding, r, &r->ex) != PC_OK ||
      pc_pipeline_new(NULL, on_attempt, r, &p) != PC_OK)
    return NULL;
  return p;
}

static void stop(result *r, pc_pipeline *p) {
  pc_pipeline_finish(p);
  pc_pipeline_free(p);
  pc_explainer_free(r->ex);
}

/* Writes s with cpus CPUs (round-robin, or by a hash when scatter) and explains the file. */
static void via_etl(const pc_bench_stream *s, unsigned cpus, bool scatter, const pc_ruleset *rules,
                    result *out, uint64_t *late) {
  char path[256];
  const char *dir = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/pc_etl_cpus_%d_%u.etl", dir && *dir ? dir : "/tmp", (int)getpid(), cpus);
  pc_etl_writer_opts o = {0};
  o.cpus = cpus;
  o.buffer_size = 16 * 1024; /* many buffers per CPU */
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  PC_CHECK(w != NULL);
  if (!w) return;
  for (size_t i = 0; i < s->count; i++) {
    pc_record rec = s->records[i];
    rec.processor = (uint16_t)(scatter ? (i * 2654435761u >> 7) % cpus : i % cpus);
    PC_CHECK_INT(pc_etl_writer_add(w, &rec), PC_OK);
  }
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
  pc_pipeline *p = start(out, rules);
  PC_CHECK(p != NULL);
  pc_etl_reader *r;
  char err[256];
  PC_CHECK_INT(pc_etl_open(path, &r, err, sizeof err), PC_OK);
  pc_record rec;
  int rc;
  size_t n = 0;
  while ((rc = pc_etl_next(r, &rec)) == PC_OK) {
    pc_pipeline_push(p, &rec);
    n++;
  }
  PC_CHECK_INT(rc, 1);
  PC_CHECK_INT(n, s->count);
  *late = pc_etl_get_info(r)->events_late;
  pc_etl_close(r);
  stop(out, p);
  remove(path);
}

PC_TEST(same_findings_with_1_4_and_64_cpus) {
  pc_ruleset *rules;
  PC_CHECK_INT(pc_run_load_rules(NULL, &rules), PC_OK);
  pc_bench_stream s;
  PC_CHECK_INT(pc_bench_generate(42, N_RECORDS, 30, &s), 0);
  result direct;
  pc_pipeline *p = start(&direct, rules);
  for (size_t i = 0; i < s.count; i++) pc_pipeline_push(p, &s.records[i]);
  stop(&direct, p);
  PC_CHECK_INT(direct.findings, s.failures);

  static const unsigned cpus[] = {1, 4, 64, 8, 64};
  for (size_t k = 0; k < sizeof cpus / sizeof cpus[0]; k++) {
    result r;
    uint64_t late = 99;
    via_etl(&s, cpus[k], k >= 3, rules, &r, &late);
    PC_CHECK_INT(late, 0);
    PC_CHECK_INT(r.findings, direct.findings);
    PC_CHECK_UINT(r.hash, direct.hash);
  }
  pc_bench_stream_free(&s);
  pc_ruleset_free(rules);
}
