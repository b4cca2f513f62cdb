/* Correlator tests as data: every tests/correlator/cases/NAME.records is decoded and
 * correlated, and the attempt lines must equal NAME.expected exactly. A first line
 * "#! report_success" turns on reporting of successful binds. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt_text.h"
#include "correlator.h"
#include "pc_decode.h"
#include "pc_error.h"
#include "pc_fixture.h"
#include "pc_test.h"

typedef struct sink {
  char out[16384];
  size_t len;
} sink;

static void collect(const pc_bind_attempt *a, void *ud) {
  sink *s = ud;
  char line[512];
  size_t n = pc_attempt_format_line(a, line, sizeof line);
  if (s->len + n + 2 < sizeof s->out) {
    memcpy(s->out + s->len, line, n);
    s->len += n;
    s->out[s->len++] = '\n';
    s->out[s->len] = '\0';
  }
}

/* Runs one case; returns 0 when the output matched. */
static int run_case(const char *dir, const char *name) {
  char path[1024];
  size_t len, elen;
  snprintf(path, sizeof path, "%s/%s.records", dir, name);
  char *text = pc_test_read_file(path, &len);
  snprintf(path, sizeof path, "%s/%s.expected", dir, name);
  char *expected = pc_test_read_file(path, &elen);
  if (!text || !expected) {
    pc__test_fail(__FILE__, __LINE__, "%s: cannot read .records or .expected", name);
    free(text);
    free(expected);
    return 1;
  }
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  pc_correlator_config cfg;
  pc_correlator_config_default(&cfg);
  cfg.report_success = strncmp(text, "#! report_success", 17) == 0;
  sink s = {.len = 0};
  s.out[0] = '\0';
  pc_correlator *cor;
  PC_CHECK_INT(pc_correlator_new(&cfg, collect, &s, &cor), PC_OK);
  pc_fixture *fx;
  PC_CHECK_INT(pc_fixture_open(text, len, name, pc_decoder_schemas(dec), &fx), PC_OK);
  pc_record r;
  int rc;
  int failed = 0;
  while ((rc = pc_fixture_next(fx, &r)) != 1) {
    if (rc != PC_OK) {
      pc__test_fail(__FILE__, __LINE__, "%s", pc_fixture_error(fx));
      failed = 1;
      continue;
    }
    pc_event ev;
    rc = pc_decoder_decode(dec, &r, &ev);
    if (rc != PC_OK) {
      pc__test_fail(__FILE__, __LINE__, "%s: record %u v%u did not decode: %s", name, r.id, r.version,
                    pc_strerror(rc));
      failed = 1;
      continue;
    }
    pc_correlator_feed(cor, &ev);
  }
  pc_correlator_flush(cor);
  if (strcmp(s.out, expected) != 0) {
    pc__test_fail(__FILE__, __LINE__, "%s: got\n%s  expected\n%s", name, s.out, expected);
    failed = 1;
  }
  pc_fixture_close(fx);
  pc_correlator_free(cor);
  pc_decoder_free(dec);
  free(text);
  free(expected);
  return failed;
}

PC_TEST(correlator_cases_as_data) {
  const char *dir = pc_test_source_path("tests/correlator/cases");
  char dirbuf[1024];
  snprintf(dirbuf, sizeof dirbuf, "%s", dir);
  DIR *d = opendir(dirbuf);
  PC_CHECK(d != NULL);
  if (!d) return;
  int cases = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n < 9 || strcmp(de->d_name + n - 8, ".records") != 0) continue;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(n - 8), de->d_name);
    int bad = run_case(dirbuf, name);
    printf("  case %-36s %s\n", name, bad ? "FAIL" : "ok");
    cases++;
  }
  closedir(d);
  PC_CHECK(cases >= 9);
}
