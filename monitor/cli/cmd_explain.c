/* portclash explain PORT: why can't I bind this port right now?
 *
 * Builds the facts of a hypothetical bind (no failing process), enriches them from the host
 * state, tries a real bind when looking at this machine, and renders what blocks the port.
 * explain_render() is where the rule engine will take over the verdict. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pc_errnames.h"
#include "pc_error.h"
#include "pc_format.h"
#include "pc_hoststate.h"
#include "options.h"
#include "run.h"

#define OWNERS_SHOWN 8

/* ---- helpers shared with cmd_ranges.c ----------------------------------------------------- */

int pc__cmd_open_hoststate(const char *cmd, const pc_hoststate_offline_files *files, pc_hoststate **out,
                           FILE *errout) {
  char err[PC_HOSTSTATE_ERR_MAX] = "";
  int rc = pc_hoststate_offline_empty(files) ? pc_hoststate_open_live(out, err, sizeof err)
                                             : pc_hoststate_open_offline(files, out, err, sizeof err);
  if (rc == PC_OK) return PC_EXIT_OK;
  fprintf(errout, "portclash %s: %s\n", cmd, err[0] ? err : pc_strerror(rc));
  switch (rc) {
    case PC_EPARSE:
    case PC_ELIMIT:
    case PC_ENOENT:
    case PC_ENOTSUP:
      return PC_EXIT_USAGE;
    case PC_EPRIV:
      return PC_EXIT_PRIVILEGE;
    default:
      return PC_EXIT_FAILURE;
  }
}

void pc__print_process(FILE *out, uint32_t pid, const pc_process_info *p) {
  if (pid == 0 && !p->name[0]) {
    fputs("an unknown process", out);
    return;
  }
  fprintf(out, "%s (pid %u", p->name[0] ? p->name : "?", (unsigned)pid);
  if (p->service[0]) fprintf(out, ", service %s", p->service);
  if (p->user[0]) fprintf(out, ", user %s", p->user);
  fputc(')', out);
}

/* ---- explain ------------------------------------------------------------------------------ */

typedef struct test_result {
  bool done;
  int error; /* 0 = success */
  const char *stage;
} test_result;

/* What explain knows besides the facts: the test binds and every socket on the port. */
typedef struct explain_extra {
  const char *backend;
  bool live;
  test_result plain, reuse;
  pc_owner conflicting[OWNERS_SHOWN];
  size_t n_conflicting;
  size_t n_all; /* sockets on the port, conflicting or not */
} explain_extra;

/* The test bind runs on this machine: its error is an errno on Linux and a WSA code on
 * Windows (the host state's OS says which); 0 is a successful bind. */
static bool windows_errors;

static const char *errno_name(int e) {
  if (e == 0) return "OK";
  const char *n = e <= 0 ? NULL : windows_errors ? pc_wsa_name((uint32_t)e) : pc_errno_name((uint32_t)e);
  return n ? n : "error";
}

/* The C library's text for an errno; WSA codes have none there, so their name stands in. */
static const char *error_text(int e) {
  return windows_errors ? errno_name(e) : strerror(e);
}

static const char *match_name(uint8_t m) {
  switch (m) {
    case PC_OWNER_MATCH_EXACT:
      return "same address";
    case PC_OWNER_MATCH_WILDCARD:
      return "wildcard vs specific address";
    case PC_OWNER_MATCH_DUALSTACK:
      return "dual-stack [::] vs IPv4 (conflicts unless IPV6_V6ONLY)";
    default:
      return "";
  }
}

static void format_endpoint(const pc_addr *a, char *buf, size_t cap) {
  char ip[PC_ADDR_TEXT_MAX];
  pc_addr_format_ip(a, ip, sizeof ip);
  if (a->family == PC_AF_INET6)
    snprintf(buf, cap, "[%s]:%u", ip, a->port);
  else
    snprintf(buf, cap, "%s:%u", ip, a->port);
}

/* The verdict before the rule engine exists: the strongest blocking fact, in the order a
 * bind checks them. Returns a sentence into buf. */
