/* pc_cmd_monitor.h - `portclash monitor`: watch this machine for bind failures live and
 * explain each one as it happens.
 *
 * Linux: the eBPF source (cmd_monitor-linux.c). Builds without eBPF support get a stub
 * (cmd_monitor-none.c) that says how to rebuild; Windows has its own (ETW). */
#ifndef PC_CMD_MONITOR_H
#define PC_CMD_MONITOR_H

/* Runs the subcommand; argv[0] is "monitor". Returns a process exit code: PC_EXIT_OK after
 * Ctrl+C / SIGTERM (summary printed) or --duration, PC_EXIT_USAGE for bad options,
 * PC_EXIT_PRIVILEGE when the needed privileges are missing (the message names them and
 * says how to grant them), PC_EXIT_FAILURE otherwise. */
int pc_cmd_monitor(int argc, char **argv);

#endif
