/* `portclash selftest` (Windows) under Wine, with a fake ETW controller.
 *
 * The provocations are the real ones: real Winsock sockets of this process on loopback ports
 * the self-test picks (Wine's ws2_32 over Linux sockets). Wine stubs ETW, so a fake
 * controller (the pc_etw_api seam) plays the session: after each provocation it delivers,
 * through the REAL EventRecordCallback, queue, decoder, correlator, host state, rules and
 * checks, the events Windows is expected to log for it, with the real sockets' PID, ports and
 * errors. Those events are INFERRED (shared/reference/etw-facts.md sections 2-4 and the
 * manifests in reference/etw/): AFD 1000/1030, TCPIP 1013 v2 + 1006 v1 (TCP) or 1394 (UDP),
 * and Winsock-Sockets 2/8/12 only when the self-test enabled that provider (Windows 11+).
 * The AFD status of an in-use bind is STATUS_SHARING_VIOLATION, TCPIP's
 * STATUS_ADDRESS_ALREADY_EXISTS; a denied one STATUS_ACCESS_DENIED (etw-facts.md 4.2, 4.3).
 *
 * Asserted: the cells of the sharing tables where Wine and Windows agree (test_winsock_conflicts.c)
 * give the Windows errors and pass end to end; the verdict is pass with exit 0; with the fake
 * controller delivering nothing the self-test fails and says "no events from the kernel
 * providers: ..." with next steps; without administrator rights it exits 3 before any
 * session; on a simulated Ctrl+C (and console close) the excluded range is removed through
 * the injected netsh, the sockets are closed and the session is stopped. The other cells are
 * printed (pass, or skipped with both results). Nothing here shows what Windows delivers. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h must come before windows.h */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
/* clang-format on */

#include <io.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "etw_synth.h"
#include "pc_error.h"
#include "pc_test.h"
#include "selftest-win.h"

#define FAKE_SESSION ((TRACEHANDLE)0x5151)
#define FAKE_CONSUMER ((TRACEHANDLE)0x4242)
#define MAX_EVENTS 512
#define MAX_NETSH 16
#define MAX_PORTS 32

enum { DELIVER, SILENT };

static struct {
  CRITICAL_SECTION lock;
  HANDLE wake;
  pc_synth_event ev[MAX_EVENTS];
  int count, delivered;
  EVENT_TRACE_LOGFILEW logfile;
  volatile LONG started, stop_calls, closed, process_returned;
  bool winsock_enabled;
  int mode;
  bool admin;
  char netsh[MAX_NETSH][160];
  int n_netsh;
  /* Simulated console event: raised from another thread after the case of this name. */
  const char *ctrl_case;
  DWORD ctrl_type;
  BOOL ctrl_result;
  int netsh_after_ctrl; /* netsh calls done when the handler returned */
  struct {
    uint8_t proto;
    uint16_t port;
  } ports[MAX_PORTS];
  int n_ports;
  unsigned endpoint; /* the next fake AFD endpoint / socket handle */
} F;

static void reset(int mode) {
  EnterCriticalSection(&F.lock);
  F.count = F.delivered = 0;
  F.started = F.stop_calls = F.closed = F.process_returned = 0;
  F.winsock_enabled = false;
  F.mode = mode;
  F.admin = true;
  F.n_netsh = 0;
  F.ctrl_case = NULL;
  F.ctrl_result = -1;
  F.netsh_after_ctrl = -1;
  F.n_ports = 0;
  LeaveCriticalSection(&F.lock);
}

/* ---- The fake controller ---- */

