/* cmd_collect-win.c - `portclash collect` on Windows: the OS build, `schema dump`, the raw
 * output of netsh (excluded and dynamic ranges for IPv4/IPv6 and TCP/UDP, HTTP.sys), netstat
 * -ano and -qno and tasklist /svc /fo csv (before and after), and the monitor for the
 * duration with --record capture.etl and its findings in findings.jsonl.
 *
 * Every tool runs through the OS layer's pc_os_run (System32 only) or the test's runner.
 *
 * Inferred, not seen on a real Windows yet (the tests run under Wine with canned output):
 * that `netstat -qno` exists (documented for Windows 10 and later; an older netstat prints its
 * usage and a non-zero status, which the manifest records, and analyze then skips the file),
 * that `netsh http show servicestate view=requestq verbose=no` and `urlacl` print their
 * titles even with nothing registered (the parser refuses text without them), and that
 * `tasklist /svc /fo csv` keeps its header row (the parser reads data rows only). Output is
 * kept as the tools wrote it (OEM code page or UTF-16): the parsers handle both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "etw.h"
#include "monitor.h"
#include "options.h"

static const pc_etw_api *g_api; /* NULL = the system's ETW */

int pc__collect_preflight(const char *command) {
  (void)command; /* netsh and tasklist work without elevation; the session says what it needs */
  return PC_EXIT_OK;
}

static void netsh(pc_collect *c, const char *name, const char *kind, const char *hints, const char *what,
                  const char *a1, const char *a2, const char *a3, const char *a4, const char *a5) {
  const char *argv[] = {"netsh", a1, a2, a3, a4, a5, NULL};
  pc__collect_tool(c, name, kind, hints, what, argv);
}

void pc__collect_host_files(pc_collect *c, const char *suffix) {
  char name[128];
  if (!suffix[0]) {
    static const char *const ip[] = {"ipv4", "ipv6"}, *const proto[] = {"tcp", "udp"};
    for (int i = 0; i < 2; i++)
      for (int p = 0; p < 2; p++) {
        char hints[32], arg[32];
        snprintf(hints, sizeof hints, "%s:%s:", ip[i], proto[p]);
        snprintf(name, sizeof name, "netsh-excluded-%s-%s.txt", ip[i], proto[p]);
        snprintf(arg, sizeof arg, "protocol=%s", proto[p]);
        netsh(c, name, PC_COLLECT_KIND_EXCLUDED, hints, "excluded (reserved) port ranges", "int", ip[i],
              "show", "excludedportrange", arg);
        snprintf(name, sizeof name, "netsh-dynamic-%s-%s.txt", ip[i], proto[p]);
        netsh(c, name, PC_COLLECT_KIND_DYNAMIC, hints, "the dynamic (ephemeral) port range", "int", ip[i],
              "show", "dynamicport", proto[p]);
      }
    netsh(c, "netsh-http-servicestate.txt", PC_COLLECT_KIND_HTTP, NULL,
          "HTTP.sys URLs and their request queues", "http", "show", "servicestate", "view=requestq",
          "verbose=no");
    netsh(c, "netsh-http-urlacl.txt", PC_COLLECT_KIND_HTTP, NULL, "HTTP.sys URL reservations", "http", "show",
          "urlacl", NULL, NULL);
  }
  static const char *const ano[] = {"netstat", "-ano", NULL}, *const qno[] = {"netstat", "-qno", NULL};
  static const char *const tasklist[] = {"tasklist", "/svc", "/fo", "csv", NULL};
  snprintf(name, sizeof name, "netstat-ano%s.txt", suffix);
  pc__collect_tool(c, name, PC_COLLECT_KIND_NETSTAT, NULL, "sockets and their process ids", ano);
  snprintf(name, sizeof name, "netstat-qno%s.txt", suffix);
  pc__collect_tool(c, name, PC_COLLECT_KIND_NETSTAT, NULL, "also TCP sockets bound without listen()", qno);
  snprintf(name, sizeof name, "tasklist%s.csv", suffix);
  pc__collect_tool(c, name, PC_COLLECT_KIND_TASKLIST, NULL, "processes and the services they host", tasklist);
}

