/* risk.c - port_at_risk facts → rules → the public finding (pc_explain.h).
 *
 * The counterpart of explain.c for warnings: the same rules engine and the same finding
 * contract (pc_finding.h), with the keys mapped as pc_watch.h says: pid/process are the
 * process that used the port before, owner_* the new holder or the reserving process. */
#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_explain.h"
#include "pc_os.h"

void pc_risk_emitter_init(pc_risk_emitter *r, const pc_ruleset *rules, const char *host, const char *os,
                          const char *source, pc_finding_fn emit, void *ud) {
  memset(r, 0, sizeof *r);
  r->rules = rules;
  if (host)
    snprintf(r->host, sizeof r->host, "%s", host);
  else
    pc_host_name(r->host, sizeof r->host);
  r->os = os;
  r->source = source;
  r->emit = emit;
  r->ud = ud;
  pc_rule_result_init(&r->result);
}

void pc_risk_emitter_free(pc_risk_emitter *r) {
  if (r) pc_rule_result_free(&r->result);
}

static const char *os_name(uint8_t os) {
  return os == PC_OS_WINDOWS ? "windows" : os == PC_OS_LINUX ? "linux" : NULL;
}

int pc_risk_emit(pc_risk_emitter *r, const pc_facts *facts, pc_time ts) {
  int rc = pc_rules_eval(r->rules, facts, &r->result);
  if (rc != PC_OK) return rc;
  const pc_rule_result *res = &r->result;
  const pc_bind_attempt *a = &facts->attempt;

  char address[PC_ADDR_TEXT_MAX];
  bool addr_known = a->addr_known && (a->local.family == PC_AF_INET || a->local.family == PC_AF_INET6) &&
                    pc_addr_format_ip(&a->local, address, sizeof address) > 0;
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = ts;
  f.ts_last = ts;
  f.host = r->host;
  f.os = r->os ? r->os : os_name(facts->os);
  f.event = "port_at_risk";
  f.proto = a->proto == PC_PROTO_TCP ? "tcp" : a->proto == PC_PROTO_UDP ? "udp" : NULL;
  f.address = addr_known ? address : NULL;
  f.port_known = a->addr_known;
  f.port = a->local.port;
  f.pid_known = facts->previous_known && facts->previous_pid != 0;
  f.pid = facts->previous_pid;
  f.process = facts->previous_known && facts->previous_process[0] ? facts->previous_process : NULL;
  f.owner_pid_known = facts->owner_known && facts->owner_pid != 0;
  f.owner_pid = facts->owner_pid;
  f.owner_process = facts->owner_known && facts->owner_name[0] ? facts->owner_name : NULL;
  f.rule_id = res->rule_id;
  f.severity = res->severity;
  f.explanation = res->explanation;
  f.fixes = res->fixes;
  f.fix_count = res->fix_count;
  f.count = 1;
  f.source = r->source;
  r->emit(r->ud, &f);
  return PC_OK;
}
