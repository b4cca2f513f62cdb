/* portclash schema dump on platforms without TDH: say where it works and what to do here. */
#include <stdio.h>

#include "cli.h"

int pc_cmd_schema_dump(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs(
      "portclash schema dump: reads the layouts from the running Windows through TDH, so it only\n"
      "works on Windows. To compare a dump taken there, copy it here and run 'portclash schema check "
      "FILE'.\n",
      stderr);
  return PC_EXIT_FAILURE;
}
