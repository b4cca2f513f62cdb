/* `portclash collect` and `analyze DIR` without a live source: the JSON reader, the manifest
 * reader on good and bad input, the recording written by the collect writer and read back
 * field for field, the tool runner (injected, and on POSIX the real pc_os_run: exit status,
 * timeout, output cap), and the folder checks of analyze DIR (which file is missing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

#include "cli.h"
#include "collect.h"
#include "pc_error.h"
#include "pc_json_read.h"
#include "pc_os.h"
#include "pc_recording.h"
#include "pc_test.h"

/* ---- the JSON reader ---- */

static int parse(const char *text, char *err, size_t cap) {
  pc_json_doc *d;
  int rc = pc_json_parse(text, strlen(text), "t", &d, err, cap);
  pc_json_doc_free(d);
  return rc;
}

PC_TEST(json_reads_values) {
  const char *t =
      "{\"a\":[1,-2,3.5,true,null],\"s\":\"x\\u00e9\\ud83d\\ude00\\n\",\"big\":18446744073709551615}";
  pc_json_doc *d;
  char err[200];
  PC_CHECK_INT(pc_json_parse(t, strlen(t), "t", &d, err, sizeof err), PC_OK);
  const pc_jv *r = pc_json_root(d);
  const pc_jv *a = pc_jv_get(r, "a");
  PC_CHECK(a && a->type == PC_JV_ARRAY && a->count == 5);
  PC_CHECK(a->child->is_integer && a->child->u == 1);
  PC_CHECK(a->child->next->negative && a->child->next->i == -2);
  PC_CHECK(!a->child->next->next->is_integer);
  PC_CHECK_STR(pc_jv_get_str(r, "s"), "x\xc3\xa9\xf0\x9f\x98\x80\n");
  uint64_t big = 0;
  PC_CHECK(pc_jv_get_u64(r, "big", &big) && big == UINT64_MAX);
  pc_json_doc_free(d);
}

PC_TEST(json_bad_input_is_an_error_with_the_byte) {
  static const char *const bad[] = {
      "",          "{",           "{\"a\":}",
      "[1,]",      "{\"a\" 1}",   "\"abc",
      "01",        "1.",          "-",
      "tru",       "[1] x",       "\"\\x\"",
      "\"\\u12\"", "\"\\ud800\"", "\"\\u0000\"",
      "\"\x01\"",  "\"\xff\"",    "\"\xc0\xaf\"",
      "{1:2}",     "[\"a\",",     "\"\\udc00x\"",
      "nul",       "{\"a\":1,}",  "\"\\ud800\\u0041\"",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[200] = "";
    int rc = parse(bad[i], err, sizeof err);
    if (rc != PC_EPARSE) fprintf(stderr, "input %zu (%s) gave %d\n", i, bad[i], rc);
    PC_CHECK_INT(rc, PC_EPARSE);
    PC_CHECK(strncmp(err, "t: byte ", 8) == 0);
  }
  /* Depth: 40 nested arrays are refused, not recursed into without end. */
  char deep[41];
  memset(deep, '[', 40);
  deep[40] = '\0';
  char err[200];
  PC_CHECK_INT(parse(deep, err, sizeof err), PC_ELIMIT);
}

/* ---- the manifest ---- */

static const char *k_good =
    "{\"format\":\"portclash-collect/1\",\"command\":\"collect\",\"host\":\"h1\",\"os\":\"windows\","
    "\"os_build\":22631,\"source\":\"etw\",\"complete\":false,\"files\":["
    "{\"name\":\"capture.etl\",\"kind\":\"capture\",\"hints\":null,\"ok\":true},"
    "{\"name\":\"netsh-excluded-ipv6-udp.txt\",\"kind\":\"netsh-excluded\",\"hints\":\"ipv6:udp:\",\"ok\":"
    "true}]}";

