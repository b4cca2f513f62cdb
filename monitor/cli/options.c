/* options.c - the option table and everything driven by it (options.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "pc_attempt.h"
#include "pc_error.h"

/* ---- Groups ------------------------------------------------------------------------------- */

enum { G_CMD, G_OUTPUT, G_RULES, G_WATCH, G_HOST, G_LIVE, G_GENERAL, G_COUNT };

static const struct {
  const char *title, *note;
} k_groups[G_COUNT] = {
    [G_CMD] = {"Command options", NULL},
    [G_OUTPUT] = {"Output", NULL},
    [G_RULES] = {"Rules", NULL},
    [G_WATCH] = {"Watch list (warn before a port is taken away)", NULL},
    [G_HOST] = {"Host state saved on a Windows machine (each option repeatable)",
                "Any language, UTF-8/UTF-16 or OEM code page. A netsh FILE may be prefixed by the hints "
                "tcp: udp: ipv4: ipv6: (e.g. ipv6:udp:excl.txt); the protocol is otherwise read from the "
                "netsh title, and a range without ipv4:/ipv6: applies to both IP versions. Without these "
                "files portclash does not guess about ranges or owners."},
    [G_LIVE] = {"Live source", NULL},
    [G_GENERAL] = {"General", NULL},
};

const char *pc_options_group_title(unsigned g) {
  return g < G_COUNT ? k_groups[g].title : NULL;
}

const char *pc_options_group_note(unsigned g) {
  return g < G_COUNT ? k_groups[g].note : NULL;
}

/* ---- The rows ----------------------------------------------------------------------------- */

/* To add an option: add a row here (the group decides where --help shows it; FIELD() names
 * the pc_options member that holds the value, adding one when needed), read the value in the
 * command, and run tools/update-readme-options.sh BUILD_DIR. A configuration key (.key) also
 * needs its commented line in packaging/portclash.conf.example. test_options fails until both
 * are done. */

#define FIELD(f) .off = offsetof(pc_options, f), .size = sizeof(((pc_options *)0)->f)
#define LIST(f, n, c) FIELD(f), .count_off = offsetof(pc_options, n), .cap = (c)
#define FINDINGS (PC_CMD_ANALYZE | PC_CMD_MONITOR)
#define OFFLINE (PC_CMD_ANALYZE | PC_CMD_EXPLAIN | PC_CMD_RANGES)
#define RUN_LIST_CAP (sizeof(((pc_run_options *)0)->watch_args) / sizeof(const char *))

static const pc_opt_choice k_formats[] = {{"text", PC_FORMAT_TEXT},     {"json", PC_FORMAT_JSON},
                                          {"syslog", PC_FORMAT_SYSLOG}, {"syslog3164", PC_FORMAT_SYSLOG3164},
                                          {"cef", PC_FORMAT_CEF},       {NULL, 0}};
static const pc_opt_choice k_text_json[] = {{"text", 0}, {"json", 1}, {NULL, 0}};
static const pc_opt_choice k_protos[] = {{"tcp", PC_PROTO_TCP}, {"udp", PC_PROTO_UDP}, {NULL, 0}};
static const pc_opt_choice k_hooks[] = {{"auto", 0}, {"tracepoint", 1}, {"raw", 2}, {NULL, 0}};
static const pc_opt_choice k_stale[] = {{"stop", 0}, {"attach", 1}, {"fail", 2}, {NULL, 0}};