static void verdict(const pc_facts *f, const explain_extra *x, char *buf, size_t cap) {
  const pc_bind_attempt *a = &f->attempt;
  const char *proto = pc_proto_name(a->proto);
  unsigned port = a->local.port;
  if (x->plain.done && x->plain.error == 0) {
    snprintf(buf, cap, "%u/%s is free: a bind succeeds now.", port, proto);
    return;
  }
  if (x->plain.done && (x->plain.error == EACCES || x->plain.error == EPERM) && f->unprivileged_start_known &&
      port < f->unprivileged_start) {
    snprintf(buf, cap,
             "%u/%s is a privileged port (below ip_unprivileged_port_start %u): run as root, grant "
             "CAP_NET_BIND_SERVICE, or lower net.ipv4.ip_unprivileged_port_start.",
             port, proto, f->unprivileged_start);
    return;
  }
  /* On Windows an excluded range refuses every bind (WSAEACCES) whoever holds a port; on Linux
   * reserved ports only keep the kernel from choosing them. */
  if (f->excluded && f->os == PC_OS_WINDOWS) {
    snprintf(buf, cap,
             "%u/%s is inside the excluded port range %u-%u%s: binds there fail with WSAEACCES 10013.", port,
             proto, f->excluded_start, f->excluded_end,
             f->excluded_administered ? " (administered: added on purpose by an administrator)"
                                      : " (reserved by the system, e.g. WinNAT/Hyper-V)");
    return;
  }
  if (f->owner_known) {
    char ep[PC_ADDR_TEXT_MAX + 8];
    format_endpoint(&f->owner_addr, ep, sizeof ep);
    int n;
    if (f->owner_pid == 0)
      n = snprintf(buf, cap,
                   "%u/%s is held by a socket (%s on %s) whose process is not visible here (another user's "
                   "process without root, or another PID namespace).",
                   port, proto, pc_owner_state_name(f->owner_state), ep);
    else
      n = snprintf(buf, cap, "%u/%s is held by %s%s (pid %u), %s on %s.", port, proto,
                   f->owner_name[0] ? f->owner_name : "an unknown process",
                   f->owner_kernel ? " (kernel)" : "", (unsigned)f->owner_pid,
                   pc_owner_state_name(f->owner_state), ep);
    if (n > 0 && (size_t)n < cap && f->owner_state == PC_OWNER_STATE_TIME_WAIT)
      snprintf(buf + n, cap - (size_t)n, " Only TIME_WAIT: SO_REUSEADDR lets a server bind anyway.");
    return;
  }
  if (x->plain.done && x->plain.error == EADDRINUSE) {
    if (x->reuse.done && x->reuse.error == 0)
      snprintf(buf, cap,
               "%u/%s is busy only for binds without SO_REUSEADDR (connections or TIME_WAIT on the port).",
               port, proto);
    else
      snprintf(
          buf, cap,
          "%u/%s is in use, but its owner is not visible here (a socket that is bound but not listening, "
          "another user's process without root, or another network namespace).",
          port, proto);
    return;
  }
  if (x->plain.done) {
    snprintf(buf, cap, "a bind to %u/%s fails with %s (%s) at %s().", port, proto, errno_name(x->plain.error),
             error_text(x->plain.error), x->plain.stage);
    return;
  }
  snprintf(buf, cap, "no conflict for %u/%s found in the %s host state.", port, proto,
           x->live ? "live" : "given");
}

