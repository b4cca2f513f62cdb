/* cli.h - the subcommands of portclash, one cmd_*.c each, dispatched by main.c.
 *
 * Every command takes argv with argv[0] = its own word and follows the exit-code contract of
 * DESIGN.md: 0 ok, 1 runtime failure, 2 bad usage or bad input (the message names file:line
 * or byte offset), 3 missing privilege (the message says what to do). Files are read with
 * pc_file.h. */
#ifndef PC_CLI_H
#define PC_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "pc_error.h"
#include "pc_hoststate.h"

/* portclash analyze FILE [options]: the pipeline over a capture (cmd_analyze.c). */
int pc_cmd_analyze(int argc, char **argv);

/* portclash explain PORT [--proto tcp|udp] [--address A] [--format text|json] [--no-test-bind]
 *                        [--netsh-excluded FILE ...] [--netsh-dynamic FILE ...] [--netstat FILE]
 *                        [--tasklist FILE]
 * portclash ranges [--format text|json] [--diff] [offline options as above]
 * Without offline files they look at this machine (live host state); with any of them they
 * read only the files (no test bind). The _io forms write normal output to out and messages
 * to errout (for tests). */
int pc_cmd_explain(int argc, char **argv);
int pc_cmd_ranges(int argc, char **argv);
int pc_cmd_explain_io(int argc, char **argv, FILE *out, FILE *errout);
int pc_cmd_ranges_io(int argc, char **argv, FILE *out, FILE *errout);

/* portclash etl info FILE [--format text|json] (cmd_etl_info.c): header facts, providers
 * with event counts per (id, version), lost events and the time span of an .etl file.
 * argv[0] is "etl" or "info"; a following "info" is skipped too. The _to form writes the
 * report to out and diagnostics to err (for tests). */
int pc_cmd_etl_info(int argc, char **argv);
int pc_cmd_etl_info_to(int argc, char **argv, FILE *out, FILE *err);

/* portclash rules check [DIR|FILE] (cmd_rules_check.c). */
int pc_cmd_rules_check(int argc, char **argv);

/* portclash schema check FILE (cmd_schema.c). */
int pc_cmd_schema(int argc, char **argv);

/* portclash schema dump [--out FILE]: Windows only (cmd_schema_dump-win.c reads TDH); other
 * platforms say so (cmd_schema_dump-none.c). argv[0] is "dump". */
int pc_cmd_schema_dump(int argc, char **argv);

/* portclash monitor [OPTIONS]: the live source of this platform (ETW on Windows,
 * cmd_monitor-win.c; eBPF on Linux, cmd_monitor-linux.c; elsewhere a message saying what is
 * missing, cmd_monitor-none.c) -> pipeline -> explained findings in the chosen formats and
 * sinks, a status line on stderr, a summary at exit (Ctrl+C). */
int pc_cmd_monitor(int argc, char **argv);

/* portclash selftest [--json] [--timeout SECONDS]: provokes real bind failures with its own
 * sockets and checks that the live source catches and explains each once (Linux eBPF:
 * selftest-linux.c, Windows ETW: selftest-win.c, both over cmd_selftest.c; Linux builds
 * without eBPF say it is not available). */
int pc_cmd_selftest(int argc, char **argv);

/* Windows: the same with the ETW functions of api (NULL = the system's), so that tests drive
 * the whole command with a fake controller (etw.h). The session ends when the fake
 * ProcessTrace returns. */
struct pc_etw_api;
int pc__cmd_monitor_with(int argc, char **argv, const struct pc_etw_api *api);

/* portclash collect --duration SECONDS --out DIR (cmd_collect.c and its platform part): the
 * live source's events, the findings and the host state into one folder with manifest.json,
 * which `portclash analyze DIR` reads. Windows: pc__cmd_collect_with runs the monitor with the
 * ETW functions of api (tests: a fake controller). */
int pc_cmd_collect(int argc, char **argv);
int pc__cmd_collect_with(int argc, char **argv, const struct pc_etw_api *api);

/* portclash help-options [--man | --completion | --markdown | --keys] (cmd_help_options.c):
 * internal, not listed in --help; the option table for the man page, shell completions and the
 * README. */
int pc_cmd_help_options(int argc, char **argv);

/* ---- shared by explain and ranges (defined in cmd_explain.c) ---- */

/* Opens the offline back end when files were given, else the live one. Returns an exit code
 * (0 ok) after printing "portclash CMD: message" to errout. */
int pc__cmd_open_hoststate(const char *cmd, const pc_hoststate_offline_files *files, pc_hoststate **out,
                           FILE *errout);

/* Writes "name (pid N, service S, user U)" or "pid N" or "an unknown process". */
void pc__print_process(FILE *out, uint32_t pid, const pc_process_info *p);

#endif
