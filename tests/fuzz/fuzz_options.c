/* libFuzzer target: argv parsing through the option table (monitor/cli/options.c). The input
 * is split at NUL bytes into arguments; its first byte picks the command. Every argv is either
 * accepted (then every positional argument is one of the inputs) or refused with exit status 2
 * and a message; --help prints the help. Inputs naming --config are skipped (they would read
 * files). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "pc_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink) sink = fopen("/dev/null", "w");
  if (!sink || size < 1 || size > 4096) return 0;
  unsigned cmd = 1u << (data[0] % 9);
  char *text = malloc(size);
  if (!text) return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  char *argv[65];
  int argc = 0;
  argv[argc++] = "fuzz";
  for (char *p = text; p < text + size - 1 && argc < 64; p += strlen(p) + 1) argv[argc++] = p;
  argv[argc] = NULL;
  for (int i = 1; i < argc; i++)
    if (strstr(argv[i], "config")) {
      free(text);
      return 0;
    }
  pc_options o;
  int rc = pc_options_parse(&o, cmd, argc, argv, sink, sink);
  if (rc == PC_OPTIONS_RUN) {
    for (size_t i = 0; i < o.n_args; i++) {
      bool found = false;
      for (int j = 1; j < argc && !found; j++) found = o.args[i] == argv[j];
      if (!found) abort();
    }
  } else if (rc != PC_OPTIONS_HELP && rc != PC_EXIT_USAGE) {
    abort();
  }
  free(text);
  return 0;
}
