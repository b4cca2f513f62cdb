/* `portclash monitor` under Wine's real (stub) ETW: Wine's StartTrace "succeeds" and its
 * OpenTrace refuses with ERROR_ACCESS_DENIED, which is exactly the not-elevated path: exit 3
 * with the message, and the session that was started is stopped again. Also usage errors
 * and --help. Runs only the paths that never reach TDH (Wine's TDH crashes). */
#include <stdio.h>
#include <string.h>

#include "pc_cli.h"
#include "pc_cmd_monitor_win.h"
#include "pc_test.h"

#define RUN(...)                                                                           \
  ({                                                                                       \
    char *argv_[] = {"monitor", __VA_ARGS__, NULL};                                        \
    pc_cmd_monitor((int)(sizeof argv_ / sizeof argv_[0]) - 1, argv_);                      \
  })

PC_TEST(usage_errors_exit_2) {
  PC_CHECK_INT(RUN("--stale", "kill"), PC_EXIT_USAGE);
  PC_CHECK_INT(RUN("--status", "x"), PC_EXIT_USAGE);
  PC_CHECK_INT(RUN("--session", ""), PC_EXIT_USAGE);
  PC_CHECK_INT(RUN("--bogus"), PC_EXIT_USAGE);
  PC_CHECK_INT(RUN("--help"), PC_EXIT_OK);
}

PC_TEST(refused_consumer_is_missing_privilege_exit_3) {
  /* What Wine 8 does (StartTrace ok, OpenTrace ERROR_ACCESS_DENIED) is also what Windows does
   * for an account without the rights, so the command must say how to fix it and exit 3. */
  PC_CHECK_INT(RUN("--session", "pc-wine-test", "--status", "0"), PC_EXIT_PRIVILEGE);
}
