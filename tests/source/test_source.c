/* The one source contract (pc_source.h) over the file sources: items, then PC_EEND for ever;
 * errors sticky with a message naming the input; the ETL and fixture forms of the same
 * capture hand out the same records. Paths come from PC_SOURCE_DIR and PC_TEST_ETL (the demo
 * fixture written as an ETL file by the e2e set-up). */
#include <stdlib.h>
#include <string.h>

#include "pc_source.h"
#include "pc_test.h"

static char path_buf[4096];
static const char *src_path(const char *rel) {
  const char *root = getenv("PC_SOURCE_DIR");
  snprintf(path_buf, sizeof path_buf, "%s/%s", root ? root : ".", rel);
  return path_buf;
}

static pc_schema_set *schemas(void) {
  pc_schema_set *s = NULL;
  PC_CHECK_INT(pc_schema_builtin_load(&s), PC_OK);
  return s;
}

/* Reads src to its end; returns the item count, *end the code that ended it. */
static size_t drain(pc_source *src, int *end, pc_guid *first_provider, pc_time *last_ts) {
  pc_source_item it;
  size_t n = 0;
  int rc;
  while ((rc = pc_source_next(src, &it, 0)) == PC_OK) {
    PC_CHECK_INT(it.kind, PC_SOURCE_RECORD);
    if (n == 0 && first_provider) *first_provider = it.record.provider;
    if (last_ts) *last_ts = it.record.timestamp;
    n++;
  }
  *end = rc;
  return n;
}

PC_TEST(fixture_items_then_end_for_ever) {
  pc_schema_set *set = schemas();
  pc_source *src;
  char err[512];
  PC_CHECK_INT(pc_source_open_file(src_path("demo/bind-failures.records"), set, &src, err, sizeof err),
               PC_OK);
  pc_source_info info;
  pc_source_get_info(src, &info);
  PC_CHECK_STR(info.name, "fixture");
  PC_CHECK_STR(info.os, "windows");
  int end;
  size_t n = drain(src, &end, NULL, NULL);
  PC_CHECK_INT(n, 17);
  PC_CHECK_INT(end, PC_EEND);
  pc_source_item it;
  PC_CHECK_INT(pc_source_next(src, &it, 0), PC_EEND); /* and again */
  PC_CHECK_STR(pc_source_error(src), "");
  pc_source_stats st;
  pc_source_get_stats(src, &st);
  PC_CHECK_INT(st.items, 17);
  PC_CHECK_INT(st.lost, 0);
  pc_source_stop(src); /* a file source has no stop: harmless */
  pc_source_close(src);
  pc_schema_set_free(set);
}

PC_TEST(fixture_error_is_sticky_and_names_the_line) {
  pc_schema_set *set = schemas();
  pc_source *src;
  char err[512];
  PC_CHECK_INT(pc_source_open_file(src_path("tests/e2e/bad-line.records"), set, &src, err, sizeof err),
               PC_OK);
  int end;
  PC_CHECK_INT(drain(src, &end, NULL, NULL), 1); /* the good first line */
  PC_CHECK(end != PC_OK && end != PC_EEND && end != PC_ETIMEOUT);
  PC_CHECK(strstr(pc_source_error(src), "bad-line.records:2:") != NULL);
  pc_source_item it;
  PC_CHECK_INT(pc_source_next(src, &it, 0), end);
  pc_source_close(src);
  pc_schema_set_free(set);
}

PC_TEST(missing_file_says_which) {
  pc_schema_set *set = schemas();
  pc_source *src = (pc_source *)1;
  char err[512];
  PC_CHECK_INT(pc_source_open_file("/nonexistent/capture.etl", set, &src, err, sizeof err), PC_ENOENT);
  PC_CHECK(src == NULL);
  PC_CHECK(strstr(err, "/nonexistent/capture.etl") != NULL);
  pc_source_close(NULL);
  pc_schema_set_free(set);
}

PC_TEST(etl_and_fixture_agree) {
  const char *etl_path = getenv("PC_TEST_ETL");
  if (!etl_path || !*etl_path) PC_SKIP("PC_TEST_ETL not set");
  pc_schema_set *set = schemas();
  pc_source *a, *b;
  char err[512];
  PC_CHECK_INT(pc_source_open_file(etl_path, set, &a, err, sizeof err), PC_OK);
  PC_CHECK_INT(pc_source_open_file(src_path("demo/bind-failures.records"), set, &b, err, sizeof err), PC_OK);
  pc_source_info info;
  pc_source_get_info(a, &info);
  PC_CHECK_STR(info.name, "etl");
  int ea, eb;
  pc_guid pa = {0}, pb = {0};
  pc_time ta = 0, tb = 0;
  PC_CHECK_INT(drain(a, &ea, &pa, &ta), drain(b, &eb, &pb, &tb));
  PC_CHECK_INT(ea, PC_EEND);
  PC_CHECK_INT(eb, PC_EEND);
  PC_CHECK(pc_guid_equal(&pa, &pb));
  PC_CHECK_INT(ta, tb);
  pc_source_close(a);
  pc_source_close(b);
  pc_schema_set_free(set);
}
