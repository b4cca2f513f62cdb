/* Unit tests of the watch list parser, the state-directory policy, the learned-ports store
 * and the range snapshot text form (portable: no file system). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "learned_ports.h"
#include "ranges_diff.h"
#include "pc_os.h"
#include "pc_test.h"
#include "watch_list.h"

static int add(pc_watch_list *w, const char *text, char *err) {
  return pc_watch_add(w, text, "--watch", err, PC_WATCH_ERR_MAX);
}

PC_TEST(watch_list_parses_ports_ranges_and_protocols) {
  pc_watch_list *w;
  char err[PC_WATCH_ERR_MAX];
  PC_CHECK_INT(pc_watch_new(&w), PC_OK);
  PC_CHECK_INT(add(w, "8080, 3000-3010/tcp ,5353/UDP", err), PC_OK);
  PC_CHECK_INT(pc_watch_count(w), 3);
  PC_CHECK(pc_watch_contains(w, 6, 8080));
  PC_CHECK(pc_watch_contains(w, 17, 8080));
  PC_CHECK(pc_watch_contains(w, 6, 3000));
  PC_CHECK(pc_watch_contains(w, 6, 3010));
  PC_CHECK(!pc_watch_contains(w, 6, 3011));
  PC_CHECK(!pc_watch_contains(w, 17, 3005));
  PC_CHECK(pc_watch_contains(w, 17, 5353));
  PC_CHECK(!pc_watch_contains(w, 6, 5353));
  PC_CHECK(pc_watch_contains(w, 0, 5353)); /* either protocol */
  PC_CHECK(!pc_watch_contains(NULL, 6, 8080));
  PC_CHECK_INT(add(w, "1-65535/udp", err), PC_OK);
  PC_CHECK(pc_watch_contains(w, 17, 1) && pc_watch_contains(w, 17, 65535));
  pc_watch_free(w);
}

PC_TEST(watch_list_errors_name_the_bad_item_and_add_nothing) {
  static const struct {
    const char *text, *msg;
    int rc;
  } bad[] = {
      {"70000", "--watch: '70000' is not a port (1-65535)", PC_EPARSE},
      {"0", "--watch: '0' is not a port (1-65535)", PC_EPARSE},
      {"80,abc", "--watch: 'abc' is not a port (1-65535)", PC_EPARSE},
      {"80,,81", "--watch: empty item (two commas in a row, or a comma at an end)", PC_EPARSE},
      {"80,", "--watch: empty item (two commas in a row, or a comma at an end)", PC_EPARSE},
      {"", "--watch: empty item (two commas in a row, or a comma at an end)", PC_EPARSE},
      {"3010-3000", "--watch: '3010-3000' is not a range (the first port is larger than the last)",
       PC_EPARSE},
      {"3000-", "--watch: '' is not a port (1-65535)", PC_EPARSE},
      {"3000-70000/tcp", "--watch: '70000' is not a port (1-65535)", PC_EPARSE},
      {"53/sctp", "--watch: 'sctp' is not a protocol (tcp or udp) in '53/sctp'", PC_EPARSE},
      {"53/", "--watch: '' is not a protocol (tcp or udp) in '53/'", PC_EPARSE},
      {"-5", "--watch: '' is not a port (1-65535)", PC_EPARSE},
      {"+80", "--watch: '+80' is not a port (1-65535)", PC_EPARSE},
      {"080808", "--watch: '080808' is not a port (1-65535)", PC_EPARSE},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pc_watch_list *w;
    char err[PC_WATCH_ERR_MAX];
    PC_CHECK_INT(pc_watch_new(&w), PC_OK);
    PC_CHECK_INT(add(w, "22", err), PC_OK);
    PC_CHECK_INT(add(w, bad[i].text, err), bad[i].rc);
    PC_CHECK_STR(err, bad[i].msg);
    PC_CHECK_INT(pc_watch_count(w), 1); /* all or nothing */
    pc_watch_free(w);
  }
}

