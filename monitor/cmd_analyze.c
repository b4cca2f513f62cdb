/* portclash analyze FILE: run the pipeline over a capture and explain its bind failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_attempt_text.h"
#include "pc_cli.h"
#include "pc_error.h"
#include "pc_fixture.h"
#include "pc_pipeline.h"

#define FIXTURE_MAX_BYTES ((size_t)256 << 20)

static void usage(FILE *out) {
  fputs("usage: portclash analyze FILE [--summary]\n"
        "\n"
        "Explains the socket bind failures recorded in FILE, on any OS.\n"
        "FILE is a record fixture (text, see tests/FIXTURES.md).\n"
        "\n"
        "  --summary    also print what was read (records, decoding problems) to stderr\n"
        "  -h, --help   this text\n"
        "\n"
        "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input.\n",
        out);
}

typedef struct analyze_state {
  FILE *out;
  unsigned long failures;
} analyze_state;

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  analyze_state *st = ud;
  char line[512];
  pc_attempt_format_line(a, line, sizeof line);
  fprintf(st->out, "%s\n", line);
  if (a->failed) st->failures++;
}

/* Feeds a text fixture through the pipeline; returns an exit code. */
static int analyze_fixture(const char *path, pc_pipeline *p) {
  char *text;
  size_t len;
  int rc = pc_read_file(path, FIXTURE_MAX_BYTES, &text, &len);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s: %s\n", path, pc_strerror(rc));
    return rc == PC_ENOENT ? PC_EXIT_USAGE : PC_EXIT_FAILURE;
  }
  pc_fixture *fx;
  rc = pc_fixture_open(text, len, path, pc_decoder_schemas(pc_pipeline_decoder(p)), &fx);
  if (rc != PC_OK) {
    free(text);
    fprintf(stderr, "portclash: %s\n", pc_strerror(rc));
    return PC_EXIT_FAILURE;
  }
  int exit_code = PC_EXIT_OK;
  pc_record r;
  while ((rc = pc_fixture_next(fx, &r)) != 1) {
    if (rc != PC_OK) {
      /* Report and stop at the first bad line, after every good record before it. */
      fprintf(stderr, "portclash: %s\n", pc_fixture_error(fx));
      exit_code = PC_EXIT_USAGE;
      break;
    }
    pc_pipeline_push(p, &r);
  }
  pc_fixture_close(fx);
  free(text);
  return exit_code;
}

int pc_cmd_analyze(int argc, char **argv) {
  const char *path = NULL;
  bool summary = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return PC_EXIT_OK;
    } else if (strcmp(argv[i], "--summary") == 0) {
      summary = true;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "portclash analyze: unknown option '%s' (see --help)\n", argv[i]);
      return PC_EXIT_USAGE;
    } else if (!path) {
      path = argv[i];
    } else {
      fprintf(stderr, "portclash analyze: one FILE only (got '%s' too)\n", argv[i]);
      return PC_EXIT_USAGE;
    }
  }
  if (!path) {
    usage(stderr);
    return PC_EXIT_USAGE;
  }
  analyze_state st = {stdout, 0};
  pc_pipeline *p;
  int rc = pc_pipeline_new(NULL, on_attempt, &st, &p);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s\n", pc_strerror(rc));
    return PC_EXIT_FAILURE;
  }
  int exit_code = analyze_fixture(path, p);
  pc_pipeline_finish(p);
  if (summary) pc_pipeline_write_summary(p, stderr);
  pc_pipeline_free(p);
  return exit_code;
}
