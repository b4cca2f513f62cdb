/* risk.c - port_at_risk facts → rules → the public finding (pc_explain.h).
 *
 * The counterpart of explain.c for warnings: the same rules engine and the same finding
 * contract (pc_finding.h), with the keys mapped as pc_watch.h says: pid/process are the
 * process that used the port before, owner_* the new holder or the reserving process. */
#include <stdio.h>
#include <string.h>

#include "finding_fill.h"
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
  char address[PC_ADDR_TEXT_MAX];
  pc_finding f;
  pc__finding_fill(&f, facts, &r->result, address);
  f.ts = ts;
  f.ts_last = ts;
  f.host = r->host;
  f.os = r->os ? r->os : os_name(facts->os);
  f.event = "port_at_risk";
  f.source = r->source;
  r->emit(r->ud, &f);
  return PC_OK;
}