static void render_text(const pc_facts *f, const explain_extra *x, FILE *out) {
  const pc_bind_attempt *a = &f->attempt;
  char ep[PC_ADDR_TEXT_MAX + 8];
  format_endpoint(&a->local, ep, sizeof ep);
  if (x->live)
    fprintf(out, "%s/%s (host state: this machine, %s)\n", ep, pc_proto_name(a->proto), x->backend);
  else
    fprintf(out, "%s/%s (host state: the given files)\n", ep, pc_proto_name(a->proto));
  const test_result *tests[2] = {&x->plain, &x->reuse};
  const char *labels[2] = {"test bind", "with SO_REUSEADDR"};
  for (int i = 0; i < 2; i++) {
    if (!tests[i]->done) continue;
    if (tests[i]->error == 0)
      fprintf(out, "  %-17s ok\n", labels[i]);
    else
      fprintf(out, "  %-17s failed at %s(): %s (%s)\n", labels[i], tests[i]->stage,
              errno_name(tests[i]->error), error_text(tests[i]->error));
  }
  if (x->n_conflicting == 0) {
    fprintf(out, "  %-17s %s\n", "held by", "nobody found");
  }
  for (size_t i = 0; i < x->n_conflicting && i < OWNERS_SHOWN; i++) {
    const pc_owner *o = &x->conflicting[i];
    char oep[PC_ADDR_TEXT_MAX + 8];
    format_endpoint(&o->local, oep, sizeof oep);
    fprintf(out, "  %-17s ", i == 0 ? "held by" : "");
    pc__print_process(out, o->pid, &o->process);
    fprintf(out, "%s, %s on %s", o->kernel ? " [kernel]" : "", pc_owner_state_name(o->state), oep);
    if (o->match != PC_OWNER_MATCH_ANY) fprintf(out, " [%s]", match_name(o->match));
    fputc('\n', out);
    if (o->process.path[0]) fprintf(out, "  %-17s   %s\n", "", o->process.path);
  }
  if (x->n_all > x->n_conflicting)
    fprintf(out, "  %-17s %zu other socket(s) on the port do not conflict with this address\n", "",
            x->n_all - x->n_conflicting);
  if (f->excluded)
    fprintf(out, "  %-17s %u-%u%s%s\n", "excluded range", f->excluded_start, f->excluded_end,
            f->excluded_administered ? " (administered)" : "",
            f->os == PC_OS_LINUX ? " [ip_local_reserved_ports: not picked automatically; explicit binds work]"
                                 : "");
  else
    fprintf(out, "  %-17s none\n", "excluded range");
  if (f->dynamic_known)
    fprintf(out, "  %-17s %u-%u, port %s\n", "dynamic range", f->dynamic_start, f->dynamic_end,
            f->in_dynamic ? "INSIDE (an outgoing connection may take it first)" : "outside");
  else
    fprintf(out, "  %-17s unknown\n", "dynamic range");
  if (f->unprivileged_start_known)
    fprintf(out, "  %-17s ports below %u need CAP_NET_BIND_SERVICE%s\n", "privileged ports",
            f->unprivileged_start, a->local.port < f->unprivileged_start ? " (this one does)" : "");
  char v[512];
  verdict(f, x, v, sizeof v);
  fprintf(out, "\n%s\n", v);
}

static void json_test(FILE *out, const char *key, const test_result *t) {
  fprintf(out, "\"%s\":", key);
  if (!t->done) {
    fputs("null", out);
    return;
  }
  fprintf(out, "{\"ok\":%s,\"errno\":%d,\"error_name\":", t->error == 0 ? "true" : "false", t->error);
  pc_json_write_string(out, errno_name(t->error));
  fputs(",\"stage\":", out);
  pc_json_write_string(out, t->stage);
  fputc('}', out);
}

