/* The JSON writer of the commands' documents (pc_format.h): commas and nesting, numbers,
 * nulls, and strings escaped exactly as the findings' JSON escapes them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_format.h"
#include "pc_test.h"

/* Reads back what a writer wrote to a temporary file (static buffer, one call at a time). */
static const char *contents(FILE *f) {
  static char buf[4096];
  long n = ftell(f);
  rewind(f);
  size_t got = n > 0 ? fread(buf, 1, (size_t)n < sizeof buf - 1 ? (size_t)n : sizeof buf - 1, f) : 0;
  buf[got] = '\0';
  fclose(f);
  return buf;
}

/* One document {"s": s} with s as the only value. */
static const char *one_string(const char *s) {
  FILE *f = tmpfile();
  pc_json_writer w;
  pc_json_init(&w, f);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "s", s);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  return contents(f);
}

PC_TEST(json_writer_nesting_commas_and_numbers) {
  FILE *f = tmpfile();
  pc_json_writer w;
  pc_json_init(&w, f);
  pc_json_begin_object(&w);
  pc_json_key_u64(&w, "u", UINT64_MAX);
  pc_json_key_i64(&w, "i", INT64_MIN);
  pc_json_key_bool(&w, "t", true);
  pc_json_key_bool(&w, "f", false);
  pc_json_key_null(&w, "n");
  pc_json_key(&w, "empty");
  pc_json_begin_array(&w);
  pc_json_end_array(&w);
  pc_json_key(&w, "list");
  pc_json_begin_array(&w);
  pc_json_u64(&w, 1);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "k", NULL);
  pc_json_end_object(&w);
  pc_json_begin_array(&w);
  pc_json_null(&w);
  pc_json_str(&w, "x");
  pc_json_end_array(&w);
  pc_json_end_array(&w);
  pc_json_key(&w, "obj");
  pc_json_begin_object(&w);
  pc_json_end_object(&w);
  pc_json_key(&w, "time");
  pc_json_time(&w, PC_TIME_UNKNOWN);
  pc_json_key(&w, "epoch");
  pc_json_time(&w, pc_time_from_unix(0, 0));
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  PC_CHECK_STR(contents(f),
               "{\"u\":18446744073709551615,\"i\":-9223372036854775808,\"t\":true,\"f\":false,\"n\":null,"
               "\"empty\":[],\"list\":[1,{\"k\":null},[null,\"x\"]],\"obj\":{},\"time\":null,"
               "\"epoch\":\"1970-01-01T00:00:00.000000Z\"}\n");
}

PC_TEST(json_writer_escapes_like_findings) {
  /* Quotes and backslashes, every C0 control and DEL as \u00xx. */
  PC_CHECK_STR(one_string("a\"b\\c/d"), "{\"s\":\"a\\\"b\\\\c/d\"}\n");
  PC_CHECK_STR(one_string("\x01\t\n\r\x1f\x7f"), "{\"s\":\"\\u0001\\u0009\\u000a\\u000d\\u001f\\u007f\"}\n");
  /* Valid UTF-8 is kept; invalid bytes, overlongs and surrogates become U+FFFD. */
  PC_CHECK_STR(one_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
               "{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}\n");
  PC_CHECK_STR(one_string("a\xff"
                          "b\xc0\xaf"
                          "c\xed\xa0\x80"),
               "{\"s\":\"a\xef\xbf\xbd"
               "b\xef\xbf\xbd\xef\xbf\xbd"
               "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n");
  /* NULL is null, the empty string is a string. */
  PC_CHECK_STR(one_string(NULL), "{\"s\":null}\n");
  PC_CHECK_STR(one_string(""), "{\"s\":\"\"}\n");
  /* Keys are escaped too. */
  FILE *f = tmpfile();
  pc_json_writer w;
  pc_json_init(&w, f);
  pc_json_begin_object(&w);
  pc_json_key_u64(&w, "k\"\n", 1);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  PC_CHECK_STR(contents(f), "{\"k\\\"\\u000a\":1}\n");
  /* The same bytes as pc_json_escape, for a long string too (the heap path). */
  char *big = malloc(3001), *want = malloc(12000);
  for (int i = 0; i < 3000; i++) big[i] = i % 3 == 0 ? '"' : i % 3 == 1 ? '\x02' : 'x';
  big[3000] = '\0';
  size_t n = pc_json_escape(big, want, 12000);
  PC_CHECK(n < 12000 && n > 9000);
  f = tmpfile();
  pc_json_init(&w, f);
  pc_json_str(&w, big);
  long len = ftell(f);
  char *got = calloc(1, (size_t)len + 1);
  rewind(f);
  PC_CHECK(fread(got, 1, (size_t)len, f) == (size_t)len);
  fclose(f);
  PC_CHECK_STR(got, want);
  free(got);
  free(big);
  free(want);
}

PC_TEST(json_writer_finding_members_extend_the_finding) {
  static const char *const fixes[] = {"a \"b\"", "c"};
  pc_finding fd;
  memset(&fd, 0, sizeof fd);
  fd.ts = fd.ts_last = PC_TIME_UNKNOWN;
  fd.event = "explain";
  fd.proto = "tcp";
  fd.address = "0.0.0.0";
  fd.port_known = true;
  fd.port = 80;
  fd.rule_id = "C06";
  fd.explanation = "line\nbreak";
  fd.fixes = fixes;
  fd.fix_count = 2;
  fd.count = 1;
  char want[2048];
  size_t n = pc_format_json(&fd, NULL, want, sizeof want);
  PC_CHECK(n < sizeof want && n > 2);
  /* {finding members..., "extra": 1}: the finding's object with one more member. */
  FILE *f = tmpfile();
  pc_json_writer w;
  pc_json_init(&w, f);
  pc_json_begin_object(&w);
  pc_json_finding_members(&w, &fd);
  pc_json_key_u64(&w, "extra", 1);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  want[n - 1] = '\0';
  char expect[2100];
  snprintf(expect, sizeof expect, "%s,\"extra\":1}\n", want);
  PC_CHECK_STR(contents(f), expect);
}
