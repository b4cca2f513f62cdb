#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt_text.h"
#include "pc_errnames.h"
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
static void apply_holder(pc_hoststate *hs, pc_facts *f, const pc_bind_attempt *a) {
  if (!a->holder_known) return;
  if (!f->owner_known) {
    f->owner_known = true;
    f->owner_pid = 0;
    f->owner_addr = a->holder_addr;
    pc_process_info pi;
    if (hs && a->holder_pid_known && pc_hoststate_process(hs, a->holder_pid, &pi) == PC_OK) {
      f->owner_pid = a->holder_pid;
      snprintf(f->owner_name, sizeof f->owner_name, "%s", pi.name);
      snprintf(f->owner_path, sizeof f->owner_path, "%s", pi.path);
      snprintf(f->owner_user, sizeof f->owner_user, "%s", pi.user);
      snprintf(f->owner_service, sizeof f->owner_service, "%s", pi.service);
    }
  } else if (a->holder_pid_known && f->owner_pid && f->owner_pid != a->holder_pid) {
    return; /* host state names another process: the stream's holder has gone */
  }
  uint32_t add = a->holder_sockopts_known & ~f->owner_sockopts_known;
  f->owner_sockopts = (f->owner_sockopts & ~add) | (a->holder_sockopts & add);
  f->owner_sockopts_known |= add;
}

void pc_explainer_attempt(pc_explainer *e, const pc_bind_attempt *a) {
  if (!a->failed) return;
  pc_facts facts;
  pc_rules_facts_init(&facts);
  facts.attempt = *a;
  facts.os = os_id(e->o.os);
  facts.os_build = e->o.os_build;
  facts.repeat_count = 1;
  if (a->comm[0]) snprintf(facts.process_name, sizeof facts.process_name, "%s", a->comm);
  /* Host state is best effort: a failed lookup leaves the facts unknown, never drops the
   * finding. */
  if (e->o.hoststate) (void)pc_hoststate_enrich(e->o.hoststate, &facts);
  apply_holder(e->o.hoststate, &facts, a);
  if (pc_rules_eval(e->o.rules, &facts, &e->result) != PC_OK) return;
  const pc_rule_result *r = &e->result;

  char address[PC_ADDR_TEXT_MAX];
  bool addr_known = a->addr_known && pc_addr_format_ip(&a->local, address, sizeof address) > 0;
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = a->ts_first;
  f.ts_last = a->ts_first;
  f.host = e->host;
  f.os = e->o.os;
  f.event = "bind_failure";
  f.error_known = a->error_known && a->error != 0;
  f.error = a->error;
  f.error_name = f.error_known ? (a->error_is_errno ? pc_errno_name(a->error) : pc_wsa_name(a->error)) : NULL;
  f.proto = a->proto == PC_PROTO_TCP ? "tcp" : a->proto == PC_PROTO_UDP ? "udp" : NULL;
  f.address = addr_known ? address : NULL;
  f.port_known = a->addr_known;
  f.port = a->local.port;
  f.pid_known = a->pid_known;
  f.pid = a->pid;
  f.process = facts.process_name[0] ? facts.process_name : NULL;
  f.owner_pid_known = facts.owner_known && facts.owner_pid != 0;
  f.owner_pid = facts.owner_pid;
  f.owner_process = facts.owner_known && facts.owner_name[0] ? facts.owner_name : NULL;
  f.rule_id = r->rule_id;
  f.severity = r->severity;
  f.explanation = r->explanation;
  f.fixes = r->fixes;
  f.fix_count = r->fix_count;
  f.count = 1;
  f.source = e->o.source;
  e->stats.explained++;
  if (r->fallback) e->stats.fallback++;
  e->emit(e->ud, &f);
}