PC_TEST(watch_list_is_bounded) {
  pc_watch_list *w;
  char err[PC_WATCH_ERR_MAX];
  PC_CHECK_INT(pc_watch_new(&w), PC_OK);
  size_t cap = PC_WATCH_MAX_ENTRIES * 7 + 16;
  char *text = malloc(cap);
  size_t n = 0;
  for (int i = 0; i < PC_WATCH_MAX_ENTRIES; i++)
    n += (size_t)snprintf(text + n, cap - n, "%s%d", i ? "," : "", 1 + i);
  PC_CHECK_INT(add(w, text, err), PC_OK);
  PC_CHECK_INT(pc_watch_count(w), PC_WATCH_MAX_ENTRIES);
  PC_CHECK_INT(add(w, "9", err), PC_ELIMIT);
  PC_CHECK_STR(err, "--watch: more than 4096 items");
  free(text);
  pc_watch_free(w);
}

PC_TEST(state_dir_policy) {
  char buf[256];
  PC_CHECK_INT(pc_state_dir_resolve("/s", "/x", "/h", NULL, buf, sizeof buf), PC_OK);
  PC_CHECK_STR(buf, "/s");
  PC_CHECK_INT(pc_state_dir_resolve("", "/x", "/h", NULL, buf, sizeof buf), PC_OK);
  PC_CHECK_STR(buf, "/x/portclash");
  PC_CHECK_INT(pc_state_dir_resolve(NULL, NULL, "/home/u", NULL, buf, sizeof buf), PC_OK);
  PC_CHECK_STR(buf, "/home/u/.local/state/portclash");
  PC_CHECK_INT(pc_state_dir_resolve(NULL, NULL, NULL, "C:\\ProgramData", buf, sizeof buf), PC_OK);
  PC_CHECK_STR(buf, "C:\\ProgramData\\portclash");
  PC_CHECK_INT(pc_state_dir_resolve(NULL, NULL, NULL, NULL, buf, sizeof buf), PC_ENOENT);
  PC_CHECK_STR(buf, "");
  PC_CHECK_INT(pc_state_dir_resolve(NULL, NULL, "/home/u", NULL, buf, 8), PC_EOVERFLOW);
}

PC_TEST(learned_store_round_trips_and_evicts_the_least_recently_seen) {
  pc_learned *l;
  PC_CHECK_INT(pc_learned_new(3, &l), PC_OK);
  PC_CHECK_INT(pc_learned_record(l, 6, 3000, 7777, "node.exe", 100), PC_OK);
  PC_CHECK_INT(pc_learned_record(l, 17, 5353, 0, "mdns\x01x", 200), PC_OK);
  PC_CHECK_INT(pc_learned_record(l, 6, 8080, 42, "System Idle Process", 300), PC_OK);
  PC_CHECK_INT(pc_learned_record(l, 6, 0, 1, "x", 1), PC_EINVAL);
  PC_CHECK_INT(pc_learned_record(l, 1, 80, 1, "x", 1), PC_EINVAL);
  PC_CHECK_STR(pc_learned_find(l, 17, 5353)->process, "mdns?x");       /* control characters replaced */
  PC_CHECK_INT(pc_learned_record(l, 6, 3000, 7778, NULL, 400), PC_OK); /* touch: now the newest */
  PC_CHECK_INT(pc_learned_record(l, 6, 9000, 1, "new", 500), PC_OK);   /* evicts 5353 (seen at 200) */
  PC_CHECK(pc_learned_find(l, 17, 5353) == NULL);
  const pc_learned_port *e = pc_learned_find(l, 6, 3000);
  PC_CHECK(e && e->pid == 7778 && strcmp(e->process, "node.exe") == 0 && e->first_seen == 100 &&
           e->last_seen == 400);

  char *text;
  size_t len;
  PC_CHECK_INT(pc_learned_format(l, &text, &len), PC_OK);
  pc_learned *m;
  PC_CHECK_INT(pc_learned_new(0, &m), PC_OK);
  char err[PC_LEARNED_ERR_MAX];
  PC_CHECK_INT(pc_learned_parse(m, text, len, "t", err, sizeof err), PC_OK);
  PC_CHECK_INT(pc_learned_count(m), 3);
  PC_CHECK(!pc_learned_dirty(m));
  PC_CHECK_STR(pc_learned_find(m, 6, 8080)->process, "System Idle Process");
  PC_CHECK_INT(pc_learned_find(m, 6, 3000)->first_seen, 100);
  free(text);
  pc_learned_free(m);
  pc_learned_free(l);
}

