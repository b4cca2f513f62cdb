/* fuzz_rules: compile arbitrary rule text; when it builds, evaluate it on fixed facts and on
 * facts made of the constants the rules compare against (and their neighbours), with the
 * rule index and with a linear scan: both must pick the same rule (the index only narrows).
 * Finds crashes, leaks and hangs in the lexer, parser, template compiler, index and matcher. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "rules_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sets the field of the first constant found in n (preorder) when pick reaches 0. */
static void set_from(const pc__node *n, unsigned *pick, int delta, pc_facts *f) {
  if (!n || *pick == 0) return;
  char buf[32];
  const char *v = NULL;
  if (n->kind == PC__N_STR) v = n->str;
  if (n->kind == PC__N_STR_IN && n->count) v = n->strs[*pick % n->count];
  if ((n->kind == PC__N_NUM && pc__fields[n->field].type == PC__FT_NUM) ||
      (n->kind == PC__N_NUM_IN && n->count)) {
    uint64_t x = n->kind == PC__N_NUM ? n->num : n->ranges[2 * (*pick % n->count) + (*pick & 1)];
    snprintf(buf, sizeof buf, "%" PRIu64, x + (uint64_t)(int64_t)delta);
    v = buf;
  }
  if (v && --*pick == 0) {
    pc_rules_facts_set(f, pc__fields[n->field].name, v);
    return;
  }
  set_from(n->left, pick, delta, f);
  set_from(n->right, pick, delta, f);
}

static void check(const pc_ruleset *rs, const pc_facts *f, pc_rule_result *a, pc_rule_result *b) {
  if (pc__rules_eval_mode(rs, f, a, false) != PC_OK || pc__rules_eval_mode(rs, f, b, true) != PC_OK) return;
  if (strcmp(a->rule_id, b->rule_id) != 0) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return 0;
  pc_rules_compiler_add_string(c, (const char *)data, size, "fuzz");
  for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++) (void)pc_rules_compiler_error(c, i);
  pc_ruleset *rs = NULL;
  if (pc_rules_compiler_build(c, &rs) == PC_OK) {
    pc_facts f;
    pc_rules_facts_init(&f);
    pc_rules_facts_set(&f, "error_name", "WSAEACCES");
    pc_rules_facts_set(&f, "port", "8080");
    pc_rules_facts_set(&f, "address", "::1");
    pc_rules_facts_set(&f, "process", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
    pc_rules_facts_set(&f, "owner_pid", "4");
    pc_rule_result r, lin;
    pc_rule_result_init(&r);
    pc_rule_result_init(&lin);
    pc_rules_eval(rs, &f, &r);
    check(rs, &f, &r, &lin);
    /* Facts from the rules' own constants: a few per rule, up to 64 evaluations. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
    for (size_t k = 0; k < 64 && rs->count; k++) {
      pc_rules_facts_init(&f);
      for (int m = 0; m < 4; m++) {
        h = h * 1103515245u + 12345u;
        const pc__rule *rule = rs->rules[(h >> 8) % rs->count];
        unsigned pick = 1 + (h >> 3) % 6;
        set_from(rule->cond, &pick, (int)(h >> 28 & 3) - 1, &f);
      }
      check(rs, &f, &r, &lin);
    }
    pc_rule_result_free(&r);
    pc_rule_result_free(&lin);
  }
  pc_ruleset_free(rs);
  pc_rules_compiler_free(c);
  return 0;
}
