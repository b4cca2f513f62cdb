/* cmd_selftest.c - `portclash selftest`: does the live monitor work on this machine? It opens
 * the live source in-process, provokes a fixed list of real bind failures with its own sockets
 * (selftest-linux.c, selftest-win.c), and checks each end to end: caught, exactly once, the
 * right process, port, protocol and error, explained by the expected rule, naming the holder,
 * how long it took and which providers' events made it. A successful bind must produce no
 * finding. The checks, the report and --json are this one file for every platform. */
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
/* Attempts remembered for the providers column (the newest are kept). */
#define MAX_ATTEMPTS 256
/* After the first matching finding, how long to keep listening for a second one. */
#define SETTLE_MS 400
/* How long a successful bind is watched for a (wrong) finding. */
#define QUIET_MS 1000
/* How long a host state worker may take for a snapshot asked for at once. */
#define REFRESH_MS 20000

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

/* A failed attempt as far as the providers column needs it. */
typedef struct seen_attempt {
  uint32_t pid;
  uint16_t port;
  uint8_t proto;
  uint32_t seen_by; /* PC_SEEN_* */
} seen_attempt;

typedef struct st_run {
  pc_explainer *ex;
  pc_pipeline *pipe;
  seen seen[MAX_SEEN];
  size_t n_seen;
  seen_attempt attempts[MAX_ATTEMPTS];
  size_t n_attempts; /* ever; the slot is n_attempts % MAX_ATTEMPTS */
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
  uint32_t seen_by;    /* PC_SEEN_* of the matching attempts: the providers that contributed */
  bool rule_expected;  /* the first finding's rule is one the case accepts */
  bool pass;
  char detail[512];
} result;

static volatile int interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

void pc_selftest_interrupt(void) {
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

/* Every failed attempt goes to the explainer; its providers are remembered for the check. */
static void attempt_failed(st_run *r, const pc_bind_attempt *a) {
  seen_attempt *s = &r->attempts[r->n_attempts++ % MAX_ATTEMPTS];
  s->pid = a->pid_known ? a->pid : 0;
  s->port = a->addr_known ? a->local.port : 0;
  s->proto = a->proto;
  s->seen_by = a->seen_by;
  pc_explainer_attempt(r->ex, a);
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  st_run *r = ud;
  if (a->failed) attempt_failed(r, a);
}

/* "afd+tcpip+winsock", "ebpf"; "none" when no attempt matched. */
static void providers_text(uint32_t seen_by, char *out, size_t cap) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {
      {PC_SEEN_AFD, "afd"}, {PC_SEEN_TCPIP, "tcpip"}, {PC_SEEN_WINSOCK, "winsock"}, {PC_SEEN_EBPF, "ebpf"}};
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if ((seen_by & names[i].bit) && n < cap)
      n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "+" : "", names[i].name);
  if (!out[0]) snprintf(out, cap, "none");
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
        attempt_failed(r, &it.attempt);
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

/* WSA numbers start at 10000, far above every errno. */
static const char *err_name(int e) {
  const char *n = e >= 10000 ? pc_wsa_name((uint32_t)e) : pc_errno_name((uint32_t)e);
  return n ? n : "?";
}

static const char *proto_name(uint8_t proto) {
  return proto == PC_PROTO_UDP ? "udp" : "tcp";
}

/* Reads the host state again before the provoked failure is explained. With a worker,
 * pc_hoststate_refresh only asks it for a new snapshot: wait (up to REFRESH_MS, events stay
 * queued in the source meanwhile) until it is ready, then install it. */
