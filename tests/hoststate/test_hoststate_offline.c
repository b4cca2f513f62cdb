/* enrich() and the explain/ranges commands on the offline back end (saved Windows text). */
#include <stdlib.h>
#include <string.h>

#include "hs_test_util.h"
#include "cli.h"
#include "pc_error.h"
#include "pc_hoststate.h"

static char paths[8][1100];

/* The standard offline set: excluded tcp (verbatim) + es udp + ja tcp, dynamic tcp+udp, netstat,
 * tasklist plain + /svc. */
static pc_hoststate *open_standard(void) {
  pc_hoststate_offline_files f;
  memset(&f, 0, sizeof f);
  char tmp[1024];
  snprintf(paths[0], sizeof paths[0], "%s", hs_data_path("excluded_tcp_en.txt", tmp, sizeof tmp));
  snprintf(paths[1], sizeof paths[1], "%s", hs_data_path("excluded_udp_es.txt", tmp, sizeof tmp));
  snprintf(paths[2], sizeof paths[2], "ipv4:%s",
           hs_data_path("excluded_tcp_ja_utf16le.txt", tmp, sizeof tmp));
  snprintf(paths[3], sizeof paths[3], "%s", hs_data_path("dynamic_both.txt", tmp, sizeof tmp));
  snprintf(paths[4], sizeof paths[4], "%s", hs_data_path("netstat_en.txt", tmp, sizeof tmp));
  snprintf(paths[5], sizeof paths[5], "%s", hs_data_path("tasklist.csv", tmp, sizeof tmp));
  snprintf(paths[6], sizeof paths[6], "%s", hs_data_path("tasklist_svc.csv", tmp, sizeof tmp));
  f.netsh_excluded[f.n_netsh_excluded++] = paths[0];
  f.netsh_excluded[f.n_netsh_excluded++] = paths[1];
  f.netsh_excluded[f.n_netsh_excluded++] = paths[2];
  f.netsh_dynamic[f.n_netsh_dynamic++] = paths[3];
  f.netstat[f.n_netstat++] = paths[4];
  f.tasklist[f.n_tasklist++] = paths[5];
  f.tasklist[f.n_tasklist++] = paths[6];
  pc_hoststate *hs = NULL;
  char err[PC_HOSTSTATE_ERR_MAX];
  int rc = pc_hoststate_open_offline(&f, &hs, err, sizeof err);
  if (rc != PC_OK) pc__test_fail(__FILE__, __LINE__, "open_offline: %s", err);
  return hs;
}

static void attempt(pc_facts *f, uint8_t proto, const char *ip, uint16_t port, uint32_t pid) {
  memset(f, 0, sizeof *f);
  f->attempt.proto = proto;
  f->attempt.local.port = port;
  PC_CHECK_INT(pc_addr_parse_ip(ip, &f->attempt.local), PC_OK);
  f->attempt.addr_known = true;
  f->attempt.pid = pid;
  f->attempt.pid_known = pid != 0;
  f->attempt.failed = true;
}

PC_TEST(enrich_administered_excluded_range) {
  pc_hoststate *hs = open_standard();
  if (!hs) return;
  pc_facts f;
  attempt(&f, PC_PROTO_UDP, "0.0.0.0", 50010, 4321);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.os, PC_OS_WINDOWS);
  PC_CHECK(f.excluded);
  PC_CHECK_INT(f.excluded_start, 50000);
  PC_CHECK_INT(f.excluded_end, 50059);
  PC_CHECK(f.excluded_administered);
  PC_CHECK(!f.owner_known);
  /* The failing process from tasklist (plain + /svc merged). */
  PC_CHECK_STR(f.process_name, "node.exe");
  /* In the UDP dynamic range 1025-5000? No: 50010 is outside it. */
  PC_CHECK(f.dynamic_known);
  PC_CHECK_INT(f.dynamic_start, 1025);
  PC_CHECK_INT(f.dynamic_end, 5000);
  PC_CHECK(!f.in_dynamic);
  /* The ja file was given as ipv4: only: an IPv6 attempt in 1080-1179 is not excluded by it... */
  attempt(&f, PC_PROTO_TCP, "::", 1100, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.excluded);
  /* ...an IPv4 one is (system-made, not administered). */
  attempt(&f, PC_PROTO_TCP, "10.0.0.1", 1100, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.excluded);
  PC_CHECK(!f.excluded_administered);
  /* Ranges without a family hint apply to IPv6 too. */
  attempt(&f, PC_PROTO_TCP, "::", 55679, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.excluded && f.excluded_administered);
  pc_hoststate_close(hs);
}

