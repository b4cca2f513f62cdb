/* The service's supervisor (pc__service_supervise) with every OS call replaced: Wine cannot
 * run the monitor's ETW session, so the children, their exit statuses, the clock and the stop
 * request are scripted here. What is asserted is what the service does: restarts with a
 * doubling delay that resets after a long run, the session stopped after every end of a
 * monitor (no leaked session), no restart for bad usage or a missing privilege, a requested
 * stop that stops the session and terminates a monitor that does not end. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pc_service_win.h"
#include "pc_test.h"

#define STOP_EVENT ((HANDLE)(uintptr_t)0x5000)
#define MAX_KIDS 8

static struct {
  /* script, per child: how long it runs, how it ends */
  int n_kids;
  ULONGLONG run_ms[MAX_KIDS];
  DWORD exit_code[MAX_KIDS];
  bool stop_during[MAX_KIDS]; /* the stop request comes while this child runs */
  bool hangs;                 /* a stopping child never ends by itself */
  /* what happened */
  int started, stop_sessions, terminated, closed;
  DWORD delays[MAX_KIDS];
  int n_delays;
  ULONGLONG now;
  int current; /* index of the running child */
  bool stopping;
  char log[4096];
  DWORD states[32];
  int n_states;
} S;

static HANDLE f_start(void *c, HANDLE *job) {
  (void)c;
  *job = NULL;
  if (S.started >= S.n_kids) return NULL;
  S.current = S.started++;
  return (HANDLE)(uintptr_t)(0x100 + S.current);
}
static DWORD f_wait(void *c, DWORD n, const HANDLE *h, DWORD ms) {
  (void)c;
  if (n == 1 && h[0] == STOP_EVENT) { /* the restart delay */
    S.delays[S.n_delays++] = ms;
    S.now += ms;
    return WAIT_TIMEOUT;
  }
  if (n == 2) { /* the child runs */
    if (S.stop_during[S.current]) {
      S.now += S.run_ms[S.current];
      return WAIT_OBJECT_0 + 1;
    }
    S.now += S.run_ms[S.current];
    return WAIT_OBJECT_0;
  }
  /* stopping: the child ends once its session is stopped, unless it hangs */
  S.now += 500;
  if (S.hangs && ms != 5000) return WAIT_TIMEOUT;
  return WAIT_OBJECT_0;
}
static BOOL f_exit(void *c, HANDLE p, DWORD *code) {
  (void)c;
  int i = (int)((uintptr_t)p - 0x100);
  *code = S.terminated ? PC_EXIT_FAILURE : S.exit_code[i];
  return TRUE;
}
static BOOL f_term(void *c, HANDLE p, UINT code) {
  (void)c, (void)p, (void)code;
  S.terminated++;
  return TRUE;
}
static void f_close(void *c, HANDLE h) {
  (void)c, (void)h;
  S.closed++;
}
static void f_stop_session(void *c) {
  (void)c;
  S.stop_sessions++;
}
static ULONGLONG f_now(void *c) {
  (void)c;
  return S.now;
}
static void f_state(void *c, DWORD st) {
  (void)c;
  if (S.n_states < 32) S.states[S.n_states++] = st;
}
static void f_log(void *c, const char *line) {
  (void)c;
  size_t used = strlen(S.log);
  snprintf(S.log + used, sizeof S.log - used, "%s\n", line);
}

static const pc__svc_ops ops = {NULL,    f_start,        f_wait, f_exit,  f_term,
                                f_close, f_stop_session, f_now,  f_state, f_log};

PC_TEST(outside_stops_restart_the_monitor_with_backoff_and_no_leaked_session) {
  memset(&S, 0, sizeof S);
  S.n_kids = 4;
  /* Three monitors whose session is stopped from outside after 10 s (exit 1), the fourth runs
   * until the service is stopped. */
  for (int i = 0; i < 3; i++) S.run_ms[i] = 10000, S.exit_code[i] = PC_EXIT_FAILURE;
  S.run_ms[3] = 10000;
  S.stop_during[3] = true;
  unsigned restarts = 99;
  PC_CHECK_UINT(pc__service_supervise(&ops, STOP_EVENT, 20000, &restarts), PC_EXIT_OK);
  printf("%s", S.log);
  PC_CHECK_UINT(restarts, 3);
  PC_CHECK_INT(S.started, 4);
  PC_CHECK_INT(S.n_delays, 3);
  PC_CHECK_UINT(S.delays[0], 1000);
  PC_CHECK_UINT(S.delays[1], 2000);
  PC_CHECK_UINT(S.delays[2], 4000);
  /* After each of the three ends, and at least twice for the stop (request + after exit). */
  PC_CHECK(S.stop_sessions >= 5);
  PC_CHECK(strstr(S.log, "the monitor ended by itself with status 1") != NULL);
  PC_CHECK(strstr(S.log, "restarting the monitor in 1 s (restart 1)\n") != NULL);
  PC_CHECK(strstr(S.log, "restarting the monitor in 4 s (restart 3)\n") != NULL);
  PC_CHECK(strstr(S.log, "stop requested\nmonitor stopped (status 0)\n") != NULL);
  PC_CHECK_UINT(S.states[0], SERVICE_RUNNING); /* reported once, not per restart */
  PC_CHECK_UINT(S.states[1], SERVICE_STOP_PENDING);
  PC_CHECK_INT(S.terminated, 0);
}

