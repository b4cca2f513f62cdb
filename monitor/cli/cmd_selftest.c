/* cmd_selftest.c - `portclash selftest`: does the live monitor work on this machine? It opens
 * the live source in-process, provokes a fixed list of real bind failures with its own sockets
 * (selftest-linux.c), and checks each end to end: caught, exactly once, the right process,
 * port, protocol and error, explained by the expected rule, naming the holder, and how long
 * it took. A successful bind must produce no finding. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "pc_errnames.h"
#include "pc_explain.h"
#include "pc_format.h"
#include "pc_os.h"
#include "pc_pipeline.h"
#include "run.h"
#include "selftest.h"

#define MAX_SEEN 512
/* After the first matching finding, how long to keep listening for a second one. */
#define SETTLE_MS 400
/* How long a successful bind is watched for a (wrong) finding. */
#define QUIET_MS 1000

/* A finding as far as the checks need it (copied: findings are valid only in the callback). */
typedef struct seen {
  uint32_t error;
  char proto[8];
  char address[64];
  uint16_t port;
  bool pid_known, owner_known;
  uint32_t pid, owner_pid;
  char rule_id[32];
  bool fallback;
  uint64_t at_ms; /* monotonic time it was produced */
} seen;

typedef struct st_run {
  pc_explainer *ex;
  pc_pipeline *pipe;
  seen seen[MAX_SEEN];
  size_t n_seen;
  uint64_t overflow;
  pc_time last_ts;
  uint64_t last_ts_mono;
  FILE *findings; /* --collect: every finding as a JSON line; NULL otherwise */
} st_run;

typedef struct result {
  pc_selftest_case c;
  unsigned caught;     /* matching findings */
  const seen *first;   /* the first of them */
  uint64_t latency_ms; /* provocation -> first finding */
  bool pass;
  char detail[320];
} result;

static volatile int interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static void on_finding(void *ud, const pc_finding *f) {
  st_run *r = ud;
  if (r->findings) {
    pc_json_writer w;
    pc_json_init(&w, r->findings);
    pc_json_begin_object(&w);
    pc_json_finding_members(&w, f);
    pc_json_end_object(&w);
    pc_json_end_document(&w);
  }
  if (r->n_seen == MAX_SEEN) {
    r->overflow++;
    return;
  }
  seen *s = &r->seen[r->n_seen++];
  memset(s, 0, sizeof *s);
  s->error = f->error;
  snprintf(s->proto, sizeof s->proto, "%s", f->proto ? f->proto : "");
  snprintf(s->address, sizeof s->address, "%s", f->address ? f->address : "");
  s->port = f->port_known ? f->port : 0;
  s->pid_known = f->pid_known;
  s->pid = f->pid;
  s->owner_known = f->owner_pid_known;
  s->owner_pid = f->owner_pid;
  snprintf(s->rule_id, sizeof s->rule_id, "%s", f->rule_id ? f->rule_id : "");
  s->fallback = strncmp(s->rule_id, "FALLBACK", 8) == 0;
  s->at_ms = pc_os_clock_ms();
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  st_run *r = ud;
  if (a->failed) pc_explainer_attempt(r->ex, a);
}

/* Moves what the source delivers for up to ms through pipeline and explainer. */
static void pump(st_run *r, pc_source *src, unsigned ms) {
  uint64_t until = pc_os_clock_ms() + ms;
  pc_source_item it;
  while (!interrupted) {
    uint64_t now = pc_os_clock_ms();
    if (now >= until) break;
    unsigned wait = (unsigned)(until - now < 50 ? until - now : 50);
    int rc = pc_source_next(src, &it, wait);
    if (rc == PC_OK) {
      if (it.kind == PC_SOURCE_RECORD) {
        if (it.record.timestamp > r->last_ts) {
          r->last_ts = it.record.timestamp;
          r->last_ts_mono = pc_os_clock_ms();
        }
        pc_pipeline_push(r->pipe, &it.record);
      } else if (it.attempt.failed) {
        pc_explainer_attempt(r->ex, &it.attempt);
      }
    } else if (rc != PC_ETIMEOUT) {
      break;
    }
    /* A correlator holds an attempt until its evidence is complete: move event time on. */
    if (r->last_ts)
      pc_pipeline_advance(r->pipe,
                          r->last_ts + (pc_time)(pc_os_clock_ms() - r->last_ts_mono) * PC_TIME_TICKS_PER_MS);
  }
}