static ULONG WINAPI fake_start(PTRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p) {
  (void)name, (void)p;
  *h = FAKE_SESSION;
  InterlockedIncrement(&F.started);
  return ERROR_SUCCESS;
}
static ULONG WINAPI fake_control(TRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p, ULONG code) {
  (void)h, (void)name;
  if (code == EVENT_TRACE_CONTROL_QUERY) {
    p->EventsLost = 0;
    p->RealTimeBuffersLost = 0;
  } else if (code == EVENT_TRACE_CONTROL_STOP) {
    InterlockedIncrement(&F.stop_calls);
    SetEvent(F.wake);
  }
  return ERROR_SUCCESS;
}
static ULONG WINAPI fake_enable(TRACEHANDLE h, LPCGUID g, ULONG code, UCHAR level, ULONGLONG any,
                                ULONGLONG all, ULONG timeout, PENABLE_TRACE_PARAMETERS params) {
  (void)h, (void)level, (void)any, (void)all, (void)timeout, (void)params;
  if (code == EVENT_CONTROL_CODE_ENABLE_PROVIDER && memcmp(g, &PC_GUID_WINSOCK_SOCKETS, sizeof(GUID)) == 0)
    F.winsock_enabled = true;
  return ERROR_SUCCESS;
}
static TRACEHANDLE WINAPI fake_open(PEVENT_TRACE_LOGFILEW lf) {
  F.logfile = *lf;
  return FAKE_CONSUMER;
}
/* Delivers what the provocations queued, as it comes, until the session is stopped. */
static ULONG WINAPI fake_process(PTRACEHANDLE hs, ULONG n, LPFILETIME a, LPFILETIME b) {
  (void)a, (void)b;
  if (n != 1 || hs[0] != FAKE_CONSUMER) return ERROR_INVALID_HANDLE;
  while (!F.stop_calls) {
    WaitForSingleObject(F.wake, 50);
    EnterCriticalSection(&F.lock);
    while (F.delivered < F.count) {
      pc_synth_event *s = &F.ev[F.delivered++];
      s->ev.UserContext = F.logfile.Context;
      F.logfile.EventRecordCallback(&s->ev);
    }
    LeaveCriticalSection(&F.lock);
  }
  InterlockedIncrement(&F.process_returned);
  return ERROR_SUCCESS;
}
static ULONG WINAPI fake_close(TRACEHANDLE h) {
  (void)h;
  InterlockedIncrement(&F.closed);
  return ERROR_SUCCESS;
}
static const pc_etw_api fake_api = {fake_start, fake_control, fake_enable,
                                    fake_open,  fake_process, fake_close};

/* ---- The events of one provocation (inferred, see the top of the file) ---- */

typedef struct text {
  char buf[8192];
  size_t n;
} text;

static void put(text *t, const char *fmt, ...) PC_PRINTF(2, 3);
static void put(text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
  va_end(ap);
  if (k > 0 && (size_t)k < sizeof t->buf - t->n) t->n += (size_t)k;
}

static void addr_text(const pc_addr *a, char *out, size_t cap) {
  char ip[PC_ADDR_TEXT_MAX];
  pc_addr_format_ip(a, ip, sizeof ip);
  snprintf(out, cap, a->family == PC_AF_INET6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)a->port);
}

/* One socket's life up to its bind: AFD create, Winsock-Sockets create and options, the AFD
 * bind enter, TCPIP (failures only), the AFD bind exit and Winsock-Sockets' bind stop. */