static void render_json(const pc_facts *f, const explain_extra *x, const pc_rule_result *r, FILE *out) {
  const pc_bind_attempt *a = &f->attempt;
  char ip[PC_ADDR_TEXT_MAX];
  pc_addr_format_ip(&a->local, ip, sizeof ip);
  fprintf(out, "{\"port\":%u,\"proto\":", a->local.port);
  pc_json_write_string(out, pc_proto_name(a->proto));
  fputs(",\"address\":", out);
  pc_json_write_string(out, ip);
  fputs(",\"os\":", out);
  pc_json_write_string(out, f->os == PC_OS_WINDOWS ? "windows" : f->os == PC_OS_LINUX ? "linux" : "unknown");
  fputs(",\"source\":", out);
  pc_json_write_string(out, x->backend);
  fputc(',', out);
  json_test(out, "test_bind", &x->plain);
  fputc(',', out);
  json_test(out, "test_bind_reuseaddr", &x->reuse);
  fputs(",\"owners\":[", out);
  for (size_t i = 0; i < x->n_conflicting && i < OWNERS_SHOWN; i++) {
    const pc_owner *o = &x->conflicting[i];
    pc_addr_format_ip(&o->local, ip, sizeof ip);
    fprintf(out, "%s{\"pid\":", i ? "," : "");
    if (o->pid)
      fprintf(out, "%u", (unsigned)o->pid);
    else
      fputs("null", out);
    const char *strs[4][2] = {{"process", o->process.name},
                              {"path", o->process.path},
                              {"service", o->process.service},
                              {"user", o->process.user}};
    for (int k = 0; k < 4; k++) {
      fprintf(out, ",\"%s\":", strs[k][0]);
      if (strs[k][1][0])
        pc_json_write_string(out, strs[k][1]);
      else
        fputs("null", out);
    }
    fputs(",\"state\":", out);
    pc_json_write_string(out, pc_owner_state_name(o->state));
    fputs(",\"address\":", out);
    pc_json_write_string(out, ip);
    fprintf(out, ",\"kernel\":%s,\"match\":", o->kernel ? "true" : "false");
    pc_json_write_string(out, o->match == PC_OWNER_MATCH_EXACT       ? "exact"
                              : o->match == PC_OWNER_MATCH_WILDCARD  ? "wildcard"
                              : o->match == PC_OWNER_MATCH_DUALSTACK ? "dualstack"
                                                                     : "any");
    fputc('}', out);
  }
  fprintf(out, "],\"other_sockets\":%zu,\"excluded\":", x->n_all - x->n_conflicting);
  if (f->excluded)
    fprintf(out, "{\"start\":%u,\"end\":%u,\"administered\":%s}", f->excluded_start, f->excluded_end,
            f->excluded_administered ? "true" : "false");
  else
    fputs("null", out);
  fputs(",\"dynamic\":", out);
  if (f->dynamic_known)
    fprintf(out, "{\"start\":%u,\"end\":%u,\"in_dynamic\":%s}", f->dynamic_start, f->dynamic_end,
            f->in_dynamic ? "true" : "false");
  else
    fputs("null", out);
  fputs(",\"unprivileged_start\":", out);
  if (f->unprivileged_start_known)
    fprintf(out, "%u", f->unprivileged_start);
  else
    fputs("null", out);
  char v[512];
  verdict(f, x, v, sizeof v);
  fputs(",\"verdict\":", out);
  pc_json_write_string(out, v);
  /* The rule that explains a blocked port (null when the port is free). */
  fputs(",\"rule_id\":", out);
  pc_json_write_string(out, r ? r->rule_id : NULL);
  fputs(",\"severity\":", out);
  pc_json_write_string(out, r ? r->severity : NULL);
  fputs(",\"explanation\":", out);
  pc_json_write_string(out, r ? r->explanation : NULL);
  fputs(",\"fixes\":[", out);
  for (size_t i = 0; r && i < r->fix_count; i++) {
    if (i) fputc(',', out);
    pc_json_write_string(out, r->fixes[i]);
  }
  fputs("]}\n", out);
}

/* Decides whether the hypothetical bind is blocked, and with which error, so that the rules
 * can explain it as if it had failed: the test bind's errno when one was made (live), else
 * the error Windows gives for the strongest fact (offline files come from Windows). Returns
 * false when nothing blocks the port. */
static bool blocked_error(pc_facts *f, const explain_extra *x) {
  pc_bind_attempt *a = &f->attempt;
  if (x->plain.done) {
    if (x->plain.error == 0) return false;
    a->error = (uint32_t)x->plain.error;
    a->error_is_errno = f->os != PC_OS_WINDOWS;
    if (x->plain.stage && strcmp(x->plain.stage, "listen") == 0) a->stage = PC_STAGE_LISTEN;
  } else if (f->excluded && f->os == PC_OS_WINDOWS) {
    a->error = 10013; /* WSAEACCES */
  } else if (f->owner_known) {
    a->error = f->os == PC_OS_WINDOWS ? 10048u : (uint32_t)EADDRINUSE;
    a->error_is_errno = f->os != PC_OS_WINDOWS;
  } else {
    return false;
  }
  a->error_known = true;
  a->failed = true;
  return true;
}

/* Renders the facts, then (when the port is blocked) the explanation and fixes of the first
 * matching rule. */
static void explain_render(pc_facts *f, const explain_extra *x, const pc_ruleset *rules, bool json,
                           FILE *out) {
  pc_rule_result r;
  pc_rule_result_init(&r);
  bool explained = rules && blocked_error(f, x) && pc_rules_eval(rules, f, &r) == PC_OK;
  if (json) {
    render_json(f, x, explained ? &r : NULL, out);
  } else {
    render_text(f, x, out);
    if (explained) {
      fprintf(out, "\nwhy: %s (rule %s)\n", r.explanation, r.rule_id);
      for (size_t i = 0; i < r.fix_count; i++)
        fprintf(out, "%s %zu. %s\n", i ? "    " : "fix:", i + 1, r.fixes[i]);
    }
  }
  pc_rule_result_free(&r);
}

