/* fuzz_rules: compile arbitrary rule text; when it builds, evaluate it once on fixed facts.
 * Finds crashes, leaks and hangs in the lexer, parser, template compiler and matcher. */
#include <stddef.h>
#include <stdint.h>

#include "pc_error.h"
#include "pc_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    pc_rule_result r;
    pc_rule_result_init(&r);
    pc_rules_eval(rs, &f, &r);
    pc_rule_result_free(&r);
  }
  pc_ruleset_free(rs);
  pc_rules_compiler_free(c);
  return 0;
}
