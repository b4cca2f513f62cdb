/* explain.c - bind failures and `portclash explain` (a bind nobody made): facts -> rules ->
 * the public finding (pc_explain.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding_fill.h"
#include "pc_error.h"
#include "pc_explain.h"
#include "pc_os.h"

struct pc_explainer {
  pc_explainer_options o;
  char host[256];
  pc_finding_fn emit;
  void *ud;
  pc_rule_result result;
  pc_explainer_stats stats;
  char phrased[PC_RULES_TEXT_MAX]; /* a hypothetical bind's explanation */
};

int pc_explainer_new(const pc_explainer_options *o, pc_finding_fn emit, void *ud, pc_explainer **out) {
  *out = NULL;
  if (!o || !o->rules || !emit) return PC_EINVAL;
  pc_explainer *e = calloc(1, sizeof *e);
  if (!e) return PC_ENOMEM;
  e->o = *o;
  if (o->host)
    snprintf(e->host, sizeof e->host, "%s", o->host);
  else
    pc_host_name(e->host, sizeof e->host);
  e->emit = emit;
  e->ud = ud;
  pc_rule_result_init(&e->result);
  *out = e;
  return PC_OK;
}

void pc_explainer_free(pc_explainer *e) {
  if (!e) return;
  pc_rule_result_free(&e->result);
  free(e);
}

void pc_explainer_get_stats(const pc_explainer *e, pc_explainer_stats *out) {
  *out = e->stats;
  out->limit_errors = e->result.limit_errors;
}

static uint8_t os_id(const char *os) {
  if (!os) return PC_OS_UNKNOWN;
  if (strcmp(os, "windows") == 0) return PC_OS_WINDOWS;
  if (strcmp(os, "linux") == 0) return PC_OS_LINUX;
  return PC_OS_UNKNOWN;
}

/* The holder the event stream showed (a successful bind not yet closed) fills what host
 * state does not know: the owner itself when no table names one (a bound TCP socket that
 * does not listen is in no table), and the owner's socket options, which no Windows table
 * carries, when it is the same process or no process is named. The holder's PID becomes the
 * owner's only when host state confirms that process exists: a PID the stream saw minutes
 * ago may be gone, and an owner PID without a process reads as an orphaned socket. */
/* The stream's holder as the owner's process, when host state confirms it exists. */
static void holder_process(pc_hoststate *hs, pc_facts *f, const pc_bind_attempt *a) {
  pc_process_info pi;
  if (hs && a->holder_pid_known && pc_hoststate_process(hs, a->holder_pid, &pi) == PC_OK) {
    f->owner_pid = a->holder_pid;
    snprintf(f->owner_name, sizeof f->owner_name, "%s", pi.name);
    snprintf(f->owner_path, sizeof f->owner_path, "%s", pi.path);
    snprintf(f->owner_user, sizeof f->owner_user, "%s", pi.user);
    snprintf(f->owner_service, sizeof f->owner_service, "%s", pi.service);
  }
}

static void apply_holder(pc_hoststate *hs, pc_facts *f, const pc_bind_attempt *a) {
  if (!a->holder_known) return;
  if (!f->owner_known) {
    f->owner_known = true;
    f->owner_pid = 0;
    f->owner_addr = a->holder_addr;
    holder_process(hs, f, a);
  } else if (a->holder_pid_known && f->owner_pid && f->owner_pid != a->holder_pid) {
    return; /* host state names another process: the stream's holder has gone */
  } else if (!f->owner_pid) {
    /* A table row without its process (PID 0: Windows TIME_WAIT rows, Wine's own listeners,
     * another user's socket on Linux): the stream's holder names it. */
    holder_process(hs, f, a);
  }
  uint32_t add = a->holder_sockopts_known & ~f->owner_sockopts_known;
  f->owner_sockopts = (f->owner_sockopts & ~add) | (a->holder_sockopts & add);
  f->owner_sockopts_known |= add;
}

/* Runs the rules over facts and emits the finding (event: "bind_failure" or "explain"). */
static int explain_facts(pc_explainer *e, const pc_facts *facts, const char *event) {
  int rc = pc_rules_eval(e->o.rules, facts, &e->result);
  if (rc != PC_OK) return rc;
  char address[PC_ADDR_TEXT_MAX];
  pc_finding f;
  pc__finding_fill(&f, facts, &e->result, address);
  f.ts = facts->attempt.ts_first;
  f.ts_last = facts->attempt.ts_first;
  /* An attempt that stands for identical failures counted before it reached us (the eBPF
   * program's per-key window) is that many failures, up to the last of them. */
  if (facts->attempt.repeats > 1) {
    f.count = facts->attempt.repeats;
    if (facts->attempt.ts_last != PC_TIME_UNKNOWN) f.ts_last = facts->attempt.ts_last;
  }
  f.host = e->host[0] ? e->host : NULL;
  f.os = e->o.os;
  f.event = event;
  f.source = e->o.source;
  if (facts->hypothetical)
    f.explanation = pc_explain_phrase_hypothetical(facts, f.explanation, e->phrased, sizeof e->phrased);
  e->stats.explained++;
  if (e->result.fallback) e->stats.fallback++;
  e->emit(e->ud, &f);
  return PC_OK;
}