static void os_file(pc_collect *c, const pc_os_version *v) {
  char path[4300], text[128];
  int n = snprintf(text, sizeof text, "Windows %u.%u.%u\r\n", (unsigned)v->major, (unsigned)v->minor,
                   (unsigned)v->build);
  FILE *f = fopen(pc__collect_path(c, "os.txt", path, sizeof path), "wb");
  bool ok = f && fwrite(text, 1, (size_t)n, f) == (size_t)n;
  if (f && fclose(f) != 0) ok = false;
  pc__collect_add(c, "os.txt", "os", NULL, "the Windows version and build (RtlGetVersion)", "RtlGetVersion",
                  0, ok, ok ? NULL : "cannot write it");
}

int pc__collect_platform(pc_collect *c, const pc_options *all, bool *interrupted) {
  *interrupted = false;
  pc_os_version v;
  pc_os_version_get(&v);
  char version[64];
  snprintf(version, sizeof version, "%u.%u.%u", (unsigned)v.major, (unsigned)v.minor, (unsigned)v.build);
  pc__collect_set_system(c, "windows", v.build, version, "etw");
  os_file(c, &v);
  char schema[4300], capture[4300], findings[4300];
  pc__collect_path(c, "schema.txt", schema, sizeof schema);
  if (all->no_os_schemas) {
    pc__collect_add(c, "schema.txt", "schema", NULL, "this Windows' event layouts (portclash schema dump)",
                    "portclash schema dump", -1, false, "not taken: --no-os-schemas");
  } else {
    fprintf(stderr, "portclash collect: running portclash schema dump\n");
    char *sargv[] = {"dump", "--out", schema, NULL};
    int src = pc_cmd_schema_dump(3, sargv);
    pc__collect_add(c, "schema.txt", "schema", NULL, "this Windows' event layouts (portclash schema dump)",
                    "portclash schema dump", src, src == PC_EXIT_OK, NULL);
  }
  pc__collect_host_files(c, "");
  if (pc__collect_stopped()) return PC_EXIT_OK;

  /* The monitor as `portclash monitor` runs it, recording its session and writing its
   * findings as JSON. */
  char duration[32];
  snprintf(duration, sizeof duration, "%.3f", (double)all->duration / PC_TIME_TICKS_PER_SEC);
  char *margv[24];
  int n = 0;
  margv[n++] = "monitor";
  margv[n++] = "--record";
  pc__collect_path(c, "capture.etl", capture, sizeof capture);
  margv[n++] = capture;
  margv[n++] = "--log";
  pc__collect_path(c, "findings.jsonl", findings, sizeof findings);
  margv[n++] = findings;
  margv[n++] = "--log-format";
  margv[n++] = "json";
  margv[n++] = "--log-max-bytes";
  margv[n++] = "0";
  margv[n++] = "--no-learn";
  margv[n++] = "--drain"; /* every failure the run saw goes into the bundle */
  if (all->duration) {
    margv[n++] = "--duration";
    margv[n++] = duration;
  }
  if (all->no_os_schemas) margv[n++] = "--no-os-schemas";
  margv[n] = NULL;
  if (all->duration)
    fprintf(stderr,
            "portclash collect: recording bind failures for %s s; Ctrl+C stops early, keeping what was "
            "collected\n",
            duration);
  else
    fputs("portclash collect: recording bind failures until Ctrl+C\n", stderr);
  int rc = pc__cmd_monitor_with(n, margv, g_api);
  *interrupted = pc__monitor_interrupted();
  pc__collect_catch_signals(); /* the monitor restored the defaults */
  pc__collect_add(c, "capture.etl", PC_COLLECT_KIND_CAPTURE, NULL,
                  "the ETW events of the run (Winsock-AFD, TCPIP, Winsock-Sockets)",
                  "portclash monitor --record", rc, rc == PC_EXIT_OK, NULL);
  pc__collect_add_findings(c, rc);
  if (*interrupted) return rc; /* Ctrl+C: stop now, the manifest says so */
  pc__collect_host_files(c, "-end");
  return rc;
}

int pc__cmd_collect_with(int argc, char **argv, const pc_etw_api *api) {
  g_api = api;
  int rc = pc_cmd_collect(argc, argv);
  g_api = NULL;
  return rc;
}