static const pc_opt k_rows[] = {
    /* The commands' own options. */
    {.name = "proto",
     .type = PC_OPT_ENUM,
     .commands = PC_CMD_EXPLAIN,
     .group = G_CMD,
     FIELD(proto),
     .choices = k_protos,
     .def = "tcp",
     .help = "the protocol of the bind"},
    {.name = "address",
     .type = PC_OPT_STRING,
     .arg = "A",
     .commands = PC_CMD_EXPLAIN,
     .group = G_CMD,
     FIELD(address),
     .def_text = "0.0.0.0",
     .help = "the local address of the bind: 0.0.0.0, ::, 127.0.0.1, fe80::1%2, ..."},
    {.name = "no-test-bind",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_EXPLAIN,
     .group = G_CMD,
     FIELD(no_test_bind),
     .on = 1,
     .help = "do not try the bind (without host-state files explain tries it on this machine; the test "
             "socket is closed at once, no privilege needed)"},
    {.name = "diff",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_RANGES,
     .group = G_CMD,
     FIELD(diff),
     .on = 1,
     .help = "what changed in the ranges since the last run (\"it worked yesterday\"); every run saves the "
             "ranges in the state directory for the next --diff"},
    {.name = "format",
     .type = PC_OPT_ENUM,
     .commands = PC_CMD_EXPLAIN | PC_CMD_RANGES | PC_CMD_ETL_INFO,
     .group = G_CMD,
     FIELD(json),
     .choices = k_text_json,
     .def = "text",
     .help = "output format (json: one object)"},
    {.name = "with-defaults",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_RULES_CHECK,
     .group = G_CMD,
     FIELD(with_defaults),
     .on = 1,
     .help = "load the default catalog first, so that DIR or FILE is checked as it would be used with "
             "--rules (ids replace default rules)"},
    {.name = "out",
     .type = PC_OPT_STRING,
     .arg = "FILE",
     .commands = PC_CMD_SCHEMA_DUMP,
     .platforms = PC_OPT_WINDOWS,
     .group = G_CMD,
     FIELD(out),
     .def_text = "standard output",
     .help = "write the layouts to FILE"},
    {.name = "out",
     .type = PC_OPT_STRING,
     .arg = "DIR",
     .commands = PC_CMD_COLLECT,
     .group = G_CMD,
     FIELD(out),
     .help = "write everything into DIR (created; it must not exist or be empty); required"},

    /* Output of the findings. */
    {.name = "format",
     .type = PC_OPT_ENUM,
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.format),
     .choices = k_formats,
     .def = "text",
     .help = "console (and log) format"},
    {.name = "log",
     .type = PC_OPT_STRING,
     .arg = "FILE",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.log_path),
     .help = "also write findings to FILE (rotated)"},
    {.name = "log-format",
     .type = PC_OPT_ENUM,
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.log_format),
     .choices = k_formats,
     .def_text = "same as --format",
     .help = "format of the --log FILE"},
    {.name = "log-max-bytes",
     .type = PC_OPT_UINT,
     .arg = "N",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.log_max_bytes),
     .max = UINT64_MAX,
     .def = "10485760",
     .help = "rotate before the --log FILE would exceed N bytes; 0 = never"},
    {.name = "log-keep",
     .type = PC_OPT_UINT,
     .arg = "N",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.log_keep),
     .max = 1000,
     .def = "5",
     .help = "keep N rotated files (FILE.1 .. FILE.N)"},
    {.name = "syslog",
     .type = PC_OPT_STRING,
     .arg = "URL",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.syslog_url),
     .help = "also send findings to udp://HOST[:PORT] or tcp://HOST[:PORT] (port 514; IPv6 as [addr]); "
             "RFC 5424, RFC 6587 octet counting on TCP"},
    {.name = "syslog-facility",
     .type = PC_OPT_UINT,
     .arg = "N",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.syslog_facility),
     .max = 23,
     .def = "1",
     .help = "syslog facility (1 = user-level)"},
    {.name = "syslog-max-bytes",
     .type = PC_OPT_UINT,
     .arg = "N",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.syslog_max_bytes),
     .min = 480,
     .max = 65536,
     .def_text = "2048; 1024 for syslog3164 and cef",
     .help = "size cap of one syslog or CEF record"},
    {.name = "sd-id",
     .type = PC_OPT_STRING,
     .arg = "ID",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.sd_id),
     .def = PC_FORMAT_DEFAULT_SD_ID,
     .help = "RFC 5424 SD-ID of the element carrying the key fields (use your own enterprise number)"},
    {.name = "app-name",
     .type = PC_OPT_STRING,
     .arg = "NAME",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.app_name),
     .def = PC_FORMAT_DEFAULT_APP_NAME,
     .help = "syslog APP-NAME (RFC 3164 tag)"},
    {.name = "host",
     .type = PC_OPT_STRING,
     .arg = "NAME",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.host),
     .def_text = "this machine's name",
     .help = "host name written in findings"},
    {.name = "no-color",
     .type = PC_OPT_FLAG,
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.color),
     .on = PC_COLOR_NEVER,
     .off_value = PC_COLOR_AUTO,
     .help = "no colours on the console (also when the NO_COLOR variable is set)"},
    {.name = "quiet",
     .type = PC_OPT_FLAG,
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.console),
     .on = 0,
     .off_value = 1,
     .help = "no findings on the console (a service that only logs)"},
    {.name = "eventlog",
     .type = PC_OPT_FLAG,
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.sinks.eventlog),
     .on = 1,
     .off_value = 0,
     .help = "also report findings to the Windows Event Log (Application, source portclash; Windows "
             "only)"},
    {.name = "window",
     .type = PC_OPT_SECONDS,
     .arg = "SECONDS",
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.window),
     .max = 86400,
     .def = "10",
     .help = "identical failures within this window become one finding with a count; 0 = report each "
             "(live, the first one is reported at once)"},
    {.name = "summary",
     .type = PC_OPT_FLAG,
     .commands = FINDINGS,
     .key = true,
     .group = G_OUTPUT,
     FIELD(run.summary),
     .on = 1,
     .help = "print what was read and dropped on stderr at the end"},

    /* Rules. */
    {.name = "rules",
     .type = PC_OPT_STRING,
     .arg = "DIR",
     .commands = FINDINGS | PC_CMD_EXPLAIN,
     .key = true,
     .group = G_RULES,
     FIELD(run.rules_dir),
     .help = "add the *.rules files of DIR to the built-in catalog (a rule with the same id replaces the "
             "built-in one); see rules/FORMAT.md"},

    /* The watch list. */
    {.name = "watch",
     .type = PC_OPT_LIST,
     .arg = "LIST",
     .commands = FINDINGS,
     .key = true,
     .group = G_WATCH,
     LIST(run.watch_args, run.watch_arg_count, RUN_LIST_CAP),
     .help = "warn before these ports are taken away: 8080,3000-3010/tcp,5353/udp (no /tcp or /udp = "
             "both); repeatable, in the configuration file one entry a line"},
    {.name = "no-learn",
     .type = PC_OPT_FLAG,
     .commands = FINDINGS,
     .key = true,
     .group = G_WATCH,
     FIELD(run.no_learn),
     .on = 1,
     .help = "do not remember (and watch) the ports that processes listened on"},
    {.name = "watch-poll",
     .type = PC_OPT_SECONDS,
     .arg = "SECONDS",
     .commands = FINDINGS,
     .key = true,
     .group = G_WATCH,
     FIELD(run.watch_poll),
     .min = 1,
     .max = 86400,
     .def = "30",
     .help = "live: re-read the ranges and the owners of watched ports this often"},

    /* Offline host state. */
    {.name = "netsh-excluded",
     .type = PC_OPT_LIST,
     .arg = "FILE",
     .commands = OFFLINE,
     .input = true,
     .group = G_HOST,
     LIST(run.offline.netsh_excluded, run.offline.n_netsh_excluded, PC_HOSTSTATE_MAX_FILES),
     .help = "output of `netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp`"},
    {.name = "netsh-dynamic",
     .type = PC_OPT_LIST,
     .arg = "FILE",
     .commands = OFFLINE,
     .input = true,
     .group = G_HOST,
     LIST(run.offline.netsh_dynamic, run.offline.n_netsh_dynamic, PC_HOSTSTATE_MAX_FILES),
     .help = "output of `netsh int ipv4|ipv6 show dynamicport tcp|udp`"},
    {.name = "netstat",
     .type = PC_OPT_LIST,
     .arg = "FILE",
     .commands = OFFLINE,
     .input = true,
     .group = G_HOST,
     LIST(run.offline.netstat, run.offline.n_netstat, PC_HOSTSTATE_MAX_FILES),
     .help = "output of `netstat -ano` (or `netstat -anoq`: also TCP sockets bound without listen())"},
    {.name = "tasklist",
     .type = PC_OPT_LIST,
     .arg = "FILE",
     .commands = OFFLINE,
     .input = true,
     .group = G_HOST,
     LIST(run.offline.tasklist, run.offline.n_tasklist, PC_HOSTSTATE_MAX_FILES),
     .help = "output of `tasklist /fo csv /nh` (also /svc or /v)"},
    {.name = "netsh-http",
     .type = PC_OPT_LIST,
     .arg = "FILE",
     .commands = OFFLINE,
     .input = true,
     .group = G_HOST,
     LIST(run.offline.netsh_http, run.offline.n_netsh_http, PC_HOSTSTATE_MAX_FILES),
     .help =
         "output of `netsh http show servicestate view=requestq verbose=no` and/or `netsh http show urlacl`: "
         "who is behind a port that HTTP.sys (System, PID 4) holds"},

    /* The live source of monitor. */
    {.name = "attempts",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .group = G_LIVE,
     FIELD(attempts),
     .on = 1,
     .help = "print the raw attempts (one line each, every fact the source gave) instead of explained "
             "findings"},
    {.name = "successes",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .group = G_LIVE,
     FIELD(successes),
     .on = 1,
     .help = "with --attempts: print successful binds too"},
    {.name = "status",
     .type = PC_OPT_SECONDS,
     .arg = "SECONDS",
     .commands = PC_CMD_MONITOR,
     .group = G_LIVE,
     FIELD(status),
     .max = 86400,
     .def = "10",
     .help = "status line on stderr every SECONDS; 0 = never"},
    {.name = "drain",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .group = G_LIVE,
     FIELD(drain),
     .on = 1,
     .help = "at Ctrl+C or SIGTERM, explain every failure still queued before exiting (can take long on a "
             "busy host: one host-state lookup per distinct failure); without it the monitor stops within "
             "a second and counts them as not explained at stop"},
    {.name = "duration",
     .type = PC_OPT_SECONDS,
     .arg = "SECONDS",
     .commands = PC_CMD_MONITOR | PC_CMD_COLLECT,
     .group = G_LIVE,
     FIELD(duration),
     .max = 10000000,
     .def_text = "until Ctrl+C or SIGTERM",
     .help = "stop after SECONDS"},
    {.name = "hooks",
     .type = PC_OPT_ENUM,
     .commands = PC_CMD_MONITOR | PC_CMD_SELFTEST | PC_CMD_COLLECT,
     .platforms = PC_OPT_LINUX,
     .group = G_LIVE,
     FIELD(hooks),
     .choices = k_hooks,
     .def = "auto",
     .help = "kernel hooks (auto: tracepoints, else raw sys_exit)"},
    {.name = "no-io-uring",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_LINUX,
     .group = G_LIVE,
     FIELD(no_io_uring),
     .on = 1,
     .help = "do not watch io_uring IORING_OP_BIND/LISTEN"},
    {.name = "all-errors",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_LINUX,
     .group = G_LIVE,
     FIELD(all_errors),
     .on = 1,
     .help = "report every failed bind/listen, whatever the errno"},
    {.name = "verbose",
     .short_name = 'v',
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_LINUX,
     .group = G_LIVE,
     FIELD(verbose),
     .on = 1,
     .help = "say which hooks are used; show libbpf's messages"},
    {.name = "session",
     .type = PC_OPT_STRING,
     .arg = "NAME",
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_WINDOWS,
     .group = G_LIVE,
     FIELD(session),
     .def_text = "portclash-console-PID, one per run",
     .help =
         "ETW session name. The service's monitor uses portclash-service, which a console run never stops "
         "or shares"},
    {.name = "stale",
     .type = PC_OPT_ENUM,
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_WINDOWS,
     .group = G_LIVE,
     FIELD(stale),
     .choices = k_stale,
     .def = "stop",
     .help = "when a session of that name already exists (left by a crash): stop it and start a new one, "
             "use it as it is, or give up"},
    {.name = "record",
     .type = PC_OPT_STRING,
     .arg = "FILE.etl",
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_WINDOWS,
     .group = G_LIVE,
     FIELD(record),
     .help = "also write the events to FILE.etl (read it with 'portclash analyze')"},
    {.name = "etw-queue",
     .type = PC_OPT_UINT,
     .arg = "RECORDS",
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_WINDOWS,
     .group = G_LIVE,
     FIELD(etw_queue),
     .min = 16,
     .max = 1048576,
     .def_text = "8192",
     .help = "records held between the ETW thread and the consumer (drops are counted)"},
    {.name = "service-child",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR,
     .platforms = PC_OPT_WINDOWS,
     .group = G_LIVE,
     FIELD(service_child),
     .on = 1,
     .help =
         "set by `portclash service run` for its monitor: the service's session name, and its configuration, "
         "rules and log folders must be closed to non-administrators"},
    {.name = "no-os-schemas",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_MONITOR | PC_CMD_SELFTEST | PC_CMD_COLLECT,
     .platforms = PC_OPT_WINDOWS,
     .group = G_LIVE,
     FIELD(no_os_schemas),
     .on = 1,
     .help = "do not read the event layouts of this Windows (TDH); use the built-in ones only"},

    /* selftest. */
    {.name = "json",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_SELFTEST,
     .group = G_CMD,
     FIELD(json),
     .on = 1,
     .help = "one JSON document instead of the text report"},
    {.name = "timeout",
     .type = PC_OPT_SECONDS,
     .arg = "SECONDS",
     .commands = PC_CMD_SELFTEST,
     .group = G_CMD,
     FIELD(timeout),
     .min = 1,
     .max = 600,
     .def = "3",
     .help = "how long to wait for each finding"},
    {.name = "without-bind-hook",
     .type = PC_OPT_FLAG,
     .commands = PC_CMD_SELFTEST,
     .platforms = PC_OPT_LINUX,
     .group = G_CMD,
     FIELD(without_bind_hook),
     .on = 1,
     .help = "for testing the self-test: leave the bind() hook detached (tracepoint hooks), so the "
             "checks that need it must fail"},
    {.name = "collect",
     .type = PC_OPT_STRING,
     .arg = "DIR",
     .commands = PC_CMD_SELFTEST,
     .group = G_CMD,
     FIELD(collect_dir),
     .help = "also write what 'portclash collect' writes (host state, the recording, the findings, the "
             "report as selftest.json, manifest.json) into DIR, to send when a check fails"},

    /* Every command. */
    {.name = "config",
     .type = PC_OPT_CONFIG,
     .arg = "FILE",
     .commands = FINDINGS,
     .group = G_GENERAL,
     FIELD(run.config_path),
     .help = "read options from FILE (key = value lines; options given on the command line win); see "
             "portclash.conf.example"},
    {.name = "help",
     .short_name = 'h',
     .type = PC_OPT_HELP,
     .commands = PC_CMD_ALL,
     .group = G_GENERAL,
     .help = "show this help"},
};

