/* The explain library for a bind nobody made (`portclash explain`): the rules' finding, the
 * error the facts make certain, and the explanation phrased for a hypothetical bind. */
#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_explain.h"
#include "pc_hoststate.h"
#include "pc_rules.h"
#include "pc_test.h"

typedef struct seen {
  int n;
  char event[32], rule[64], error_name[32], explanation[2048];
  bool error_known, pid_known;
} seen;

static void keep(void *ud, const pc_finding *f) {
  seen *s = ud;
  s->n++;
  snprintf(s->event, sizeof s->event, "%s", f->event ? f->event : "(null)");
  snprintf(s->rule, sizeof s->rule, "%s", f->rule_id ? f->rule_id : "(null)");
  snprintf(s->error_name, sizeof s->error_name, "%s", f->error_name ? f->error_name : "(null)");
  snprintf(s->explanation, sizeof s->explanation, "%s", f->explanation ? f->explanation : "(null)");
  s->error_known = f->error_known;
  s->pid_known = f->pid_known;
}

static pc_ruleset *defaults(void) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return NULL;
  pc_rules_compiler_add_defaults(c);
  pc_ruleset *rs = NULL;
  pc_rules_compiler_build(c, &rs);
  pc_rules_compiler_free(c);
  return rs;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Facts of "explain PORT" on 0.0.0.0 (tcp). */
static void hypothetical(pc_facts *f, uint16_t port) {
  pc_rules_facts_init(f);
  f->attempt.ts_first = f->attempt.ts_last = PC_TIME_UNKNOWN;
  f->attempt.proto = PC_PROTO_TCP;
  f->attempt.local.family = PC_AF_INET;
  f->attempt.local.port = port;
  f->attempt.addr_known = true;
  f->owners_known = f->ranges_known = true;
}

PC_TEST(explain_hypothetical_uses_the_rules) {
  pc_ruleset *rs = defaults();
  PC_CHECK(rs != NULL);
  if (!rs) return;
  seen s;
  memset(&s, 0, sizeof s);
  pc_explainer_options o = {.rules = rs, .host = "", .os = "windows", .source = "offline"};
  pc_explainer *e;
  PC_CHECK_INT(pc_explainer_new(&o, keep, &s, &e), PC_OK);

  /* Held by another process (offline, no test bind): WSAEADDRINUSE, rule C12. */
  pc_facts f;
  hypothetical(&f, 3000);
  f.owner_known = true;
  f.owner_pid = 7777;
  snprintf(f.owner_name, sizeof f.owner_name, "node.exe");
  f.owner_state = PC_OWNER_STATE_LISTEN;
  f.owner_addr = f.attempt.local;
  PC_CHECK_INT(pc_explainer_hypothetical(e, &f, NULL), PC_OK);
  PC_CHECK_INT(s.n, 1);
  PC_CHECK_STR(s.event, "explain");
  PC_CHECK_STR(s.rule, "C12");
  PC_CHECK_STR(s.error_name, "WSAEADDRINUSE");
  PC_CHECK(!s.pid_known);
  PC_CHECK(starts_with(s.explanation, "A bind to tcp 0.0.0.0:3000 would fail: node.exe (PID 7777)"));
  PC_CHECK(f.hypothetical);

  /* Inside an excluded range on Windows: WSAEACCES, whoever holds it. */
  hypothetical(&f, 50010);
  f.excluded = true;
  f.excluded_start = 50000;
  f.excluded_end = 50059;
  f.excluded_administered = true;
  PC_CHECK_INT(pc_explainer_hypothetical(e, &f, NULL), PC_OK);
  PC_CHECK_STR(s.rule, "C04");
  PC_CHECK_STR(s.error_name, "WSAEACCES");

  /* Nothing blocks it: free, no error. */
  hypothetical(&f, 3001);
  PC_CHECK_INT(pc_explainer_hypothetical(e, &f, NULL), PC_OK);
  PC_CHECK_STR(s.rule, "FALLBACK-FREE");
  PC_CHECK(!s.error_known);
  PC_CHECK_STR(s.explanation, "tcp 0.0.0.0:3001 is free: a bind would succeed now.");

  /* A test bind decides: it succeeded although the facts name an owner -> free. */
  hypothetical(&f, 3000);
  f.owner_known = true;
  f.owner_pid = 7777;
  pc_explain_test ok = {0};
  PC_CHECK_INT(pc_explainer_hypothetical(e, &f, &ok), PC_OK);
  PC_CHECK_STR(s.rule, "FALLBACK-FREE");
  pc_explainer_free(e);

  /* Linux: the test bind's EACCES on a privileged port is L01's. */
  o.os = "linux";
  PC_CHECK_INT(pc_explainer_new(&o, keep, &s, &e), PC_OK);
  hypothetical(&f, 80);
  f.unprivileged_start_known = true;
  f.unprivileged_start = 1024;
  pc_explain_test denied = {.error = 13};
  PC_CHECK_INT(pc_explainer_hypothetical(e, &f, &denied), PC_OK);
  PC_CHECK_STR(s.rule, "L01");
  PC_CHECK_STR(s.error_name, "EACCES");
  PC_CHECK(starts_with(s.explanation, "A bind to tcp 0.0.0.0:80 would fail: on Linux, ports below"));
  pc_explainer_free(e);
  pc_ruleset_free(rs);
}

