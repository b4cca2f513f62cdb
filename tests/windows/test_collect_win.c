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

/* ---- the tools ---- */

static char g_image[MAX_PATH];
static int g_tool_runs;

static char *canned(const char *tool, const char *args) {
  static char out[2048];
  const char *proto = strstr(args, "udp") ? "udp" : "tcp";
  if (strcmp(tool, "netsh") == 0 && strstr(args, "excludedportrange"))
    snprintf(
        out, sizeof out,
        "\r\nProtocol %s Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n----------    --------\r\n"
        "      5357        5357\r\n     50000       50059     *\r\n\r\n* - Administered port exclusions.\r\n",
        proto);
  else if (strcmp(tool, "netsh") == 0 && strstr(args, "dynamicport"))
    snprintf(out, sizeof out,
             "\r\nProtocol %s Dynamic Port Range\r\n---------------------------------\r\nStart Port      : "
             "49152\r\nNumber of Ports : 16384\r\n",
             proto);
  else if (strcmp(tool, "netsh") == 0 && strstr(args, "urlacl"))
    snprintf(out, sizeof out, "\r\nURL Reservations:\r\n-----------------\r\n\r\n");
  else if (strcmp(tool, "netsh") == 0)
    snprintf(out, sizeof out,
             "\r\nSnapshot of HTTP service state (Request Queue View):\r\n"
             "-----------------------------------------------------\r\n\r\n");
  else if (strcmp(tool, "netstat") == 0)
    snprintf(out, sizeof out,
             "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State     "
             "      "
             "PID\r\n  TCP    127.0.0.1:%u        0.0.0.0:0              LISTENING       %u\r\n",
             F.port, F.holder_pid);
  else if (strcmp(tool, "tasklist") == 0)
    snprintf(out, sizeof out, "\"Image Name\",\"PID\",\"Services\"\r\n\"%s\",\"%u\",\"N/A\"\r\n", g_image,
             F.self_pid);
  else
    return NULL;
  return out;
}

static pc_err fake_run(void *ctx, const char *const *argv, uint32_t timeout_ms, size_t max,
                       pc_os_run_result *res) {
  (void)ctx, (void)timeout_ms, (void)max;
  memset(res, 0, sizeof *res);
  char args[256] = "";
  size_t n = 0;
  for (int i = 1; argv[i]; i++)
    n += (size_t)snprintf(args + n, sizeof args - n, "%s%s", i > 1 ? " " : "", argv[i]);
  const char *out = canned(argv[0], args);
  if (!out) return PC_ENOENT;
  g_tool_runs++;
  res->output = _strdup(out);
  res->len = strlen(out);
  res->exit_code = 0;
  return PC_OK;
}

