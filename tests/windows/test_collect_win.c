/* `portclash collect` -> `portclash analyze DIR` on Windows, under Wine (issue 16):
 *
 *  - the tools (netsh, netstat, tasklist) go through the injected runner, which answers with
 *    canned output describing this machine as the test set it up: a real listener of this
 *    process on a loopback port (the live host state sees it through the IP Helper tables);
 *    the live host state's own netsh runs get the same canned ranges;
 *  - the fake ETW controller delivers synthesized EVENT_RECORDs of two processes' failed binds
 *    on that port to the REAL callback, and, as the kernel does for a session with a log file
 *    (--record), writes the same events to the capture.etl the session names; it keeps the
 *    session open until portclash stops it (--duration).
 *
 * Then `analyze DIR` must give the same findings as the live run (JSON without the time
 * fields), from the ETL file and the folder's text files only. Nothing here proves what real
 * Windows delivers or writes: the records come from the manifests through the fixture
 * encoder, the ETL file from the test writer (tests/etl/etl_writer.c). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h must come before windows.h */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "collect_fakes.h"
#include "etl_writer.h"
#include "etw_synth.h"
#include "etw.h"
#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_test.h"

#define MAX_EVENTS 24

static struct {
  pc_synth_event ev[MAX_EVENTS];
  int count, delivered;
  EVENT_TRACE_LOGFILEW logfile;
  wchar_t log_file[MAX_PATH];
  HANDLE stopped;
  int etl_written;
  unsigned port;
  unsigned self_pid, holder_pid;
} F;

static ULONG WINAPI fake_start(PTRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p) {
  (void)name;
  *h = (TRACEHANDLE)0x5151;
  F.log_file[0] = L'\0';
  if (p->LogFileNameOffset)
    wcsncpy(F.log_file, (const wchar_t *)((const char *)p + p->LogFileNameOffset), MAX_PATH - 1);
  return ERROR_SUCCESS;
}
static ULONG WINAPI fake_control(TRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p, ULONG code) {
  (void)h, (void)name;
  if (code == EVENT_TRACE_CONTROL_QUERY) {
    p->EventsLost = 0;
    p->RealTimeBuffersLost = 0;
  }
  if (code == EVENT_TRACE_CONTROL_STOP) SetEvent(F.stopped);
  return ERROR_SUCCESS;
}
static ULONG WINAPI fake_enable(TRACEHANDLE h, LPCGUID g, ULONG code, UCHAR level, ULONGLONG any,
                                ULONGLONG all, ULONG timeout, PENABLE_TRACE_PARAMETERS params) {
  (void)h, (void)g, (void)code, (void)level, (void)any, (void)all, (void)timeout, (void)params;
  return ERROR_SUCCESS;
}
static TRACEHANDLE WINAPI fake_open(PEVENT_TRACE_LOGFILEW lf) {
  F.logfile = *lf;
  return (TRACEHANDLE)0x4242;
}

/* What the kernel would write to the session's log file: the same events. */
static void write_etl(void) {
  char path[MAX_PATH * 3];
  if (!F.log_file[0] || !WideCharToMultiByte(CP_UTF8, 0, F.log_file, -1, path, sizeof path, NULL, NULL))
    return;
  pc_etl_writer_opts o = {0};
  o.pointer_size = 8;
  o.cpus = 1;
  o.os_build = 7601;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) return;
  for (int i = 0; i < F.count; i++) {
    pc_record r;
    if (pc_etw_record_from_event(&F.ev[i].ev, &r) != PC_OK) return;
    r.processor = 0;
    if (pc_etl_writer_add(w, &r) != 0) return;
  }
  if (pc_etl_writer_close(w) == 0) F.etl_written = 1;
}

static ULONG WINAPI fake_process(PTRACEHANDLE hs, ULONG n, LPFILETIME a, LPFILETIME b) {
  (void)a, (void)b;
  if (n != 1) return ERROR_INVALID_HANDLE;
  (void)hs;
  for (int i = 0; i < F.count; i++) {
    F.ev[i].ev.UserContext = F.logfile.Context;
    F.logfile.EventRecordCallback(&F.ev[i].ev);
    F.delivered++;
  }
  write_etl();
  /* A real session runs until it is stopped: --duration does that. */
  WaitForSingleObject(F.stopped, 30000);
  return ERROR_SUCCESS;
}
static ULONG WINAPI fake_close(TRACEHANDLE h) {
  (void)h;
  SetEvent(F.stopped);
  return ERROR_SUCCESS;
}
static const pc_etw_api fake_api = {fake_start, fake_control, fake_enable,
                                    fake_open,  fake_process, fake_close};