PC_TEST(manifest_reads_a_good_one) {
  pc_collect_manifest m;
  char err[300];
  PC_CHECK_INT(pc_collect_manifest_parse(k_good, strlen(k_good), "m", &m, err, sizeof err), PC_OK);
  PC_CHECK_STR(m.command, "collect");
  PC_CHECK_STR(m.host, "h1");
  PC_CHECK_STR(m.source, "etw");
  PC_CHECK_UINT(m.os_build, 22631);
  PC_CHECK(!m.complete);
  PC_CHECK_UINT(m.n_files, 2);
  PC_CHECK_STR(m.files[1].hints, "ipv6:udp:");
  PC_CHECK_STR(m.files[0].kind, "capture");
}

PC_TEST(manifest_bad_input_says_what) {
  static const struct {
    const char *text, *says;
  } bad[] = {
      {"[]", "not a portclash collect manifest"},
      {"{\"format\":\"other\"}", "not a portclash collect manifest"},
      {"{\"format\":\"portclash-collect/1\",\"complete\":true,\"files\":[]}", "\"command\""},
      {"{\"format\":\"portclash-collect/1\",\"command\":\"collect\",\"files\":[]}", "\"complete\""},
      {"{\"format\":\"portclash-collect/1\",\"command\":\"collect\",\"complete\":true,\"files\":{}}",
       "\"files\""},
      {"{\"format\":\"portclash-collect/"
       "1\",\"command\":\"collect\",\"complete\":true,\"files\":[{\"name\":\"../"
       "etc/passwd\",\"kind\":\"netstat\",\"ok\":true}]}",
       "not a plain name"},
      {"{\"format\":\"portclash-collect/"
       "1\",\"command\":\"collect\",\"complete\":true,\"files\":[{\"name\":\"C:"
       "x\",\"kind\":\"netstat\",\"ok\":true}]}",
       "not a plain name"},
      {"{\"format\":\"portclash-collect/"
       "1\",\"command\":\"collect\",\"complete\":true,\"files\":[{\"name\":\"a\","
       "\"kind\":\"netstat\",\"ok\":true,\"hints\":\"x:\"}]}",
       "\"hints\""},
      {"{\"format\":\"portclash-collect/"
       "1\",\"command\":\"collect\",\"complete\":true,\"files\":[{\"name\":\"a\","
       "\"ok\":true}]}",
       "no \"kind\""},
      {"{\"format\":\"portclash-collect/1\",\"command\":\"collect\",\"complete\":true,\"os_build\":-1,"
       "\"files\":[]}",
       "\"os_build\""},
      {"{\"format\":\"portclash-collect/"
       "1\",\"command\":\"collect\",\"complete\":true,\"host\":7,\"files\":[]}",
       "\"host\""},
      {"{\"format\":\"portclash-collect/1\",", "byte"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pc_collect_manifest m;
    char err[300] = "";
    int rc = pc_collect_manifest_parse(bad[i].text, strlen(bad[i].text), "m.json", &m, err, sizeof err);
    PC_CHECK_INT(rc, PC_EPARSE);
    if (!strstr(err, bad[i].says) || strncmp(err, "m.json", 6) != 0)
      fprintf(stderr, "case %zu: message '%s' lacks '%s'\n", i, err, bad[i].says);
    PC_CHECK(strstr(err, bad[i].says) != NULL);
  }
  /* More than PC_COLLECT_MAX_FILES entries. */
  size_t cap = 100000, n = 0;
  char *big = malloc(cap);
  n +=
      (size_t)snprintf(big + n, cap - n,
                       "{\"format\":\"portclash-collect/1\",\"command\":\"c\",\"complete\":true,\"files\":[");
  for (int i = 0; i < PC_COLLECT_MAX_FILES + 1; i++)
    n += (size_t)snprintf(big + n, cap - n, "%s{\"name\":\"f%d\",\"kind\":\"x\",\"ok\":true}", i ? "," : "",
                          i);
  n += (size_t)snprintf(big + n, cap - n, "]}");
  pc_collect_manifest m;
  char err[300];
  PC_CHECK_INT(pc_collect_manifest_parse(big, n, "m", &m, err, sizeof err), PC_EPARSE);
  PC_CHECK(strstr(err, "more than") != NULL);
  free(big);
}

/* ---- a folder: tools, the recording, the manifest, analyze's checks ---- */

static char g_tmp[512];

static const char *tmp_dir(const char *leaf) {
  const char *base = getenv("TMPDIR");
#ifdef _WIN32
  if (!base) base = getenv("TEMP");
#endif
  if (!base) base = "/tmp";
  /* The clock too: Wine reuses small process ids after a restart. */
  static uint64_t started;
  if (!started) started = pc_os_clock_ms();
  snprintf(g_tmp, sizeof g_tmp, "%s/pc-collect-%u-%llu-%s", base, (unsigned)pc_os_self_pid(),
           (unsigned long long)started, leaf);
  return g_tmp;
}

static int g_runs;
static pc_err fake_run(void *ctx, const char *const *argv, uint32_t timeout_ms, size_t max,
                       pc_os_run_result *res) {
  (void)ctx, (void)timeout_ms, (void)max;
  g_runs++;
  memset(res, 0, sizeof *res);
  if (strcmp(argv[0], "missing-tool") == 0) return PC_ENOENT;
  const char *out =
      strcmp(argv[0], "failing") == 0 ? "Access is denied.\n" : "Protocol tcp Port Exclusion Ranges\n";
  res->exit_code = strcmp(argv[0], "failing") == 0 ? 1 : 0;
  res->output = malloc(strlen(out) + 1);
  memcpy(res->output, out, strlen(out) + 1);
  res->len = strlen(out);
  return PC_OK;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Removes a folder the tests made (its files are those listed, and the manifest). */
static void remove_folder(const char *dir, const char *const *names) {
  char path[700];
  for (size_t i = 0; names[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    remove(path);
  }
#ifdef _WIN32
  RemoveDirectoryA(dir);
#else
  rmdir(dir);
#endif
}

/* pc__collect_inputs on dir with a fresh off; returns its exit code; when says is given its
 * message must contain it. */
static int inputs_say(const char *dir, pc_collect_inputs *in, pc_hoststate_offline_files *off,
                      const char *says) {
  memset(off, 0, sizeof *off);
  FILE *errs = pc_test_stream();
  int rc = pc__collect_inputs(dir, in, off, errs);
  char *text = pc_test_stream_text(errs, NULL);
  if (says && (!text || !strstr(text, says)))
    fprintf(stderr, "message '%s' lacks '%s'\n", text ? text : "", says);
  if (says) PC_CHECK(text && strstr(text, says));
  free(text);
  return rc;
}

PC_TEST(folder_round_trip) {
  const char *dir = tmp_dir("round");
  char dirbuf[512];
  snprintf(dirbuf, sizeof dirbuf, "%s", dir);
  pc_collect *c;
  PC_CHECK_INT(pc__collect_open(dirbuf, "collect", &c), PC_EXIT_OK);
  pc__collect_set_runner(fake_run, NULL);
  pc__collect_set_system(c, "linux", 0, "6.1", "ebpf");
  static const char *const ok_argv[] = {"netsh", "int", "ipv4", NULL};
  static const char *const bad_argv[] = {"failing", NULL};
  static const char *const none_argv[] = {"missing-tool", NULL};
  PC_CHECK(pc__collect_tool(c, "excl.txt", PC_COLLECT_KIND_EXCLUDED, "ipv4:tcp:", "ranges", ok_argv));
  PC_CHECK(!pc__collect_tool(c, "netstat.txt", PC_COLLECT_KIND_NETSTAT, NULL, "sockets", bad_argv));
  PC_CHECK(!pc__collect_tool(c, "gone.txt", "other", NULL, "nothing", none_argv));
  PC_CHECK_INT(g_runs, 3);
  pc__collect_set_runner(NULL, NULL);

  /* Two attempts through the writer: every field of the table is read back. */
  PC_CHECK_INT(pc__collect_recording_open(c), PC_EXIT_OK);
  pc_facts f[2];
  memset(f, 0, sizeof f);
  for (int i = 0; i < 2; i++) {
    f[i].attempt.ts_first = 133000000000000000LL + i;
    f[i].attempt.ts_last = -5;
    f[i].attempt.pid = 4242u + (uint32_t)i;
    f[i].attempt.pid_known = true;
    f[i].attempt.failed = true;
    f[i].attempt.error = 98;
    f[i].attempt.error_known = true;
    f[i].attempt.error_is_errno = true;
    f[i].attempt.proto = PC_PROTO_TCP;
    f[i].attempt.addr_known = true;
    f[i].attempt.socktype = -1;
    f[i].attempt.cap_effective = UINT64_MAX;
    pc_addr_parse_ip(i ? "fe80::1" : "127.0.0.1", &f[i].attempt.local);
    f[i].attempt.local.port = 8080;
    f[i].attempt.local.scope_id = (uint32_t)i * 3;
    snprintf(f[i].attempt.comm, sizeof f[i].attempt.comm, "srv\"\\\n%d", i);
    f[i].owner_known = true;
    f[i].owner_pid = 1;
    snprintf(f[i].owner_name, sizeof f[i].owner_name, "nginx \xc3\xa9");
    f[i].owner_state = PC_OWNER_STATE_LISTEN;
    f[i].unprivileged_start_known = true;
    f[i].unprivileged_start = 1024;
    f[i].os = PC_OS_LINUX;
    pc__collect_record_facts(c, &f[i]);
  }
  PC_CHECK_INT(pc__collect_finish(c, true), PC_EXIT_OK);

  char path[700];
  snprintf(path, sizeof path, "%s/attempts.jsonl", dirbuf);
  pc_recording rec;
  char err[600];
  PC_CHECK_INT(pc_recording_read(path, &rec, err, sizeof err), PC_OK);
  PC_CHECK_UINT(rec.count, 2);
  size_t nf;
  const pc_rec_field *fields = pc_recording_fields(&nf);
  for (size_t i = 0; i < rec.count && i < 2; i++) {
    for (size_t k = 0; k < nf; k++) {
      const unsigned char *a = (const unsigned char *)&f[i] + fields[k].off;
      const unsigned char *b = (const unsigned char *)&rec.items[i] + fields[k].off;
      bool same = fields[k].type == PC_REC_STR ? strcmp((const char *)a, (const char *)b) == 0
                  : fields[k].type == PC_REC_ADDR
                      ? pc_addr_equal((const pc_addr *)a, (const pc_addr *)b) &&
                            ((const pc_addr *)a)->scope_id == ((const pc_addr *)b)->scope_id
                      : memcmp(a, b, fields[k].size) == 0;
      if (!same) fprintf(stderr, "attempt %zu: field %s differs\n", i, fields[k].name);
      PC_CHECK(same);
    }
  }
  pc_recording_free(&rec);

  /* The manifest says what happened to each file, and that the run was cut short. */
  snprintf(path, sizeof path, "%s/manifest.json", dirbuf);
  char *m = read_all(path);
  PC_CHECK(m != NULL);
  pc_collect_manifest man;
  PC_CHECK_INT(pc_collect_manifest_parse(m, strlen(m), "manifest", &man, err, sizeof err), PC_OK);
  PC_CHECK(!man.complete);
  PC_CHECK_STR(man.source, "ebpf");
  PC_CHECK_UINT(man.n_files, 4);
  PC_CHECK(man.files[0].ok && !man.files[1].ok && !man.files[2].ok && man.files[3].ok);
  PC_CHECK_STR(man.files[3].kind, PC_COLLECT_KIND_RECORDING);
  PC_CHECK(strstr(m, "\"exit_status\":1") && strstr(m, "could not run it"));

  /* analyze DIR: the recording is the source, the good host-state file is used with its
   * hints, the failed tool's output is not. */
  pc_collect_inputs *in = malloc(sizeof *in);
  pc_hoststate_offline_files off;
  PC_CHECK_INT(inputs_say(dirbuf, in, &off, NULL), PC_EXIT_OK);
  PC_CHECK(in->recording);
  PC_CHECK(strstr(in->source_path, "attempts.jsonl") != NULL);
  PC_CHECK_UINT(off.n_netsh_excluded, 1);
  PC_CHECK(off.n_netsh_excluded == 1 && strncmp(off.netsh_excluded[0], "ipv4:tcp:", 9) == 0);
  PC_CHECK_UINT(off.n_netstat, 0);

  /* A file the manifest names that is not there: analyze says which. */
  snprintf(path, sizeof path, "%s/excl.txt", dirbuf);
  PC_CHECK_INT(remove(path), 0);
  PC_CHECK_INT(inputs_say(dirbuf, in, &off, "missing: excl.txt"), PC_EXIT_USAGE);

  /* A folder with something in it cannot be collected into. */
  PC_CHECK_INT(pc__collect_open(dirbuf, "collect", &c), PC_EXIT_USAGE);
  free(in);
  static const char *const names[] = {"excl.txt", "netstat.txt", "attempts.jsonl", "manifest.json", NULL};
  remove_folder(dirbuf, names);
  PC_CHECK(!pc_os_is_dir(dirbuf));
}

PC_TEST(analyze_dir_without_manifest_says_so) {
  const char *dir = tmp_dir("empty");
  PC_CHECK_INT(pc_os_dir_create(dir), PC_OK);
  pc_collect_inputs *in = malloc(sizeof *in);
  pc_hoststate_offline_files off;
  PC_CHECK_INT(inputs_say(dir, in, &off, "without manifest.json"), PC_EXIT_USAGE);
  free(in);
  static const char *const none[] = {NULL};
  remove_folder(dir, none);
}

/* A capture that was never taken (not elevated): analyze says there is nothing to explain. */
PC_TEST(analyze_dir_without_a_capture_says_so) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s", tmp_dir("nocap"));
  PC_CHECK_INT(pc_os_dir_create(dir), PC_OK);
  char path[700];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  FILE *f = fopen(path, "wb");
  PC_CHECK(f != NULL);
  if (!f) return;
  fputs(
      "{\"format\":\"portclash-collect/1\",\"command\":\"collect\",\"complete\":true,\"files\":["
      "{\"name\":\"capture.etl\",\"kind\":\"capture\",\"ok\":false,\"note\":\"access denied\"}]}",
      f);
  fclose(f);
  pc_collect_inputs *in = malloc(sizeof *in);
  pc_hoststate_offline_files off;
  PC_CHECK_INT(inputs_say(dir, in, &off, "holds no capture and no recording"), PC_EXIT_USAGE);
  free(in);
  static const char *const names[] = {"manifest.json", NULL};
  remove_folder(dir, names);
}

/* analyze DIR over a folder like Windows collect writes (the demo capture as a record
 * fixture, the demo's netstat and tasklist) with one netsh file no parser understands: that
 * file is left out with a warning and the rest is used (exit 0); given by hand with
 * --netsh-excluded, the same file stops analyze (exit 2). */
static bool copy_file(const char *from, const char *to) {
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  bool ok = a && b;
  char buf[4096];
  size_t n;
  while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
  if (a) fclose(a);
  if (b && fclose(b) != 0) ok = false;
  return ok;
}

PC_TEST(analyze_dir_leaves_out_a_file_it_cannot_parse) {
  const char *src = getenv("PC_SOURCE_DIR");
  if (!src) PC_SKIP("PC_SOURCE_DIR is not set");
  char dir[512], from[700], to[700];
  snprintf(dir, sizeof dir, "%s", tmp_dir("badfile"));
  PC_CHECK_INT(pc_os_dir_create(dir), PC_OK);
  static const char *const files[][2] = {{"bind-failures.records", "capture.etl"},
                                         {"netstat-ano.txt", "netstat-ano.txt"},
                                         {"tasklist.csv", "tasklist.csv"}};
  for (size_t i = 0; i < 3; i++) {
    snprintf(from, sizeof from, "%s/demo/%s", src, files[i][0]);
    snprintf(to, sizeof to, "%s/%s", dir, files[i][1]);
    PC_CHECK(copy_file(from, to));
  }
  snprintf(to, sizeof to, "%s/netsh-excluded-ipv4-tcp.txt", dir);
  FILE *f = fopen(to, "wb");
  PC_CHECK(f != NULL);
  if (!f) return;
  fputs("Dies ist keine netsh-Ausgabe.\r\n", f);
  fclose(f);
  snprintf(to, sizeof to, "%s/manifest.json", dir);
  f = fopen(to, "wb");
  PC_CHECK(f != NULL);
  if (!f) return;
  fputs(
      "{\"format\":\"portclash-collect/1\",\"command\":\"collect\",\"complete\":true,\"os\":\"windows\","
      "\"source\":\"etw\",\"files\":["
      "{\"name\":\"capture.etl\",\"kind\":\"capture\",\"ok\":true},"
      "{\"name\":\"netsh-excluded-ipv4-tcp.txt\",\"kind\":\"netsh-excluded\",\"hints\":\"ipv4:tcp:\",\"ok\":"
      "true},"
      "{\"name\":\"netstat-ano.txt\",\"kind\":\"netstat\",\"ok\":true},"
      "{\"name\":\"tasklist.csv\",\"kind\":\"tasklist\",\"ok\":true}]}",
      f);
  fclose(f);
  char *argv[] = {"analyze", dir, "--quiet", NULL};
  PC_CHECK_INT(pc_cmd_analyze(3, argv), PC_EXIT_OK);
  snprintf(from, sizeof from, "%s/capture.etl", dir);
  snprintf(to, sizeof to, "%s/netsh-excluded-ipv4-tcp.txt", dir);
  char *argv2[] = {"analyze", from, "--quiet", "--netsh-excluded", to, NULL};
  PC_CHECK_INT(pc_cmd_analyze(5, argv2), PC_EXIT_USAGE);
  static const char *const names[] = {
      "capture.etl", "netstat-ano.txt", "tasklist.csv", "netsh-excluded-ipv4-tcp.txt", "manifest.json", NULL};
  remove_folder(dir, names);
}

#ifdef _WIN32
/* The real runner under Windows (Wine here): cmd.exe from System32, its output and status. */
PC_TEST(os_run_windows) {
  pc_os_run_result r;
  static const char *const cmd[] = {"cmd", "/c", "echo out& exit 3", NULL};
  PC_CHECK_INT(pc_os_run(cmd, 20000, 1 << 20, &r), PC_OK);
  PC_CHECK_INT(r.exit_code, 3);
  PC_CHECK(r.output && strstr(r.output, "out"));
  pc_os_run_result_free(&r);
  static const char *const none[] = {"pc-no-such-tool-xyz", NULL};
  PC_CHECK_INT(pc_os_run(none, 1000, 100, &r), PC_ENOENT);
}
#else
/* The real runner, on POSIX tools every system has. */
PC_TEST(os_run_exit_timeout_cap) {
  pc_os_run_result r;
  static const char *const sh[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
  PC_CHECK_INT(pc_os_run(sh, 5000, 1 << 20, &r), PC_OK);
  PC_CHECK_INT(r.exit_code, 3);
  PC_CHECK(!r.timed_out && !r.truncated);
  PC_CHECK(r.output && strstr(r.output, "out\n") && strstr(r.output, "err\n"));
  pc_os_run_result_free(&r);

  static const char *const slow[] = {"sleep", "10", NULL};
  uint64_t t0 = pc_os_clock_ms();
  PC_CHECK_INT(pc_os_run(slow, 300, 1 << 20, &r), PC_OK);
  PC_CHECK(r.timed_out);
  PC_CHECK_INT(r.exit_code, -1);
  PC_CHECK(pc_os_clock_ms() - t0 < 5000);
  pc_os_run_result_free(&r);

  static const char *const yes[] = {"yes", NULL};
  PC_CHECK_INT(pc_os_run(yes, 5000, 10000, &r), PC_OK);
  PC_CHECK(r.truncated);
  PC_CHECK_UINT(r.len, 10000);
  pc_os_run_result_free(&r);

  static const char *const none[] = {"pc-no-such-tool-xyz", NULL};
  PC_CHECK_INT(pc_os_run(none, 1000, 100, &r), PC_ENOENT);
  PC_CHECK(r.output == NULL);
}
#endif
