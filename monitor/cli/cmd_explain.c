/* portclash explain PORT: why can't I bind this port right now?
 *
 * Builds the facts of a bind nobody made (no failing process), tries the bind when looking
 * at this machine, and hands both to the explain library, which enriches the facts from the
 * host state and runs the rules exactly as for a failed bind: the answer is the rules'
 * finding, printed by the formatters, after the facts it rests on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pc_errnames.h"
#include "pc_error.h"
#include "pc_explain.h"
#include "pc_format.h"
#include "pc_hoststate.h"
#include "options.h"
#include "pc_os.h"
#include "pc_rules.h"
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
  static const char *const names[] = {
      [PC_OWNER_MATCH_EXACT] = "same address",
      [PC_OWNER_MATCH_WILDCARD] = "wildcard vs specific address",
      [PC_OWNER_MATCH_DUALSTACK] = "dual-stack [::] vs IPv4 (conflicts unless IPV6_V6ONLY)",
  };
  const char *n = m < sizeof names / sizeof names[0] ? names[m] : NULL;
  return n ? n : "";
}

static void format_endpoint(const pc_addr *a, char *buf, size_t cap) {
  char ip[PC_ADDR_TEXT_MAX];
  pc_addr_format_ip(a, ip, sizeof ip);
  if (a->family == PC_AF_INET6)
    snprintf(buf, cap, "[%s]:%u", ip, a->port);
  else
    snprintf(buf, cap, "%s:%u", ip, a->port);
}

/* The facts the answer rests on: test binds, holders, ranges. */
static void render_facts(const pc_facts *f, const explain_extra *x, FILE *out) {
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
  if (f->owner_url[0])
    fprintf(out, "  %-17s %s (request queue %s%s%s)\n", "HTTP.sys URL", f->owner_url,
            f->owner_queue[0] ? f->owner_queue : "unnamed", f->owner_service[0] ? ", service " : "",
            f->owner_service);
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
}

static void json_test(pc_json_writer *w, const char *key, const test_result *t) {
  pc_json_key(w, key);
  if (!t->done) {
    pc_json_null(w);
    return;
  }
  pc_json_begin_object(w);
  pc_json_key_bool(w, "ok", t->error == 0);
  pc_json_key_i64(w, "errno", t->error);
  pc_json_key_str(w, "error_name", errno_name(t->error));
  pc_json_key_str(w, "stage", t->stage);
  pc_json_end_object(w);
}

/* "KEY": {"start", "end", FLAG} when known, else null. */
static void json_range(pc_json_writer *w, const char *key, bool known, uint64_t start, uint64_t end,
                       const char *flag, bool flag_value) {
  pc_json_key(w, key);
  if (!known) {
    pc_json_null(w);
    return;
  }
  pc_json_begin_object(w);
  pc_json_key_u64(w, "start", start);
  pc_json_key_u64(w, "end", end);
  pc_json_key_bool(w, flag, flag_value);
  pc_json_end_object(w);
}

/* The finding's keys (the JSON finding contract), then the facts explain looked at. */
static void render_json(const pc_finding *fd, const pc_facts *f, const explain_extra *x, FILE *out) {
  pc_json_writer w;
  pc_json_init(&w, out);
  pc_json_begin_object(&w);
  pc_json_finding_members(&w, fd);
  json_test(&w, "test_bind", &x->plain);
  json_test(&w, "test_bind_reuseaddr", &x->reuse);
  pc_json_key(&w, "owners");
  pc_json_begin_array(&w);
  for (size_t i = 0; i < x->n_conflicting && i < OWNERS_SHOWN; i++) {
    const pc_owner *o = &x->conflicting[i];
    char ip[PC_ADDR_TEXT_MAX];
    pc_addr_format_ip(&o->local, ip, sizeof ip);
    pc_json_begin_object(&w);
    pc_json_key_u64_or_null(&w, "pid", o->pid != 0, o->pid);
    pc_json_key_str(&w, "process", o->process.name[0] ? o->process.name : NULL);
    pc_json_key_str(&w, "path", o->process.path[0] ? o->process.path : NULL);
    pc_json_key_str(&w, "service", o->process.service[0] ? o->process.service : NULL);
    pc_json_key_str(&w, "user", o->process.user[0] ? o->process.user : NULL);
    pc_json_key_str(&w, "state", pc_owner_state_name(o->state));
    pc_json_key_str(&w, "address", ip);
    pc_json_key_bool(&w, "kernel", o->kernel);
    pc_json_key_str(&w, "match",
                    o->match == PC_OWNER_MATCH_EXACT       ? "exact"
                    : o->match == PC_OWNER_MATCH_WILDCARD  ? "wildcard"
                    : o->match == PC_OWNER_MATCH_DUALSTACK ? "dualstack"
                                                           : "any");
    pc_json_end_object(&w);
  }
  pc_json_end_array(&w);
  pc_json_key_u64(&w, "other_sockets", x->n_all - x->n_conflicting);
  json_range(&w, "excluded", f->excluded, f->excluded_start, f->excluded_end, "administered",
             f->excluded_administered);
  json_range(&w, "dynamic", f->dynamic_known, f->dynamic_start, f->dynamic_end, "in_dynamic", f->in_dynamic);
  pc_json_key_u64_or_null(&w, "unprivileged_start", f->unprivileged_start_known, f->unprivileged_start);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
}

