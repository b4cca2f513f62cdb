/* Diagnostics: a rule file with every kind of mistake must produce exactly the errors in
 * tests/rules/errors/bad.expected (file:line:col: message, in order), all collected in one
 * run; and single-mistake strings check the column arithmetic inside string literals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "pc_test.h"

PC_TEST(bad_rules_file_gives_every_error_with_line_and_column) {
  char rules[4096], expected_path[4096];
  snprintf(rules, sizeof rules, "%s", pc_test_source_path("tests/rules/errors/bad.rules"));
  snprintf(expected_path, sizeof expected_path, "%s", pc_test_source_path("tests/rules/errors/bad.expected"));
  pc_rules_compiler *c;
  PC_CHECK_INT(pc_rules_compiler_new(&c), PC_OK);
  /* The origin is the short name so that the expected file does not depend on the checkout. */
  char *text = pc_test_read_file(rules, NULL);
  PC_CHECK(text != NULL);
  if (!text) {
    pc_rules_compiler_free(c);
    return;
  }
  PC_CHECK_INT(pc_rules_compiler_add_string(c, text, (size_t)-1, "bad.rules"), PC_ERULE);
  pc_ruleset *rs = NULL;
  PC_CHECK_INT(pc_rules_compiler_build(c, &rs), PC_ERULE);
  PC_CHECK(rs == NULL);
  size_t cap = 65536, len = 0;
  char *got = malloc(cap);
  got[0] = '\0';
  for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
    len += (size_t)snprintf(got + len, cap - len, "%s\n", pc_rules_compiler_error(c, i));
  char *expected = pc_test_read_file(expected_path, NULL);
  if (getenv("PC_RULES_ERRORS_PRINT")) fputs(got, stdout);
  PC_CHECK(expected != NULL);
  if (expected && strcmp(got, expected) != 0)
    pc__test_fail(__FILE__, __LINE__, "diagnostics differ\n--- got\n%s--- expected\n%s", got, expected);
  free(expected);
  free(got);
  free(text);
  pc_rules_compiler_free(c);
}

/* Compiles one snippet and checks the first diagnostic exactly. */
static void expect_first(const char *text, const char *want) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return;
  pc_rules_compiler_add_string(c, text, (size_t)-1, "t");
  pc_ruleset *rs = NULL;
  PC_CHECK_INT(pc_rules_compiler_build(c, &rs), PC_ERULE);
  PC_CHECK(pc_rules_compiler_error_count(c) >= 1);
  PC_CHECK_STR(pc_rules_compiler_error(c, 0), want);
  pc_ruleset_free(rs);
  pc_rules_compiler_free(c);
}

#define RULE(when, explain) \
  "rule R\n title \"t\"\n severity info\n when " when "\n explain " explain "\n fix \"f\"\n"

PC_TEST(columns_inside_strings_follow_escapes) {
  /* \" counts two source bytes for one character: the error is at the source column. */
  expect_first(RULE("process =~ \"\\\"(\"", "\"x\""),
               "t:4:22: bad regular expression: missing closing parenthesis");
  expect_first(RULE("process =~ \"\\\")\"", "\"x\""),
               "t:4:21: bad regular expression: unmatched closing parenthesis");
  expect_first(RULE("true", "\"a\\\"b {nope}\""), "t:5:17: unknown field 'nope' in template");
  expect_first(RULE("true", "'raw \\ {nope}'"), "t:5:18: unknown field 'nope' in template");
}

PC_TEST(missing_file_and_empty_dir_are_reported) {
  pc_rules_compiler *c;
  PC_CHECK_INT(pc_rules_compiler_new(&c), PC_OK);
  PC_CHECK_INT(pc_rules_compiler_add_file(c, "/nonexistent/x.rules"), PC_ENOENT);
  PC_CHECK_INT(pc_rules_compiler_error_count(c), 1);
  PC_CHECK_STR(pc_rules_compiler_error(c, 0),
               "/nonexistent/x.rules:1:1: cannot read the file: no such file or entry");
  pc_rules_compiler_free(c);
}