static void refresh_now(pc_hoststate *hs, bool bg) {
  bool ok = pc_hoststate_refresh(hs) == PC_OK;
  if (ok && bg) {
    pc_os_mutex *m = pc_os_mutex_new();
    pc_os_cond *cv = pc_os_cond_new();
    uint64_t until = pc_os_clock_ms() + REFRESH_MS;
    while (m && cv && !interrupted && !pc_hoststate_update_pending(hs) && pc_os_clock_ms() < until) {
      pc_os_mutex_lock(m);
      pc_os_cond_wait_ms(cv, m, 50); /* a sleep */
      pc_os_mutex_unlock(m);
    }
    pc_os_cond_free(cv);
    pc_os_mutex_free(m);
    ok = pc_hoststate_update_pending(hs) && pc_hoststate_refresh(hs) == PC_OK;
  }
  if (!ok)
    fprintf(stderr, "portclash selftest: host state not re-read, the next check may miss the change: %s\n",
            pc_hoststate_error(hs));
}

/* The providers of the failed attempts since attempt number from that match c. */
static uint32_t providers_of(const st_run *r, size_t from, const pc_selftest_case *c) {
  uint32_t bits = 0;
  if (r->n_attempts - from > MAX_ATTEMPTS) from = r->n_attempts - MAX_ATTEMPTS;
  for (size_t i = from; i < r->n_attempts; i++) {
    const seen_attempt *a = &r->attempts[i % MAX_ATTEMPTS];
    if (a->port == c->addr.port && a->proto == c->proto && a->pid == c->pid) bits |= a->seen_by;
  }
  return bits;
}

static void check(st_run *r, pc_source *src, result *res, unsigned timeout_ms) {
  pc_selftest_case *c = &res->c;
  uint64_t t0 = pc_os_clock_ms();
  size_t from = r->n_seen, from_attempt = r->n_attempts;
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
    res->seen_by = providers_of(r, from_attempt, c);
    char prov[48];
    providers_text(res->seen_by, prov, sizeof prov);
    snprintf(res->detail, sizeof res->detail,
             "not caught: no finding for pid %u on %s port %u within %u ms (attempts seen by: %s)",
             (unsigned)c->pid, proto_name(c->proto), (unsigned)c->addr.port, timeout_ms, prov);
    return;
  }
  res->latency_ms = res->first->at_ms - t0;
  pump(r, src, SETTLE_MS);
  for (size_t i = from; i < r->n_seen; i++)
    if (same_port(&r->seen[i], c)) res->caught++;
  const seen *f = res->first;
  res->seen_by = providers_of(r, from_attempt, c);
  res->rule_expected = rule_accepted(f->rule_id, c->expect_rules) && !(!c->expect_rules && f->fallback);
  char why[200] = "";
  if (res->caught != 1)
    snprintf(why, sizeof why, "reported %u times, not once", res->caught);
  else if ((int)f->error != c->error)
    snprintf(why, sizeof why, "error %u, the bind got %d (%s)", (unsigned)f->error, c->error,
             err_name(c->error));
  else if (!res->rule_expected)
    snprintf(why, sizeof why, "explained by %s, expected %s", f->rule_id[0] ? f->rule_id : "no rule",
             c->expect_rules ? c->expect_rules : "a specific (non-fallback) rule");
  else if (c->holder_pid && (!f->owner_known || f->owner_pid != c->holder_pid))
    snprintf(why, sizeof why, "holder named as %s%u, it is pid %u", f->owner_known ? "pid " : "unknown ",
             f->owner_known ? (unsigned)f->owner_pid : 0u, (unsigned)c->holder_pid);
  res->pass = why[0] == '\0';
  char holder[32] = "not named", prov[48];
  if (f->owner_known) snprintf(holder, sizeof holder, "pid %u", (unsigned)f->owner_pid);
  providers_text(res->seen_by, prov, sizeof prov);
  snprintf(res->detail, sizeof res->detail,
           "%s%s%s port %u %s, pid %u, rule %s%s, holder %s, reported %u time%s, in %llu ms, events from %s",
           res->pass ? "" : why, res->pass ? "" : "; got: ", f->proto, (unsigned)f->port,
           err_name((int)f->error), (unsigned)f->pid, f->rule_id,
           res->rule_expected ? " (the expected cause)" : "", holder, res->caught,
           res->caught == 1 ? "" : "s", (unsigned long long)res->latency_ms, prov);
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