const pc_opt *pc_options_table(size_t *count) {
  *count = sizeof k_rows / sizeof k_rows[0];
  return k_rows;
}

/* ---- The commands ------------------------------------------------------------------------- */

static const pc_cmd_info k_commands[] = {
    {PC_CMD_ANALYZE, "analyze", "FILE [OPTIONS]", 1, 1,
     "  FILE   an ETL capture (logman/wpr/xperf; XPRESS-compressed files too) or a record fixture\n"
     "         (text, see tests/FIXTURES.md)\n"
     "         or a folder written by 'portclash collect' (or 'selftest --collect'): its capture\n"
     "         or recording, with every host-state file it holds (the host-state options implied)\n",
     "Explains the socket bind failures recorded in FILE, on any OS. Give the customer's\n"
     "netsh/netstat/tasklist output so that explanations can name excluded ranges and port owners.\n",
     "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input (the message names the file\n"
     "and line or byte offset; findings before the damage are still printed).\n"},
    {PC_CMD_MONITOR, "monitor", "[OPTIONS]", 0, 0, NULL,
     "Watches this machine for socket bind failures, from every process, and explains each one as\n"
     "it happens: who failed, on which address and port, who holds the port, why, and how to fix\n"
     "it. Linux: failed bind() and listen() calls (EADDRINUSE, EACCES, EPERM, EADDRNOTAVAIL) through\n"
     "eBPF; needs root (or CAP_BPF + CAP_PERFMON). Windows: the Winsock-AFD, TCPIP and (Windows 11)\n"
     "Winsock-Sockets ETW events; needs an elevated console or membership in the \"Performance Log\n"
     "Users\" group. Stop with Ctrl+C (or SIGTERM): a summary follows.\n",
     "Exit status: 0 ok (stopped by a signal or --duration), 1 runtime failure, 2 bad usage,\n"
     "3 missing privilege (the message says what to grant and how).\n"},
    {PC_CMD_EXPLAIN, "explain", "PORT [OPTIONS]", 1, 1, "  PORT   the port to explain, 1..65535\n",
     "Says what keeps PORT from being bound: the process holding it, an excluded port range, the\n"
     "dynamic range, privileged ports. Without host-state files it looks at this machine and also\n"
     "tries the bind itself; with them it reads only the files.\n",
     "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input, 3 missing privilege.\n"},
    {PC_CMD_RANGES, "ranges", "[OPTIONS]", 0, 0, NULL,
     "Lists the excluded (reserved) port ranges and the dynamic port range, TCP and UDP, and who\n"
     "holds ports inside the excluded ranges. Without host-state files it reads this machine.\n",
     "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input, 3 missing privilege.\n"},
    {PC_CMD_ETL_INFO, "etl info", "FILE [OPTIONS]", 1, 1,
     "  FILE   an ETW capture (.etl, uncompressed or XPRESS-compressed)\n",
     "Reads an ETW capture on any OS and prints what its header says (OS version and build, pointer\n"
     "size, CPUs, clock, start and end time, buffers, compression, events and buffers lost), the\n"
     "providers of its manifest/TraceLogging events with event counts per (id, version), and the\n"
     "time span of those events.\n",
     "Exit status: 0 ok, 1 runtime failure, 2 bad usage or bad input (damaged or truncated file:\n"
     "the message names the byte offset; everything before it is still reported).\n"},
    {PC_CMD_RULES_CHECK, "rules check", "[DIR|FILE] [OPTIONS]", 0, 1,
     "  (none) check the default catalog embedded in portclash\n"
     "  DIR    check every *.rules file in DIR (one layer)\n"
     "  FILE   check one rule file\n",
     "Compiles rule files and reports every mistake as file:line:col: message. The rule language is\n"
     "described in rules/FORMAT.md.\n",
     "Exit status: 0 when every rule compiles, 2 on errors or bad usage.\n"},
    {PC_CMD_SELFTEST, "selftest", "[OPTIONS]", 0, 0, NULL,
     "Checks that the live monitor works on this machine: starts the live source (Linux: eBPF;\n"
     "Windows: an ETW session), provokes real bind failures on loopback with its own sockets, and\n"
     "checks that each is caught once, with the right process, port, error and explanation, and\n"
     "which providers saw it. Linux: TCP and UDP in use, dual-stack, a privileged port as uid\n"
     "65534, SO_REUSEPORT across users; needs root, or CAP_BPF + CAP_PERFMON (the cases that\n"
     "switch user need root). Windows: TCP and UDP in use, three cells of the SO_REUSEADDR /\n"
     "SO_EXCLUSIVEADDRUSE tables, dual-stack, a port in a one-port excluded range it adds with\n"
     "netsh (store=active); needs an elevated console. Both: a bind that works must give no\n"
     "finding. Everything it starts or adds is removed before it exits, Ctrl+C too.\n",
     "Exit status: 0 every check that ran passed, 1 a check failed, 2 bad usage, 3 missing\n"
     "privilege.\n"},
    {PC_CMD_COLLECT, "collect", "--out DIR [OPTIONS]", 0, 0, NULL,
     "Records what a support engineer needs to analyse this machine elsewhere, into one folder:\n"
     "the live source's events for --duration SECONDS (Windows: an ETL capture of the monitor's\n"
     "providers; Linux: every failed bind with what the host state said about it at that moment),\n"
     "the findings seen live (JSON), the port ranges, sockets and processes (Windows: netsh,\n"
     "netstat, tasklist, schema dump; Linux: the sysctls, ss, uname) and manifest.json saying what\n"
     "each file is and which command made it. 'portclash analyze DIR' reads the folder on any\n"
     "machine. To send it as one file: on Windows tar -a -c -f bundle.zip DIR (Windows ships\n"
     "tar), on Linux tar -czf bundle.tar.gz DIR. Ctrl+C stops early; what was collected is kept\n"
     "and the manifest says it was cut short. Needs what 'portclash monitor' needs.\n",
     "Exit status: 0 ok (also when stopped by Ctrl+C), 1 runtime failure, 2 bad usage, 3 missing\n"
     "privilege.\n"},
    {PC_CMD_SCHEMA_CHECK, "schema check", "FILE [OPTIONS]", 1, 1,
     "  FILE   the text written by 'schema dump' (see parsers/schemas/FORMAT.md)\n",
     "Compares the event layouts in FILE with the ones built into portclash and prints every\n"
     "difference, new or missing event, and a summary.\n",
     "Exit status: 0 no differences, 1 differences found (or runtime failure), 2 bad usage or a\n"
     "malformed FILE (the message names FILE:LINE).\n"},
    {PC_CMD_SCHEMA_DUMP, "schema dump", "[OPTIONS]", 0, 0, NULL,
     "Windows: writes this Windows' own layouts of the events portclash reads (from TDH), in the\n"
     "text form 'portclash schema check FILE' reads on any machine.\n",
     "Exit status: 0 ok, 1 runtime failure (not Windows, or no TDH manifest functions), 2 bad "
     "usage.\n"},
};