static void socket_events(text *t, double at, uint32_t pid, uint8_t proto, const pc_addr *a, uint32_t opts,
                          bool v6only_off, int error) {
  unsigned ep = ++F.endpoint;
  int fam = a->family == PC_AF_INET6 ? 23 : 2, type = proto == PC_PROTO_UDP ? 2 : 1;
  char at_text[PC_ADDR_TEXT_MAX + 8];
  addr_text(a, at_text, sizeof at_text);
  uint32_t afd_st = error == WSAEADDRINUSE ? 0xC0000043u : error == WSAEACCES ? 0xC0000022u : 0;
  uint32_t ip_st = error == WSAEADDRINUSE ? 0xC000020Au : afd_st;
  bool ws = F.winsock_enabled;
  put(t,
      "@%.6f afd 1000 v0 pid=4 : EnterExit=1 Location=1012 Process=0xffffa00000001000 "
      "Endpoint=0xffffb000%08x "
      "AddressFamily=%d SocketType=%d Protocol=%u ProcessId=%u Status=0\n",
      at, ep, fam, type, (unsigned)proto, (unsigned)pid);
  if (ws)
    put(t,
        "@%.6f winsock 2 v0 pid=%u : ErrorCode=0 Socket=0x%x AddressFamily=%d SocketType=%d Protocol=%u "
        "ProcessId=%u\n",
        at + 0.00001, (unsigned)pid, ep, fam, type, (unsigned)proto, (unsigned)pid);
  if (ws && (opts & PC_SOCKOPT_REUSEADDR))
    put(t, "@%.6f winsock 8 v0 pid=%u : ErrorCode=0 Socket=0x%x Level=0xFFFF OptName=4 OptVal=hex:01000000\n",
        at + 0.00002, (unsigned)pid, ep);
  if (ws && (opts & PC_SOCKOPT_EXCLUSIVEADDRUSE))
    put(t,
        "@%.6f winsock 8 v0 pid=%u : ErrorCode=0 Socket=0x%x Level=0xFFFF OptName=-5 OptVal=hex:01000000\n",
        at + 0.00002, (unsigned)pid, ep);
  if (ws && v6only_off)
    put(t, "@%.6f winsock 8 v0 pid=%u : ErrorCode=0 Socket=0x%x Level=41 OptName=27 OptVal=hex:00000000\n",
        at + 0.00003, (unsigned)pid, ep);
  put(t,
      "@%.6f afd 1030 v0 pid=%u : EnterExit=0 Location=7010 Process=0xffffa00000001000 "
      "Endpoint=0xffffb000%08x "
      "Status=0 Address=%s\n",
      at + 0.0001, (unsigned)pid, ep, at_text);
  if (error && proto == PC_PROTO_TCP) {
    put(t,
        "@%.6f tcpip 1013 v2 pid=4 : Endpoint=0xffffc000%08x LocalAddress=%s Status=0 ProcessId=%u "
        "CompartmentId=1 AddressFamily=%d ProcessStartKey=0\n",
        at + 0.00012, ep, fam == 23 ? "[::]:0" : "0.0.0.0:0", (unsigned)pid, fam);
    put(t, "@%.6f tcpip 1006 v1 pid=4 : Endpoint=0xffffc000%08x LocalAddress=%s Status=0x%X\n", at + 0.00015,
        ep, at_text, (unsigned)ip_st);
  } else if (error) {
    put(t, "@%.6f tcpip 1394 v0 pid=%u : LocalAddress=%s Status=0x%X Endpoint=0xffffc000%08x\n", at + 0.00015,
        (unsigned)pid, at_text, (unsigned)ip_st, ep);
  }
  put(t,
      "@%.6f afd 1030 v0 pid=%u : EnterExit=1 Location=7022 Process=0xffffa00000001000 "
      "Endpoint=0xffffb000%08x "
      "Status=0x%X Address=%s\n",
      at + 0.0002, (unsigned)pid, ep, (unsigned)afd_st, at_text);
  if (ws)
    put(t, "@%.6f winsock 12 v0 pid=%u : ErrorCode=%d Socket=0x%x Address=%s\n", at + 0.0003, (unsigned)pid,
        error, ep, at_text);
}

static void note_port(uint8_t proto, uint16_t port) {
  if (F.n_ports < MAX_PORTS && port) {
    F.ports[F.n_ports].proto = proto;
    F.ports[F.n_ports++].port = port;
  }
}

static DWORD WINAPI ctrl_thread(LPVOID arg) {
  (void)arg;
  F.ctrl_result = pc__selftest_win_ctrl(F.ctrl_type);
  F.netsh_after_ctrl = F.n_netsh;
  return 0;
}

