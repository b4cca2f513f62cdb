/* selftest-win.h - `portclash selftest` on Windows (selftest-win.c): the seams through which
 * tests replace what they cannot have under Wine (ETW, an elevated token, netsh). Private to
 * the cli library and its tests. Windows only. */
#ifndef PC_CLI_SELFTEST_WIN_H
#define PC_CLI_SELFTEST_WIN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <stdbool.h>
#include <stdint.h>
#include <windows.h>

#include "etw.h"
#include "selftest.h"

/* What one provocation did, beyond the case: enough for a fake controller to deliver the
 * events real ETW would show for it. Socket options are PC_SOCKOPT_* bits (pc_attempt.h). */
typedef struct pc_selftest_win_bind {
  const pc_selftest_case *c;
  bool holder;          /* a holder socket of this process was bound first */
  pc_addr holder_addr;  /* its address and port */
  uint8_t holder_proto; /* PC_PROTO_* */
  uint32_t holder_opts; /* options set on it before bind */
  bool holder_listens;  /* TCP: listen() was called on it */
  uint32_t opts;        /* options set on the provoked socket before bind */
  bool v6only_off;      /* IPV6_V6ONLY set to 0 on the provoked socket */
} pc_selftest_win_bind;

typedef struct pc_selftest_win_seams {
  const pc_etw_api *etw; /* NULL = the system's */
  /* True when the process may run the self-test. NULL = the token is a member of the
   * Administrators group (an elevated token). */
  bool (*is_admin)(void *ud);
  /* Runs "netsh ARGS" and returns its exit code; -1 when it could not be started or did not
   * end within 15 s (it is then ended). NULL = %SystemRoot%\System32\netsh.exe. */
  int (*netsh)(void *ud, const char *args);
  /* Optional: called after each provocation (a fake controller delivers its events). */
  void (*provoked)(void *ud, const pc_selftest_win_bind *b);
  void *ud;
} pc_selftest_win_seams;

/* pc_cmd_selftest with seams (NULL = the real OS). */
int pc__cmd_selftest_with(int argc, char **argv, const pc_selftest_win_seams *seams);

/* The console control handler the self-test installs while it has an excluded range added
 * (SetConsoleCtrlHandler). Ctrl+C and Ctrl+Break stop the self-test, which then cleans up
 * everything on its main thread (TRUE: handled). Console close, logoff and shutdown end the
 * process once the handlers return, so the range is removed here, at once; FALSE lets the
 * ETW session's handler stop the session next. Tests call it to simulate those events. */
BOOL WINAPI pc__selftest_win_ctrl(DWORD type);

#endif