PC_TEST(enrich_listening_owner) {
  pc_hoststate *hs = open_standard();
  if (!hs) return;
  pc_facts f;
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 8080, 7788);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.owner_known);
  PC_CHECK_INT(f.owner_pid, 4321);
  PC_CHECK_STR(f.owner_name, "node.exe");
  PC_CHECK_INT(f.owner_state, PC_OWNER_STATE_LISTEN); /* the listener, not the connection on 8080 */
  PC_CHECK(!f.owner_kernel);
  PC_CHECK_STR(f.process_name, "chrome.exe");
  /* A specific address: the exact match (127.0.0.1:6000) wins. */
  attempt(&f, PC_PROTO_TCP, "127.0.0.1", 6000, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.owner_pid, 6001);
  /* Another specific address does not conflict with 127.0.0.1:6000. */
  attempt(&f, PC_PROTO_TCP, "10.1.2.3", 6000, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.owner_known);
  /* The kernel (PID 4) on 80, whose services come from tasklist /svc. */
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 80, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.owner_kernel);
  PC_CHECK_STR(f.owner_name, "System");
  PC_CHECK(f.excluded); /* 80-80 is excluded too (the verbatim sample) */
  /* svchost with services. */
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 135, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.owner_pid, 1012);
  PC_CHECK_STR(f.owner_service, "RpcEptMapper,RpcSs");
  /* UDP: the owner of 5353 (a name with quotes and a comma). */
  attempt(&f, PC_PROTO_UDP, "0.0.0.0", 5353, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.owner_state, PC_OWNER_STATE_UDP);
  PC_CHECK_STR(f.owner_name, "dns, \"odd\" name.exe");
  pc_hoststate_close(hs);
}

PC_TEST(enrich_dual_stack) {
  pc_hoststate *hs = open_standard();
  if (!hs) return;
  pc_facts f;
  /* [::]:9090 dual-stack listener vs an IPv4 wildcard bind. */
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 9090, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.owner_known);
  PC_CHECK_INT(f.owner_pid, 5555);
  PC_CHECK_STR(f.owner_name, "java.exe");
  PC_CHECK_INT(f.owner_addr.family, PC_AF_INET6);
  pc_owner o[4];
  size_t total;
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 9090, &f.attempt.local, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  PC_CHECK_INT(o[0].match, PC_OWNER_MATCH_DUALSTACK);
  /* An IPv4-mapped attempt counts as IPv4. */
  attempt(&f, PC_PROTO_TCP, "::ffff:0.0.0.0", 8080, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.owner_pid, 4321);
  /* 445: the IPv4 0.0.0.0 holder (same family) ranks above the [::] one. */
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 445, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.owner_addr.family, PC_AF_INET);
  /* [::] with IPV6_V6ONLY does not meet the IPv4 holder of 8080. */
  attempt(&f, PC_PROTO_TCP, "::", 8080, 0);
  f.attempt.sockopts = f.attempt.sockopts_known = PC_SOCKOPT_V6ONLY;
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.owner_known);
  attempt(&f, PC_PROTO_TCP, "::", 8080, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.owner_pid, 4321);
  /* [::1]:7000 does not conflict with 127.0.0.1:7000. */
  attempt(&f, PC_PROTO_TCP, "127.0.0.1", 7000, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.owner_known);
  pc_hoststate_close(hs);
}

