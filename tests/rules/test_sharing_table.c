/* Issue 17: Microsoft's SO_REUSEADDR / SO_EXCLUSIVEADDRUSE tables as data
 * (tests/rules/sharing-table.tsv), walked cell by cell through facts -> rules -> finding; and
 * every rule of the catalog rendered with full facts, so that no fix keeps a placeholder
 * (`N`, `<PID>`, `PORT`) where the value is known, and every rule names a source (ref). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_explain.h"
#include "pc_rules.h"
#include "pc_test.h"

static pc_ruleset *build_defaults(void) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return NULL;
  pc_rules_compiler_add_defaults(c);
  pc_ruleset *rs = NULL;
  if (pc_rules_compiler_build(c, &rs) != PC_OK)
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      fprintf(stderr, "  %s\n", pc_rules_compiler_error(c, i));
  pc_rules_compiler_free(c);
  return rs;
}

static void set(pc_facts *f, const char *field, const char *value) {
  int rc = pc_rules_facts_set(f, field, value);
  if (rc != PC_OK) pc__test_fail(__FILE__, __LINE__, "cannot set %s = %s (%d)", field, value, rc);
}

/* The options of one socket as the `options` / `owner_options` fields name them. */
static const char *options_name(const char *opt) {
  if (strcmp(opt, "exclusive") == 0) return "SO_EXCLUSIVEADDRUSE";
  if (strcmp(opt, "reuseaddr") == 0) return "SO_REUSEADDR";
  return "neither SO_REUSEADDR nor SO_EXCLUSIVEADDRUSE";
}

static void set_options(pc_facts *f, const char *prefix, const char *opt) {
  char reuse[64], excl[64];
  snprintf(reuse, sizeof reuse, "%sreuseaddr", prefix);
  snprintf(excl, sizeof excl, "%s%s", prefix, prefix[0] ? "exclusive" : "exclusiveaddruse");
  set(f, reuse, strcmp(opt, "reuseaddr") == 0 ? "true" : "false");
  set(f, excl, strcmp(opt, "exclusive") == 0 ? "true" : "false");
}

typedef struct cell {
  char first_opt[16], first_addr[4], second_opt[16], second_addr[4], user[16], result[16], rule[16];
} cell;

static int emitted;
static void count_emit(void *ud, const pc_finding *f) {
  (void)ud;
  (void)f;
  emitted++;
}

