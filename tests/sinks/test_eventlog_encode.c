/* test_eventlog_encode.c - the portable part of the Event Log sink (monitor/sinks/eventlog.c): event
 * ids and types from findings, the record encoding and its decoding (with sanitizers natively),
 * the cut of long strings on a UTF-8 boundary, and, where there is no Event Log, the clear
 * "not supported" of --eventlog. The Windows transport is tested under Wine
 * (tests/windows/test_eventlog_win.c). */
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "pc_sinks.h"
#include "pc_test.h"

PC_TEST(ids_and_types_follow_event_and_severity) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.event = "bind_failure";
  f.severity = "error";
  PC_CHECK_INT(pc_eventlog_id(&f), PC_EVENTLOG_BIND_FAILURE);
  PC_CHECK_INT(pc_eventlog_type(&f), PC_EVENTLOG_ERROR);
  f.event = "port_at_risk";
  f.severity = "warning";
  PC_CHECK_INT(pc_eventlog_id(&f), 101);
  PC_CHECK_INT(pc_eventlog_type(&f), PC_EVENTLOG_WARNING);
  f.event = "events_lost";
  PC_CHECK_INT(pc_eventlog_id(&f), 102);
  f.event = "output_dropped";
  PC_CHECK_INT(pc_eventlog_id(&f), 103);
  f.event = "limit_hit";
  PC_CHECK_INT(pc_eventlog_id(&f), 104);
  f.event = "something_new";
  f.severity = NULL;
  PC_CHECK_INT(pc_eventlog_id(&f), PC_EVENTLOG_OTHER_FINDING);
  PC_CHECK_INT(pc_eventlog_type(&f), PC_EVENTLOG_INFORMATION);
}

PC_TEST(a_finding_round_trips_with_unknowns_as_dash) {
  static const char *const fixes[] = {"one", "two"};
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = PC_TIME_UNIX_EPOCH;
  f.event = "bind_failure";
  f.severity = "error";
  f.explanation = "why";
  f.port_known = true;
  f.port = 80;
  f.fixes = fixes;
  f.fix_count = 2;
  f.count = 3;
  char buf[1024];
  size_t n = pc_eventlog_encode_finding(&f, buf, sizeof buf);
  PC_CHECK(n <= sizeof buf);
  /* Too small a buffer: nothing is written past it, and the same length is returned. */
  char small[16];
  PC_CHECK_UINT(pc_eventlog_encode_finding(&f, small, sizeof small), n);
  pc_eventlog_event ev;
  PC_CHECK_INT(pc_eventlog_decode(buf, n, &ev), 0);
  PC_CHECK_INT(ev.id, 100);
  PC_CHECK_INT(ev.type, PC_EVENTLOG_ERROR);
  PC_CHECK_INT(ev.n, PC_EVENTLOG_FINDING_STRINGS);
  PC_CHECK_STR(ev.s[0], "why");
  PC_CHECK_STR(ev.s[2], "-");
  PC_CHECK_STR(ev.s[6], "80");
  PC_CHECK_STR(ev.s[13], "3");
  PC_CHECK_STR(ev.s[14], "- one\r\n- two");
  PC_CHECK_STR(ev.s[16], "1970-01-01T00:00:00.000000Z");
  /* A record cut anywhere is refused, not read past its end. */
  for (size_t cut = 0; cut < n; cut++) PC_CHECK_INT(pc_eventlog_decode(buf, cut, &ev), -1);
}

PC_TEST(long_strings_are_cut_on_a_character_boundary) {
  size_t len = PC_EVENTLOG_STRING_MAX + 99;
  char *s = malloc(len + 1);
  if (!s) return;
  /* U+20AC (3 bytes) repeated: 8192 is not a multiple of 3, so the limit falls inside one. */
  for (size_t i = 0; i + 2 < len + 1; i += 3) {
    s[i] = (char)0xE2;
    s[i + 1] = (char)0x82;
    s[i + 2] = (char)0xAC;
  }
  s[len] = '\0';
  const char *strings[1] = {s};
  size_t need = pc_eventlog_encode(200, PC_EVENTLOG_INFORMATION, 1, strings, NULL, 0);
  char *buf = malloc(need);
  PC_CHECK_UINT(pc_eventlog_encode(200, PC_EVENTLOG_INFORMATION, 1, strings, buf, need), need);
  pc_eventlog_event ev;
  PC_CHECK_INT(pc_eventlog_decode(buf, need, &ev), 0);
  size_t got = strlen(ev.s[0]);
  PC_CHECK(got <= PC_EVENTLOG_STRING_MAX + 3);
  PC_CHECK(strcmp(ev.s[0] + got - 3, "...") == 0);
  /* Whole characters only before "...". */
  PC_CHECK((got - 3) % 3 == 0);
  PC_CHECK(got - 3 > PC_EVENTLOG_STRING_MAX - 3);
  free(buf);
  free(s);
}

#ifndef _WIN32
static char diag_text[256];
static void diag(void *ud, pc_err err, const char *msg) {
  (void)ud;
  (void)err;
  snprintf(diag_text, sizeof diag_text, "%s", msg);
}
#endif

PC_TEST(eventlog_where_there_is_none_is_a_clear_error) {
#ifdef _WIN32
  PC_SKIP("Windows has an Event Log (tests/windows/test_eventlog_win.c)");
#else
  pc_sink_options o;
  pc_sink_options_init(&o);
  o.console = false;
  o.eventlog = true;
  pc_sinks *s = NULL;
  PC_CHECK_INT(pc_sinks_open(&o, diag, NULL, &s), PC_ENOTSUP);
  PC_CHECK(s == NULL);
  PC_CHECK(strstr(diag_text, "only on Windows") != NULL);
#endif
}
