/* pc_cmd_monitor_win.h - the Windows-only subcommands (monitor/cmd_*-win.c).
 *
 * main.c dispatches to these on Windows. They follow the exit-code contract of DESIGN.md:
 * 0 ok, 1 runtime failure, 2 bad usage, 3 missing privilege. */
#ifndef PC_CMD_MONITOR_WIN_H
#define PC_CMD_MONITOR_WIN_H

/* portclash monitor [OPTIONS]: live ETW session -> pipeline -> explained findings in the
 * chosen formats and sinks (the shared options of pc_run_options.h), a status line on stderr
 * every few seconds, a summary at exit (Ctrl+C). argv[0] is "monitor". */
int pc_cmd_monitor(int argc, char **argv);

/* The same with the ETW functions of api (NULL = the system's), so that tests drive the whole
 * command with a fake controller (pc_source_etw.h). The session ends when the fake
 * ProcessTrace returns. */
struct pc_etw_api;
int pc__cmd_monitor_with(int argc, char **argv, const struct pc_etw_api *api);

/* portclash schema dump [--out FILE]: the running Windows' own layouts of the events
 * portclash reads, in the schema text form. argv[0] is "dump". */
int pc_cmd_schema_dump(int argc, char **argv);

/* portclash service install|uninstall|run (monitor/service-win.c): portclash monitor as a
 * Windows service. install/uninstall need an elevated console (exit 3 otherwise); run is the
 * service manager's entry point. argv[0] is "service". */
int pc_cmd_service(int argc, char **argv);

#endif
