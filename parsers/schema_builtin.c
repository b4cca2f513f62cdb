/* The built-in schemas: parsed from the text embedded at build time. */
#include <stdio.h>

#include "pc_error.h"
#include "pc_schema.h"

int pc_schema_builtin_load(pc_schema_set **out) {
  char err[256];
  int rc =
      pc_schema_set_parse(pc__builtin_schema, pc__builtin_schema_len, "builtin.schema", out, err, sizeof err);
  /* A broken embedded text is a build defect caught by the schema tests; report it loudly
   * rather than run with no decoders. */
  if (rc == PC_EPARSE) fprintf(stderr, "portclash: internal error: %s\n", err);
  return rc;
}