PC_TEST(a_long_run_resets_the_backoff_and_the_delay_is_capped) {
  memset(&S, 0, sizeof S);
  S.n_kids = 8;
  for (int i = 0; i < 7; i++) S.run_ms[i] = 1000, S.exit_code[i] = 0xC0000005; /* crashes */
  S.run_ms[4] = PC_SVC_RESTART_RESET_MS;                                       /* ran 5 minutes */
  S.stop_during[7] = true;
  unsigned restarts;
  PC_CHECK_UINT(pc__service_supervise(&ops, STOP_EVENT, 20000, &restarts), PC_EXIT_OK);
  PC_CHECK_UINT(restarts, 7);
  DWORD want[] = {1000, 2000, 4000, 8000, 1000, 2000, 4000};
  for (int i = 0; i < 7; i++) PC_CHECK_UINT(S.delays[i], want[i]);
  DWORD d = PC_SVC_RESTART_MIN_MS;
  for (int i = 0; i < 10; i++) d = d * 2 > PC_SVC_RESTART_MAX_MS ? PC_SVC_RESTART_MAX_MS : d * 2;
  PC_CHECK_UINT(d, 60000);
}

PC_TEST(bad_usage_and_missing_privilege_are_not_retried) {
  DWORD codes[] = {PC_EXIT_USAGE, PC_EXIT_PRIVILEGE};
  for (int k = 0; k < 2; k++) {
    memset(&S, 0, sizeof S);
    S.n_kids = 3;
    S.run_ms[0] = 100;
    S.exit_code[0] = codes[k];
    unsigned restarts;
    PC_CHECK_UINT(pc__service_supervise(&ops, STOP_EVENT, 20000, &restarts), codes[k]);
    PC_CHECK_UINT(restarts, 0);
    PC_CHECK_INT(S.started, 1);
    PC_CHECK_INT(S.stop_sessions, 1); /* even so, its session is not left behind */
    PC_CHECK(strstr(S.log, "not restarting") != NULL);
  }
}

PC_TEST(a_monitor_that_does_not_stop_is_terminated_and_its_session_stopped) {
  memset(&S, 0, sizeof S);
  S.n_kids = 1;
  S.run_ms[0] = 1000;
  S.stop_during[0] = true;
  S.hangs = true;
  unsigned restarts;
  PC_CHECK_UINT(pc__service_supervise(&ops, STOP_EVENT, 3000, &restarts), PC_EXIT_OK);
  PC_CHECK_INT(S.terminated, 1);
  PC_CHECK(strstr(S.log, "did not stop within 3 s; terminating it") != NULL);
  PC_CHECK(S.stop_sessions >= 2);
}

PC_TEST(a_monitor_that_cannot_start_is_a_failure) {
  memset(&S, 0, sizeof S);
  S.n_kids = 0;
  unsigned restarts;
  PC_CHECK_UINT(pc__service_supervise(&ops, STOP_EVENT, 3000, &restarts), PC_EXIT_FAILURE);
  PC_CHECK(strstr(S.log, "cannot start the monitor") != NULL);
}

/* ---- %ProgramData%\portclash and the files the service trusts ---- */

#include <sddl.h>

/* The fake file system: one object whose security is given as SDDL (owner + DACL). */
static struct {
  const wchar_t *sddl; /* "O:..D:..." of the existing object; NULL = it does not exist */
  DWORD attrs;
  bool exists_on_create;
  /* what happened */
  int creates, opens, sets;
  wchar_t create_sddl[512]; /* the DACL passed to CreateDirectoryW, as SDDL */
  SECURITY_DESCRIPTOR_CONTROL create_control;
  PACL create_dacl_copy;
  BYTE dacl_buf[1024];
  wchar_t set_owner_sddl[128], set_dacl_sddl[512];
} A;

