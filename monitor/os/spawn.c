/* spawn.c - the part of pc_os_run (pc_os.h) that is the same on every platform; running the
 * tool is in spawn-posix.c and spawn-win.c. */
#include <stdlib.h>

#include "pc_os.h"

void pc_os_run_result_free(pc_os_run_result *res) {
  if (!res) return;
  free(res->output);
  res->output = NULL;
  res->len = 0;
}
