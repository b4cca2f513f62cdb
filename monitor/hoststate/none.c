/* Live host state on platforms without a back end: a clear "not supported" instead of a link
 * error, so that offline analysis still works there. */
#include <stdio.h>

#include "pc_error.h"
#include "pc_hoststate.h"

static int unsupported(pc_hoststate **out, char *err, size_t errcap) {
  *out = NULL;
  if (err && errcap)
    snprintf(err, errcap,
             "live host state is not supported on this platform; give the offline files instead "
             "(--netsh-excluded, --netsh-dynamic, --netstat, --tasklist)");
  return PC_ENOTSUP;
}

int pc_hoststate_open_live(pc_hoststate **out, char *err, size_t errcap) {
  return unsupported(out, err, errcap);
}

int pc_hoststate_open_linux(pc_hoststate **out, char *err, size_t errcap) {
  return unsupported(out, err, errcap);
}

int pc_hoststate_open_linux_at(const char *proc_root, pc_hoststate **out, char *err, size_t errcap) {
  (void)proc_root;
  return unsupported(out, err, errcap);
}
