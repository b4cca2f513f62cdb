/* pc_cli.h - shared helpers for the subcommands: exit codes (files are read with pc_file.h). */
#ifndef PC_CLI_H
#define PC_CLI_H

#include <stddef.h>

/* Exit codes (DESIGN.md contract). */
#define PC_EXIT_OK 0
#define PC_EXIT_FAILURE 1
#define PC_EXIT_USAGE 2
#define PC_EXIT_PRIVILEGE 3

int pc_cmd_analyze(int argc, char **argv);
int pc_cmd_schema(int argc, char **argv);

/* portclash schema dump [--out FILE]: Windows only (cmd_schema_dump-win.c reads TDH); other
 * platforms say so (cmd_schema_dump-none.c). argv[0] is "dump". */
int pc_cmd_schema_dump(int argc, char **argv);

/* portclash service install|uninstall|run: Windows only (service-win.c); elsewhere a
 * message pointing at the systemd unit (cmd_service-none.c). argv[0] is "service". */
int pc_cmd_service(int argc, char **argv);

#endif