static bool same_port(const seen *s, const pc_selftest_case *c) {
  return s->port == c->addr.port && strcmp(s->proto, c->proto == PC_PROTO_UDP ? "udp" : "tcp") == 0;
}

static bool rule_accepted(const char *rule, const char *accepted) {
  if (!accepted) return rule[0] != '\0';
  size_t n = strlen(rule);
  for (const char *p = accepted; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, rule, n) == 0) return true;
    p += len + (bar ? 1 : 0);
  }
  return false;
}

static const char *err_name(int e) {
  const char *n = pc_errno_name((uint32_t)e);
  return n ? n : "?";
}

static void check(st_run *r, pc_source *src, result *res, unsigned timeout_ms) {
  pc_selftest_case *c = &res->c;
  uint64_t t0 = pc_os_clock_ms();
  size_t from = r->n_seen;
  if (c->error == 0) {
    pump(r, src, QUIET_MS);
    for (size_t i = from; i < r->n_seen; i++)
      if (same_port(&r->seen[i], c)) res->caught++;
    res->pass = res->caught == 0;
    snprintf(res->detail, sizeof res->detail,
             res->pass ? "no finding for the successful bind, as it should be"
                       : "a successful bind produced %u finding(s)",
             res->caught);
    return;
  }
  /* Wait for the first matching finding, then listen a little longer for duplicates. */
  while (!interrupted && pc_os_clock_ms() - t0 < timeout_ms) {
    pump(r, src, 50);
    for (size_t i = from; i < r->n_seen && !res->first; i++)
      if (same_port(&r->seen[i], c) && r->seen[i].pid_known && r->seen[i].pid == c->pid)
        res->first = &r->seen[i];
    if (res->first) break;
  }
  if (!res->first) {
    snprintf(res->detail, sizeof res->detail, "not caught: no finding for pid %u on %s port %u within %u ms",
             (unsigned)c->pid, c->proto == PC_PROTO_UDP ? "udp" : "tcp", (unsigned)c->addr.port, timeout_ms);
    return;
  }
  res->latency_ms = res->first->at_ms - t0;
  pump(r, src, SETTLE_MS);
  for (size_t i = from; i < r->n_seen; i++)
    if (same_port(&r->seen[i], c)) res->caught++;
  const seen *f = res->first;
  char why[200] = "";
  if (res->caught != 1)
    snprintf(why, sizeof why, "reported %u times, not once", res->caught);
  else if ((int)f->error != c->error)
    snprintf(why, sizeof why, "error %u, the bind got %d (%s)", (unsigned)f->error, c->error,
             err_name(c->error));
  else if (!rule_accepted(f->rule_id, c->expect_rules) || (!c->expect_rules && f->fallback))
    snprintf(why, sizeof why, "explained by %s, expected %s", f->rule_id[0] ? f->rule_id : "no rule",
             c->expect_rules ? c->expect_rules : "a specific (non-fallback) rule");
  else if (c->holder_pid && (!f->owner_known || f->owner_pid != c->holder_pid))
    snprintf(why, sizeof why, "holder named as %s%u, it is pid %u", f->owner_known ? "pid " : "unknown ",
             f->owner_known ? (unsigned)f->owner_pid : 0u, (unsigned)c->holder_pid);
  res->pass = why[0] == '\0';
  char holder[32] = "not named";
  if (f->owner_known) snprintf(holder, sizeof holder, "pid %u", (unsigned)f->owner_pid);
  snprintf(res->detail, sizeof res->detail, "%s%s%s port %u %s, pid %u, rule %s, holder %s, in %llu ms",
           res->pass ? "" : why, res->pass ? "" : "; got: ", f->proto, (unsigned)f->port,
           err_name((int)f->error), (unsigned)f->pid, f->rule_id, holder,
           (unsigned long long)res->latency_ms);
}