static void on_provoked(void *ud, const pc_selftest_win_bind *b) {
  (void)ud;
  const pc_selftest_case *c = b->c;
  if (b->holder) note_port(b->holder_proto, b->holder_addr.port);
  note_port(c->proto, c->addr.port);
  printf("provoked %-24s port %5u error %5d%s%s\n", c->name, (unsigned)c->addr.port, c->error,
         c->skipped ? " skipped: " : "", c->skipped ? c->why : "");
  if (F.mode == DELIVER && !c->skipped) {
    static text t;
    t.n = 0;
    t.buf[0] = '\0';
    if (b->holder) socket_events(&t, 0.0, c->pid, b->holder_proto, &b->holder_addr, b->holder_opts, false, 0);
    socket_events(&t, 0.001, c->pid, c->proto, &c->addr, b->opts, b->v6only_off, c->error);
    EnterCriticalSection(&F.lock);
    int n = pc_synth_events(t.buf, pc_synth_now(), F.ev + F.count, MAX_EVENTS - F.count);
    if (n > 0) F.count += n;
    LeaveCriticalSection(&F.lock);
    if (n <= 0) printf("could not synthesize:\n%s", t.buf);
    PC_CHECK(n > 0);
    SetEvent(F.wake);
  }
  if (F.ctrl_case && strcmp(F.ctrl_case, c->name) == 0) {
    /* Windows runs console handlers on a new thread. */
    HANDLE th = CreateThread(NULL, 0, ctrl_thread, NULL, 0, NULL);
    PC_CHECK(th != NULL);
    if (th) {
      WaitForSingleObject(th, 30000);
      CloseHandle(th);
    }
  }
}

static bool fake_admin(void *ud) {
  (void)ud;
  return F.admin;
}

/* Records the command; add and delete succeed (no range exists under Wine). */
static int fake_netsh(void *ud, const char *args) {
  (void)ud;
  if (F.n_netsh < MAX_NETSH) snprintf(F.netsh[F.n_netsh++], sizeof F.netsh[0], "%s", args);
  return 0;
}

static const pc_selftest_win_seams seams = {&fake_api, fake_admin, fake_netsh, on_provoked, NULL};

/* Runs the self-test with the seams, stdout and stderr captured into out and err. */
static int run(char **argv, int argc, char *out, size_t out_cap, char *err, size_t err_cap) {
  char po[MAX_PATH], pe[MAX_PATH];
  snprintf(po, sizeof po, "pc-test-selftest-out-%lu.txt", (unsigned long)GetCurrentProcessId());
  snprintf(pe, sizeof pe, "pc-test-selftest-err-%lu.txt", (unsigned long)GetCurrentProcessId());
  fflush(stdout);
  fflush(stderr);
  int so = _dup(1), se = _dup(2);
  FILE *fo = fopen(po, "w+b"), *fe = fopen(pe, "w+b");
  if (!fo || !fe || so < 0 || se < 0) return -1;
  _dup2(_fileno(fo), 1);
  _dup2(_fileno(fe), 2);
  int rc = pc__cmd_selftest_with(argc, argv, &seams);
  fflush(stdout);
  fflush(stderr);
  _dup2(so, 1);
  _dup2(se, 2);
  _close(so);
  _close(se);
  rewind(fo);
  rewind(fe);
  size_t n = fread(out, 1, out_cap - 1, fo);
  out[n] = 0;
  n = fread(err, 1, err_cap - 1, fe);
  err[n] = 0;
  fclose(fo);
  fclose(fe);
  DeleteFileA(po);
  DeleteFileA(pe);
  printf("--- stdout\n%s--- stderr\n%s---\n", out, err);
  return rc;
}

/* The JSON object of check name (flat: up to the next '}'), copied into obj. */
static bool check_of(const char *json, const char *name, char *obj, size_t cap) {
  char key[64];
  snprintf(key, sizeof key, "{\"name\":\"%s\"", name);
  const char *p = strstr(json, key);
  if (!p) return false;
  const char *e = strchr(p, '}');
  size_t n = e ? (size_t)(e - p + 1) : strlen(p);
  if (n >= cap) n = cap - 1;
  memcpy(obj, p, n);
  obj[n] = 0;
  return true;
}

/* Every port the run used can be bound again: its sockets are closed. */
static void ports_are_free(void) {
  for (int i = 0; i < F.n_ports; i++) {
    bool udp = F.ports[i].proto == PC_PROTO_UDP;
    SOCKET s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, udp ? IPPROTO_UDP : IPPROTO_TCP);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(F.ports[i].port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = bind(s, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0)
      printf("port %u/%s still held (%d)\n", F.ports[i].port, udp ? "udp" : "tcp", WSAGetLastError());
    PC_CHECK_INT(rc, 0);
    closesocket(s);
  }
}

