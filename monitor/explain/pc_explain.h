/* pc_explain.h - the one explanation path: facts -> rules -> the public finding (DESIGN.md
 * JSON keys), for failed binds (pc_explainer_attempt), binds nobody made (`portclash
 * explain`, pc_explainer_hypothetical) and port-at-risk warnings (pc_risk_emit). Every
 * verdict comes from the rules; this library only gathers facts and fills findings.
 *
 * One explainer per pipeline thread (it owns the per-thread rule scratch). Findings are
 * handed to the callback and are valid only during the call. */
#ifndef PC_EXPLAINER_H
#define PC_EXPLAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_attempt.h"
#include "pc_finding.h"
#include "pc_hoststate.h"
#include "pc_rules.h"

typedef struct pc_explainer_options {
  const pc_ruleset *rules; /* required; must outlive the explainer */
  pc_hoststate *hoststate; /* optional (NULL = no enrichment); must outlive the explainer */
  const char *host;        /* "host" of every finding; NULL = this machine's name, "" = unknown */
  const char *os;          /* "windows", "linux", or NULL (unknown) */
  uint32_t os_build;       /* Windows build, 0 unknown */
  const char *source;      /* "etl", "fixture", "etw", "ebpf" */
} pc_explainer_options;

typedef void (*pc_finding_fn)(void *ud, const pc_finding *f);

typedef struct pc_explainer pc_explainer;

int pc_explainer_new(const pc_explainer_options *o, pc_finding_fn emit, void *ud, pc_explainer **out);

/* Explains a (failed) attempt and emits one finding. Successful attempts are ignored. */
void pc_explainer_attempt(pc_explainer *e, const pc_bind_attempt *a);

/* ---- `portclash explain PORT`: a bind nobody made ----
 * The outcome of a test bind made now on this machine. */
typedef struct pc_explain_test {
  int error;      /* 0: the bind (and listen) succeeded; else errno (Linux) or WSA code (Windows) */
  bool at_listen; /* the error came from listen(), not bind() */
} pc_explain_test;

/* Explains a bind nobody made, exactly as a failed one: facts->attempt holds the protocol,
 * the local address and port (addr_known) and ts_first (PC_TIME_UNKNOWN offline), and no
 * process. Enriches facts from the explainer's host state, marks them hypothetical, takes
 * the error from test (NULL: no test bind; then the error the host state makes certain, see
 * rules/FORMAT.md), runs the rules and emits one finding with event "explain" whose
 * explanation is phrased for a bind that would be made (pc_explain_phrase_hypothetical).
 * A port nothing blocks gets the rules' answer for it too (FALLBACK-FREE). facts keeps the
 * enriched facts for the caller. Returns PC_OK; the rules' error (nothing emitted); or the
 * host state's error (the finding was emitted with what was known). */
int pc_explainer_hypothetical(pc_explainer *e, pc_facts *facts, const pc_explain_test *test);

/* A rule's explanation for a hypothetical bind: when text starts with the unknown failing
 * process ("The process (PID unknown) cannot bind tcp 0.0.0.0:80: REASON"), the opening up
 * to the first ": " of its first sentence becomes "A bind to tcp 0.0.0.0:80 would fail: ",
 * or, without one, "A bind to tcp 0.0.0.0:80 would fail. " leads and the subject becomes
 * "A process". Returns text itself when it does not start so, else buf (cut to cap). */
const char *pc_explain_phrase_hypothetical(const pc_facts *facts, const char *text, char *buf, size_t cap);

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