PC_TEST(learned_store_rejects_damaged_text_and_stays_empty) {
  static const struct {
    const char *text, *msg;
  } bad[] = {
      {"", "t: empty file"},
      {"garbage\n", "t:1: not a portclash learned-ports file (expected 'portclash learned ports 1')"},
      {"portclash learned ports 1\ntcp 80 1 1 1 x\nsctp 80 1 1 1 x\n",
       "t:3: malformed entry (expected 'tcp|udp PORT PID FIRST LAST NAME')"},
      {"portclash learned ports 1\ntcp 70000 1 1 1 x\n",
       "t:2: malformed entry (expected 'tcp|udp PORT PID FIRST LAST NAME')"},
      {"portclash learned ports 1\ntcp 80 1 1\n",
       "t:2: malformed entry (expected 'tcp|udp PORT PID FIRST LAST NAME')"},
      {"portclash learned ports 1\ntcp 80 1 99999999999999999999 1 x\n",
       "t:2: malformed entry (expected 'tcp|udp PORT PID FIRST LAST NAME')"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pc_learned *l;
    PC_CHECK_INT(pc_learned_new(4, &l), PC_OK);
    pc_learned_record(l, 6, 1, 1, "before", 1);
    char err[PC_LEARNED_ERR_MAX];
    PC_CHECK_INT(pc_learned_parse(l, bad[i].text, strlen(bad[i].text), "t", err, sizeof err), PC_ECORRUPT);
    PC_CHECK_STR(err, bad[i].msg);
    PC_CHECK_INT(pc_learned_count(l), 0);
    pc_learned_free(l);
  }
}

PC_TEST(range_snapshot_text_round_trips_and_rejects_garbage) {
  pc_port_range ex[2] = {{.start = 50000, .end = 50059, .administered = true, .proto = 6},
                         {.start = 1000, .end = 1099, .proto = 17, .family = PC_AF_INET6}};
  pc_dynamic_range dy[1] = {{.start = 49152, .count = 16384, .proto = 6}};
  pc_range_snapshot s = {.taken = 123456789,
                         .excluded_known = true,
                         .excluded = ex,
                         .n_excluded = 2,
                         .dynamic = dy,
                         .n_dynamic = 1};
  snprintf(s.source, sizeof s.source, "offline");
  char *text;
  size_t len;
  PC_CHECK_INT(pc_range_snapshot_format(&s, &text, &len), PC_OK);
  PC_CHECK_STR(text,
               "portclash ranges 1\nsource offline\ntaken 123456789\nexcluded_known 1\n"
               "excluded 50000 50059 administered tcp any\nexcluded 1000 1099 dynamic udp ipv6\n"
               "dynamic 49152 16384 tcp any\n");
  pc_range_snapshot t;
  char err[512];
  PC_CHECK_INT(pc_range_snapshot_parse(text, len, "t", &t, err, sizeof err), PC_OK);
  PC_CHECK(pc_range_snapshot_equal(&s, &t)); /* s was written in sorted order */
  PC_CHECK_INT(t.n_excluded, 2);
  PC_CHECK_INT(t.excluded[0].start, 50000); /* tcp sorts before udp */
  PC_CHECK_INT(t.taken, 123456789);
  PC_CHECK_STR(t.source, "offline");
  PC_CHECK(t.excluded_known);
  pc_range_snapshot_clear(&t);
  free(text);

  static const struct {
    const char *text, *msg;
  } bad[] = {
      {"nope\n", "t:1: not a portclash range snapshot (expected 'portclash ranges 1')"},
      {"portclash ranges 1\nexcluded 9 8 dynamic tcp any\n", "t:2: bad port range"},
      {"portclash ranges 1\nexcluded 1 8 maybe tcp any\n", "t:2: expected 'administered' or 'dynamic'"},
      {"portclash ranges 1\ndynamic 65000 1000 tcp any\n", "t:2: bad dynamic range"},
      {"portclash ranges 1\ndynamic 1 10 sctp any\n", "t:2: bad protocol or family"},
      {"portclash ranges 1\nwhat\n", "t:2: unknown line"},
      {"portclash ranges 1\nexcluded 1 2 dynamic tcp any extra\n", "t:2: unknown line"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    PC_CHECK_INT(pc_range_snapshot_parse(bad[i].text, strlen(bad[i].text), "t", &t, err, sizeof err),
                 PC_ECORRUPT);
    PC_CHECK_STR(err, bad[i].msg);
    PC_CHECK_INT(t.n_excluded + t.n_dynamic, 0);
  }
}
