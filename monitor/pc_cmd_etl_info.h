/* pc_cmd_etl_info.h - `portclash etl info FILE [--format text|json]`.
 *
 * Prints what an .etl file says about itself (OS version and build, pointer size, CPUs,
 * clock, start/end time, buffers, compression, lost events and buffers), the providers
 * of its EVENT_HEADER records with event counts per (id, version), and the time span of
 * those events. Exit codes: 0 ok, 1 runtime failure (I/O, memory), 2 bad usage or bad
 * input (the message names the file and byte offset). */
#ifndef PC_CMD_ETL_INFO_H
#define PC_CMD_ETL_INFO_H

#include <stdio.h>

/* argv[0] is the command word main dispatched on ("etl" or "info"); a following "info"
 * is skipped too, so both `etl info FILE` and `info FILE` vectors work. */
int pc_cmd_etl_info(int argc, char **argv);

/* The same, writing the report to out and diagnostics to err (for tests). */
int pc_cmd_etl_info_to(int argc, char **argv, FILE *out, FILE *err);

#endif