static void setup(void) {
  static bool done;
  if (done) return;
  done = true;
  InitializeCriticalSection(&F.lock);
  F.wake = CreateEventW(NULL, FALSE, FALSE, NULL);
  WSADATA w;
  WSAStartup(MAKEWORD(2, 2), &w);
}

static char out[65536], err[65536];

PC_TEST(not_administrator_exits_3_before_any_session) {
  setup();
  reset(DELIVER);
  F.admin = false;
  char *argv[] = {"selftest", "--no-os-schemas", NULL};
  PC_CHECK_INT(run(argv, 2, out, sizeof out, err, sizeof err), PC_EXIT_PRIVILEGE);
  PC_CHECK(strstr(err, "portclash selftest: needs an elevated console") != NULL);
  PC_CHECK(strstr(err, "Run as administrator") != NULL);
  PC_CHECK_INT((int)F.started, 0);
  PC_CHECK_INT(F.n_netsh, 0);
}

PC_TEST(passes_when_the_controller_delivers_the_expected_events) {
  setup();
  reset(DELIVER);
  char *argv[] = {"selftest", "--json", "--no-os-schemas", NULL};
  int rc = run(argv, 3, out, sizeof out, err, sizeof err);
  PC_CHECK_INT(rc, PC_EXIT_OK);
  /* One document, on the last line (the lines before it are this test's "provoked" notes). */
  const char *doc = strstr(out, "{\"source\":\"etw\",\"attached\":\"ETW session 'portclash-selftest-");
  PC_CHECK(doc != NULL && (doc == out || doc[-1] == '\n'));
  PC_CHECK(doc != NULL && strchr(doc, '\n') == doc + strlen(doc) - 1);
  PC_CHECK(strstr(out, "\"verdict\":\"pass\"") != NULL);
  PC_CHECK(strstr(out, "\"failed\":0,") != NULL);
  char obj[2048];
  /* The cells where Wine and Windows agree: the real Winsock result, caught once, explained
   * as the expected cause, from AFD and TCPIP (and Winsock-Sockets where enabled). */
  static const struct {
    const char *name, *error;
  } agreed[] = {
      {"tcp-in-use", "\"error\":10048,\"error_name\":\"WSAEADDRINUSE\""},
      {"udp-in-use", "\"error\":10048,\"error_name\":\"WSAEADDRINUSE\""},
      {"reuseaddr-vs-plain", "\"error\":10013,\"error_name\":\"WSAEACCES\""},
  };
  char pid[32];
  snprintf(pid, sizeof pid, "\"pid\":%lu,", (unsigned long)GetCurrentProcessId());
  for (size_t i = 0; i < sizeof agreed / sizeof agreed[0]; i++) {
    PC_CHECK(check_of(out, agreed[i].name, obj, sizeof obj));
    printf("%s\n", obj);
    PC_CHECK(strstr(obj, "\"result\":\"pass\"") != NULL);
    PC_CHECK(strstr(obj, agreed[i].error) != NULL);
    PC_CHECK(strstr(obj, "\"caught\":1,\"once\":true") != NULL);
    PC_CHECK(strstr(obj, pid) != NULL);
    PC_CHECK(strstr(obj, "\"rule_expected\":true") != NULL);
    PC_CHECK(strstr(obj, F.winsock_enabled ? "\"providers\":\"afd+tcpip+winsock\""
                                           : "\"providers\":\"afd+tcpip\"") != NULL);
    PC_CHECK(strstr(obj, "\"latency_ms\":null") == NULL);
  }
  PC_CHECK(check_of(out, "tcp-in-use", obj, sizeof obj) && strstr(obj, "\"rule_id\":\"C31\"") != NULL);
  PC_CHECK(check_of(out, "reuseaddr-vs-plain", obj, sizeof obj) &&
           strstr(obj, "\"rule_id\":\"C20\"") != NULL);
  /* The cells where Wine may differ from Windows: pass, or skipped saying both results. */
  static const char *const other[] = {"exclusive-vs-reuseaddr", "wildcard-vs-specific", "dual-stack",
                                      "excluded-port"};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
    PC_CHECK(check_of(out, other[i], obj, sizeof obj));
    printf("%s\n", obj);
    PC_CHECK(strstr(obj, "\"result\":\"pass\"") != NULL || strstr(obj, "\"result\":\"skipped\"") != NULL);
  }
  PC_CHECK(check_of(out, "success", obj, sizeof obj) && strstr(obj, "\"result\":\"pass\"") != NULL &&
           strstr(obj, "\"caught\":0,") != NULL);
  /* The excluded range: added on a free port through netsh, and removed again. */
  PC_CHECK_INT(F.n_netsh, 2);
  PC_CHECK(strstr(F.netsh[0], "int ipv4 add excludedportrange protocol=tcp startport=") == F.netsh[0]);
  PC_CHECK(strstr(F.netsh[0], "numberofports=1 store=active") != NULL);
  PC_CHECK(strncmp(F.netsh[1], "int ipv4 delete", 15) == 0 && strcmp(F.netsh[0] + 13, F.netsh[1] + 16) == 0);
  /* The session was stopped and closed, every socket closed. */
  PC_CHECK((int)F.stop_calls >= 1);
  PC_CHECK((int)F.process_returned == 1);
  PC_CHECK((int)F.closed >= 1);
  ports_are_free();
}

