/* cmd_collect.c - `portclash collect --duration SECONDS --out DIR`, the part every platform
 * shares (collect.h): the folder, the tool runs, the Linux recording and manifest.json, all
 * written with the one JSON writer. What to collect is the platform's
 * (cmd_collect-linux.c, cmd_collect-win.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "options.h"
#include "pc_file.h"
#include "pc_format.h"
#include "pc_recording.h"
#include "pc_source.h"
#include "pc_version.h"

typedef struct entry {
  char name[128];
  char kind[32];
  char hints[32];
  char what[160];
  char command[256];
  int exit_status;
  bool ok;
  char note[200];
} entry;

struct pc_collect {
  char dir[4096];
  char command[32];
  char os[16];
  uint32_t os_build;
  char os_version[128];
  char source[16];
  pc_time started;
  entry files[PC_COLLECT_MAX_FILES];
  size_t n_files;
  FILE *recording;
  uint64_t recorded, not_recorded;
  /* The failed attempt the source delivered last, until its facts come (it was explained)
   * or the next attempt does (it was counted in a window without explaining). */
  pc_bind_attempt pending;
  bool has_pending;
};

/* Ctrl+C outside the monitor's own loop (while the tools run): the rest is skipped and the
 * manifest still written. */
static volatile int g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

void pc__collect_catch_signals(void) {
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
}

bool pc__collect_stopped(void) {
  return g_stop != 0;
}

static pc_collect_run_fn g_run;
static void *g_run_ctx;

void pc__collect_set_runner(pc_collect_run_fn fn, void *ctx) {
  g_run = fn;
  g_run_ctx = ctx;
}

/* SEND_AS: how to send the folder as one file with what the OS ships. Windows' tar (bsdtar)
 * writes a zip when the name ends in .zip; GNU tar does not (it writes a tar archive under
 * that name), so Linux gets a .tar.gz. */
#ifdef _WIN32
#define SEP "\\"
#define SEND_AS "tar -a -c -f bundle.zip"
#else
#define SEP "/"
#define SEND_AS "tar -czf bundle.tar.gz"
#endif

int pc__collect_open(const char *dir, const char *command, pc_collect **out) {
  *out = NULL;
  int rc = pc_os_dir_create(dir);
  if (rc == PC_EEXIST || rc == PC_ENOTFILE) {
    fprintf(stderr, "portclash %s: %s %s; give a new folder (it is created) or an empty one\n", command, dir,
            rc == PC_EEXIST ? "is a folder that is not empty" : "exists and is not a folder");
    return PC_EXIT_USAGE;
  }
  if (rc != PC_OK) {
    char why[200];
    pc_os_error_text(why, sizeof why);
    fprintf(stderr, "portclash %s: cannot create the folder %s: %s\n", command, dir, why);
    return rc == PC_ENOENT ? PC_EXIT_USAGE : PC_EXIT_FAILURE;
  }
  pc_collect *c = calloc(1, sizeof *c);
  if (!c) {
    fprintf(stderr, "portclash %s: out of memory\n", command);
    return PC_EXIT_FAILURE;
  }
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  snprintf(c->command, sizeof c->command, "%s", command);
  c->started = pc_os_clock_now();
  *out = c;
  return PC_EXIT_OK;
}

const char *pc__collect_path(const pc_collect *c, const char *name, char *buf, size_t cap) {
  snprintf(buf, cap, "%s%s%s", c->dir, SEP, name);
  return buf;
}

void pc__collect_set_system(pc_collect *c, const char *os, uint32_t os_build, const char *os_version,
                            const char *source) {
  snprintf(c->os, sizeof c->os, "%s", os ? os : "");
  c->os_build = os_build;
  snprintf(c->os_version, sizeof c->os_version, "%s", os_version ? os_version : "");
  snprintf(c->source, sizeof c->source, "%s", source ? source : "");
}

void pc__collect_add(pc_collect *c, const char *name, const char *kind, const char *hints, const char *what,
                     const char *command, int exit_status, bool ok, const char *note) {
  if (c->n_files == PC_COLLECT_MAX_FILES) return;
  entry *e = &c->files[c->n_files++];
  memset(e, 0, sizeof *e);
  snprintf(e->name, sizeof e->name, "%s", name);
  snprintf(e->kind, sizeof e->kind, "%s", kind);
  snprintf(e->hints, sizeof e->hints, "%s", hints ? hints : "");
  snprintf(e->what, sizeof e->what, "%s", what);
  snprintf(e->command, sizeof e->command, "%s", command ? command : "");
  e->exit_status = exit_status;
  e->ok = ok;
  snprintf(e->note, sizeof e->note, "%s", note ? note : "");
}