const pc_cmd_info *pc_options_commands(size_t *count) {
  *count = sizeof k_commands / sizeof k_commands[0];
  return k_commands;
}

const pc_cmd_info *pc_options_command(unsigned cmd) {
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    if (k_commands[i].cmd == cmd) return &k_commands[i];
  return NULL;
}

unsigned pc_options_platform(void) {
#if defined(PC_OPTIONS_PLATFORM)
  return PC_OPTIONS_PLATFORM;
#else
  return 0;
#endif
}

static bool on_platform(const pc_opt *r, unsigned platform) {
  return r->platforms == 0 || (r->platforms & platform) != 0;
}

const pc_opt *pc_options_find(const char *name, unsigned cmd) {
  for (size_t i = 0; i < sizeof k_rows / sizeof k_rows[0]; i++)
    if (strcmp(k_rows[i].name, name) == 0 && (cmd == 0 || (k_rows[i].commands & cmd))) return &k_rows[i];
  return NULL;
}

/* ---- Values ------------------------------------------------------------------------------- */

static void store(pc_options *o, const pc_opt *r, uint64_t v) {
  unsigned char *p = (unsigned char *)o + r->off;
  switch (r->size) {
    case 1: {
      uint8_t x = (uint8_t)v;
      memcpy(p, &x, 1);
      break;
    }
    case 2: {
      uint16_t x = (uint16_t)v;
      memcpy(p, &x, 2);
      break;
    }
    case 4: {
      uint32_t x = (uint32_t)v;
      memcpy(p, &x, 4);
      break;
    }
    default: {
      memcpy(p, &v, 8);
      break;
    }
  }
}

