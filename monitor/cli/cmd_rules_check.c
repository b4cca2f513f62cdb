/* cmd_rules_check.c - `portclash rules check [--with-defaults] [DIR|FILE]`: compile and report.
 *
 * The lint is the compiler itself: every error is printed as file:line:col: message (stderr),
 * then one summary line. Nothing is evaluated, so it is safe to run on untrusted rule files. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "cli.h"
#include "options.h"

int pc_cmd_rules_check(int argc, char **argv) {
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_RULES_CHECK, argc, argv, stdout, stderr);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  const char *path = o.n_args ? o.args[0] : NULL;
  bool with_defaults = o.with_defaults;
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) {
    fprintf(stderr, "portclash rules check: %s\n", pc_strerror(PC_ENOMEM));
    return 2;
  }
  int rc = PC_OK;
  if (!path || with_defaults) rc = pc_rules_compiler_add_defaults(c);
  if (path && rc != PC_ENOMEM) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      rc = pc_rules_compiler_add_dir(c, path);
    else
      rc = pc_rules_compiler_add_file(c, path);
  }
  pc_ruleset *rs = NULL;
  if (rc != PC_ENOMEM) rc = pc_rules_compiler_build(c, &rs);
  size_t nerr = pc_rules_compiler_error_count(c);
  for (size_t i = 0; i < nerr; i++) fprintf(stderr, "%s\n", pc_rules_compiler_error(c, i));
  int status;
  if (rc == PC_OK) {
    size_t total = pc_ruleset_count(rs), fallbacks = pc_ruleset_fallback_count(rs);
    printf("%zu rules OK (plus %zu built-in fallback rules)\n", total - fallbacks, fallbacks);
    status = 0;
  } else if (rc == PC_ENOMEM) {
    fprintf(stderr, "portclash rules check: %s\n", pc_strerror(rc));
    status = 2;
  } else {
    fprintf(stderr, "%zu error%s\n", nerr, nerr == 1 ? "" : "s");
    status = 2;
  }
  pc_ruleset_free(rs);
  pc_rules_compiler_free(c);
  return status;
}
