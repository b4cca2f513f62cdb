/* finding_fill.h - private to pc_explain: the one mapping from explained facts to the public
 * finding, shared by bind failures and explain (explain.c) and port-at-risk warnings
 * (risk.c). */
#ifndef PC_EXPLAIN_FINDING_FILL_H
#define PC_EXPLAIN_FINDING_FILL_H

#include "pc_addr.h"
#include "pc_facts.h"
#include "pc_finding.h"
#include "pc_rules.h"

/* Fills every key of f that comes from the facts and the rule result: error, proto,
 * address (text in address, which must outlive f), port, pid and process (the failing
 * process; for port_at_risk the process that used the port before), owner, rule, severity,
 * explanation, fixes, and count 1. The caller sets ts, ts_last, host, os, event and source;
 * they are left zero. f borrows from facts and r. */
void pc__finding_fill(pc_finding *f, const pc_facts *facts, const pc_rule_result *r,
                      char address[PC_ADDR_TEXT_MAX]);

#endif