static bool parse_uint(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return false;
  for (const char *c = s; *c; c++)
    if (*c < '0' || *c > '9') return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno == ERANGE || *end) return false;
  *out = v;
  return true;
}

/* "12" or "1.5" seconds, into ticks; plain digits and one dot only (no signs, exponents, hex). */
static bool parse_seconds(const char *s, uint64_t max, pc_time *out) {
  if (!s || !*s) return false;
  uint64_t whole = 0, frac = 0, scale = 1;
  const char *c = s;
  for (; *c >= '0' && *c <= '9'; c++) {
    whole = whole * 10 + (uint64_t)(*c - '0');
    if (whole > max) return false;
  }
  if (c == s && *c != '.') return false;
  if (*c == '.') {
    c++;
    if (!(*c >= '0' && *c <= '9')) return false;
    for (; *c >= '0' && *c <= '9'; c++)
      if (scale < (uint64_t)PC_TIME_TICKS_PER_SEC) frac = frac * 10 + (uint64_t)(*c - '0'), scale *= 10;
  }
  if (*c) return false;
  if (whole == max && frac) return false;
  *out = (pc_time)whole * PC_TIME_TICKS_PER_SEC + (pc_time)(frac * ((uint64_t)PC_TIME_TICKS_PER_SEC / scale));
  return true;
}

