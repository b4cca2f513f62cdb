/* test_etl_info.c - `portclash etl info` on files from the test writer: text and JSON
 * output, usage errors, damaged input. */
#include <stdbool.h>

#include "etl_test_util.h"
#include "cli.h"

static char out_text[65536], err_text[8192];

/* Runs the command with the given words; captures stdout/stderr into out_text/err_text. */
static int run(int argc, const char **argv) {
  FILE *o = tmpfile(), *e = tmpfile();
  if (!o || !e) return -1;
  int rc = pc_cmd_etl_info_to(argc, (char **)argv, o, e);
  rewind(o);
  rewind(e);
  size_t n = fread(out_text, 1, sizeof out_text - 1, o);
  out_text[n] = '\0';
  n = fread(err_text, 1, sizeof err_text - 1, e);
  err_text[n] = '\0';
  fclose(o);
  fclose(e);
  return rc;
}

static const char *make_file(void) {
  static char path[512];
  snprintf(path, sizeof path, "%s", etl_tmp_path("info"));
  pc_etl_writer *w = pc_etl_writer_open(path, NULL);
  if (!w) return NULL;
  uint8_t ud[16] = {0};
  for (int i = 0; i < 10; i++) {
    pc_record r = etl_rec(i < 6 ? &PC_GUID_AFD : &PC_GUID_TCPIP, i < 6 ? 1000 : 1394, i < 6 ? 0 : 1,
                          (unsigned)i % 2, ETL_T0 + 10000000 + i * 5000, ud, sizeof ud);
    pc_etl_writer_add(w, &r);
  }
  pc_etl_writer_close(w);
  return path;
}

PC_TEST(info_text) {
  const char *path = make_file();
  PC_CHECK(path != NULL);
  if (!path) return;
  const char *argv[] = {"etl", "info", path};
  PC_CHECK_INT(run(3, argv), 0);
  PC_CHECK(strstr(out_text, "os:            Windows 10.0 build 19041\n") != NULL);
  PC_CHECK(strstr(out_text, "pointer size:  8 bytes\n") != NULL);
  PC_CHECK(strstr(out_text, "cpus:          4 (3000 MHz)\n") != NULL);
  PC_CHECK(strstr(out_text, "clock:         QPC, 10000000 Hz\n") != NULL);
  PC_CHECK(strstr(out_text, "start:         2026-01-01T00:00:00.000000Z\n") != NULL);
  PC_CHECK(strstr(out_text, "compression:   none\n") != NULL);
  PC_CHECK(strstr(out_text, "events:        10 delivered, 0 out of time order") != NULL);
  PC_CHECK(strstr(out_text, "span:          2026-01-01T00:00:01.000000Z .. 2026-01-01T00:00:01.004500Z") !=
           NULL);
  PC_CHECK(strstr(out_text,
                  "{e53c6823-7bb8-44bb-90dc-3f86090d48a6} Microsoft-Windows-Winsock-AFD  6 events\n"
                  "    id  1000 v0  6\n") != NULL);
  PC_CHECK(strstr(out_text, "Microsoft-Windows-TCPIP  4 events\n    id  1394 v1  4\n") != NULL);
  PC_CHECK_STR(err_text, "");
  remove(path);
}

PC_TEST(info_json) {
  const char *path = make_file();
  if (!path) return;
  const char *argv[] = {"info", path, "--format", "json"};
  PC_CHECK_INT(run(4, argv), 0);
  PC_CHECK(strncmp(out_text, "{\"file\":", 8) == 0);
  PC_CHECK(strstr(out_text, "\"os\":{\"major\":10,\"minor\":0,\"build\":19041}") != NULL);
  PC_CHECK(strstr(out_text, "\"events\":10,") != NULL);
  PC_CHECK(strstr(out_text,
                  "{\"guid\":\"{2f07e2ee-15db-40f1-90ef-9d7ba282188a}\",\"name\":\"Microsoft-Windows-TCPIP\","
                  "\"events\":4,\"ids\":[{\"id\":1394,\"version\":1,\"events\":4}]}") != NULL);
  PC_CHECK(strstr(out_text, "\"logger\":\"portclash-test\"") != NULL);
  PC_CHECK(strstr(out_text, "\"error\":null}\n") != NULL);
  remove(path);
}

PC_TEST(info_usage_and_errors) {
  const char *help[] = {"etl", "info", "--help"};
  PC_CHECK_INT(run(3, help), 0);
  PC_CHECK(strstr(out_text, "usage: portclash etl info FILE") != NULL);
  const char *none[] = {"etl", "info"};
  PC_CHECK_INT(run(2, none), 2);
  PC_CHECK(strstr(err_text, "portclash etl info: FILE is missing") != NULL);
  const char *badopt[] = {"etl", "info", "x.etl", "--bogus"};
  PC_CHECK_INT(run(4, badopt), 2);
  const char *badfmt[] = {"etl", "info", "x.etl", "--format", "xml"};
  PC_CHECK_INT(run(5, badfmt), 2);
  const char *missing[] = {"etl", "info", "/nonexistent/portclash.etl"};
  PC_CHECK_INT(run(3, missing), 2);
  PC_CHECK(strstr(err_text, "/nonexistent/portclash.etl: cannot open") != NULL);

  /* A truncated file: the facts before the cut are printed, the error names the file
   * and the byte offset, the exit code is 2. */
  const char *path = make_file();
  if (!path) return;
  size_t len;
  uint8_t *img = (uint8_t *)pc_test_read_file(path, &len);
  FILE *f = fopen(path, "wb");
  fwrite(img, 1, len - 100, f);
  fclose(f);
  free(img);
  const char *cut[] = {"etl", "info", path, "--format=json"};
  PC_CHECK_INT(run(4, cut), 2);
  PC_CHECK(strstr(err_text, path) != NULL);
  PC_CHECK(strstr(err_text, ": byte 0x") != NULL);
  PC_CHECK(strstr(out_text, "\"error\":{\"code\":\"PC_ETRUNC\"") != NULL);
  remove(path);
}
