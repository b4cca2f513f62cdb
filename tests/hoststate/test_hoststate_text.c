/* The netsh / netstat / tasklist text parsers on real samples (etw-facts.md §5.3, verbatim),
 * localized variants, other encodings and garbage. */
#include <stdlib.h>
#include <string.h>

#include "hs_test_util.h"
#include "pc_error.h"
#include "pc_hoststate_text.h"

static char err[PC_HOSTTEXT_ERR_MAX];

static int excluded(const char *name, uint8_t proto_hint, pc_port_range **rows, size_t *n) {
  size_t len;
  char *data = hs_load(name, &len);
  if (!data) return PC_ENOENT;
  int rc = pc_netsh_parse_excluded(data, len, name, proto_hint, 0, rows, n, err, sizeof err);
  free(data);
  return rc;
}

static int dynamic(const char *name, uint8_t proto_hint, pc_dynamic_range **rows, size_t *n) {
  size_t len;
  char *data = hs_load(name, &len);
  if (!data) return PC_ENOENT;
  int rc = pc_netsh_parse_dynamic(data, len, name, proto_hint, 0, rows, n, err, sizeof err);
  free(data);
  return rc;
}

static void check_range(const pc_port_range *r, unsigned start, unsigned end, bool admin, uint8_t proto) {
  PC_CHECK_INT(r->start, start);
  PC_CHECK_INT(r->end, end);
  PC_CHECK_INT(r->administered, admin);
  PC_CHECK_INT(r->proto, proto);
}

PC_TEST(netsh_excluded_verbatim_sample) {
  const char *files[] = {"excluded_tcp_en.txt", "excluded_tcp_en_crlf.txt"};
  for (int f = 0; f < 2; f++) {
    pc_port_range *r;
    size_t n;
    PC_CHECK_INT(excluded(files[f], 0, &r, &n), PC_OK);
    PC_CHECK_INT(n, 4);
    if (n == 4) {
      check_range(&r[0], 80, 80, false, PC_PROTO_TCP);
      check_range(&r[1], 5986, 5986, false, PC_PROTO_TCP);
      check_range(&r[2], 47001, 47001, false, PC_PROTO_TCP);
      check_range(&r[3], 55679, 55679, true, PC_PROTO_TCP);
      PC_CHECK_INT(r[0].family, 0);
    }
    free(r);
  }
}

PC_TEST(netsh_excluded_localized) {
  pc_port_range *r;
  size_t n;
  PC_CHECK_INT(excluded("excluded_udp_es.txt", 0, &r, &n), PC_OK);
  PC_CHECK_INT(n, 2);
  if (n == 2) {
    check_range(&r[0], 3544, 3544, false, PC_PROTO_UDP);
    check_range(&r[1], 50000, 50059, true, PC_PROTO_UDP);
  }
  free(r);
  const char *tcp3[] = {"excluded_tcp_de.txt", "excluded_tcp_ja_utf16le.txt", "excluded_tcp_ja_utf8bom.txt"};
  for (int f = 0; f < 3; f++) {
    PC_CHECK_INT(excluded(tcp3[f], 0, &r, &n), PC_OK);
    PC_CHECK_INT(n, 3);
    if (n == 3) {
      check_range(&r[0], 1080, 1179, false, PC_PROTO_TCP);
      check_range(&r[2], 50000, 50059, true, PC_PROTO_TCP);
    }
    free(r);
  }
}

