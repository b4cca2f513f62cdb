/* pc_cmd_hoststate.h - the `explain` and `ranges` subcommands.
 *
 *   portclash explain PORT [--proto tcp|udp] [--address A] [--format text|json] [--no-test-bind]
 *                          [--netsh-excluded FILE ...] [--netsh-dynamic FILE ...] [--netstat FILE]
 *                          [--tasklist FILE]
 *   portclash ranges [--format text|json] [offline options as above]
 *
 * Without offline files they look at this machine (live host state); with any of them they
 * read only the files (no test bind). Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad
 * input (the message names file:line), 3 missing privilege. */
#ifndef PC_CMD_HOSTSTATE_H
#define PC_CMD_HOSTSTATE_H

#include <stdio.h>

#include "pc_hoststate.h"

/* Entry points for main.c: argv[0] is the command name. Output goes to stdout/stderr. */
int pc_cmd_explain(int argc, char **argv);
int pc_cmd_ranges(int argc, char **argv);

/* The same, writing normal output to out and messages to errout (for tests). */
int pc_cmd_explain_io(int argc, char **argv, FILE *out, FILE *errout);
int pc_cmd_ranges_io(int argc, char **argv, FILE *out, FILE *errout);

/* ---- shared by the two commands (module-internal, defined in cmd_explain.c) --------------- */

/* Opens the offline back end when files were given, else the live one. Returns an exit code
 * (0 ok) after printing "portclash CMD: message" to errout. */
int pc__cmd_open_hoststate(const char *cmd, const pc_hoststate_offline_files *files, pc_hoststate **out,
                           FILE *errout);

/* Writes "name (pid N, service S, user U)" or "pid N" or "an unknown process". */
void pc__print_process(FILE *out, uint32_t pid, const pc_process_info *p);

#endif