static BOOL a_create(void *c, const wchar_t *path, SECURITY_ATTRIBUTES *sa) {
  (void)c, (void)path;
  A.creates++;
  LPWSTR str = NULL;
  if (sa && sa->lpSecurityDescriptor &&
      ConvertSecurityDescriptorToStringSecurityDescriptorW(sa->lpSecurityDescriptor, SDDL_REVISION_1,
                                                           DACL_SECURITY_INFORMATION, &str, NULL)) {
    wcsncpy(A.create_sddl, str, 511);
    LocalFree(str);
    DWORD rev;
    GetSecurityDescriptorControl(sa->lpSecurityDescriptor, &A.create_control, &rev);
    BOOL present, def;
    PACL d = NULL;
    GetSecurityDescriptorDacl(sa->lpSecurityDescriptor, &present, &d, &def);
    if (d && d->AclSize <= sizeof A.dacl_buf) {
      memcpy(A.dacl_buf, d, d->AclSize);
      A.create_dacl_copy = (PACL)A.dacl_buf;
    }
  }
  if (A.exists_on_create) {
    SetLastError(ERROR_ALREADY_EXISTS);
    return FALSE;
  }
  return TRUE;
}
static HANDLE a_open(void *c, const wchar_t *path) {
  (void)c, (void)path;
  A.opens++;
  if (!A.sddl) {
    SetLastError(ERROR_FILE_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  return (HANDLE)(uintptr_t)0x777;
}
static bool a_attrs(void *c, HANDLE h, DWORD *attrs) {
  (void)c, (void)h;
  *attrs = A.attrs;
  return true;
}
static DWORD a_get(void *c, HANDLE h, PSID *owner, PACL *dacl, PSECURITY_DESCRIPTOR *sd) {
  (void)c, (void)h;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(A.sddl, SDDL_REVISION_1, sd, NULL))
    return GetLastError();
  BOOL def, present;
  GetSecurityDescriptorOwner(*sd, owner, &def);
  GetSecurityDescriptorDacl(*sd, &present, dacl, &def);
  return ERROR_SUCCESS;
}
static DWORD a_set(void *c, const wchar_t *path, PSID owner, PACL dacl) {
  (void)c, (void)path;
  A.sets++;
  LPWSTR str = NULL;
  if (ConvertSidToStringSidW(owner, &str)) {
    wcsncpy(A.set_owner_sddl, str, 127);
    LocalFree(str);
  }
  (void)dacl;
  return ERROR_SUCCESS;
}
static void a_close(void *c, HANDLE h) {
  (void)c, (void)h;
}
static const pc__acl_ops aops = {NULL, a_create, a_open, a_attrs, a_get, a_set, a_close};

static void acl_reset(void) {
  memset(&A, 0, sizeof A);
}

/* An ordinary user's SID (not an administrator, not this process). */
#define USER_SID L"S-1-5-21-1111111111-2222222222-3333333333-1001"

PC_TEST(install_creates_the_data_folder_with_the_protected_dacl) {
  acl_reset();
  char msg[600];
  PC_CHECK_INT(pc__data_dir_secure(&aops, L"C:\\ProgramData\\portclash", msg, sizeof msg), PC_TRUST_OK);
  PC_CHECK_INT(A.creates, 1);
  printf("DACL passed to CreateDirectoryW: %ls\n", A.create_sddl);
  /* The SDDL of the issue, read back from the descriptor that was passed: protected, SYSTEM
   * and Administrators full control, Users read + execute, inherited by files and folders. */
  PC_CHECK(wcsncmp(A.create_sddl, L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;", 43) == 0);
  PC_CHECK(wcsstr(A.create_sddl, L";;;BU)") != NULL);
  PC_CHECK(A.create_control & SE_DACL_PROTECTED);
  PC_CHECK(A.create_dacl_copy != NULL);
  if (A.create_dacl_copy) {
    PC_CHECK_INT(A.create_dacl_copy->AceCount, 3);
    ACCESS_ALLOWED_ACE *ace = NULL;
    PC_CHECK(GetAce(A.create_dacl_copy, 2, (void **)&ace));
    if (ace) {
      PC_CHECK_UINT(ace->Mask, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE);
      PC_CHECK_UINT(ace->Header.AceFlags, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE);
    }
    PC_CHECK(!pc__dacl_lets_others_write(A.create_dacl_copy));
  }
  PC_CHECK(strstr(msg, "created with a protected DACL") != NULL);
}

PC_TEST(a_data_folder_owned_by_a_user_is_refused_not_repaired) {
  acl_reset();
  A.exists_on_create = true;
  A.sddl = L"O:" USER_SID L"D:(A;OICI;FA;;;" USER_SID L")(A;OICI;FA;;;SY)";
  char msg[600];
  PC_CHECK_INT(pc__data_dir_secure(&aops, L"C:\\ProgramData\\portclash", msg, sizeof msg), PC_TRUST_REFUSED);
  PC_CHECK_INT(A.sets, 0);
  PC_CHECK(strstr(msg, "not an administrator") != NULL);
}

PC_TEST(an_admin_owned_data_folder_writable_by_users_is_repaired) {
  acl_reset();
  A.exists_on_create = true;
  /* What ProgramData hands down: Users may create files and folders (0x116 = WD|AD|WA|WEA). */
  A.sddl = L"O:BAD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;CI;0x116;;;BU)(A;OICIIO;GA;;;CO)";
  char msg[600];
  PC_CHECK_INT(pc__data_dir_secure(&aops, L"C:\\ProgramData\\portclash", msg, sizeof msg), PC_TRUST_REPAIRED);
  PC_CHECK_INT(A.sets, 1);
  PC_CHECK(wcscmp(A.set_owner_sddl, L"S-1-5-32-544") == 0); /* Administrators */
  /* Already protected: nothing to do. */
  acl_reset();
  A.exists_on_create = true;
  A.sddl = L"O:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FRFX;;;BU)";
  PC_CHECK_INT(pc__data_dir_secure(&aops, L"C:\\ProgramData\\portclash", msg, sizeof msg), PC_TRUST_OK);
  PC_CHECK_INT(A.sets, 0);
  /* A junction in its place: refused without looking further. */
  acl_reset();
  A.exists_on_create = true;
  A.sddl = L"O:BAD:P(A;;FA;;;BA)";
  A.attrs = FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT;
  PC_CHECK_INT(pc__data_dir_secure(&aops, L"C:\\ProgramData\\portclash", msg, sizeof msg), PC_TRUST_REFUSED);
  PC_CHECK(strstr(msg, "reparse point") != NULL);
}

PC_TEST(a_config_a_user_owns_or_can_write_is_refused) {
  char msg[600];
  const wchar_t *conf = L"C:\\ProgramData\\portclash\\portclash.conf";
  acl_reset();
  A.sddl = L"O:" USER_SID L"D:P(A;;FA;;;SY)(A;;FA;;;BA)";
  PC_CHECK_INT(pc__path_trusted(&aops, conf, msg, sizeof msg), PC_TRUST_REFUSED);
  PC_CHECK(strstr(msg, "owned by an account that is not an administrator") != NULL);
  acl_reset();
  A.sddl = L"O:BAD:(A;;FA;;;BA)(A;;0x120116;;;AU)"; /* Authenticated Users may write */
  PC_CHECK_INT(pc__path_trusted(&aops, conf, msg, sizeof msg), PC_TRUST_REFUSED);
  acl_reset();
  A.sddl = L"O:BA"; /* no DACL at all: everyone full control */
  PC_CHECK_INT(pc__path_trusted(&aops, conf, msg, sizeof msg), PC_TRUST_REFUSED);
  acl_reset();
  A.sddl = L"O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)";
  A.attrs = FILE_ATTRIBUTE_REPARSE_POINT; /* a symbolic link planted in its place */
  PC_CHECK_INT(pc__path_trusted(&aops, conf, msg, sizeof msg), PC_TRUST_REFUSED);
  acl_reset();
  A.sddl = L"O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)";
  PC_CHECK_INT(pc__path_trusted(&aops, conf, msg, sizeof msg), PC_TRUST_OK);
  acl_reset();
  PC_CHECK_INT(pc__path_trusted(&aops, conf, msg, sizeof msg), PC_TRUST_MISSING);
}

PC_TEST(the_service_monitor_refuses_a_rules_folder_users_can_write) {
  /* The monitor started by the service (--service-child) checks its rules folder, log folder
   * and configuration before it loads anything; a refusal is exit 2 (not retried). */
  acl_reset();
  A.sddl = L"O:BAD:(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;BU)";
  pc__service_set_acl_ops(&aops);
  char *argv[] = {"monitor", "--service-child", "--rules", "C:\\rules", "--status",
                  "0",       "--no-os-schemas", NULL};
  PC_CHECK_INT(pc_cmd_monitor(7, argv), 2);
  PC_CHECK(A.opens >= 1);
  /* A console run does not check (it runs as the user who chose the files). */
  acl_reset();
  A.sddl = L"O:BAD:(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;BU)";
  char *argv2[] = {"monitor", "--rules", "Z:\\nonexistent-rules-dir", "--status", "0", NULL};
  PC_CHECK_INT(pc_cmd_monitor(5, argv2), 2); /* the missing folder, from the rules loader */
  PC_CHECK_INT(A.opens, 0);
  pc__service_set_acl_ops(NULL);
}
