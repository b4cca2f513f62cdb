/* pc_explain.h - turn a failed bind attempt into a finding: add host state, run the rules,
 * fill the public finding (DESIGN.md JSON keys).
 *
 * One explainer per pipeline thread (it owns the per-thread rule scratch). Findings are
 * handed to the callback and are valid only during the call. */
#ifndef PC_EXPLAINER_H
#define PC_EXPLAINER_H

#include <stdint.h>

#include "pc_attempt.h"
#include "pc_finding.h"
#include "pc_hoststate.h"
#include "pc_rules.h"

typedef struct pc_explainer_options {
  const pc_ruleset *rules; /* required; must outlive the explainer */
  pc_hoststate *hoststate; /* optional (NULL = no enrichment); must outlive the explainer */
  const char *host;        /* "host" of every finding; NULL = this machine's name */
  const char *os;          /* "windows", "linux", or NULL (unknown) */
  uint32_t os_build;       /* Windows build, 0 unknown */
  const char *source;      /* "etl", "fixture", "etw", "ebpf" */
} pc_explainer_options;

typedef void (*pc_finding_fn)(void *ud, const pc_finding *f);

typedef struct pc_explainer pc_explainer;

int pc_explainer_new(const pc_explainer_options *o, pc_finding_fn emit, void *ud, pc_explainer **out);

/* Explains a (failed) attempt and emits one finding. Successful attempts are ignored. */
void pc_explainer_attempt(pc_explainer *e, const pc_bind_attempt *a);

/* Counters for the summary. */
typedef struct pc_explainer_stats {
  uint64_t explained;
  uint64_t fallback;     /* explained by a built-in fallback rule only */
  uint64_t limit_errors; /* regex match limits hit (a catastrophic pattern in some rule) */
} pc_explainer_stats;
void pc_explainer_get_stats(const pc_explainer *e, pc_explainer_stats *out);

void pc_explainer_free(pc_explainer *e);

/* ---- port_at_risk warnings (risk.c), for the watch list ----
 * Evaluates the rules over port_at_risk facts and fills the public finding, as the explainer
 * does for bind failures. */
typedef struct pc_risk_emitter {
  const pc_ruleset *rules;
  pc_rule_result result;
  char host[256];
  const char *os;     /* may be NULL */
  const char *source; /* may be NULL */
  pc_finding_fn emit;
  void *ud;
} pc_risk_emitter;

void pc_risk_emitter_init(pc_risk_emitter *r, const pc_ruleset *rules, const char *host, const char *os,
                          const char *source, pc_finding_fn emit, void *ud);
void pc_risk_emitter_free(pc_risk_emitter *r);

/* Explains facts (event_kind must be PC_FACTS_PORT_AT_RISK) and emits one finding at ts.
 * Returns PC_OK or the rules' error (nothing emitted). */
int pc_risk_emit(pc_risk_emitter *r, const pc_facts *facts, pc_time ts);

#endif