/* The facts block, then the finding as the console shows every finding. */
static void render_finding_text(const pc_finding *fd, const pc_facts *f, const explain_extra *x, FILE *out) {
  render_facts(f, x, out);
  char small[4096];
  char *buf = small;
  size_t n = pc_format_text(fd, NULL, small, sizeof small);
  if (n >= sizeof small) {
    /* A long explanation: format again into a buffer of its size, or print what fitted. */
    buf = malloc(n + 1);
    if (buf) {
      pc_format_text(fd, NULL, buf, n + 1);
    } else {
      buf = small;
      n = strlen(small);
    }
  }
  fprintf(out, "\n%.*s\n", (int)n, buf);
  if (buf != small) free(buf);
}

typedef struct render_ctx {
  const pc_facts *facts; /* enriched by the explainer before it emits */
  const explain_extra *x;
  bool json;
  FILE *out;
  bool printed;
} render_ctx;

static void on_finding(void *ud, const pc_finding *fd) {
  render_ctx *c = ud;
  if (c->json)
    render_json(fd, c->facts, c->x, c->out);
  else
    render_finding_text(fd, c->facts, c->x, c->out);
  c->printed = true;
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
  pc_rules_facts_init(&facts);
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
  uint8_t os = pc_hoststate_os(hs);
  windows_errors = os == PC_OS_WINDOWS;
  /* Live, the answer is about now; offline, about when the files were taken (unknown). */
  if (x.live) a->ts_first = a->ts_last = pc_os_clock_now();
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
     * (Linux TCP); a second try tells that apart from a real holder (shown with the facts). */
    if (x.plain.done && x.plain.error == EADDRINUSE && proto == PC_PROTO_TCP)
      x.reuse.done =
          pc_hoststate_test_bind(hs, proto, &a->local, true, &x.reuse.error, &x.reuse.stage) == PC_OK;
  }
  pc_ruleset *rules = NULL;
  if (pc_run_load_rules(rules_dir, &rules) != PC_OK) {
    pc_hoststate_close(hs);
    return PC_EXIT_USAGE;
  }
  /* Offline files come from another machine whose name is not in them. */
  pc_explainer_options eo = {.rules = rules,
                             .hoststate = hs,
                             .host = x.live ? NULL : "",
                             .os = os == PC_OS_WINDOWS ? "windows"
                                   : os == PC_OS_LINUX ? "linux"
                                                       : NULL,
                             .source = x.backend};
  render_ctx ctx = {.facts = &facts, .x = &x, .json = json, .out = out};
  pc_explainer *ex = NULL;
  int rc = pc_explainer_new(&eo, on_finding, &ctx, &ex);
  if (rc == PC_OK) {
    pc_explain_test t = {.error = x.plain.error,
                         .at_listen = x.plain.stage && strcmp(x.plain.stage, "listen") == 0};
    rc = pc_explainer_hypothetical(ex, &facts, x.plain.done ? &t : NULL);
    if (rc != PC_OK && ctx.printed) {
      fprintf(errout, "portclash explain: warning: %s\n", pc_hoststate_error(hs));
      rc = PC_OK;
    }
  }
  if (rc != PC_OK) fprintf(errout, "portclash explain: %s\n", pc_strerror(rc));
  pc_explainer_free(ex);
  pc_ruleset_free(rules);
  pc_hoststate_close(hs);
  return rc == PC_OK ? PC_EXIT_OK : PC_EXIT_FAILURE;
}

int pc_cmd_explain(int argc, char **argv) {
  return pc_cmd_explain_io(argc, argv, stdout, stderr);
}