static void print_text(const result *res, unsigned n, const pc_source_info *info, const pc_source_stats *st,
                       unsigned passed, unsigned failed, unsigned skipped) {
  printf("portclash selftest: live source %s (%s)\n", info->name, info->attached);
  for (unsigned i = 0; i < n; i++) {
    const result *x = &res[i];
    const char *v = x->c.skipped ? "SKIP" : x->pass ? "PASS" : "FAIL";
    printf("  %s %-22s %s\n", v, x->c.name, x->c.what);
    printf("       %s\n", x->c.skipped ? x->c.why : x->detail);
  }
  printf("source: %llu items, %llu lost%s%s\n", (unsigned long long)st->items, (unsigned long long)st->lost,
         st->detail[0] ? "; " : "", st->detail);
  printf("verdict: %s (%u passed, %u failed, %u skipped)\n", failed ? "FAIL" : "PASS", passed, failed,
         skipped);
}

static void json_kv_str(FILE *out, const char *key, const char *v, bool comma) {
  fprintf(out, "\"%s\":", key);
  if (v)
    pc_json_write_string(out, v);
  else
    fputs("null", out);
  if (comma) fputc(',', out);
}

static void print_json(FILE *out, const result *res, unsigned n, const pc_source_info *info,
                       const pc_source_stats *st, unsigned passed, unsigned failed, unsigned skipped) {
  fputc('{', out);
  json_kv_str(out, "source", info->name, true);
  json_kv_str(out, "attached", info->attached, true);
  json_kv_str(out, "verdict", failed ? "fail" : "pass", true);
  fprintf(out, "\"passed\":%u,\"failed\":%u,\"skipped\":%u,\"items\":%llu,\"lost\":%llu,\"checks\":[", passed,
          failed, skipped, (unsigned long long)st->items, (unsigned long long)st->lost);
  for (unsigned i = 0; i < n; i++) {
    const result *x = &res[i];
    if (i) fputc(',', out);
    fputc('{', out);
    json_kv_str(out, "name", x->c.name, true);
    json_kv_str(out, "what", x->c.what, true);
    json_kv_str(out, "result", x->c.skipped ? "skipped" : x->pass ? "pass" : "fail", true);
    json_kv_str(out, "detail", x->c.skipped ? x->c.why : x->detail, true);
    fprintf(out, "\"caught\":%u,\"port\":%u,\"error\":%d,", x->caught, (unsigned)x->c.addr.port, x->c.error);
    json_kv_str(out, "rule_id", x->first ? x->first->rule_id : NULL, true);
    if (x->first)
      fprintf(out, "\"latency_ms\":%llu}", (unsigned long long)x->latency_ms);
    else
      fputs("\"latency_ms\":null}", out);
  }
  fputs("]}\n", out);
}

int pc_selftest_run(const pc_selftest_platform *pl, bool json, unsigned timeout_ms) {
  return pc_selftest_run_collect(pl, json, timeout_ms, NULL);
}