PC_TEST(enrich_dynamic_range) {
  pc_hoststate *hs = open_standard();
  if (!hs) return;
  pc_facts f;
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 50000, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.dynamic_known);
  PC_CHECK_INT(f.dynamic_start, 49152);
  PC_CHECK_INT(f.dynamic_end, 65535);
  PC_CHECK(f.in_dynamic);
  PC_CHECK(!f.unprivileged_start_known);
  attempt(&f, PC_PROTO_TCP, "0.0.0.0", 49151, 0);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.in_dynamic);
  pc_hoststate_close(hs);
}

PC_TEST(open_offline_errors) {
  pc_hoststate_offline_files f;
  memset(&f, 0, sizeof f);
  char p[1024], err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs;
  f.netsh_excluded[f.n_netsh_excluded++] = hs_data_path("garbage_excluded.txt", p, sizeof p);
  PC_CHECK_INT(pc_hoststate_open_offline(&f, &hs, err, sizeof err), PC_EPARSE);
  PC_CHECK(hs == NULL);
  HS_CHECK_CONTAINS(err, "garbage_excluded.txt:6:");
  f.netsh_excluded[0] = "/nonexistent/excl.txt";
  PC_CHECK_INT(pc_hoststate_open_offline(&f, &hs, err, sizeof err), PC_ENOENT);
  HS_CHECK_CONTAINS(err, "/nonexistent/excl.txt");
  /* A udp: hint on a tcp file. */
  char hinted[1100];
  snprintf(hinted, sizeof hinted, "udp:%s", hs_data_path("excluded_tcp_en.txt", p, sizeof p));
  f.netsh_excluded[0] = hinted;
  PC_CHECK_INT(pc_hoststate_open_offline(&f, &hs, err, sizeof err), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "the title says tcp");
}

/* Runs a command with output captured into out/err buffers (heap, caller frees). */
static int run(int (*cmd)(int, char **, FILE *, FILE *), int argc, char **argv, char **out, char **errout) {
  FILE *o = tmpfile(), *e = tmpfile();
  int code = cmd(argc, argv, o, e);
  FILE *fs[2] = {o, e};
  char **bufs[2] = {out, errout};
  for (int k = 0; k < 2; k++) {
    long n = ftell(fs[k]);
    rewind(fs[k]);
    *bufs[k] = calloc(1, (size_t)n + 1);
    if (fread(*bufs[k], 1, (size_t)n, fs[k]) != (size_t)n) (*bufs[k])[0] = '\0';
    fclose(fs[k]);
  }
  return code;
}