/* Parses "1.2.3.4", "::", "[::1]", "fe80::1%3" into a (port keeps its value). */
static bool parse_address(const char *s, pc_addr *a) {
  char buf[64];
  uint16_t port = a->port;
  size_t len = strlen(s);
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len + 1);
  uint32_t scope = 0;
  char *pct = strchr(buf, '%');
  if (pct) {
    char *end;
    unsigned long v = strtoul(pct + 1, &end, 10);
    if (end == pct + 1 || (*end && *end != ']')) return false;
    scope = (uint32_t)v;
    if (*end == ']') {
      pct[0] = ']';
      pct[1] = '\0';
    } else {
      *pct = '\0';
    }
  }
  if (pc_addr_parse_ip(buf, a) != PC_OK) return false;
  a->port = port;
  a->scope_id = scope;
  return true;
}

int pc_cmd_explain_io(int argc, char **argv, FILE *out, FILE *errout) {
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_EXPLAIN, argc, argv, out, errout);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  const pc_hoststate_offline_files files = o.run.offline;
  const char *port_arg = o.args[0], *addr_arg = o.address, *rules_dir = o.run.rules_dir;
  bool test = !o.no_test_bind, json = o.json;
  uint8_t proto = (uint8_t)o.proto;
  char *end;
  unsigned long port = strtoul(port_arg, &end, 10);
  if (*end || port_arg[0] < '0' || port_arg[0] > '9' || port == 0 || port > 65535) {
    fprintf(errout, "portclash explain: PORT must be a number from 1 to 65535, not '%s'\n", port_arg);
    return PC_EXIT_USAGE;
  }
  pc_facts facts;
  memset(&facts, 0, sizeof facts);
  pc_bind_attempt *a = &facts.attempt;
  a->ts_first = a->ts_last = PC_TIME_UNKNOWN;
  a->proto = proto;
  a->socktype = proto == PC_PROTO_TCP ? 1 : 2;
  a->local.family = PC_AF_INET; /* 0.0.0.0 unless --address says otherwise */
  a->local.port = (uint16_t)port;
  a->addr_known = true;
  if (addr_arg && !parse_address(addr_arg, &a->local)) {
    fprintf(errout, "portclash explain: --address '%s' is not an IPv4 or IPv6 address\n", addr_arg);
    return PC_EXIT_USAGE;
  }

  pc_hoststate *hs;
  int code = pc__cmd_open_hoststate("explain", &files, &hs, errout);
  if (code != PC_EXIT_OK) return code;

  explain_extra x;
  memset(&x, 0, sizeof x);
  x.backend = pc_hoststate_backend(hs);
  x.live = pc_hoststate_is_live(hs);
  windows_errors = pc_hoststate_os(hs) == PC_OS_WINDOWS;
  if (pc_hoststate_enrich(hs, &facts) != PC_OK)
    fprintf(errout, "portclash explain: warning: %s\n", pc_hoststate_error(hs));
  size_t total = 0;
  if (pc_hoststate_owners(hs, proto, a->local.port, &a->local, x.conflicting, OWNERS_SHOWN, &total) == PC_OK)
    x.n_conflicting = total;
  pc_owner any[1];
  if (pc_hoststate_owners(hs, proto, a->local.port, NULL, any, 1, &total) == PC_OK) x.n_all = total;
  if (x.n_all < x.n_conflicting) x.n_all = x.n_conflicting;

  if (test && x.live) {
    x.plain.done =
        pc_hoststate_test_bind(hs, proto, &a->local, false, &x.plain.error, &x.plain.stage) == PC_OK;
    /* EADDRINUSE may come only from connections or TIME_WAIT, which SO_REUSEADDR tolerates
     * (Linux TCP); a second try tells that apart from a real holder. */
    if (x.plain.done && x.plain.error == EADDRINUSE && proto == PC_PROTO_TCP)
      x.reuse.done =
          pc_hoststate_test_bind(hs, proto, &a->local, true, &x.reuse.error, &x.reuse.stage) == PC_OK;
  }
  pc_ruleset *rules = NULL;
  if (pc_run_load_rules(rules_dir, &rules) != PC_OK) {
    pc_hoststate_close(hs);
    return PC_EXIT_USAGE;
  }
  explain_render(&facts, &x, rules, json, out);
  pc_ruleset_free(rules);
  pc_hoststate_close(hs);
  return PC_EXIT_OK;
}

int pc_cmd_explain(int argc, char **argv) {
  return pc_cmd_explain_io(argc, argv, stdout, stderr);
}