PC_TEST(netsh_excluded_hints) {
  pc_port_range *r;
  size_t n;
  /* The title says tcp: a udp hint is a mistake worth reporting, on the title's line. */
  PC_CHECK_INT(excluded("excluded_tcp_en.txt", PC_PROTO_UDP, &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "excluded_tcp_en.txt:1:");
  /* Without a protocol word in the text, the hint is used. */
  const char *rows = "----------    --------\n     1000    1001\n";
  PC_CHECK_INT(
      pc_netsh_parse_excluded(rows, strlen(rows), "x", PC_PROTO_UDP, PC_AF_INET6, &r, &n, err, sizeof err),
      PC_OK);
  PC_CHECK_INT(n, 1);
  if (n == 1) {
    PC_CHECK_INT(r[0].proto, PC_PROTO_UDP);
    PC_CHECK_INT(r[0].family, PC_AF_INET6);
  }
  free(r);
}

PC_TEST(netsh_excluded_empty_is_valid) {
  pc_port_range *r;
  size_t n;
  PC_CHECK_INT(excluded("excluded_tcp_empty.txt", 0, &r, &n), PC_OK);
  PC_CHECK_INT(n, 0);
  free(r);
}

PC_TEST(netsh_excluded_garbage) {
  pc_port_range *r;
  size_t n;
  PC_CHECK_INT(excluded("garbage_excluded.txt", 0, &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_excluded.txt:6:");
  PC_CHECK_INT(excluded("garbage_excluded_range.txt", 0, &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_excluded_range.txt:3: range 70000-70010");
  PC_CHECK_INT(excluded("garbage_text.txt", 0, &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "not `netsh ... show excludedportrange` output");
  PC_CHECK_INT(excluded("garbage_random.bin", 0, &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_random.bin:");
  /* dynamicport output given as excluded says so. */
  PC_CHECK_INT(excluded("dynamic_tcp_en.txt", 0, &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "dynamic_tcp_en.txt:3:");
  HS_CHECK_CONTAINS(err, "--netsh-dynamic");
  PC_CHECK(r == NULL && n == 0);
}

PC_TEST(netsh_dynamic) {
  pc_dynamic_range *d;
  size_t n;
  PC_CHECK_INT(dynamic("dynamic_tcp_en.txt", 0, &d, &n), PC_OK);
  PC_CHECK_INT(n, 1);
  if (n == 1) {
    PC_CHECK_INT(d[0].start, 49152);
    PC_CHECK_INT(d[0].count, 16384);
    PC_CHECK_INT(d[0].proto, PC_PROTO_TCP);
  }
  free(d);
  PC_CHECK_INT(dynamic("dynamic_udp_de.txt", 0, &d, &n), PC_OK);
  PC_CHECK_INT(n, 1);
  if (n == 1) PC_CHECK_INT(d[0].proto, PC_PROTO_UDP);
  free(d);
  PC_CHECK_INT(dynamic("dynamic_tcp_ja_utf16le.txt", 0, &d, &n), PC_OK);
  PC_CHECK_INT(n, 1);
  if (n == 1) {
    PC_CHECK_INT(d[0].start, 10000);
    PC_CHECK_INT(d[0].count, 5000);
  }
  free(d);
  PC_CHECK_INT(dynamic("dynamic_both.txt", 0, &d, &n), PC_OK);
  PC_CHECK_INT(n, 2);
  if (n == 2) {
    PC_CHECK_INT(d[0].proto, PC_PROTO_TCP);
    PC_CHECK_INT(d[1].proto, PC_PROTO_UDP);
    PC_CHECK_INT(d[1].start, 1025);
    PC_CHECK_INT(d[1].count, 3976);
  }
  free(d);
}

PC_TEST(netsh_dynamic_garbage) {
  pc_dynamic_range *d;
  size_t n;
  PC_CHECK_INT(dynamic("dynamic_incomplete.txt", 0, &d, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "dynamic_incomplete.txt:3:");
  PC_CHECK_INT(dynamic("excluded_tcp_en.txt", 0, &d, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "excluded_tcp_en.txt:5:");
  PC_CHECK_INT(dynamic("garbage_text.txt", 0, &d, &n), PC_EPARSE);
  const char *overflow = "Protocol tcp Dynamic Port Range\nStart Port : 60000\nNumber of Ports : 16384\n";
  PC_CHECK_INT(pc_netsh_parse_dynamic(overflow, strlen(overflow), "o", 0, 0, &d, &n, err, sizeof err),
               PC_EPARSE);
  HS_CHECK_CONTAINS(err, "o:3:");
}

static int netstat(const char *name, pc_owner_row **rows, size_t *n) {
  size_t len;
  char *data = hs_load(name, &len);
  if (!data) return PC_ENOENT;
  int rc = pc_netstat_parse(data, len, name, rows, n, err, sizeof err);
  free(data);
  return rc;
}

PC_TEST(netstat_english) {
  const char *files[] = {"netstat_en.txt", "netstat_utf16le.txt"};
  for (int f = 0; f < 2; f++) {
    pc_owner_row *r;
    size_t n;
    PC_CHECK_INT(netstat(files[f], &r, &n), PC_OK);
    PC_CHECK_INT(n, 15);
    if (n != 15) {
      free(r);
      continue;
    }
    PC_CHECK_INT(r[0].proto, PC_PROTO_TCP);
    PC_CHECK_INT(r[0].local.port, 80);
    PC_CHECK_INT(r[0].state, PC_OWNER_STATE_LISTEN);
    PC_CHECK_INT(r[0].pid, 4);
    PC_CHECK_INT(r[4].state, PC_OWNER_STATE_ESTABLISHED);
    PC_CHECK_INT(r[4].remote.port, 50712);
    PC_CHECK_INT(r[7].state, PC_OWNER_STATE_TIME_WAIT);
    PC_CHECK_INT(r[7].pid, 0);
    PC_CHECK_INT(r[9].local.family, PC_AF_INET6);
    PC_CHECK_INT(r[9].local.port, 445);
    PC_CHECK(pc_addr_is_wildcard(&r[9].local));
    PC_CHECK_INT(r[12].proto, PC_PROTO_UDP);
    PC_CHECK_INT(r[12].state, PC_OWNER_STATE_UDP);
    PC_CHECK_INT(r[12].remote.family, PC_AF_UNKNOWN);
    PC_CHECK_INT(r[14].local.scope_id, 12);
    PC_CHECK_INT(r[14].local.port, 1900);
    PC_CHECK_INT(r[14].local.bytes[0], 0xfe);
    PC_CHECK_INT(r[14].pid, 3456);
    free(r);
  }
}

PC_TEST(netstat_localized) {
  pc_owner_row *r;
  size_t n;
  PC_CHECK_INT(netstat("netstat_de_cp850.txt", &r, &n), PC_OK);
  PC_CHECK_INT(n, 5);
  if (n == 5) {
    PC_CHECK_INT(r[0].state, PC_OWNER_STATE_LISTEN); /* ABH\x99REN */
    PC_CHECK_INT(r[1].state, PC_OWNER_STATE_ESTABLISHED);
    PC_CHECK_INT(r[2].state, PC_OWNER_STATE_TIME_WAIT);
    PC_CHECK_INT(r[3].state, PC_OWNER_STATE_LISTEN); /* two words, unknown: foreign [::]:0 */
    PC_CHECK_INT(r[3].pid, 2222);
    PC_CHECK_INT(r[4].state, PC_OWNER_STATE_UDP);
  }
  free(r);
}

PC_TEST(netstat_garbage) {
  pc_owner_row *r;
  size_t n;
  PC_CHECK_INT(netstat("garbage_netstat.txt", &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_netstat.txt:5: bad local address");
  PC_CHECK_INT(netstat("garbage_random.bin", &r, &n), PC_EPARSE);
  PC_CHECK_INT(netstat("excluded_tcp_en.txt", &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "no TCP/UDP rows");
  const char *bad[] = {"  TCP 1.2.3.4:1 5.6.7.8:2 LISTENING\n", "  UDP [::1:53 *:* 7\n",
                       "  TCP [fe80::1%x]:1 *:* L 1\n", "  UDP 1.2.3.4:1 *:* 99999999999\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    PC_CHECK_INT(pc_netstat_parse(bad[i], strlen(bad[i]), "b", &r, &n, err, sizeof err), PC_EPARSE);
    HS_CHECK_CONTAINS(err, "b:1:");
  }
}

static int tasklist(const char *name, pc_process_row **rows, size_t *n) {
  size_t len;
  char *data = hs_load(name, &len);
  if (!data) return PC_ENOENT;
  int rc = pc_tasklist_parse(data, len, name, rows, n, err, sizeof err);
  free(data);
  return rc;
}

PC_TEST(tasklist_variants) {
  pc_process_row *r;
  size_t n;
  PC_CHECK_INT(tasklist("tasklist.csv", &r, &n), PC_OK);
  PC_CHECK_INT(n, 8);
  if (n == 8) {
    PC_CHECK_STR(r[0].name, "System Idle Process");
    PC_CHECK_INT(r[1].pid, 4);
    PC_CHECK_INT(r[1].mem_kb, 3364);
    PC_CHECK_STR(r[3].session_name, "Console");
    PC_CHECK_INT(r[3].session, 1);
    PC_CHECK_INT(r[4].mem_kb, 1234567);
    PC_CHECK_INT(r[5].mem_kb, 150000); /* "150.000 K", German separators */
    PC_CHECK_STR(r[6].name, "dns, \"odd\" name.exe");
    PC_CHECK(!r[0].services_known);
  }
  free(r);
  PC_CHECK_INT(tasklist("tasklist_svc.csv", &r, &n), PC_OK);
  PC_CHECK_INT(n, 5);
  if (n == 5) {
    PC_CHECK(r[1].services_known);
    PC_CHECK_STR(r[1].services, "");
    PC_CHECK_STR(r[2].services, "RpcEptMapper,RpcSs");
  }
  free(r);
  PC_CHECK_INT(tasklist("tasklist_v_header.csv", &r, &n), PC_OK);
  PC_CHECK_INT(n, 2);
  if (n == 2) {
    PC_CHECK_INT(r[0].pid, 4321);
    PC_CHECK_STR(r[0].user, "DESKTOP\\dev");
    PC_CHECK_INT(r[0].mem_kb, 85120);
    PC_CHECK_STR(r[1].user, "");
  }
  free(r);
}

PC_TEST(tasklist_garbage) {
  pc_process_row *r;
  size_t n;
  PC_CHECK_INT(tasklist("garbage_tasklist_quote.csv", &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_tasklist_quote.csv:2:");
  PC_CHECK_INT(tasklist("garbage_tasklist_fields.csv", &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_tasklist_fields.csv:2: 2 fields");
  PC_CHECK_INT(tasklist("garbage_tasklist_pid.csv", &r, &n), PC_EPARSE);
  HS_CHECK_CONTAINS(err, "garbage_tasklist_pid.csv:2:");
  PC_CHECK_INT(tasklist("garbage_random.bin", &r, &n), PC_EPARSE);
  const char *unterminated = "\"System\",\"4\",\"Services\",\"0\",\"3 K\n";
  PC_CHECK_INT(pc_tasklist_parse(unterminated, strlen(unterminated), "u", &r, &n, err, sizeof err),
               PC_EPARSE);
  HS_CHECK_CONTAINS(err, "unterminated");
  PC_CHECK_INT(pc_tasklist_parse("", 0, "e", &r, &n, err, sizeof err), PC_EPARSE);
}

PC_TEST(text_to_utf8) {
  char *out;
  size_t n;
  /* Invalid UTF-8 (CP850 Ö, an overlong '/', a lone continuation byte) and NUL become '?'. */
  const char in[] = "ABH\x99REN \xC0\xAF \x80 x\0y";
  PC_CHECK_INT(pc_text_to_utf8(in, sizeof in - 1, &out, &n), PC_OK);
  PC_CHECK_STR(out, "ABH?REN ?? ? x?y");
  free(out);
  /* UTF-16BE with BOM, with a surrogate pair and an unpaired surrogate. */
  const unsigned char be[] = {0xFE, 0xFF, 0x00, 'A', 0xD8, 0x3D, 0xDE, 0x00, 0xDC, 0x00, 0x00, 'B'};
  PC_CHECK_INT(pc_text_to_utf8(be, sizeof be, &out, &n), PC_OK);
  PC_CHECK_STR(out, "A\xF0\x9F\x98\x80?B");
  free(out);
  /* UTF-16LE without BOM is recognized by its zero bytes. */
  const unsigned char le[] = {'T', 0, 'C', 0, 'P', 0};
  PC_CHECK_INT(pc_text_to_utf8(le, sizeof le, &out, &n), PC_OK);
  PC_CHECK_STR(out, "TCP");
  free(out);
}

PC_TEST(limits) {
  /* A line longer than the limit is refused with its number, not read unbounded. */
  size_t len = PC_HOSTTEXT_MAX_LINE + 100;
  char *big = malloc(len + 40);
  memcpy(big, "----\n", 5);
  memset(big + 5, 'x', len);
  memcpy(big + 5 + len, "\n", 2);
  pc_port_range *r;
  size_t n;
  PC_CHECK_INT(pc_netsh_parse_excluded(big, len + 6, "big", 0, 0, &r, &n, err, sizeof err), PC_ELIMIT);
  HS_CHECK_CONTAINS(err, "big:2:");
  free(big);
}

PC_TEST(tasklist_row_cap) {
  /* Many tiny rows: refused at the cap, not grown without bound. */
  size_t rows = PC_TASKLIST_MAX_ROWS + 1;
  char *big = malloc(rows * 8 + 1);
  size_t len = 0;
  for (size_t i = 0; i < rows; i++) {
    memcpy(big + len, "a,1,N/A\n", 8);
    len += 8;
  }
  pc_process_row *r;
  size_t n;
  PC_CHECK_INT(pc_tasklist_parse(big, len, "many", &r, &n, err, sizeof err), PC_ELIMIT);
  HS_CHECK_CONTAINS(err, "more than 65536 processes");
  free(big);
}

/* ---- netsh http show servicestate / urlacl ----
 * The http_*.txt samples are RECONSTRUCTED, not captured: written from the layout of netsh's
 * English output as documented and quoted in public threads, with the labels translated the
 * way Windows translates them (German, French). The parser never reads a label, so what they
 * test is the shape: URL lines, "label: NUMBER, label: IMAGE" lines, queue titles in column 0. */

static int http(const char *name, pc_http_reg **rows, size_t *n) {
  size_t len;
  char *data = hs_load(name, &len);
  if (!data) return PC_ENOENT;
  int rc = pc_netsh_http_parse(data, len, name, rows, n, err, sizeof err);
  free(data);
  return rc;
}

PC_TEST(netsh_http_servicestate_english) {
  pc_http_reg *r;
  size_t n;
  PC_CHECK_INT(http("http_servicestate_en.txt", &r, &n), PC_OK);
  PC_CHECK_INT(n, 5);
  if (n != 5) return;
  PC_CHECK_STR(r[0].url, "HTTP://+:5985/WSMAN/");
  PC_CHECK_INT(r[0].port, 5985);
  PC_CHECK_STR(r[0].queue, ""); /* "Request queue is unnamed." */
  PC_CHECK_INT(r[0].n_pids, 1);
  PC_CHECK_UINT(r[0].pids[0], 3592);
  PC_CHECK_STR(r[0].image, "C:\\Windows\\System32\\svchost.exe");
  PC_CHECK(!r[0].reservation);
  PC_CHECK_INT(r[1].port, 47001);
  PC_CHECK_STR(r[2].url, "HTTP://*:80/");
  PC_CHECK_INT(r[2].port, 80);
  PC_CHECK_STR(r[2].queue, "DefaultAppPool");
  PC_CHECK_UINT(r[2].pids[0], 6120);
  PC_CHECK_STR(pc_http_reg_known_service(&r[2]), "W3SVC");
  PC_CHECK_INT(r[3].port, 8080);
  PC_CHECK_STR(r[3].image,
               "C:\\Program Files\\Microsoft SQL Server Reporting "
               "Services\\SSRS\\RSHostingService\\RSHostingService.exe");
  PC_CHECK_STR(pc_http_reg_known_service(&r[3]), "ReportServer");
  PC_CHECK(pc_http_reg_known_service(&r[0]) == NULL);
  PC_CHECK(pc_http_reg_find(r, n, 80) == &r[2]);
  PC_CHECK(pc_http_reg_find(r, n, 81) == NULL);
  free(r);
}

PC_TEST(netsh_http_servicestate_german) {
  pc_http_reg *r;
  size_t n;
  PC_CHECK_INT(http("http_servicestate_de.txt", &r, &n), PC_OK);
  PC_CHECK_INT(n, 2);
  if (n != 2) return;
  PC_CHECK_STR(r[0].url, "HTTP://+:80/MSDEPLOYAGENTSERVICE/");
  PC_CHECK_STR(r[0].queue, ""); /* "Die Anforderungswarteschlange ist unbenannt." */
  PC_CHECK_UINT(r[0].pids[0], 1876);
  PC_CHECK_STR(r[0].image, "C:\\Program Files\\IIS\\Microsoft Web Deploy V3\\MsDepSvc.exe");
  PC_CHECK_STR(pc_http_reg_known_service(&r[0]), "MsDepSvc");
  PC_CHECK_INT(r[1].port, 5985);
  PC_CHECK_UINT(r[1].pids[0], 3592);
  free(r);
}

PC_TEST(netsh_http_urlacl_french_and_english) {
  pc_http_reg *r;
  size_t n;
  PC_CHECK_INT(http("http_urlacl_fr.txt", &r, &n), PC_OK);
  PC_CHECK_INT(n, 3);
  if (n == 3) {
    PC_CHECK(r[0].reservation && r[1].reservation && r[2].reservation);
    PC_CHECK_STR(r[0].url, "http://+:80/Temporary_Listen_Addresses/");
    PC_CHECK_STR(r[0].user, "\\Tout le monde");
    PC_CHECK_INT(r[0].n_pids, 0);
    PC_CHECK_STR(pc_http_reg_known_service(&r[1]), "PeerDistSvc"); /* the BranchCache GUID */
    PC_CHECK_STR(r[2].user, "NT SERVICE\\WinRM");
    PC_CHECK_INT(r[2].port, 5986);
  }
  free(r);
  PC_CHECK_INT(http("http_urlacl_en.txt", &r, &n), PC_OK);
  PC_CHECK_INT(n, 2);
  if (n == 2) {
    PC_CHECK_STR(r[0].user, "\\Everyone");
    PC_CHECK_INT(r[1].port, 10246);
  }
  free(r);
}

PC_TEST(netsh_http_live_registration_beats_a_reservation) {
  /* servicestate and urlacl concatenated in one file, the reservation first. */
  const char *text =
      "\nURL Reservations:\n-----------------\n\n    Reserved URL            : "
      "http://+:80/Temporary_Listen_Addresses/\n"
      "        User: \\Everyone\n\nRequest queue name: DefaultAppPool\n    Processes:\n"
      "        ID: 6120, image: c:\\windows\\system32\\inetsrv\\w3wp.exe\n    Registered URLs:\n"
      "        HTTP://*:80/\n";
  pc_http_reg *r;
  size_t n;
  PC_CHECK_INT(pc_netsh_http_parse(text, strlen(text), "mixed", &r, &n, err, sizeof err), PC_OK);
  PC_CHECK_INT(n, 2);
  const pc_http_reg *best = pc_http_reg_find(r, n, 80);
  PC_CHECK(best && !best->reservation && best->pids[0] == 6120);
  free(r);
}

PC_TEST(netsh_http_garbage) {
  pc_http_reg *r;
  size_t n;
  PC_CHECK_INT(http("http_garbage.txt", &r, &n), PC_EPARSE);
  PC_CHECK(hs_contains(err, "http_garbage.txt:"));
  PC_CHECK_INT(http("http_bad_port.txt", &r, &n), PC_EPARSE);
  PC_CHECK(hs_contains(err, "http_bad_port.txt:5: a URL without a valid port"));
  /* An empty registration list is valid netsh output. */
  const char *empty = "\nURL Reservations:\n-----------------\n\n";
  PC_CHECK_INT(pc_netsh_http_parse(empty, strlen(empty), "empty", &r, &n, err, sizeof err), PC_OK);
  PC_CHECK_INT(n, 0);
  free(r);
}

/* netstat -qno (also lists TCP sockets bound without listen()); reconstructed samples. The
 * English word BOUND gives PC_OWNER_STATE_BOUND; a state word the parser does not know (the
 * German sample's) with a wildcard foreign address still makes the socket a holder of the port
 * (LISTEN), so a 10048 caused by it has an owner in any language. */
PC_TEST(netstat_qno_bound_sockets) {
  size_t len;
  char *data = hs_load("netstat_qno_en.txt", &len);
  pc_owner_row *r;
  size_t n;
  PC_CHECK_INT(pc_netstat_parse(data, len, "qno", &r, &n, err, sizeof err), PC_OK);
  free(data);
  PC_CHECK_INT(n, 5);
  if (n == 5) {
    PC_CHECK_INT(r[1].state, PC_OWNER_STATE_BOUND);
    PC_CHECK_UINT(r[1].pid, 4242);
    PC_CHECK_INT(r[1].local.port, 41000);
    PC_CHECK_INT(r[4].state, PC_OWNER_STATE_BOUND);
    PC_CHECK_INT(r[4].local.family, PC_AF_INET6);
  }
  free(r);
  data = hs_load("netstat_qno_de.txt", &len);
  PC_CHECK_INT(pc_netstat_parse(data, len, "qno-de", &r, &n, err, sizeof err), PC_OK);
  free(data);
  PC_CHECK_INT(n, 2);
  if (n == 2) {
    PC_CHECK_INT(r[1].local.port, 41000);
    PC_CHECK_UINT(r[1].pid, 4242);
    PC_CHECK(r[1].state == PC_OWNER_STATE_LISTEN || r[1].state == PC_OWNER_STATE_BOUND);
  }
  free(r);
}