int pc_selftest_run_collect(const pc_selftest_platform *pl, bool json, unsigned timeout_ms,
                            const char *collect_dir) {
  char msg[1536];
  if (pl->privileges(msg, sizeof msg) != PC_OK) {
    fprintf(stderr, "portclash selftest: %s\n", msg);
    return PC_EXIT_PRIVILEGE;
  }
  /* --collect DIR: the host state before the checks, what the live source saw during them
   * (the recording) and their findings, and the report; the same folder as collect's. */
  pc_collect *col = NULL;
  if (collect_dir) {
    int crc = pc__collect_open(collect_dir, "selftest", &col);
    if (crc != PC_EXIT_OK) return crc;
    pc__collect_set_system(col, pl->mon.os, pl->mon.os_build, NULL, pl->mon.source);
    pc__collect_host_files(col, "");
  }
  int exit_code = PC_EXIT_FAILURE;
  st_run *r = calloc(1, sizeof *r);
  result *res = calloc(32, sizeof *res);
  pc_ruleset *rules = NULL;
  pc_hoststate *hs = NULL;
  pc_source *src = NULL;
  if (!r || !res) goto done;
  char hserr[PC_HOSTSTATE_ERR_MAX] = "";
  if (pc_hoststate_open_live(&hs, hserr, sizeof hserr) != PC_OK) {
    fprintf(stderr, "portclash selftest: host state unavailable, owners cannot be checked: %s\n", hserr);
    hs = NULL;
  }
  char path[4300];
  if (col && hs && pc__collect_recording_open(col) == PC_EXIT_OK &&
      pc_hoststate_open_tee(hs, pc__collect_record_facts, col, &hs, hserr, sizeof hserr) != PC_OK)
    hs = NULL;
  if (col) r->findings = fopen(pc__collect_path(col, "findings.jsonl", path, sizeof path), "wb");
  if (pc_run_load_rules(NULL, &rules) != PC_OK) goto done;
  pc_explainer_options eo = {rules, hs, NULL, pl->mon.os, pl->mon.os_build, pl->mon.source};
  if (pc_explainer_new(&eo, on_finding, r, &r->ex) != PC_OK) goto done;
  if (pc_pipeline_new(NULL, on_attempt, r, &r->pipe) != PC_OK) goto done;
  exit_code = pl->mon.open(pl->mon.ud, r->pipe, &src);
  if (exit_code != PC_EXIT_OK) goto done;
  exit_code = PC_EXIT_FAILURE;

  interrupted = 0;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  pump(r, src, 300); /* let the source settle: events from before the test are not ours */
  unsigned n = 0, passed = 0, failed = 0, skipped = 0;
  for (unsigned i = 0; n < 32 && !interrupted; i++) {
    result *x = &res[n];
    memset(x, 0, sizeof *x);
    if (pl->provoke(pl->ud, i, &x->c) != PC_OK) break;
    n++;
    if (x->c.skipped) {
      skipped++;
      continue;
    }
    check(r, src, x, timeout_ms);
    if (x->pass)
      passed++;
    else
      failed++;
  }
  pl->cleanup(pl->ud);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (interrupted) {
    fputs("portclash selftest: interrupted; every socket and process it made is cleaned up\n", stderr);
    goto done;
  }
  pc_source_info info;
  pc_source_get_info(src, &info);
  pc_source_stats st;
  pc_source_get_stats(src, &st);
  if (col) {
    FILE *rep = fopen(pc__collect_path(col, "selftest.json", path, sizeof path), "wb");
    if (rep) print_json(rep, res, n, &info, &st, passed, failed, skipped);
    bool ok = rep && fclose(rep) == 0;
    pc__collect_add(col, "selftest.json", "selftest", NULL, "the self-test's report (--json)",
                    "portclash selftest", 0, ok, NULL);
  }
  if (json)
    print_json(stdout, res, n, &info, &st, passed, failed, skipped);
  else
    print_text(res, n, &info, &st, passed, failed, skipped);
  unsigned caught = 0, provoked = 0;
  for (unsigned i = 0; i < n; i++)
    if (!res[i].c.skipped && res[i].c.error) {
      provoked++;
      caught += res[i].first != NULL;
    }
  if (provoked && !caught)
    fprintf(
        stderr,
        "portclash selftest: no events from the kernel providers: the live source is attached (%llu other "
        "events seen) but none of the %u provoked failures reached portclash.\nNext steps: run 'portclash "
        "monitor --attempts' and make a bind fail; if nothing shows, "
        "send the output of 'portclash selftest --json' with your OS version to the maintainers.\n",
        (unsigned long long)st.items, provoked);
  exit_code = failed || passed == 0 ? PC_EXIT_FAILURE : PC_EXIT_OK;

done:
  pl->cleanup(pl->ud);
  if (col) {
    bool ok = r && r->findings && fclose(r->findings) == 0;
    if (r) r->findings = NULL;
    pc__collect_add(col, "findings.jsonl", PC_COLLECT_KIND_FINDINGS, NULL,
                    "the self-test's findings, one JSON object a line", "portclash selftest", exit_code, ok,
                    NULL);
    pc__collect_host_files(col, "-end");
    int frc = pc__collect_finish(col, interrupted != 0);
    if (exit_code == PC_EXIT_OK) exit_code = frc;
  }
  pc_source_close(src);
  pc_pipeline_free(r ? r->pipe : NULL);
  pc_explainer_free(r ? r->ex : NULL);
  pc_ruleset_free(rules);
  pc_hoststate_close(hs);
  free(res);
  free(r);
  return exit_code;
}
