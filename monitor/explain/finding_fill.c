/* finding_fill.c - explained facts -> the public finding (finding_fill.h). */
#include <string.h>

#include "finding_fill.h"
#include "pc_errnames.h"

void pc__finding_fill(pc_finding *f, const pc_facts *facts, const pc_rule_result *r,
                      char address[PC_ADDR_TEXT_MAX]) {
  const pc_bind_attempt *a = &facts->attempt;
  memset(f, 0, sizeof *f);
  /* A warning is not a failure: no error, whatever the attempt part holds. */
  f->error_known = a->error_known && a->error != 0 && facts->event_kind != PC_FACTS_PORT_AT_RISK;
  f->error = a->error;
  f->error_name =
      f->error_known ? (a->error_is_errno ? pc_errno_name(a->error) : pc_wsa_name(a->error)) : NULL;
  f->proto = a->proto == PC_PROTO_TCP ? "tcp" : a->proto == PC_PROTO_UDP ? "udp" : NULL;
  bool addr_known = a->addr_known && (a->local.family == PC_AF_INET || a->local.family == PC_AF_INET6) &&
                    pc_addr_format_ip(&a->local, address, PC_ADDR_TEXT_MAX) > 0;
  f->address = addr_known ? address : NULL;
  f->port_known = a->addr_known;
  f->port = a->local.port;
  if (facts->event_kind == PC_FACTS_PORT_AT_RISK) {
    f->pid_known = facts->previous_known && facts->previous_pid != 0;
    f->pid = facts->previous_pid;
    f->process = facts->previous_known && facts->previous_process[0] ? facts->previous_process : NULL;
  } else {
    f->pid_known = a->pid_known;
    f->pid = a->pid;
    f->process = facts->process_name[0] ? facts->process_name : NULL;
  }
  f->owner_pid_known = facts->owner_known && facts->owner_pid != 0;
  f->owner_pid = facts->owner_pid;
  f->owner_process = facts->owner_known && facts->owner_name[0] ? facts->owner_name : NULL;
  f->rule_id = r->rule_id;
  f->severity = r->severity;
  f->explanation = r->explanation;
  f->fixes = r->fixes;
  f->fix_count = r->fix_count;
  f->count = 1;
}