PC_TEST(every_cell_of_the_sharing_tables) {
  const char *path = pc_test_source_path("tests/rules/sharing-table.tsv");
  FILE *fp = path ? fopen(path, "r") : NULL;
  PC_CHECK(fp != NULL);
  if (!fp) return;
  pc_ruleset *rs = build_defaults();
  PC_CHECK(rs != NULL);
  pc_explainer *ex = NULL;
  pc_explainer_options eo = {.rules = rs, .host = "", .os = "windows", .source = "fixture"};
  if (rs) PC_CHECK_INT(pc_explainer_new(&eo, count_emit, NULL, &ex), PC_OK);
  pc_rule_result r;
  pc_rule_result_init(&r);
  char line[512];
  int lineno = 0, cells = 0, failing = 0;
  while (rs && ex && fgets(line, sizeof line, fp)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n') continue;
    cell c;
    if (sscanf(line, "%15s %3s %15s %3s %15s %15s %15s", c.first_opt, c.first_addr, c.second_opt,
               c.second_addr, c.user, c.result, c.rule) != 7) {
      pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: expected 7 columns", lineno);
      continue;
    }
    cells++;
    bool first_w = strcmp(c.first_addr, "W") == 0, second_w = strcmp(c.second_addr, "W") == 0;
    if (strcmp(c.result, "Success") == 0) {
      /* A bind that succeeded is no finding. */
      pc_bind_attempt a;
      memset(&a, 0, sizeof a);
      a.failed = false;
      a.pid_known = true;
      a.pid = 4242;
      a.proto = PC_PROTO_TCP;
      a.addr_known = true;
      PC_CHECK_INT(pc_addr_parse_ip(second_w ? "0.0.0.0" : "10.0.0.5", &a.local), PC_OK);
      a.local.port = 9000;
      a.holder_known = a.holder_pid_known = true;
      a.holder_pid = 6400;
      int before = emitted;
      pc_explainer_attempt(ex, &a);
      if (emitted != before)
        pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: a successful bind gave a finding", lineno);
      continue;
    }
    failing++;
    pc_facts f;
    pc_rules_facts_init(&f);
    set(&f, "os", "windows");
    set(&f, "ranges_known", "true");
    set(&f, "owners_known", "true");
    set(&f, "pid", "4242");
    set(&f, "process", "second.exe");
    set(&f, "proto", "tcp");
    set(&f, "family", "ipv4");
    set(&f, "address", second_w ? "0.0.0.0" : "10.0.0.5");
    set(&f, "port", "9000");
    set(&f, "error_name", strcmp(c.result, "ACCESS") == 0 ? "WSAEACCES" : "WSAEADDRINUSE");
    set_options(&f, "", c.second_opt);
    set(&f, "owner_pid", "6400");
    set(&f, "owner_process", "first.exe");
    set(&f, "owner_kernel", "false");
    set(&f, "owner_state", "listen");
    set(&f, "owner_address", first_w ? "0.0.0.0" : "10.0.0.5");
    set_options(&f, "owner_", c.first_opt);
    if (strcmp(c.user, "unknown") != 0) {
      set(&f, "process_user", "CORP\\alice");
      set(&f, "owner_user", strcmp(c.user, "same") == 0 ? "CORP\\alice" : "NT SERVICE\\first");
    }
    PC_CHECK_INT(pc_rules_eval(rs, &f, &r), PC_OK);
    if (strcmp(r.rule_id, c.rule) != 0) {
      pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: rule %s, expected %s: %s", lineno, r.rule_id,
                    c.rule, r.explanation);
      continue;
    }
    /* The options of both sockets are named. */
    const char *mine = options_name(c.second_opt), *theirs = options_name(c.first_opt);
    char want[128];
    snprintf(want, sizeof want, "holder's options: %s", theirs);
    if (!strstr(r.explanation, want))
      pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: no \"%s\" in: %s", lineno, want,
                    r.explanation);
    if (strcmp(c.second_opt, "exclusive") == 0)
      snprintf(want, sizeof want, "set %s", mine);
    else
      snprintf(want, sizeof want, "this socket's: %s", mine);
    if (!strstr(r.explanation, want))
      pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: no \"%s\" in: %s", lineno, want,
                    r.explanation);
    /* WSAEACCES is never "permission" here, and where the tables disagree (accounts unknown)
     * the text gives both answers. */
    if (strcmp(c.user, "unknown") == 0 &&
        !strstr(r.explanation, "for the same account that table gives success"))
      pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: the same-user answer is missing: %s", lineno,
                    r.explanation);
    if (strcmp(c.rule, "C21") == 0 && !strstr(r.explanation, "set SO_EXCLUSIVEADDRUSE on the wildcard"))
      pc__test_fail(__FILE__, __LINE__, "sharing-table.tsv:%d: C21 must keep the exclusive holder open",
                    lineno);
  }
  fclose(fp);
  /* 36 cells in each table, plus the cells where they disagree, asked with unknown accounts. */
  PC_CHECK_INT(cells, 77);
  PC_CHECK(failing > 30);
  pc_rule_result_free(&r);
  pc_explainer_free(ex);
  pc_ruleset_free(rs);
}

/* ---- every fix complete when the facts are known ---- */

static const char *const full_facts[][2] = {
    {"os", "windows"},
    {"os_build", "9600"},
    {"error_name", "WSAEACCES"},
    {"ntstatus", "0xC0000022"},
    {"stage", "bind"},
    {"tcpip_event", "1006"},
    {"proto", "tcp"},
    {"family", "ipv4"},
    {"address", "10.0.0.5"},
    {"port", "8080"},
    {"pid", "4242"},
    {"process", "server.exe"},
    {"process_path", "C:\\srv\\server.exe"},
    {"process_user", "CORP\\alice"},
    {"process_service", "srvsvc"},
    {"reuseaddr", "true"},
    {"exclusiveaddruse", "false"},
    {"reuseport", "false"},
    {"v6only", "false"},
    {"owner_pid", "6400"},
    {"owner_process", "holder.exe"},
    {"owner_path", "C:\\h\\holder.exe"},
    {"owner_service", "iphlpsvc"},
    {"owner_user", "CORP\\bob"},
    {"owner_state", "listen"},
    {"owner_kernel", "false"},
    {"owner_address", "0.0.0.0"},
    {"owner_reuseaddr", "false"},
    {"owner_exclusive", "true"},
    {"ranges_known", "true"},
    {"owners_known", "true"},
    {"excluded_start", "8000"},
    {"excluded_end", "8099"},
    {"excluded_administered", "true"},
    {"dynamic_start", "1025"},
    {"dynamic_end", "65535"},
    {"in_dynamic", "true"},
    {"unprivileged_port_start", "1024"},
    {"other_netns", "true"},
    {"count", "3"},
    {"previous_pid", "77"},
    {"previous_process", "old.exe"},
    {"risk_reason", "excluded_range"},
    {"owner_url", "http://+:80/Temporary_Listen_Addresses/"},
};