PC_TEST(cmd_explain_offline) {
  char p1[1024], p2[1024], p3[1024], p4[1024];
  char *argv[] = {"explain",          "50010",
                  "--proto",          "udp",
                  "--netsh-excluded", (char *)hs_data_path("excluded_udp_es.txt", p1, sizeof p1),
                  "--netstat",        (char *)hs_data_path("netstat_en.txt", p2, sizeof p2),
                  "--tasklist",       (char *)hs_data_path("tasklist.csv", p3, sizeof p3),
                  "--netsh-dynamic",  (char *)hs_data_path("dynamic_both.txt", p4, sizeof p4)};
  char *out, *err;
  PC_CHECK_INT(run(pc_cmd_explain_io, 12, argv, &out, &err), 0);
  HS_CHECK_CONTAINS(out, "excluded range    50000-50059 (administered)");
  HS_CHECK_CONTAINS(out, "(host state: the given files)");
  /* The rules' answer, phrased for a bind nobody made. */
  HS_CHECK_CONTAINS(
      out, "why:   A bind to udp 0.0.0.0:50010 would fail: it is inside the excluded port range 50000-50059");
  HS_CHECK_CONTAINS(out, "(rule C04)");
  free(out);
  free(err);
  /* The listener on 8080, in JSON. */
  argv[1] = "8080";
  argv[3] = "tcp";
  argv[5] = (char *)hs_data_path("excluded_tcp_en.txt", p1, sizeof p1);
  char *jargv[14];
  memcpy(jargv, argv, sizeof argv);
  jargv[12] = "--format";
  jargv[13] = "json";
  PC_CHECK_INT(run(pc_cmd_explain_io, 14, jargv, &out, &err), 0);
  HS_CHECK_CONTAINS(out, "\"owners\":[{\"pid\":4321,\"process\":\"node.exe\"");
  HS_CHECK_CONTAINS(out, "\"test_bind\":null");
  HS_CHECK_CONTAINS(out, "\"event\":\"explain\",\"error\":10048,\"error_name\":\"WSAEADDRINUSE\"");
  HS_CHECK_CONTAINS(out, "\"owner_pid\":4321,\"owner_process\":\"node.exe\",\"rule_id\":\"C12\"");
  HS_CHECK_CONTAINS(
      out, "\"explanation\":\"A bind to tcp 0.0.0.0:8080 would fail: node.exe (PID 4321) already holds it");
  if (strstr(out, "verdict")) pc__test_fail(__FILE__, __LINE__, "explain JSON still has a verdict: %s", out);
  free(out);
  free(err);
  /* Bad input: exit 2 and file:line. */
  argv[5] = (char *)hs_data_path("garbage_excluded.txt", p1, sizeof p1);
  PC_CHECK_INT(run(pc_cmd_explain_io, 12, argv, &out, &err), 2);
  HS_CHECK_CONTAINS(err, "garbage_excluded.txt:6:");
  free(out);
  free(err);
  /* Bad usage. */
  char *bad[][3] = {{"explain", "0", NULL},
                    {"explain", "80", "--proto=sctp"},
                    {"explain", "80", "--address=1.2.3"},
                    {"explain", "80", "--bogus"}};
  for (int k = 0; k < 4; k++) {
    PC_CHECK_INT(run(pc_cmd_explain_io, bad[k][2] ? 3 : 2, bad[k], &out, &err), 2);
    free(out);
    free(err);
  }
  char *help[] = {"explain", "--help"};
  PC_CHECK_INT(run(pc_cmd_explain_io, 2, help, &out, &err), 0);
  HS_CHECK_CONTAINS(out, "--netsh-excluded FILE");
  free(out);
  free(err);
}

PC_TEST(cmd_ranges_offline) {
  char p1[1024], p2[1024], p3[1024], p4[1024];
  char *argv[] = {"ranges",
                  "--netsh-excluded",
                  (char *)hs_data_path("excluded_tcp_en.txt", p1, sizeof p1),
                  "--netstat",
                  (char *)hs_data_path("netstat_en.txt", p2, sizeof p2),
                  "--tasklist",
                  (char *)hs_data_path("tasklist.csv", p3, sizeof p3),
                  "--netsh-dynamic",
                  (char *)hs_data_path("dynamic_tcp_en.txt", p4, sizeof p4),
                  "--format",
                  "text"};
  char *out, *err;
  PC_CHECK_INT(run(pc_cmd_ranges_io, 11, argv, &out, &err), 0);
  HS_CHECK_CONTAINS(out, "  tcp   any   55679 55679  *\n");
  HS_CHECK_CONTAINS(out, "tcp 0.0.0.0:80 held by System (pid 4) [kernel], LISTEN");
  HS_CHECK_CONTAINS(out, "  tcp   any   49152 65535  (16384 ports)");
  free(out);
  free(err);
  argv[10] = "json";
  PC_CHECK_INT(run(pc_cmd_ranges_io, 11, argv, &out, &err), 0);
  HS_CHECK_CONTAINS(
      out,
      "{\"proto\":\"tcp\",\"family\":\"any\",\"start\":55679,\"end\":55679,\"administered\":true,"
      "\"owners\":[]}");
  HS_CHECK_CONTAINS(
      out,
      "\"dynamic\":[{\"proto\":\"tcp\",\"family\":\"any\",\"start\":49152,\"end\":65535,\"count\":16384}]");
  HS_CHECK_CONTAINS(out, "\"unprivileged_start\":null}");
  free(out);
  free(err);
}
