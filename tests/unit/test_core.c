/* Unit tests for pc_core: errors, time formatting, GUIDs, addresses, UTF-8 encoding and the
 * indexed heap. */
#include <stdio.h>
#include <string.h>

#include "pc_addr.h"
#include "pc_error.h"
#include "pc_heap.h"
#include "pc_record.h"
#include "pc_test.h"
#include "pc_text.h"
#include "pc_time.h"

PC_TEST(strerror_covers_every_code) {
  PC_CHECK_STR(pc_strerror(PC_OK), "success");
  PC_CHECK_STR(pc_strerror(PC_ETRUNC), "input is truncated");
  PC_CHECK_STR(pc_errname(PC_ENOMEM), "PC_ENOMEM");
  PC_CHECK_STR(pc_strerror(-9999), "unknown error");
}

PC_TEST(time_formats_rfc3339_utc) {
  char buf[40];
  pc_time t = pc_time_from_unix(1795392000, 123456000); /* 2026-11-23T00:00:00.123456Z */
  PC_CHECK(pc_time_format_rfc3339(t, buf, sizeof buf) == 27);
  PC_CHECK_STR(buf, "2026-11-23T00:00:00.123456Z");
  PC_CHECK_INT(pc_time_format_rfc3339(PC_TIME_UNKNOWN, buf, sizeof buf), 0);
  PC_CHECK_STR(buf, "");
  PC_CHECK(pc_time_format_rfc3339(0, buf, sizeof buf) == 27);
  PC_CHECK_STR(buf, "1601-01-01T00:00:00.000000Z");
}

PC_TEST(guid_parse_and_format_round_trip) {
  pc_guid g;
  const char *s = "{2f07e2ee-15db-40f1-90ef-9d7ba282188a}";
  PC_CHECK_INT(pc_guid_parse(s, strlen(s), &g), PC_OK);
  PC_CHECK(pc_guid_equal(&g, &PC_GUID_TCPIP));
  char out[39];
  pc_guid_format(&PC_GUID_AFD, out);
  PC_CHECK_STR(out, "{e53c6823-7bb8-44bb-90dc-3f86090d48a6}");
  PC_CHECK_INT(pc_guid_parse("2F07E2EE-15DB-40F1-90EF-9D7BA282188A", 36, &g), PC_OK);
  PC_CHECK(pc_guid_equal(&g, &PC_GUID_TCPIP));
  PC_CHECK_INT(pc_guid_parse("{2f07e2ee-15db-40f1-90ef-9d7ba282188}", 37, &g), PC_EPARSE);
  PC_CHECK_INT(pc_guid_parse("{2f07e2ee_15db-40f1-90ef-9d7ba282188a}", 38, &g), PC_EPARSE);
  PC_CHECK_INT(pc_guid_parse("{2f07e2ee-15db-40f1-90ef-9d7ba282188g}", 38, &g), PC_EPARSE);
}

PC_TEST(addr_parse_and_format) {
  struct {
    const char *in, *out;
  } cases[] = {
      {"0.0.0.0", "0.0.0.0"},
      {"127.0.0.1", "127.0.0.1"},
      {"::", "::"},
      {"::1", "::1"},
      {"[::1]", "::1"},
      {"fe80::1", "fe80::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"1::", "1::"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pc_addr a = {0};
    PC_CHECK_INT(pc_addr_parse_ip(cases[i].in, &a), PC_OK);
    char buf[PC_ADDR_TEXT_MAX];
    pc_addr_format_ip(&a, buf, sizeof buf);
    PC_CHECK_STR(buf, cases[i].out);
  }
  const char *bad[] = {"",        "1.2.3", "1.2.3.256", "1.2.3.4.5", " 1.2.3.4",     "1:2:3:4:5:6:7:8:9",
                       "1::2::3", ":::",   "12345::",   "1.2.3.-4",  "::ffff:1.2.3", "1:"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pc_addr a = {0};
    if (pc_addr_parse_ip(bad[i], &a) != PC_EPARSE)
      pc__test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
  }
  pc_addr w = {0};
  PC_CHECK_INT(pc_addr_parse_ip("0.0.0.0", &w), PC_OK);
  PC_CHECK(pc_addr_is_wildcard(&w));
  PC_CHECK_INT(pc_addr_parse_ip("::", &w), PC_OK);
  PC_CHECK(pc_addr_is_wildcard(&w));
}

/* Every length at both of its edges: U+007F/0080, U+07FF/0800, U+FFFF/10000, U+10FFFF. */
PC_TEST(utf8_encode_every_length) {
  static const struct {
    uint32_t cp;
    const char *utf8;
  } cases[] = {{0x41, "A"},
               {0x7F, "\x7f"},
               {0x80, "\xc2\x80"},
               {0xE9, "\xc3\xa9"},
               {0x7FF, "\xdf\xbf"},
               {0x800, "\xe0\xa0\x80"},
               {0xFFFD, "\xef\xbf\xbd"},
               {0xFFFF, "\xef\xbf\xbf"},
               {0x10000, "\xf0\x90\x80\x80"},
               {0x1F600, "\xf0\x9f\x98\x80"},
               {0x10FFFF, "\xf4\x8f\xbf\xbf"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[5] = {0};
    size_t n = pc_utf8_encode(cases[i].cp, out);
    PC_CHECK_UINT(n, strlen(cases[i].utf8));
    PC_CHECK_STR(out, cases[i].utf8);
  }
}

typedef struct heap_item {
  int key;
  size_t pos;
} heap_item;

static bool item_before(const void *a, const void *b) {
  return ((const heap_item *)a)->key < ((const heap_item *)b)->key;
}
static void item_placed(void *it, size_t pos) {
  ((heap_item *)it)->pos = pos;
}

/* Every item knows its position, and the top is always the smallest key: after pushes, a key
 * changed in place either way, and removals from the middle. */
PC_TEST(heap_keeps_order_and_positions) {
  heap_item it[64];
  void *h[64];
  size_t n = 0;
  for (int i = 0; i < 64; i++) {
    it[i].key = (i * 37) % 64; /* a permutation of 0..63 */
    n = pc_heap_push(h, n, &it[i], item_before, item_placed);
  }
  it[5].key = -1; /* sorts to the top */
  pc_heap_fix(h, n, it[5].pos, item_before, item_placed);
  PC_CHECK(h[0] == &it[5]);
  it[5].key = 1000; /* and to the bottom */
  pc_heap_fix(h, n, it[5].pos, item_before, item_placed);
  n = pc_heap_remove(h, n, it[9].pos, item_before, item_placed);
  n = pc_heap_remove(h, n, it[20].pos, item_before, item_placed);
  int last = -2;
  size_t popped = 0;
  while (n) {
    for (size_t k = 0; k < n; k++) PC_CHECK_UINT(((heap_item *)h[k])->pos, k);
    heap_item *top = h[0];
    PC_CHECK(top->key >= last);
    PC_CHECK(top != &it[9] && top != &it[20]);
    last = top->key;
    n = pc_heap_remove(h, n, 0, item_before, item_placed);
    popped++;
  }
  PC_CHECK_UINT(popped, 62);
  PC_CHECK_INT(last, 1000);
}
