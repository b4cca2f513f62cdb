/* portclash: explains socket bind failures. This file only dispatches subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "pc_service.h"
#include "pc_rules.h"
#include "pc_version.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

/* "rules check ..." and "etl info ..." are two-word commands: without the second word, --help
 * shows the help of the command, anything else its usage on stderr. */
static int two_words(int argc, char **argv, const char *second, unsigned cmd, int (*run)(int, char **)) {
  if (argc >= 2 && strcmp(argv[1], second) == 0) return run(argc - 1, argv + 1);
  bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
  if (help) {
    pc_options_help(stdout, cmd);
    return PC_EXIT_OK;
  }
  const pc_cmd_info *ci = pc_options_command(cmd);
  fprintf(stderr, "usage: portclash %s %s   (see 'portclash %s --help')\n", ci->name, ci->synopsis, ci->name);
  return PC_EXIT_USAGE;
}

static int cmd_rules(int argc, char **argv) {
  return two_words(argc, argv, "check", PC_CMD_RULES_CHECK, pc_cmd_rules_check);
}

static int cmd_etl(int argc, char **argv) {
  return two_words(argc, argv, "info", PC_CMD_ETL_INFO, pc_cmd_etl_info);
}

static const command commands[] = {
    {"monitor", pc_cmd_monitor,
     "watch this machine live and explain bind failures (Linux: eBPF, Windows: ETW)"},
    {"selftest", pc_cmd_selftest, "does the live monitor work here? provoke real failures and check each"},
    {"collect", pc_cmd_collect, "record events, findings and host state into a folder to send (analyze DIR)"},
    {"analyze", pc_cmd_analyze,
     "explain the bind failures recorded in a capture (.etl, any OS) or a collect folder"},
    {"explain", pc_cmd_explain, "can I bind PORT now? if not, why, and how to fix it"},
    {"ranges", pc_cmd_ranges, "excluded and dynamic port ranges, and who holds ports in them"},
    {"rules", cmd_rules, "rules check [DIR|FILE]: lint rule files"},
    {"etl", cmd_etl, "etl info FILE: header facts and event counts of an ETL capture"},
    {"schema", pc_cmd_schema, "schema check FILE | schema dump: compare or dump the ETW event layouts"},
    {"service", pc_cmd_service,
     "install|uninstall|run the Windows service (Linux: packaging/linux/portclash.service)"},
    /* Internal (not listed): the option table for the man page, completions and the README. */
    {"help-options", pc_cmd_help_options, NULL},
};

static void usage(FILE *out) {
  fputs(
      "usage: portclash COMMAND [OPTIONS]\n"
      "\n"
      "Catches socket bind failures, says which process failed on which address and port,\n"
      "explains why, and how to fix it.\n"
      "\n"
      "Commands:\n",
      out);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (commands[i].summary) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fputs(
      "\n"
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
    /* The PCRE2 actually linked (on Windows a static build of the version pinned in
     * packaging/windows/bootstrap-pcre2.sh), as the library itself reports it. */
    char pcre2[64] = "?";
    uint32_t jit = 0;
    pcre2_config(PCRE2_CONFIG_VERSION, pcre2);
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
    printf("portclash %s\nPCRE2 %s%s\n", PC_VERSION, pcre2, jit ? " (JIT)" : "");
    return PC_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "portclash: unknown command '%s' (run 'portclash --help' for the list)\n", argv[1]);
  return PC_EXIT_USAGE;
}