/* The live host state's netsh runs (hoststate/win.c) get the same ranges. */
static char *fake_tool(void *ctx, const char *tool, const char *args, size_t *len) {
  (void)ctx;
  const char *out = canned(tool, args);
  if (!out) return NULL;
  *len = strlen(out);
  return _strdup(out);
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

/* The findings of a JSON-lines text without "ts" and "ts_last", sorted, one per line. */
static int strip_times(char *text, char lines[][2048], int cap) {
  int n = 0;
  for (char *p = text; *p && n < cap;) {
    char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len && p[0] == '{') {
      char *o = lines[n];
      size_t k = 0;
      for (size_t i = 0; i < len && k + 1 < 2048;) {
        /* Drop `"ts":"...",` and `,"ts_last":"..."` members. */
        if (strncmp(p + i, "\"ts\":\"", 6) == 0 || strncmp(p + i, ",\"ts_last\":\"", 12) == 0) {
          size_t j = i + (p[i] == ',' ? 12 : 6);
          while (j < len && p[j] != '"') j++;
          i = j + 1;
          if (i < len && p[i] == ',' && p[i - 1] == '"' && o[k - 1] == '{') i++;
          continue;
        }
        o[k++] = p[i++];
      }
      o[k] = 0;
      n++;
    }
    p += len + (e ? 1 : 0);
  }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(lines[i], lines[j]) > 0) {
        char t[2048];
        memcpy(t, lines[i], 2048);
        memcpy(lines[i], lines[j], 2048);
        memcpy(lines[j], t, 2048);
      }
  return n;
}

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
  pc__hoststate_set_tool_runner(fake_tool, NULL);
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
  /* The image name the live process lookup gives, for the canned tasklist. */
  char full[MAX_PATH];
  GetModuleFileNameA(NULL, full, sizeof full);
  const char *base = strrchr(full, '\\');
  snprintf(g_image, sizeof g_image, "%s", base ? base + 1 : full);

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

  pc__collect_set_runner(fake_run, NULL);
  char dir[MAX_PATH];
  /* Wine reuses small process ids after a restart: the tick count keeps the name new. */
  snprintf(dir, sizeof dir, "pc-test-collect-%u-%llu", F.self_pid, (unsigned long long)GetTickCount64());
  char *argv[] = {"collect", "--out", dir, "--duration", "3", "--no-os-schemas", NULL};
  PC_CHECK_INT(pc__cmd_collect_with(6, argv, &fake_api), PC_EXIT_OK);
  pc__collect_set_runner(NULL, NULL);
  PC_CHECK_INT(F.delivered, 13);
  PC_CHECK(F.etl_written);
  /* 4 excluded + 4 dynamic + 2 http + (netstat -ano, -qno, tasklist) before and after. */
  PC_CHECK_INT(g_tool_runs, 16);

  char path[MAX_PATH * 2];
  snprintf(path, sizeof path, "%s\\manifest.json", dir);
  char *manifest = read_text(path);
  PC_CHECK(manifest != NULL);
  if (!manifest) return;
  pc_collect_manifest m;
  char err[600];
  PC_CHECK_INT(pc_collect_manifest_parse(manifest, strlen(manifest), path, &m, err, sizeof err), PC_OK);
  PC_CHECK(m.complete);
  PC_CHECK_STR(m.source, "etw");
  PC_CHECK_STR(m.os, "windows");
  PC_CHECK(strstr(manifest, "\"command\":\"netsh int ipv6 show excludedportrange protocol=udp\"") != NULL);
  PC_CHECK(strstr(manifest, "\"hints\":\"ipv6:udp:\"") != NULL);
  PC_CHECK(strstr(manifest, "\"command\":\"tasklist /svc /fo csv\"") != NULL);
  PC_CHECK(strstr(manifest, "\"name\":\"capture.etl\",\"kind\":\"capture\"") != NULL);
  PC_CHECK(strstr(manifest, "not taken: --no-os-schemas") != NULL);
  free(manifest);

  snprintf(path, sizeof path, "%s\\findings.jsonl", dir);
  char *live = read_text(path);
  PC_CHECK(live != NULL);
  char replay_log[MAX_PATH];
  snprintf(replay_log, sizeof replay_log, "pc-test-collect-%u-replay.jsonl", F.self_pid);
  DeleteFileA(replay_log);
  char *aargv[] = {"analyze", dir, "--quiet", "--log", replay_log, "--log-format", "json", NULL};
  PC_CHECK_INT(pc_cmd_analyze(7, aargv), PC_EXIT_OK);
  char *replay = read_text(replay_log);
  PC_CHECK(replay != NULL);
  if (!live || !replay) return;
  printf("live:\n%sreplay:\n%s", live, replay);
  static char a[8][2048], b[8][2048];
  int na = strip_times(live, a, 8), nb = strip_times(replay, b, 8);
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
  char pattern[MAX_PATH * 2];
  snprintf(pattern, sizeof pattern, "%s\\*", dir);
  WIN32_FIND_DATAA fd;
  HANDLE h = FindFirstFileA(pattern, &fd);
  if (h != INVALID_HANDLE_VALUE) {
    do {
      snprintf(path, sizeof path, "%s\\%s", dir, fd.cFileName);
      if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) DeleteFileA(path);
    } while (FindNextFileA(h, &fd));
    FindClose(h);
  }
  PC_CHECK(RemoveDirectoryA(dir));
  DeleteFileA(replay_log);
}