/* Placeholders a person would have to fill in by hand. */
static const char *placeholder(const char *s) {
  static const char *const words[] = {"=N ", "=N\"", "<PID>", "unknown", "<"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strstr(s, words[i])) return words[i];
  /* PORT as a word (not SO_REUSEPORT). */
  for (const char *p = strstr(s, "PORT"); p; p = strstr(p + 1, "PORT"))
    if (p == s || !(p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z'))) return "PORT";
  size_t n = strlen(s);
  if (n >= 2 && s[n - 1] == 'N' && s[n - 2] == '=') return "=N";
  return NULL;
}

/* Renders one rule of a rule file on its own: its `when` lines become `when true`. */
static void render_rule_alone(const char *origin, const char *text, size_t len, const pc_facts *f,
                              pc_rule_result *r) {
  char *copy = malloc(len * 2 + 64);
  PC_CHECK(copy != NULL);
  if (!copy) return;
  size_t out = 0;
  bool when_done = false;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && text[j] != '\n') j++;
    size_t k = i;
    while (k < j && (text[k] == ' ' || text[k] == '\t')) k++;
    bool is_when =
        j - k >= 5 && memcmp(text + k, "when", 4) == 0 && (text[k + 4] == ' ' || text[k + 4] == '\t');
    if (is_when) {
      if (!when_done) {
        memcpy(copy + out, "  when true\n", 12);
        out += 12;
        when_done = true;
      }
    } else {
      memcpy(copy + out, text + i, j - i);
      out += j - i;
      copy[out++] = '\n';
    }
    i = j < len ? j + 1 : j;
  }
  pc_rules_compiler *c;
  PC_CHECK_INT(pc_rules_compiler_new(&c), PC_OK);
  pc_ruleset *rs = NULL;
  if (pc_rules_compiler_add_string(c, copy, out, origin) == PC_OK &&
      pc_rules_compiler_build(c, &rs) == PC_OK) {
    PC_CHECK_INT(pc_rules_eval(rs, f, r), PC_OK);
    for (size_t i = 0; i < r->fix_count; i++) {
      const char *p = placeholder(r->fixes[i]);
      if (p)
        pc__test_fail(__FILE__, __LINE__, "%s: rule %s fix %zu keeps \"%s\": %s", origin, r->rule_id, i + 1,
                      p, r->fixes[i]);
    }
    /* Every rule of the catalog names its source (issue 17). */
    if (strncmp(r->rule_id, "FALLBACK-", 9) != 0 && r->ref_count == 0)
      pc__test_fail(__FILE__, __LINE__, "%s: rule %s has no ref", origin, r->rule_id);
    if (strstr(r->explanation, "unknown"))
      pc__test_fail(__FILE__, __LINE__, "%s: rule %s explains with an unknown value: %s", origin, r->rule_id,
                    r->explanation);
  } else {
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      pc__test_fail(__FILE__, __LINE__, "%s", pc_rules_compiler_error(c, i));
  }
  pc_rule_result_free(r);
  pc_rule_result_init(r);
  pc_ruleset_free(rs);
  pc_rules_compiler_free(c);
  free(copy);
}

static int rules_in_file(const char *rel, const pc_facts *f, pc_rule_result *r) {
  const char *path = pc_test_source_path(rel);
  size_t len = 0;
  char *text = pc_test_read_file(path, &len);
  PC_CHECK(text != NULL);
  if (!text) return 0;
  int n = 0;
  size_t start = SIZE_MAX;
  for (size_t i = 0; i <= len; i++) {
    bool at_line = i == 0 || text[i - 1] == '\n';
    bool rule_line = i < len && at_line && len - i > 5 && memcmp(text + i, "rule ", 5) == 0;
    if (rule_line || i == len) {
      if (start != SIZE_MAX) {
        render_rule_alone(rel, text + start, i - start, f, r);
        n++;
      }
      start = i;
    }
  }
  free(text);
  return n;
}

PC_TEST(every_fix_is_complete_when_the_facts_are_known) {
  pc_facts f;
  pc_rules_facts_init(&f);
  for (size_t i = 0; i < sizeof full_facts / sizeof *full_facts; i++)
    set(&f, full_facts[i][0], full_facts[i][1]);
  pc_rule_result r;
  pc_rule_result_init(&r);
  static const char *const files[] = {
      "rules/default/10-neighbours.rules", "rules/default/20-exclusions.rules",
      "rules/default/30-httpsys.rules",    "rules/default/40-owners.rules",
      "rules/default/50-sharing.rules",    "rules/default/60-linux.rules",
      "rules/default/70-watch.rules",      "rules/builtin/fallback.rules",
  };
  int n = 0;
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) n += rules_in_file(files[i], &f, &r);
  pc_rule_result_free(&r);
  /* Every rule of the catalog and the fallbacks was rendered. */
  pc_ruleset *rs = build_defaults();
  PC_CHECK(rs != NULL);
  if (rs) PC_CHECK_INT(n, pc_ruleset_count(rs));
  pc_ruleset_free(rs);
}
