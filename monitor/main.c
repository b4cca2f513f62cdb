/* portclash: explains socket bind failures. This file only dispatches subcommands. */
#include <stdio.h>
#include <string.h>

#include "pc_cli.h"

#define PC_VERSION "0.1.0"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"analyze", pc_cmd_analyze, "explain the bind failures recorded in a capture (any OS)"},
    {"schema", pc_cmd_schema, "check a Windows schema dump against the built-in event layouts"},
};

static void usage(FILE *out) {
  fputs("usage: portclash COMMAND [OPTIONS]\n"
        "\n"
        "Catches socket bind failures, says which process failed on which address and port,\n"
        "explains why, and how to fix it.\n"
        "\n"
        "Commands:\n",
        out);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "Run 'portclash COMMAND --help' for a command's options.\n"
        "  -h, --help     this text\n"
        "  --version      print the version\n"
        "\n"
        "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input, 3 missing privilege.\n",
        out);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return PC_EXIT_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return PC_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("portclash %s\n", PC_VERSION);
    return PC_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "portclash: unknown command '%s' (run 'portclash --help' for the list)\n", argv[1]);
  return PC_EXIT_USAGE;
}
