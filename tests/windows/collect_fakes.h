/* collect_fakes.h - what the Windows tests of `portclash collect` and `selftest --collect`
 * share: the tools (netsh, netstat, tasklist) answered with canned output through the injected
 * runners, and reading a collect folder back. The canned text is written to look like the
 * tools' English output; nothing here shows what a real Windows prints. Test code only. */
#ifndef PC_TEST_COLLECT_FAKES_H
#define PC_TEST_COLLECT_FAKES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "pc_hoststate.h"

/* What the canned netstat and tasklist show: a TCP listener on 127.0.0.1:port held by
 * holder_pid, and this process (its image name) in tasklist. Resets the run count. */
void pc_fake_tools_set(unsigned port, unsigned holder_pid);

/* The runner for pc__collect_set_runner: canned output for netsh, netstat and tasklist,
 * PC_ENOENT for any other tool. */
pc_err pc_fake_tools_run(void *ctx, const char *const *argv, uint32_t timeout_ms, size_t max,
                         pc_os_run_result *res);

/* The runner for pc__hoststate_set_tool_runner (the live host state's netsh): the same text. */
char *pc_fake_tools_hoststate(void *ctx, const char *tool, const char *args, size_t *len);

/* How many tools pc_fake_tools_run answered since pc_fake_tools_set. */
int pc_fake_tools_runs(void);

/* The whole file (up to 64 KiB - 1), NUL-terminated; NULL when it cannot be read. free() it. */
char *pc_test_read_text(const char *path);

/* The findings of a JSON-lines text without their "ts" and "ts_last" members, sorted, one per
 * element of lines (text is not changed). Returns how many (at most cap). */
int pc_test_findings_without_times(const char *text, char lines[][2048], int cap);

/* DIR\manifest.json, read into *text (free() it) and parsed into *m, which must be complete
 * and from this Windows' ETW source. False, said on stdout, when any of that fails. */
bool pc_test_collect_manifest(const char *dir, pc_collect_manifest *m, char **text);

/* Deletes the files of folder dir, then dir. True when the folder is gone. */
bool pc_test_remove_folder(const char *dir);

#endif