static bool parse_bool(const char *v, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < 4; i++) {
    if (strcmp(v, yes[i]) == 0) return *out = true, true;
    if (strcmp(v, no[i]) == 0) return *out = false, true;
  }
  return false;
}

void pc_options_expect(const pc_opt *r, bool from_config, char *buf, size_t cap) {
  switch (r->type) {
    case PC_OPT_FLAG:
      snprintf(buf, cap, from_config ? "true or false" : "no value");
      return;
    case PC_OPT_UINT:
      if (r->max == UINT64_MAX)
        snprintf(buf, cap, "a number");
      else
        snprintf(buf, cap, "a number (%llu..%llu)", (unsigned long long)r->min, (unsigned long long)r->max);
      return;
    case PC_OPT_SECONDS:
      snprintf(buf, cap, "a number of seconds (%llu..%llu)", (unsigned long long)r->min,
               (unsigned long long)r->max);
      return;
    case PC_OPT_ENUM: {
      size_t n = (size_t)snprintf(buf, cap, "one of ");
      for (const pc_opt_choice *c = r->choices; c->name && n < cap; c++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", c == r->choices ? "" : ", ", c->name);
      return;
    }
    default:
      snprintf(buf, cap, "a %s", r->arg ? r->arg : "value");
      return;
  }
}

int pc__options_set(pc_options *o, const pc_opt *r, const char *v, bool from_config, const char *as,
                    char *err, size_t errcap) {
  bool ok = true;
  switch (r->type) {
    case PC_OPT_FLAG: {
      bool b = true;
      if (from_config) ok = v && parse_bool(v, &b);
      if (ok) store(o, r, (uint64_t)(int64_t)(b ? r->on : r->off_value));
      break;
    }
    case PC_OPT_STRING:
    case PC_OPT_CONFIG:
      ok = v && *v;
      if (ok) memcpy((char *)o + r->off, &v, sizeof v);
      break;
    case PC_OPT_UINT: {
      uint64_t n = 0;
      ok = parse_uint(v, &n) && n >= r->min && n <= r->max;
      if (ok) store(o, r, n);
      break;
    }
    case PC_OPT_SECONDS: {
      pc_time t = 0;
      ok = parse_seconds(v, r->max, &t) && t >= (pc_time)r->min * PC_TIME_TICKS_PER_SEC;
      if (ok) store(o, r, (uint64_t)t);
      break;
    }
    case PC_OPT_ENUM: {
      const pc_opt_choice *c = r->choices;
      while (c->name && !(v && strcmp(v, c->name) == 0)) c++;
      ok = c->name != NULL;
      if (ok) store(o, r, (uint64_t)(int64_t)c->value);
      break;
    }
    case PC_OPT_LIST: {
      size_t *n = (size_t *)(void *)((char *)o + r->count_off);
      ok = v && *v;
      if (ok && *n >= r->cap) {
        snprintf(err, errcap, "%s given more than %zu times (put the values in fewer options)", as, r->cap);
        return 0;
      }
      if (ok) memcpy((char *)o + r->off + *n * sizeof v, &v, sizeof v), ++*n;
      break;
    }
    case PC_OPT_HELP:
      break;
  }
  if (ok) return 1;
  char want[200];
  pc_options_expect(r, from_config, want, sizeof want);
  if (v && *v)
    snprintf(err, errcap, "%s needs %s, got '%s'", as, want, v);
  else
    snprintf(err, errcap, "%s needs %s", as, want);
  return 0;
}

void pc_options_init(pc_options *o) {
  memset(o, 0, sizeof *o);
  pc_sink_options_init(&o->run.sinks);
  char err[256];
  for (size_t i = 0; i < sizeof k_rows / sizeof k_rows[0]; i++)
    if (k_rows[i].def) pc__options_set(o, &k_rows[i], k_rows[i].def, false, k_rows[i].name, err, sizeof err);
}

/* ---- argv --------------------------------------------------------------------------------- */

static bool takes_value(const pc_opt *r) {
  return r->type != PC_OPT_FLAG && r->type != PC_OPT_HELP;
}

const char *pc_options_value_text(const pc_opt *r, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  if (r->type == PC_OPT_ENUM)
    for (const pc_opt_choice *c = r->choices; c->name && n < cap; c++)
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", c == r->choices ? "" : "|", c->name);
  else if (takes_value(r) && r->arg)
    snprintf(buf, cap, "%s", r->arg);
  return buf;
}

const char *pc_options_default_text(const pc_opt *r) {
  return r->def ? r->def : r->def_text;
}

const char *pc_options_command_names(unsigned mask, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0] && n < cap; i++)
    if (mask & k_commands[i].cmd)
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", k_commands[i].name);
  return buf;
}