PC_TEST(fails_with_next_steps_when_no_event_arrives) {
  setup();
  reset(SILENT);
  char *argv[] = {"selftest", "--no-os-schemas", "--timeout", "1", NULL};
  PC_CHECK_INT(run(argv, 4, out, sizeof out, err, sizeof err), PC_EXIT_FAILURE);
  PC_CHECK(strstr(out, "verdict: FAIL") != NULL);
  PC_CHECK(strstr(out, "  FAIL tcp-in-use") != NULL);
  PC_CHECK(strstr(out, "not caught: no finding for pid") != NULL);
  PC_CHECK(strstr(out, "  PASS success") != NULL);
  PC_CHECK(strstr(err, "portclash selftest: no events from the kernel providers: ") != NULL);
  PC_CHECK(strstr(err, "Next steps: check that the session runs") != NULL);
  PC_CHECK(strstr(err, "('logman query -ets' lists portclash-selftest-") != NULL);
  PC_CHECK_INT(F.n_netsh, 2);
  ports_are_free();
}

/* Runs the self-test with a console event of type raised during the excluded-port case (the
 * range has been added then); the run must stop with exit 1, the range removed exactly once,
 * the session stopped and every socket closed. */
static void run_interrupted(DWORD type) {
  setup();
  reset(SILENT); /* nothing to wait for: the checks before it time out in 1 s */
  F.ctrl_case = "excluded-port";
  F.ctrl_type = type;
  char *argv[] = {"selftest", "--no-os-schemas", "--timeout", "1", NULL};
  PC_CHECK_INT(run(argv, 4, out, sizeof out, err, sizeof err), PC_EXIT_FAILURE);
  PC_CHECK(strstr(err, "portclash selftest: interrupted; every socket and process it made is cleaned up") !=
           NULL);
  PC_CHECK(strstr(out, "verdict:") == NULL);
  PC_CHECK_INT(F.n_netsh, 2);
  PC_CHECK(strncmp(F.netsh[1], "int ipv4 delete", 15) == 0 && strcmp(F.netsh[0] + 13, F.netsh[1] + 16) == 0);
  PC_CHECK((int)F.stop_calls >= 1);
  PC_CHECK((int)F.process_returned == 1);
  PC_CHECK((int)F.closed >= 1);
  ports_are_free();
}

PC_TEST(ctrl_c_cleans_up_range_sockets_and_session) {
  run_interrupted(CTRL_C_EVENT);
  /* Handled: the main thread stops and cleans up (netsh is not run on the handler's thread). */
  PC_CHECK_INT(F.ctrl_result, TRUE);
  PC_CHECK_INT(F.netsh_after_ctrl, 1);
}

PC_TEST(console_close_removes_the_range_in_the_handler) {
  run_interrupted(CTRL_CLOSE_EVENT);
  /* The process ends once the handlers return: the range is gone by then (and not removed
   * again at cleanup), and FALSE lets the next handler (the ETW session's) run too. */
  PC_CHECK_INT(F.ctrl_result, FALSE);
  PC_CHECK_INT(F.netsh_after_ctrl, 2);
}
