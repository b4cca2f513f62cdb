/* test_service_win.c - `portclash service install|uninstall|run` against the service manager
 * (Wine's SCM when run under Wine): install a check-mode service (it only logs its start and
 * stop), read its configuration back, start it, see it run and log, stop it, uninstall it.
 * The commands run in pc_service_driver.exe (next to this test), which the SCM also starts as
 * the service. The monitor itself cannot run under Wine (ETW is stubbed), hence --check. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pc_test.h"

#define SVC L"portclash-test-svc"

static wchar_t dir[MAX_PATH];    /* this test's directory */
static wchar_t driver[MAX_PATH]; /* pc_service_driver.exe */
static wchar_t logpath[MAX_PATH];

static void paths(void) {
  if (dir[0]) return;
  GetModuleFileNameW(NULL, dir, MAX_PATH);
  wchar_t *slash = wcsrchr(dir, L'\\');
  if (slash) *slash = L'\0';
  _snwprintf(driver, MAX_PATH, L"%ls\\pc_service_driver.exe", dir);
  _snwprintf(logpath, MAX_PATH, L"%ls\\service-test.log", dir);
}

/* Runs the driver with args; returns its exit code (-1 when it could not run). */
static long run_driver(const wchar_t *args) {
  paths();
  wchar_t cmd[2048];
  _snwprintf(cmd, 2048, L"\"%ls\" %ls", driver, args);
  cmd[2047] = L'\0';
  STARTUPINFOW si;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(driver, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) return -1;
  CloseHandle(pi.hThread);
  DWORD code = (DWORD)-1;
  if (WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0) GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  return (long)code;
}

static bool wait_state(SC_HANDLE h, DWORD want, SERVICE_STATUS *st) {
  for (int i = 0; i < 100; i++) {
    if (!QueryServiceStatus(h, st)) return false;
    if (st->dwCurrentState == want) return true;
    Sleep(100);
  }
  return false;
}

static char *read_log(void) {
  char path[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, logpath, -1, path, sizeof path, NULL, NULL);
  return pc_test_read_file(path, NULL);
}

PC_TEST(install_query_start_stop_uninstall) {
  paths();
  run_driver(L"service uninstall --name " SVC); /* a leftover of an interrupted run */
  DeleteFileW(logpath);
  wchar_t args[1024];
  _snwprintf(args, 1024, L"service install --name %ls --check --log \"%ls\" --log-keep 2", SVC, logpath);
  PC_CHECK_INT(run_driver(args), 0);

  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  PC_CHECK(scm != NULL);
  SC_HANDLE h =
      scm ? OpenServiceW(scm, SVC, SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS | SERVICE_START | SERVICE_STOP)
          : NULL;
  PC_CHECK(h != NULL);
  if (!h) return;

  union {
    QUERY_SERVICE_CONFIGW c;
    BYTE raw[8192];
  } cfg;
  DWORD need;
  PC_CHECK(QueryServiceConfigW(h, &cfg.c, sizeof cfg, &need));
  PC_CHECK_UINT(cfg.c.dwStartType, SERVICE_AUTO_START);
  PC_CHECK(cfg.c.dwServiceType & SERVICE_WIN32_OWN_PROCESS);
  wchar_t want[1200];
  /* The program path is always quoted; the log path only when it has a space. */
  _snwprintf(want, 1200,
             wcschr(logpath, L' ') ? L"\"%ls\" service run --check --log \"%ls\" --log-keep 2"
                                   : L"\"%ls\" service run --check --log %ls --log-keep 2",
             driver, logpath);
  if (!cfg.c.lpBinaryPathName || wcscmp(cfg.c.lpBinaryPathName, want) != 0)
    pc__test_fail(__FILE__, __LINE__, "command line '%ls', expected '%ls'",
                  cfg.c.lpBinaryPathName ? cfg.c.lpBinaryPathName : L"(null)", want);
  PC_CHECK(cfg.c.lpServiceStartName == NULL || cfg.c.lpServiceStartName[0] == L'\0' ||
           _wcsicmp(cfg.c.lpServiceStartName, L"LocalSystem") == 0);

  union {
    SERVICE_DESCRIPTIONW d;
    SERVICE_FAILURE_ACTIONSW fa;
    BYTE raw[8192];
  } c2;
  PC_CHECK(QueryServiceConfig2W(h, SERVICE_CONFIG_DESCRIPTION, c2.raw, sizeof c2, &need));
  PC_CHECK(c2.d.lpDescription && wcsstr(c2.d.lpDescription, L"bind failures") != NULL);
  if (QueryServiceConfig2W(h, SERVICE_CONFIG_FAILURE_ACTIONS, c2.raw, sizeof c2, &need)) {
    PC_CHECK_UINT(c2.fa.cActions, 3);
    if (c2.fa.cActions == 3) {
      PC_CHECK_UINT(c2.fa.lpsaActions[0].Type, SC_ACTION_RESTART);
      PC_CHECK_UINT(c2.fa.lpsaActions[2].Delay, 60000);
    }
    PC_CHECK_UINT(c2.fa.dwResetPeriod, 86400);
  } else {
    /* Wine 8 does not keep failure actions (its services.exe does not implement
     * SERVICE_CONFIG_FAILURE_ACTIONS); Windows does. */
    printf("  note: failure actions cannot be read back here (error %lu)\n", (unsigned long)GetLastError());
  }

  /* Start: the SCM runs "<driver> service run --check ...". */
  SERVICE_STATUS st;
  PC_CHECK(StartServiceW(h, 0, NULL));
  PC_CHECK(wait_state(h, SERVICE_RUNNING, &st));
  Sleep(200);
  char *log = read_log();
  PC_CHECK(log && strstr(log, "portclash service: started (pid ") && strstr(log, "check mode: running"));
  free(log);

  PC_CHECK(ControlService(h, SERVICE_CONTROL_STOP, &st));
  PC_CHECK(wait_state(h, SERVICE_STOPPED, &st));
  PC_CHECK_UINT(st.dwWin32ExitCode, NO_ERROR);
  log = read_log();
  PC_CHECK(log && strstr(log, "stop requested") && strstr(log, "stopped (monitor exit status 0)"));
  free(log);
  CloseServiceHandle(h);

  PC_CHECK_INT(run_driver(L"service uninstall --name " SVC), 0);
  h = OpenServiceW(scm, SVC, SERVICE_QUERY_STATUS);
  PC_CHECK(h == NULL && GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST);
  if (h) CloseServiceHandle(h);
  CloseServiceHandle(scm);
  /* Uninstalling what is not there is not an error (scripts run it unconditionally). */
  PC_CHECK_INT(run_driver(L"service uninstall --name " SVC), 0);
  DeleteFileW(logpath);
}