/* Looks argv[i] up. Returns the row (NULL when it is not an option: a positional argument or
 * "--"), with *value = the text after '=' or NULL. Writes a message to msg and sets *bad when
 * it looks like an option but is not one of cmd's on this platform. */
static const pc_opt *lookup(const char *a, unsigned cmd, const char **value, bool *bad, char *msg,
                            size_t cap) {
  *value = NULL;
  *bad = false;
  if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0) return NULL;
  unsigned platform = pc_options_platform();
  const pc_opt *any = NULL;
  if (a[1] != '-') {
    for (size_t i = 0; a[2] == '\0' && i < sizeof k_rows / sizeof k_rows[0]; i++) {
      const pc_opt *r = &k_rows[i];
      if (r->short_name != a[1]) continue;
      if ((r->commands & cmd) && on_platform(r, platform)) return r;
      any = r;
    }
  } else {
    char name[64];
    const char *eq = strchr(a + 2, '=');
    size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (len < sizeof name) {
      memcpy(name, a + 2, len);
      name[len] = '\0';
      for (size_t i = 0; i < sizeof k_rows / sizeof k_rows[0]; i++) {
        const pc_opt *r = &k_rows[i];
        if (strcmp(r->name, name) != 0) continue;
        if ((r->commands & cmd) && on_platform(r, platform)) {
          *value = eq ? eq + 1 : NULL;
          return r;
        }
        any = r;
      }
    }
  }
  *bad = true;
  const pc_cmd_info *ci = pc_options_command(cmd);
  char cmds[160];
  if (!any)
    snprintf(msg, cap, "unknown option '%s' (see --help)", a);
  else if (any->commands & cmd)
    snprintf(msg, cap, "--%s exists in the %s version of portclash only", any->name,
             any->platforms & PC_OPT_LINUX ? "Linux" : "Windows");
  else
    snprintf(msg, cap, "--%s is not an option of %s (it is one of %s)", any->name,
             ci ? ci->name : "this command", pc_options_command_names(any->commands, cmds, sizeof cmds));
  return NULL;
}

/* The configuration file of the run: its options point into its text, which therefore lives as
 * long as the process (a command reads one configuration). Kept in a static so that it stays
 * reachable (not a leak); freed when another file is read. */
static pc_config *loaded_config;