PC_TEST(explain_phrases_a_rule_for_a_hypothetical_bind) {
  pc_facts f;
  hypothetical(&f, 80);
  char buf[512];
  /* The usual opening up to ": " becomes the hypothetical lead. */
  PC_CHECK_STR(pc_explain_phrase_hypothetical(
                   &f, "The process (PID unknown) cannot bind tcp 0.0.0.0:80: it is taken.", buf, sizeof buf),
               "A bind to tcp 0.0.0.0:80 would fail: it is taken.");
  PC_CHECK_STR(
      pc_explain_phrase_hypothetical(
          &f, "A process (PID unknown, user unknown) cannot bind tcp port 80: on Linux, x.", buf, sizeof buf),
      "A bind to tcp 0.0.0.0:80 would fail: on Linux, x.");
  /* No colon in the first sentence: a lead sentence, and "A process" as the subject. */
  PC_CHECK_STR(pc_explain_phrase_hypothetical(
                   &f, "The process (PID unknown) was denied port 80 with WSAEACCES 10013. On Windows: x.",
                   buf, sizeof buf),
               "A bind to tcp 0.0.0.0:80 would fail. A process was denied port 80 with WSAEACCES 10013. On "
               "Windows: x.");
  /* IPv6 in brackets. */
  f.attempt.local.family = PC_AF_INET6;
  memset(f.attempt.local.bytes, 0, sizeof f.attempt.local.bytes);
  PC_CHECK_STR(pc_explain_phrase_hypothetical(&f, "The process (PID unknown) cannot bind tcp [::]:80: taken.",
                                              buf, sizeof buf),
               "A bind to tcp [::]:80 would fail: taken.");
  /* Other texts are left as they are (the same pointer). */
  const char *free_text = "tcp 0.0.0.0:80 is free: a bind would succeed now.";
  PC_CHECK(pc_explain_phrase_hypothetical(&f, free_text, buf, sizeof buf) == free_text);
  const char *named = "nginx.exe (PID 5) cannot bind tcp 0.0.0.0:80: taken.";
  PC_CHECK(pc_explain_phrase_hypothetical(&f, named, buf, sizeof buf) == named);
}

/* Host state finds the socket but not its process (a netstat row with PID 0: TIME_WAIT rows
 * on Windows, Wine's own listeners): the holder the event stream showed names the owner when
 * that process exists. */
typedef struct owner_seen {
  bool known;
  uint32_t pid;
  char rule[32];
} owner_seen;

static void keep_owner(void *ud, const pc_finding *f) {
  owner_seen *s = ud;
  s->known = f->owner_pid_known;
  s->pid = f->owner_pid;
  snprintf(s->rule, sizeof s->rule, "%s", f->rule_id ? f->rule_id : "");
}

PC_TEST(stream_holder_names_an_owner_host_state_found_without_a_pid) {
  const char *ns = "test-explain-netstat-pid0.txt", *tl = "test-explain-tasklist.csv";
  FILE *f = fopen(ns, "wb");
  PC_CHECK(f != NULL);
  if (!f) return;
  fputs(
      "\nActive Connections\n\n  Proto  Local Address          Foreign Address        State           PID\n"
      "  TCP    127.0.0.1:9000         0.0.0.0:0              LISTENING       0\n",
      f);
  fclose(f);
  f = fopen(tl, "wb");
  PC_CHECK(f != NULL);
  if (!f) return;
  fputs("\"holder.exe\",\"6400\",\"Console\",\"1\",\"1,000 K\"\n", f);
  fclose(f);
  pc_hoststate_offline_files files;
  memset(&files, 0, sizeof files);
  files.netstat[files.n_netstat++] = ns;
  files.tasklist[files.n_tasklist++] = tl;
  pc_hoststate *hs = NULL;
  char err[PC_HOSTSTATE_ERR_MAX];
  PC_CHECK_INT(pc_hoststate_open_offline(&files, &hs, err, sizeof err), PC_OK);
  pc_ruleset *rs = defaults();
  PC_CHECK(rs != NULL);
  owner_seen s;
  memset(&s, 0, sizeof s);
  pc_explainer_options eo = {.rules = rs, .hoststate = hs, .os = "windows", .source = "fixture"};
  pc_explainer *ex = NULL;
  if (hs && rs) PC_CHECK_INT(pc_explainer_new(&eo, keep_owner, &s, &ex), PC_OK);
  if (ex) {
    pc_bind_attempt a;
    memset(&a, 0, sizeof a);
    a.failed = true;
    a.pid_known = true;
    a.pid = 4242;
    a.proto = PC_PROTO_TCP;
    a.addr_known = true;
    PC_CHECK_INT(pc_addr_parse_ip("127.0.0.1", &a.local), PC_OK);
    a.local.port = 9000;
    a.error_known = true;
    a.error = 10048;
    a.holder_known = a.holder_pid_known = true;
    a.holder_pid = 6400;
    a.holder_addr = a.local;
    pc_explainer_attempt(ex, &a);
    PC_CHECK(s.known);
    PC_CHECK_UINT(s.pid, 6400);
    PC_CHECK_STR(s.rule, "C12");
  }
  pc_explainer_free(ex);
  pc_ruleset_free(rs);
  pc_hoststate_close(hs);
  remove(ns);
  remove(tl);
}