void pc_explainer_attempt(pc_explainer *e, const pc_bind_attempt *a) {
  if (!a->failed) return;
  pc_facts facts;
  pc_rules_facts_init(&facts);
  facts.attempt = *a;
  facts.os = os_id(e->o.os);
  facts.os_build = e->o.os_build;
  facts.repeat_count = a->repeats > 1 ? a->repeats : 1;
  if (a->comm[0]) snprintf(facts.process_name, sizeof facts.process_name, "%s", a->comm);
  /* Host state is best effort: a failed lookup leaves the facts unknown, never drops the
   * finding. */
  if (e->o.hoststate) (void)pc_hoststate_enrich(e->o.hoststate, &facts);
  apply_holder(e->o.hoststate, &facts, a);
  (void)explain_facts(e, &facts, "bind_failure");
}

/* Linux errno values as the rules know them (pc_errno_name), whatever the build's errno.h. */
#define LINUX_EADDRINUSE 98u
#define WSAEACCES_CODE 10013u
#define WSAEADDRINUSE_CODE 10048u

int pc_explainer_hypothetical(pc_explainer *e, pc_facts *facts, const pc_explain_test *test) {
  pc_bind_attempt *a = &facts->attempt;
  facts->hypothetical = true;
  facts->event_kind = PC_FACTS_BIND_FAILURE;
  facts->repeat_count = 1;
  if (!facts->os) facts->os = os_id(e->o.os);
  if (!facts->os_build) facts->os_build = e->o.os_build;
  int hrc = e->o.hoststate ? pc_hoststate_enrich(e->o.hoststate, facts) : PC_OK;
  bool windows = facts->os == PC_OS_WINDOWS;
  a->failed = false;
  a->error_known = false;
  a->error = 0;
  if (test) {
    /* The test bind is the answer; the rules explain its error. */
    if (test->error != 0) {
      a->failed = true;
      a->error_known = true;
      a->error = (uint32_t)test->error;
      a->error_is_errno = !windows;
      a->stage = test->at_listen ? PC_STAGE_LISTEN : PC_STAGE_BIND;
    }
  } else if (facts->excluded && windows) {
    /* Windows refuses every bind inside an excluded range, whoever holds the port; Linux
     * reserved ports only keep the kernel from choosing them. */
    a->failed = a->error_known = true;
    a->error = WSAEACCES_CODE;
    a->error_is_errno = false;
  } else if (facts->owner_known) {
    a->failed = a->error_known = true;
    a->error = windows ? WSAEADDRINUSE_CODE : LINUX_EADDRINUSE;
    a->error_is_errno = !windows;
  }
  int rc = explain_facts(e, facts, "explain");
  return rc != PC_OK ? rc : hrc;
}

/* The unknown failing process a rule's explanation starts with ("{process|The process}
 * (PID {pid}, ...)"): returns the length of that subject, 0 when the text starts otherwise. */
static size_t unknown_subject(const char *text) {
  static const char *const starts[] = {"The process (PID unknown", "A process (PID unknown"};
  for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
    size_t n = strlen(starts[i]);
    if (strncmp(text, starts[i], n) != 0) continue;
    const char *close = strchr(text + n, ')');
    return close ? (size_t)(close + 1 - text) : 0;
  }
  return 0;
}

const char *pc_explain_phrase_hypothetical(const pc_facts *facts, const char *text, char *buf, size_t cap) {
  if (!text || cap == 0) return text;
  size_t subject = unknown_subject(text);
  if (!subject) return text;
  const pc_bind_attempt *a = &facts->attempt;
  char ip[PC_ADDR_TEXT_MAX] = "";
  if (a->addr_known) pc_addr_format_ip(&a->local, ip, sizeof ip);
  const char *proto = a->proto == PC_PROTO_TCP ? "tcp " : a->proto == PC_PROTO_UDP ? "udp " : "";
  char lead[PC_ADDR_TEXT_MAX + 64];
  if (a->local.family == PC_AF_INET6)
    snprintf(lead, sizeof lead, "A bind to %s[%s]:%u would fail", proto, ip, (unsigned)a->local.port);
  else
    snprintf(lead, sizeof lead, "A bind to %s%s:%u would fail", proto, ip[0] ? ip : "*",
             (unsigned)a->local.port);
  /* "… cannot bind tcp 0.0.0.0:80: REASON" -> "A bind to tcp 0.0.0.0:80 would fail: REASON". */
  const char *rest = text + subject;
  const char *colon = strstr(rest, ": ");
  const char *sentence_end = strstr(rest, ". ");
  if (colon && (!sentence_end || colon < sentence_end))
    snprintf(buf, cap, "%s: %s", lead, colon + 2);
  else
    snprintf(buf, cap, "%s. A process%s", lead, rest);
  return buf;
}