int pc_options_parse(pc_options *o, unsigned cmd, int argc, char **argv, FILE *out, FILE *err) {
  pc_options_init(o);
  const pc_cmd_info *ci = pc_options_command(cmd);
  const char *cname = ci ? ci->name : (argc > 0 ? argv[0] : "?");
  char msg[PC_CONFIG_ERR_MAX];
  /* First pass: --help wins over everything, and --config is read before the other options
   * so that the command line overrides the file. */
  const char *config = NULL;
  char first_error[PC_CONFIG_ERR_MAX] = "";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    const char *v;
    bool bad;
    const pc_opt *r = lookup(argv[i], cmd, &v, &bad, msg, sizeof msg);
    if (!r) continue;
    if (r->type == PC_OPT_HELP) {
      pc_options_help(out, cmd);
      return PC_OPTIONS_HELP;
    }
    if (takes_value(r) && !v && i + 1 < argc) v = argv[++i];
    if (r->type != PC_OPT_CONFIG || first_error[0]) continue;
    if (!v || !*v)
      snprintf(first_error, sizeof first_error, "--config needs a FILE");
    else if (config)
      snprintf(first_error, sizeof first_error, "--config given twice ('%s' and '%s')", config, v);
    else
      config = v;
  }
  if (first_error[0]) {
    fprintf(err, "portclash %s: %s\n", cname, first_error);
    return PC_EXIT_USAGE;
  }
  if (config) {
    pc_config_free(loaded_config);
    loaded_config = NULL;
    int rc = pc_config_apply_file(o, config, &loaded_config, msg, sizeof msg);
    if (rc != PC_OK) {
      fprintf(err, "portclash %s: %s\n", cname, msg);
      return PC_EXIT_USAGE;
    }
    o->run.config_path = config;
  }
  /* Second pass: the options, in order (the last of a value wins), and the arguments. */
  bool options_end = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!options_end && strcmp(a, "--") == 0) {
      options_end = true;
      continue;
    }
    const char *v = NULL;
    bool bad = false;
    const pc_opt *r = options_end ? NULL : lookup(a, cmd, &v, &bad, msg, sizeof msg);
    if (bad) {
      fprintf(err, "portclash %s: %s\n", cname, msg);
      return PC_EXIT_USAGE;
    }
    if (!r) {
      if (ci && o->n_args >= ci->max_args) {
        fprintf(err, "portclash %s: unexpected argument '%s' (usage: portclash %s %s)\n", cname, a, cname,
                ci->synopsis);
        return PC_EXIT_USAGE;
      }
      if (o->n_args < PC_OPTIONS_MAX_ARGS) o->args[o->n_args++] = a;
      continue;
    }
    char as[80];
    snprintf(as, sizeof as, "--%s", r->name);
    if (!takes_value(r)) {
      if (v) {
        fprintf(err, "portclash %s: %s takes no value (got '%s')\n", cname, as, a);
        return PC_EXIT_USAGE;
      }
    } else if (!v) {
      if (i + 1 < argc) v = argv[++i];
    }
    if (r->type == PC_OPT_CONFIG) {
      if (!v || !*v) {
        fprintf(err, "portclash %s: --config needs a FILE\n", cname);
        return PC_EXIT_USAGE;
      }
      continue; /* read above */
    }
    if (!pc__options_set(o, r, v, false, as, msg, sizeof msg)) {
      fprintf(err, "portclash %s: %s\n", cname, msg);
      return PC_EXIT_USAGE;
    }
  }
  if (ci && o->n_args < ci->min_args) {
    const char *what = ci->synopsis;
    size_t wl = strcspn(what, " ");
    fprintf(err,
            "portclash %s: %.*s is missing\nusage: portclash %s %s\nRun 'portclash %s --help' for more.\n",
            cname, (int)wl, what, cname, ci->synopsis, cname);
    return PC_EXIT_USAGE;
  }
  return PC_OPTIONS_RUN;
}

/* ---- --help ------------------------------------------------------------------------------- */

#define HELP_COL 26
#define HELP_WIDTH 100

/* "--name ARG" (enums: their choices), with "-x, " in front when there is a short name. */
static void option_label(const pc_opt *r, char *buf, size_t cap) {
  char value[200];
  pc_options_value_text(r, value, sizeof value);
  if (r->short_name)
    snprintf(buf, cap, "-%c, --%s%s%s", r->short_name, r->name, value[0] ? " " : "", value);
  else
    snprintf(buf, cap, "--%s%s%s", r->name, value[0] ? " " : "", value);
}

/* The help sentence with its default: "help [default: 10]". */
static void option_text(const pc_opt *r, char *buf, size_t cap) {
  const char *d = pc_options_default_text(r);
  if (d)
    snprintf(buf, cap, "%s [default: %s]", r->help, d);
  else
    snprintf(buf, cap, "%s", r->help);
}

/* Writes text word-wrapped: the first line continues at column col (already reached), the
 * others are indented to col; lines end before width. */
static void wrap(FILE *out, const char *text, int col, int width) {
  int x = col;
  const char *p = text;
  bool first = true;
  while (*p) {
    while (*p == ' ') p++;
    size_t w = strcspn(p, " ");
    if (!w) break;
    if (!first && x + 1 + (int)w > width) {
      fprintf(out, "\n%*s", col, "");
      x = col;
      first = true;
    }
    if (!first) fputc(' ', out), x++;
    fwrite(p, 1, w, out);
    x += (int)w;
    p += w;
    first = false;
  }
  fputc('\n', out);
}

static void help_row(FILE *out, const pc_opt *r) {
  char label[320], text[600];
  option_label(r, label, sizeof label);
  option_text(r, text, sizeof text);
  int n = fprintf(out, "  %s", label);
  if (n + 2 > HELP_COL)
    fprintf(out, "\n%*s", HELP_COL, "");
  else
    fprintf(out, "%*s", HELP_COL - n, "");
  wrap(out, text, HELP_COL, HELP_WIDTH);
}

void pc_options_help(FILE *out, unsigned cmd) {
  const pc_cmd_info *ci = pc_options_command(cmd);
  if (!ci) return;
  unsigned platform = pc_options_platform();
  fprintf(out, "usage: portclash %s %s\n\n%s", ci->name, ci->synopsis, ci->description);
  if (ci->args_help) fprintf(out, "\nArguments:\n%s", ci->args_help);
  for (unsigned g = 0; g < G_COUNT; g++) {
    bool title = false;
    for (size_t i = 0; i < sizeof k_rows / sizeof k_rows[0]; i++) {
      const pc_opt *r = &k_rows[i];
      if (r->group != g || !(r->commands & cmd) || !on_platform(r, platform)) continue;
      if (!title) fprintf(out, "\n%s:\n", k_groups[g].title);
      title = true;
      help_row(out, r);
    }
    if (title && k_groups[g].note) {
      fputs("  ", out);
      wrap(out, k_groups[g].note, 2, HELP_WIDTH);
    }
  }
  fprintf(out, "\n%s", ci->exit_status);
}