static bool write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

bool pc__collect_tool(pc_collect *c, const char *name, const char *kind, const char *hints, const char *what,
                      const char *const *argv) {
  char cmd[256] = "";
  size_t n = 0;
  for (size_t i = 0; argv[i] && n < sizeof cmd; i++)
    n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s%s", i ? " " : "", argv[i]);
  if (g_stop) {
    pc__collect_add(c, name, kind, hints, what, cmd, -1, false, "not run: stopped by Ctrl+C");
    return false;
  }
  fprintf(stderr, "portclash %s: running %s\n", c->command, cmd);
  pc_os_run_result res;
  pc_err rc = g_run ? g_run(g_run_ctx, argv, PC_COLLECT_TOOL_TIMEOUT_MS, PC_COLLECT_TOOL_MAX_BYTES, &res)
                    : pc_os_run(argv, PC_COLLECT_TOOL_TIMEOUT_MS, PC_COLLECT_TOOL_MAX_BYTES, &res);
  char note[200] = "", path[4300];
  pc__collect_path(c, name, path, sizeof path);
  bool ok = false;
  if (rc != PC_OK) {
    snprintf(note, sizeof note, "could not run it: %s", pc_strerror(rc));
  } else {
    if (res.timed_out)
      snprintf(note, sizeof note, "stopped after %u s", PC_COLLECT_TOOL_TIMEOUT_MS / 1000);
    else if (res.truncated)
      snprintf(note, sizeof note, "cut at %zu bytes", PC_COLLECT_TOOL_MAX_BYTES);
    else if (res.exit_code != 0)
      snprintf(note, sizeof note, "exit status %d", res.exit_code);
    ok = !res.timed_out && !res.truncated && res.exit_code == 0;
    if (!write_file(path, res.output, res.len)) {
      snprintf(note, sizeof note, "cannot write the file");
      ok = false;
    }
  }
  if (!ok) fprintf(stderr, "portclash %s: %s: %s (collect goes on)\n", c->command, cmd, note);
  pc__collect_add(c, name, kind, hints, what, cmd, rc == PC_OK ? res.exit_code : -1, ok, note);
  if (rc == PC_OK) pc_os_run_result_free(&res);
  return ok;
}

void pc__collect_add_findings(pc_collect *c, int rc) {
  pc__collect_add(c, "findings.jsonl", PC_COLLECT_KIND_FINDINGS, NULL,
                  "the findings of the live run, one JSON object a line (README, JSON findings)",
                  "portclash monitor --log findings.jsonl --log-format json", rc, rc == PC_EXIT_OK, NULL);
}

bool pc__collect_copy(pc_collect *c, const char *name, const char *kind, const char *what, const char *src) {
  char *text = NULL;
  size_t len = 0;
  char path[4300], cmd[300], note[200] = "";
  snprintf(cmd, sizeof cmd, "read %s", src);
  int rc = pc_file_read(src, (size_t)1 << 20, &text, &len);
  bool ok = rc == PC_OK && write_file(pc__collect_path(c, name, path, sizeof path), text, len);
  if (!ok) snprintf(note, sizeof note, "%s", rc != PC_OK ? pc_strerror(rc) : "cannot write the copy");
  pc__collect_add(c, name, kind, NULL, what, cmd, ok ? 0 : -1, ok, note);
  free(text);
  return ok;
}

/* ---- the Linux recording ---- */

int pc__collect_recording_open(pc_collect *c) {
  char path[4300];
  c->recording = fopen(pc__collect_path(c, "attempts.jsonl", path, sizeof path), "wb");
  if (!c->recording) {
    fprintf(stderr, "portclash %s: cannot write %s\n", c->command, path);
    return PC_EXIT_FAILURE;
  }
  pc_json_writer w;
  pc_json_init(&w, c->recording);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "format", PC_RECORDING_FORMAT);
  pc_json_key_str(&w, "portclash", PC_VERSION);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  return PC_EXIT_OK;
}

static void write_addr(pc_json_writer *w, const pc_addr *a) {
  char ip[PC_ADDR_TEXT_MAX] = "";
  pc_json_begin_object(w);
  if (a->family != PC_AF_UNKNOWN) pc_addr_format_ip(a, ip, sizeof ip);
  /* The scope goes on its own: pc_addr_parse_ip reads the bare address. */
  char *pct = strchr(ip, '%');
  if (pct) *pct = '\0';
  pc_json_key_str(w, "ip", ip[0] ? ip : NULL);
  pc_json_key_u64(w, "scope", a->scope_id);
  pc_json_key_u64(w, "port", a->port);
  pc_json_end_object(w);
}

