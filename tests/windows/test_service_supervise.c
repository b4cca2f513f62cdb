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

#include "pc_cli.h"
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
  strncat(S.log, line, sizeof S.log - strlen(S.log) - 2);
  strcat(S.log, "\n");
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