static void print_json(FILE *out, const result *res, unsigned n, const pc_source_info *info,
                       const pc_source_stats *st, unsigned passed, unsigned failed, unsigned skipped) {
  pc_json_writer w;
  pc_json_init(&w, out);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "source", info->name);
  pc_json_key_str(&w, "attached", info->attached);
  pc_json_key_str(&w, "verdict", failed ? "fail" : "pass");
  pc_json_key_u64(&w, "passed", passed);
  pc_json_key_u64(&w, "failed", failed);
  pc_json_key_u64(&w, "skipped", skipped);
  pc_json_key_u64(&w, "items", st->items);
  pc_json_key_u64(&w, "lost", st->lost);
  pc_json_key(&w, "checks");
  pc_json_begin_array(&w);
  for (unsigned i = 0; i < n; i++) {
    const result *x = &res[i];
    pc_json_begin_object(&w);
    pc_json_key_str(&w, "name", x->c.name);
    pc_json_key_str(&w, "what", x->c.what);
    pc_json_key_str(&w, "result", x->c.skipped ? "skipped" : x->pass ? "pass" : "fail");
    pc_json_key_str(&w, "detail", x->c.skipped ? x->c.why : x->detail);
    pc_json_key_u64(&w, "caught", x->caught);
    pc_json_key_bool(&w, "once", x->caught == 1);
    pc_json_key_u64(&w, "pid", x->c.pid);
    pc_json_key_u64(&w, "port", x->c.addr.port);
    pc_json_key_str(&w, "proto", proto_name(x->c.proto));
    pc_json_key_i64(&w, "error", x->c.error);
    pc_json_key_str(&w, "error_name", x->c.error ? err_name(x->c.error) : NULL);
    pc_json_key_str(&w, "rule_id", x->first ? x->first->rule_id : NULL);
    pc_json_key_str(&w, "expected_rules", x->c.expect_rules);
    if (x->first)
      pc_json_key_bool(&w, "rule_expected", x->rule_expected);
    else
      pc_json_key_null(&w, "rule_expected");
    char prov[48];
    providers_text(x->seen_by, prov, sizeof prov);
    pc_json_key_str(&w, "providers", x->seen_by ? prov : NULL);
    pc_json_key_u64_or_null(&w, "latency_ms", x->first != NULL, x->latency_ms);
    pc_json_end_object(&w);
  }
  pc_json_end_array(&w);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
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
  /* As in monitor: where reading the state is slow (netsh on Windows) a worker reads it, so
   * the event path never waits for it (elsewhere PC_ENOTSUP: read on this thread). */
  bool bg = hs && pc_hoststate_start_background(hs, NULL) == PC_OK;
  char path[4300];
  if (col && hs && pc__collect_recording_open(col) == PC_EXIT_OK &&
      pc_hoststate_open_tee(hs, pc__collect_record_facts, col, &hs, hserr, sizeof hserr) != PC_OK)
    hs = NULL;
  if (col) r->findings = fopen(pc__collect_path(col, "findings.jsonl", path, sizeof path), "wb");
  if (pc_run_load_rules(NULL, &rules) != PC_OK) goto done;
  pc_explainer_options eo = {rules, hs, NULL, pl->mon.os, pl->mon.os_build, pl->mon.source};
  if (pc_explainer_new(&eo, on_finding, r, &r->ex) != PC_OK) goto done;
  pc_pipeline_options po = {.reorder_watermark = pl->mon.reorder_watermark};
  if (pc_pipeline_new(&po, on_attempt, r, &r->pipe) != PC_OK) goto done;
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
    if (x->c.refresh_hoststate && hs) refresh_now(hs, bg);
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
        "events seen) but none of the %u provoked failures reached portclash.\nNext steps: %s"
        "run 'portclash monitor --attempts' and make a bind fail; if nothing shows, "
        "send the output of 'portclash selftest --json' with your OS version to the maintainers.\n",
        (unsigned long long)st.items, provoked, pl->no_events_hint ? pl->no_events_hint : "");
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