static void write_field(pc_json_writer *w, const pc_rec_field *fd, const pc_facts *f) {
  const unsigned char *p = (const unsigned char *)f + fd->off;
  pc_json_key(w, fd->name);
  switch (fd->type) {
    case PC_REC_BOOL:
      pc_json_bool(w, *(const bool *)p);
      break;
    case PC_REC_U8:
    case PC_REC_U16:
    case PC_REC_U32:
    case PC_REC_U64:
      pc_json_u64(w, fd->size == 1   ? *(const uint8_t *)p
                     : fd->size == 2 ? *(const uint16_t *)p
                     : fd->size == 4 ? *(const uint32_t *)p
                                     : *(const uint64_t *)p);
      break;
    case PC_REC_I32:
    case PC_REC_TIME:
      pc_json_i64(w, fd->type == PC_REC_I32 ? *(const int32_t *)p : *(const int64_t *)p);
      break;
    case PC_REC_STR:
      pc_json_str(w, (const char *)p);
      break;
    case PC_REC_ADDR:
      write_addr(w, (const pc_addr *)p);
      break;
  }
}

/* One line: the attempt, and the facts when with_facts (else "facts":{}: counted, not
 * explained). */
static void write_line(pc_collect *c, const pc_facts *facts, bool with_facts) {
  if (c->recorded >= PC_RECORDING_MAX_ATTEMPTS) {
    c->not_recorded++;
    return;
  }
  size_t n;
  const pc_rec_field *fields = pc_recording_fields(&n);
  pc_json_writer w;
  pc_json_init(&w, c->recording);
  pc_json_begin_object(&w);
  for (int part = 0; part < 2; part++) {
    pc_json_key(&w, part == 0 ? "attempt" : "facts");
    pc_json_begin_object(&w);
    for (size_t i = 0; i < n && (part == 0 || with_facts); i++)
      if (fields[i].in_attempt == (part == 0)) write_field(&w, &fields[i], facts);
    pc_json_end_object(&w);
  }
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  fflush(c->recording); /* a crash keeps every line written so far */
  c->recorded++;
}

static void flush_pending(pc_collect *c) {
  if (!c->has_pending) return;
  c->has_pending = false;
  pc_facts f;
  memset(&f, 0, sizeof f);
  f.attempt = c->pending;
  write_line(c, &f, false);
}

void pc__collect_record_attempt(pc_collect *c, const pc_bind_attempt *a) {
  if (!c->recording || !a->failed) return;
  flush_pending(c);
  c->pending = *a;
  c->has_pending = true;
}

void pc__collect_record_facts(void *ud, const pc_facts *facts) {
  pc_collect *c = ud;
  if (!c->recording) return;
  /* The facts of the attempt the source just delivered (explained at once, on this thread). */
  if (c->has_pending && c->pending.ts_first == facts->attempt.ts_first &&
      c->pending.pid == facts->attempt.pid && c->pending.local.port == facts->attempt.local.port)
    c->has_pending = false;
  else
    flush_pending(c);
  write_line(c, facts, true);
}

/* ---- the manifest ---- */