/* Without --check the service runs "<driver> monitor ..." with its output in the log. Under
 * Wine the ETW session cannot be opened, so the monitor exits 3 with its privilege message,
 * and the service stops with service-specific code 3, all of it in the log. On Windows (as
 * LocalSystem) the monitor runs: the test stops it and expects a clean stop. */
PC_TEST(service_runs_the_monitor_with_its_output_in_the_log) {
  paths();
  run_driver(L"service uninstall --name " SVC);
  DeleteFileW(logpath);
  wchar_t args[1024];
  _snwprintf(args, 1024, L"service install --name %ls --log \"%ls\" --status 0", SVC, logpath);
  PC_CHECK_INT(run_driver(args), 0);
  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  SC_HANDLE h = scm ? OpenServiceW(scm, SVC, SERVICE_QUERY_STATUS | SERVICE_START | SERVICE_STOP) : NULL;
  PC_CHECK(h != NULL);
  if (!h) return;
  SERVICE_STATUS st;
  PC_CHECK(StartServiceW(h, 0, NULL));
  bool stopped = wait_state(h, SERVICE_STOPPED, &st);
  char *log = read_log();
  PC_CHECK(log && strstr(log, "monitor started (pid ") && strstr(log, " monitor --service-child --status 0"));
  if (stopped) {
    PC_CHECK_UINT(st.dwWin32ExitCode, ERROR_SERVICE_SPECIFIC_ERROR);
    PC_CHECK_UINT(st.dwServiceSpecificExitCode, 3);
    PC_CHECK(log && strstr(log, "access denied when starting the ETW session") &&
             strstr(log, "not restarting: the monitor lacks a privilege") &&
             strstr(log, "stopped (monitor exit status 3)"));
  } else {
    PC_CHECK(ControlService(h, SERVICE_CONTROL_STOP, &st));
    PC_CHECK(wait_state(h, SERVICE_STOPPED, &st));
    PC_CHECK_UINT(st.dwWin32ExitCode, NO_ERROR);
  }
  free(log);
  CloseServiceHandle(h);
  CloseServiceHandle(scm);
  PC_CHECK_INT(run_driver(L"service uninstall --name " SVC), 0);
  DeleteFileW(logpath);
}

PC_TEST(run_from_a_console_is_bad_usage) {
  PC_CHECK_INT(run_driver(L"service run"), 2);
  PC_CHECK_INT(run_driver(L"service frobnicate"), 2);
  PC_CHECK_INT(run_driver(L"service install --log"), 2);
}