PC_TEST(collect_then_analyze_dir_gives_the_live_findings) {
  WSADATA wsa;
  PC_CHECK_INT(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
  SOCKET ls = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int sl = sizeof sa;
  PC_CHECK(ls != INVALID_SOCKET);
  PC_CHECK_INT(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
  PC_CHECK_INT(listen(ls, 4), 0);
  getsockname(ls, (struct sockaddr *)&sa, &sl);
  F.port = ntohs(sa.sin_port);
  F.self_pid = (unsigned)GetCurrentProcessId();
  /* The canned netstat shows the listener as the live host state sees it: Windows names this
   * process, Wine often gives a TCP listener PID 0 (toolchain.md section 4). The round trip
   * must hold either way. */
  pc_fake_tools_set(F.port, 0);
  pc__hoststate_set_tool_runner(pc_fake_tools_hoststate, NULL);
  pc_hoststate *hs = NULL;
  char hserr[PC_HOSTSTATE_ERR_MAX];
  PC_CHECK_INT(pc_hoststate_open_live(&hs, hserr, sizeof hserr), PC_OK);
  pc_owner owner;
  size_t total = 0;
  pc_addr lo;
  pc_addr_parse_ip("127.0.0.1", &lo);
  lo.port = (uint16_t)F.port;
  if (hs && pc_hoststate_owners(hs, PC_PROTO_TCP, (uint16_t)F.port, &lo, &owner, 1, &total) == PC_OK && total)
    F.holder_pid = owner.pid;
  pc_hoststate_close(hs);
  printf("the live host state names the listener as pid %u (this process: %u)\n", F.holder_pid, F.self_pid);
  F.stopped = CreateEventW(NULL, TRUE, FALSE, NULL);

  static char text[4096];
  unsigned p = F.port;
  snprintf(text, sizeof text,
           "@0.000000 afd 1000 v0 pid=4 startkey=9007199254741001 : EnterExit=1 Location=1012 "
           "Process=0xffffa00000002000 Endpoint=0xffffb00000000020 AddressFamily=2 SocketType=1 Protocol=6 "
           "ProcessId=2222 Status=0\n"
           "@0.000100 afd 1030 v0 pid=2222 startkey=9007199254741001 : EnterExit=0 Location=7010 "
           "Process=0xffffa00000002000 Endpoint=0xffffb00000000020 Status=0 Address=127.0.0.1:%u\n"
           "@0.000150 tcpip 1006 v1 pid=2222 startkey=9007199254741001 : Endpoint=0xffffc00000000001 "
           "LocalAddress=127.0.0.1:%u Status=0xC000020A\n"
           "@0.000200 afd 1030 v0 pid=2222 startkey=9007199254741001 : EnterExit=1 Location=7022 "
           "Process=0xffffa00000002000 Endpoint=0xffffb00000000020 Status=0xC0000043\n"
           "@0.000300 winsock 12 v0 pid=2222 startkey=9007199254741001 : ErrorCode=10048 Socket=0x1f4 "
           "Address=127.0.0.1:%u\n"
           "@0.500000 afd 1000 v0 pid=4 startkey=9007199254741001 : EnterExit=1 Location=1012 "
           "Process=0xffffa00000002000 Endpoint=0xffffb00000000028 AddressFamily=2 SocketType=1 Protocol=6 "
           "ProcessId=2222 Status=0\n"
           "@0.500100 afd 1030 v0 pid=2222 : EnterExit=0 Location=7010 Process=0xffffa00000002000 "
           "Endpoint=0xffffb00000000028 Status=0 Address=127.0.0.1:%u\n"
           "@0.500200 afd 1030 v0 pid=2222 : EnterExit=1 Location=7022 Process=0xffffa00000002000 "
           "Endpoint=0xffffb00000000028 Status=0xC0000043\n"
           "@0.500300 winsock 12 v0 pid=2222 : ErrorCode=10048 Socket=0x1f8 Address=127.0.0.1:%u\n"
           "@1.000000 afd 1000 v0 pid=4 : EnterExit=1 Location=1012 Process=0xffffa00000003000 "
           "Endpoint=0xffffb00000000030 AddressFamily=2 SocketType=1 Protocol=6 ProcessId=3333 Status=0\n"
           "@1.000100 afd 1030 v0 pid=3333 : EnterExit=0 Location=7010 Process=0xffffa00000003000 "
           "Endpoint=0xffffb00000000030 Status=0 Address=127.0.0.1:%u\n"
           "@1.000200 afd 1030 v0 pid=3333 : EnterExit=1 Location=7022 Process=0xffffa00000003000 "
           "Endpoint=0xffffb00000000030 Status=0xC0000043\n"
           "@1.000300 winsock 12 v0 pid=3333 : ErrorCode=10048 Socket=0x1f8 Address=127.0.0.1:%u\n",
           p, p, p, p, p, p, p);
  F.count = pc_synth_events(text, pc_synth_now(), F.ev, MAX_EVENTS);
  PC_CHECK_INT(F.count, 13);

  pc_fake_tools_set(F.port, F.holder_pid);
  pc__collect_set_runner(pc_fake_tools_run, NULL);
  char dir[MAX_PATH];
  /* Wine reuses small process ids after a restart: the tick count keeps the name new. */
  snprintf(dir, sizeof dir, "pc-test-collect-%u-%llu", F.self_pid, (unsigned long long)GetTickCount64());
  char *argv[] = {"collect", "--out", dir, "--duration", "3", "--no-os-schemas", NULL};
  PC_CHECK_INT(pc__cmd_collect_with(6, argv, &fake_api), PC_EXIT_OK);
  pc__collect_set_runner(NULL, NULL);
  PC_CHECK_INT(F.delivered, 13);
  PC_CHECK(F.etl_written);
  /* 4 excluded + 4 dynamic + 2 http + (netstat -ano, -qno, tasklist) before and after. */
  PC_CHECK_INT(pc_fake_tools_runs(), 16);

  char path[MAX_PATH * 2];
  char *manifest = NULL;
  static pc_collect_manifest m;
  PC_CHECK(pc_test_collect_manifest(dir, &m, &manifest));
  if (!manifest) return;
  PC_CHECK(strstr(manifest, "\"command\":\"netsh int ipv6 show excludedportrange protocol=udp\"") != NULL);
  PC_CHECK(strstr(manifest, "\"hints\":\"ipv6:udp:\"") != NULL);
  PC_CHECK(strstr(manifest, "\"command\":\"tasklist /svc /fo csv\"") != NULL);
  PC_CHECK(strstr(manifest, "\"name\":\"capture.etl\",\"kind\":\"capture\"") != NULL);
  PC_CHECK(strstr(manifest, "not taken: --no-os-schemas") != NULL);
  free(manifest);

  snprintf(path, sizeof path, "%s\\findings.jsonl", dir);
  char *live = pc_test_read_text(path);
  PC_CHECK(live != NULL);
  char replay_log[MAX_PATH];
  snprintf(replay_log, sizeof replay_log, "pc-test-collect-%u-replay.jsonl", F.self_pid);
  DeleteFileA(replay_log);
  char *aargv[] = {"analyze", dir, "--quiet", "--log", replay_log, "--log-format", "json", NULL};
  PC_CHECK_INT(pc_cmd_analyze(7, aargv), PC_EXIT_OK);
  char *replay = pc_test_read_text(replay_log);
  PC_CHECK(replay != NULL);
  if (!live || !replay) return;
  printf("live:\n%sreplay:\n%s", live, replay);
  static char a[8][2048], b[8][2048];
  int na = pc_test_findings_without_times(live, a, 8), nb = pc_test_findings_without_times(replay, b, 8);
  /* pid 2222 failed twice within the window: the live run wrote the first at once and the
   * repeat at the end; the replay must do the same (not one finding with count 2). */
  PC_CHECK_INT(na, 3);
  PC_CHECK_INT(nb, na);
  for (int i = 0; i < na && i < nb; i++) {
    if (strcmp(a[i], b[i]) != 0) printf("differs:\n  live   %s\n  replay %s\n", a[i], b[i]);
    PC_CHECK_STR(b[i], a[i]);
  }
  /* Where the live view names the holder, the folder's netstat and tasklist name it too. */
  if (F.holder_pid == F.self_pid) PC_CHECK(strstr(replay, "\"owner_process\":\"") != NULL);
  pc__hoststate_set_tool_runner(NULL, NULL);
  free(live);
  free(replay);
  closesocket(ls);
  /* Leave nothing behind: the folder's files, the folder, the replay log. */
  PC_CHECK(pc_test_remove_folder(dir));
  DeleteFileA(replay_log);
}