int pc__collect_finish(pc_collect *c, bool interrupted) {
  if (!c) return PC_EXIT_FAILURE;
  if (c->recording) {
    flush_pending(c);
    bool ok = fclose(c->recording) == 0;
    c->recording = NULL;
    char note[200] = "";
    if (c->not_recorded)
      snprintf(note, sizeof note, "%llu attempts after the first %d were not recorded",
               (unsigned long long)c->not_recorded, PC_RECORDING_MAX_ATTEMPTS);
    pc__collect_add(c, "attempts.jsonl", PC_COLLECT_KIND_RECORDING, NULL,
                    "every failed bind the live source saw, with the host state at that moment",
                    "the live source", 0, ok && !c->not_recorded, note);
  }
  char path[4300];
  FILE *f = fopen(pc__collect_path(c, PC_COLLECT_MANIFEST, path, sizeof path), "wb");
  if (!f) {
    fprintf(stderr, "portclash %s: cannot write %s\n", c->command, path);
    free(c);
    return PC_EXIT_FAILURE;
  }
  char host[256];
  pc_host_name(host, sizeof host);
  pc_json_writer w;
  pc_json_init(&w, f);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "format", PC_COLLECT_FORMAT);
  pc_json_key_str(&w, "command", c->command);
  pc_json_key_str(&w, "portclash", PC_VERSION);
  pc_json_key_str(&w, "host", host);
  pc_json_key_str(&w, "os", c->os[0] ? c->os : NULL);
  pc_json_key_u64(&w, "os_build", c->os_build);
  pc_json_key_str(&w, "os_version", c->os_version[0] ? c->os_version : NULL);
  pc_json_key_str(&w, "source", c->source[0] ? c->source : NULL);
  pc_json_key(&w, "started");
  pc_json_time(&w, c->started);
  pc_json_key(&w, "ended");
  pc_json_time(&w, pc_os_clock_now());
  pc_json_key_bool(&w, "complete", !interrupted);
  pc_json_key_str(&w, "note",
                  interrupted ? "stopped early by Ctrl+C: what was collected until then is here" : NULL);
  pc_json_key_str(&w, "send", SEND_AS " DIR; unpack it and read it with 'portclash analyze DIR'");
  pc_json_key(&w, "files");
  pc_json_begin_array(&w);
  for (size_t i = 0; i < c->n_files; i++) {
    const entry *e = &c->files[i];
    pc_json_begin_object(&w);
    pc_json_key_str(&w, "name", e->name);
    pc_json_key_str(&w, "kind", e->kind);
    pc_json_key_str(&w, "hints", e->hints[0] ? e->hints : NULL);
    pc_json_key_str(&w, "what", e->what);
    pc_json_key_str(&w, "command", e->command);
    pc_json_key_i64(&w, "exit_status", e->exit_status);
    pc_json_key_bool(&w, "ok", e->ok);
    pc_json_key_str(&w, "note", e->note[0] ? e->note : NULL);
    pc_json_end_object(&w);
  }
  pc_json_end_array(&w);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
  bool ok = fclose(f) == 0;
  size_t bad = 0;
  for (size_t i = 0; i < c->n_files; i++) bad += !c->files[i].ok;
  fprintf(stderr,
          "portclash %s: %s%zu files in %s (%zu incomplete: see %s)\n"
          "  read it with:  portclash analyze %s\n"
          "  send it as:    " SEND_AS " %s\n",
          c->command, interrupted ? "stopped early; " : "", c->n_files + 1, c->dir, bad, PC_COLLECT_MANIFEST,
          c->dir, c->dir);
  free(c);
  if (!ok) {
    fprintf(stderr, "portclash: cannot write %s\n", path);
    return PC_EXIT_FAILURE;
  }
  return PC_EXIT_OK;
}

int pc_cmd_collect(int argc, char **argv) {
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_COLLECT, argc, argv, stdout, stderr);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  if (!o.out) {
    fputs("portclash collect: --out DIR is required (the folder to write; it is created)\n", stderr);
    return PC_EXIT_USAGE;
  }
  int rc = pc__collect_preflight("collect");
  if (rc != PC_EXIT_OK) return rc;
  pc_collect *c;
  rc = pc__collect_open(o.out, "collect", &c);
  if (rc != PC_EXIT_OK) return rc;
  bool interrupted = false;
  g_stop = 0;
  pc__collect_catch_signals();
  rc = pc__collect_platform(c, &o, &interrupted);
  int frc = pc__collect_finish(c, interrupted || g_stop);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  return rc != PC_EXIT_OK ? rc : frc;
}

/* ---- the source wrapper of the recording ---- */

typedef struct rec_wrap {
  pc_collect *c;
  pc_source *inner;
} rec_wrap;

static int wrap_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  rec_wrap *w = self;
  int rc = pc_source_next(w->inner, it, timeout_ms);
  if (rc == PC_OK && it->kind == PC_SOURCE_ATTEMPT) pc__collect_record_attempt(w->c, &it->attempt);
  return rc;
}
static void wrap_stats(void *self, pc_source_stats *st) {
  pc_source_get_stats(((rec_wrap *)self)->inner, st);
}
static void wrap_info(void *self, pc_source_info *in) {
  pc_source_get_info(((rec_wrap *)self)->inner, in);
}
static void wrap_stop(void *self) {
  pc_source_stop(((rec_wrap *)self)->inner);
}
static const char *wrap_error(const void *self) {
  return pc_source_error(((const rec_wrap *)self)->inner);
}
static void wrap_close(void *self) {
  rec_wrap *w = self;
  pc_source_close(w->inner);
  free(w);
}
static bool wrap_stop_requested(const void *self) {
  return pc_source_stop_requested(((const rec_wrap *)self)->inner);
}

static const pc_source_ops k_wrap_ops = {wrap_next,  wrap_stats, wrap_info,          wrap_stop,
                                         wrap_error, wrap_close, wrap_stop_requested};

int pc__collect_source_wrap(pc_collect *c, pc_source *src, pc_source **out) {
  *out = NULL;
  rec_wrap *w = calloc(1, sizeof *w);
  if (!w) {
    pc_source_close(src);
    return PC_ENOMEM;
  }
  w->c = c;
  w->inner = src;
  return pc_source_new(&k_wrap_ops, w, out);
}
