/* etw.h - the live Windows source: a private real-time ETW session on the
 * Winsock-AFD, TCPIP and (Windows 11+) Winsock-Sockets providers, delivering pc_records.
 *
 * Windows only (compiled by monitor/source/CMakeLists.txt). The ETW callback only copies each
 * EVENT_RECORD into a bounded queue (drops are counted, the callback never blocks and never
 * calls TDH); the caller pops records on its own thread and pushes them into the pipeline.
 *
 * Everything that talks to the OS goes through pc_etw_api, so tests replace StartTrace,
 * ControlTrace, EnableTraceEx2, OpenTrace, ProcessTrace and CloseTrace with fakes (Wine
 * stubs them: StartTrace "succeeds", OpenTrace fails, ProcessTrace returns at once). */
#ifndef PC_SOURCE_ETW_H
#define PC_SOURCE_ETW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compat/etw_compat.h"
#include "pc_record.h"
#include "pc_schema.h"
#include "pc_schema_reconcile.h"

/* ---- Options ---- */

/* What to do when a session of our name already exists (ERROR_ALREADY_EXISTS), usually left
 * behind by a crashed run: ETW sessions are machine-wide and outlive their process. */
typedef enum pc_etw_stale {
  PC_ETW_STALE_STOP = 0, /* stop it and start ours (default; krabsetw does the same) */
  PC_ETW_STALE_ATTACH,   /* enable our providers on it and consume it; leave it running at exit */
  PC_ETW_STALE_FAIL,     /* give up with PC_EEXIST and tell the user how to stop it */
} pc_etw_stale;

#define PC_ETW_NAME_MAX 64

/* The session name of the Windows service's monitor. A console run uses its own name per run
 * ("portclash-console-PID"), so the two never meet; a console run given this name with
 * --session never stops or attaches to it (that would silently end the service's monitoring). */
#define PC_ETW_SERVICE_SESSION "portclash-service"

typedef struct pc_etw_options {
  char session_name[PC_ETW_NAME_MAX]; /* default "portclash-console-PID"; the service's: see above */
  bool session_set;                   /* --session was given */
  bool service_child;                 /* --service-child: started by `portclash service run` */
  pc_etw_stale stale;
  const char *record_path; /* --record FILE.etl: also log to this file; NULL = no file (borrowed) */
  uint32_t queue_capacity; /* records between the ETW thread and the consumer */
  uint32_t buffer_kb, min_buffers, max_buffers, flush_seconds;
} pc_etw_options;

void pc_etw_options_init(pc_etw_options *o);

/* Applies one command-line option (opt "--session", "--stale" or "--record", with its value
 * val; or "--service-child", which takes none: *used_value is then false). Returns PC_OK, PC_ENOENT when opt
 * is not an ETW option (the caller handles it), or PC_EINVAL with a message in err (the caller exits 2). */
int pc_etw_options_apply(pc_etw_options *o, const char *opt, const char *val, char *err, size_t errcap);

/* True when opt is an ETW option that takes no value (--service-child). */
bool pc_etw_option_is_flag(const char *opt);

/* ---- What to enable ---- */

typedef struct pc_os_version {
  uint32_t major, minor, build;
} pc_os_version;

/* The real version (RtlGetVersion: GetVersionEx lies to programs without a manifest). Under
 * Wine this is what winecfg says (6.1.7601 by default). */
void pc_os_version_get(pc_os_version *v);

#define PC_ETW_MAX_PROVIDERS 3
#define PC_ETW_MAX_IDS 64 /* MAX_EVENT_FILTER_EVENT_ID_COUNT */

typedef struct pc_etw_provider_plan {
  pc_guid guid;
  const char *name;
  uint8_t level;
  uint64_t any_keyword;
  bool optional;      /* failing to enable it is a warning, not an error */
  bool use_id_filter; /* kernel-side EVENT_FILTER_TYPE_EVENT_ID (Windows 8.1+) */
  uint16_t id_count;
  uint16_t ids[PC_ETW_MAX_IDS];
} pc_etw_provider_plan;

typedef struct pc_etw_plan {
  unsigned count;
  pc_etw_provider_plan providers[PC_ETW_MAX_PROVIDERS];
  uint32_t enable_property; /* ENABLE_TRACE_PARAMETERS.EnableProperty */
  /* EVENT_TRACE_INDEPENDENT_SESSION_MODE | EVENT_TRACE_PERSIST_ON_HYBRID_SHUTDOWN, from Windows
   * 8.1 / Server 2012 R2 where the independent mode is documented. Dropped (with a note) when
   * StartTrace rejects it. */
  bool independent_session;
} pc_etw_plan;

/* Keyword masks (shared/reference/etw-facts.md sections 1 and 9). Only 0x1, 0x2, 0x4, 0x8 and
 * 0x80 mean the same on every TCPIP manifest; ut:Global moved between Windows 7 and 10. */
#define PC_ETW_KW_AFD_SOURCE_WINSOCK UINT64_C(0x4)
#define PC_ETW_KW_TCPIP_STABLE UINT64_C(0x8B) /* Endpoint 0x1 | Listener 0x2 | Bind 0x8 | Diagnosis 0x80 */
#define PC_ETW_KW_TCPIP_GLOBAL_WIN7 UINT64_C(0x4000000000)
#define PC_ETW_KW_TCPIP_GLOBAL_WIN10 UINT64_C(0x8000000000)
#define PC_ETW_KW_WSS_LIFETIME_CONFIG UINT64_C(0x3000) /* SOCKET_LIFETIME 0x1000 | SOCKET_CONFIG 0x2000 */

/* Builds what to enable on OS version os. The event-ID filter of each provider is the set of
 * ids the decoder has schemas for in `schemas` (so the kernel delivers exactly what can be
 * decoded); Winsock-Sockets is included from build 22000 (Windows 11 21H2) on, where it
 * first exists. Returns PC_OK, or PC_ELIMIT when a provider has more than 64 ids (the
 * filter's limit; the plan then has no filter for it). */
int pc_etw_plan_build(const pc_os_version *os, const pc_schema_set *schemas, pc_etw_plan *out);

/* ---- The OS functions (replaceable for tests) ---- */

typedef struct pc_etw_api {
  ULONG(WINAPI *start_trace)(PTRACEHANDLE, LPCWSTR, PEVENT_TRACE_PROPERTIES);
  ULONG(WINAPI *control_trace)(TRACEHANDLE, LPCWSTR, PEVENT_TRACE_PROPERTIES, ULONG);
  ULONG(WINAPI *enable_trace_ex2)
  (TRACEHANDLE, LPCGUID, ULONG, UCHAR, ULONGLONG, ULONGLONG, ULONG, PENABLE_TRACE_PARAMETERS);
  TRACEHANDLE(WINAPI *open_trace)(PEVENT_TRACE_LOGFILEW);
  ULONG(WINAPI *process_trace)(PTRACEHANDLE, ULONG, LPFILETIME, LPFILETIME);
  ULONG(WINAPI *close_trace)(TRACEHANDLE);
} pc_etw_api;

/* The real advapi32 functions. */
extern const pc_etw_api pc_etw_api_system;

/* ---- The session ---- */

typedef struct pc_etw_session pc_etw_session;

typedef struct pc_etw_stats {
  uint64_t delivered;             /* callbacks received */
  uint64_t queue_drops;           /* queue full: the consumer fell behind */
  uint64_t oversize_drops;        /* user data larger than a queue slot */
  uint64_t malformed_drops;       /* UserData NULL with a non-zero length */
  bool query_ok;                  /* the counters below come from ControlTrace(QUERY) */
  uint32_t events_lost;           /* EVENT_TRACE_PROPERTIES.EventsLost */
  uint32_t realtime_buffers_lost; /* RealTimeBuffersLost */
  uint32_t log_buffers_lost;      /* LogBuffersLost (--record) */
} pc_etw_stats;

/* Starts (or, per the stale policy, attaches to) the session, enables plan's providers and
 * starts ProcessTrace on its own thread. api NULL = pc_etw_api_system. Notes and warnings go
 * to msg (one line each). Returns:
 *   PC_OK;
 *   PC_EPRIV   access denied: not elevated and not in "Performance Log Users";
 *   PC_EEXIST  the session exists and the policy is PC_ETW_STALE_FAIL;
 *   PC_EIO     another OS failure (msg names the call and the Win32 error);
 *   PC_ENOMEM.
 * On failure nothing is left running: a session this call started is stopped again. */
int pc_etw_session_start(const pc_etw_options *opts, const pc_etw_plan *plan, const pc_etw_api *api,
                         FILE *msg, pc_etw_session **out);

/* Pops the next record into *r, copying its user data into buf[cap] (r->user_data points
 * there). Waits up to timeout_ms. Returns PC_OK, PC_ETIMEOUT, or PC_ENOENT once the session
 * has ended and the queue is empty. One consumer thread only. */
int pc_etw_session_next(pc_etw_session *s, pc_record *r, uint8_t *buf, size_t cap, uint32_t timeout_ms);

/* Stops the session so that ProcessTrace returns after delivering what is buffered. Safe
 * from any thread (the console control handler calls it) and idempotent. An attached
 * session (stale policy attach) is left running: only our providers are disabled. */
void pc_etw_session_stop(pc_etw_session *s);

/* True once pc_etw_session_stop ran (on any thread: Ctrl+C reaches the console control
 * handler, not the caller's signal handler). */
bool pc_etw_session_stop_requested(const pc_etw_session *s);

/* Fills *st: the queue counters, and the session's lost-event counters when ControlTrace
 * QUERY works. Returns PC_OK, or PC_EIO when the query failed (queue counters still set). */
int pc_etw_session_query(pc_etw_session *s, pc_etw_stats *st);

/* Win32 error and name of the last failed OS call, for messages. */
uint32_t pc_etw_session_os_error(const pc_etw_session *s);

/* The LogFileMode the OS reports for the session (ControlTrace QUERY right after the start),
 * and whether that query worked. */
bool pc_etw_session_mode(const pc_etw_session *s, uint32_t *log_file_mode);

/* After pc_etw_session_next returned PC_ENOENT: true when ProcessTrace ended although nobody
 * called pc_etw_session_stop (the session was stopped from outside - logman, another tool - or
 * ProcessTrace failed); *process_rc receives ProcessTrace's result (ERROR_SUCCESS for a
 * session stopped from outside). False after a local stop (Ctrl+C, the service). */
bool pc_etw_session_ended_outside(const pc_etw_session *s, uint32_t *process_rc);

/* Writes one line (or two) saying what a failed session call means and what to do: access
 * denied, 1450 too many sessions (logman query -ets), the name taken, and the Win32 text of
 * anything else. call names the function ("StartTrace", "ProcessTrace"...). */
void pc_etw_print_error(FILE *msg, const char *call, uint32_t err, const char *session_name);

/* The same text, without "portclash: " and the line end, into out[cap]. */
void pc_etw_error_text(char *out, size_t cap, const char *call, uint32_t err, const char *session_name);

/* Stops (if needed), waits for the ProcessTrace thread, closes and frees. NULL-safe. */
void pc_etw_session_free(pc_etw_session *s);

/* Installs a console control handler (SetConsoleCtrlHandler) that stops s on Ctrl+C,
 * Ctrl+Break, console close, logoff and shutdown, so the machine-wide session is never
 * leaked. For close/logoff/shutdown the handler then waits (up to 4 s, the system allows 5)
 * for pc_etw_session_free to finish before the process is ended. One session per process.
 * Returns PC_OK or PC_EIO. pc_etw_session_free removes it. */
int pc_etw_install_ctrl_handler(pc_etw_session *s);

/* A Windows GUID as a pc_guid (the same fields, Data1..Data4). */
pc_guid pc__etw_guid(const GUID *g);

/* ---- For tests ---- */

/* Copies ev into *r (user data borrowed from ev). Returns PC_OK, or PC_EPARSE when UserData
 * is NULL with a non-zero length (r then has no user data). Extended data items are read
 * only when the header says they exist; a process start key item shorter than 8 bytes is
 * ignored. */
int pc_etw_record_from_event(const EVENT_RECORD *ev, pc_record *r);

/* The EventRecordCallback given to OpenTrace; its UserContext is the session. */
void WINAPI pc__etw_event_callback(PEVENT_RECORD ev);

/* The session's parameters as the OS sees them (after start), for tests. */
const EVENT_TRACE_PROPERTIES *pc__etw_session_properties(const pc_etw_session *s);

/* ---- The OS's own schemas (TDH), read once at start-up (tdh_schema-win.c) ---- */

/* The TDH functions portclash uses, looked up at run time so the program still starts where
 * the manifest functions are missing (before Windows 8.1). A NULL member is "missing". Tests
 * fill the table with fakes: Wine's TDH functions are unimplemented and crash the process. */
typedef struct pc_tdh_api {
  /* TdhEnumerateManifestProviderEvents (Windows 8.1+): buffer is a PROVIDER_EVENT_INFO. */
  ULONG(WINAPI *enumerate_manifest_provider_events)(LPGUID provider, PVOID buffer, ULONG *size);
  /* TdhGetManifestEventInformation (Windows 8.1+). */
  ULONG(WINAPI *get_manifest_event_information)
  (LPGUID provider, PEVENT_DESCRIPTOR ev, PTRACE_EVENT_INFO info, ULONG *size);
  /* TdhGetEventInformation (Vista+): the fallback, from a received event. */
  ULONG(WINAPI *get_event_information)
  (PEVENT_RECORD ev, ULONG ctx_count, PTDH_CONTEXT ctx, PTRACE_EVENT_INFO info, ULONG *size);
} pc_tdh_api;

/* Loads tdh.dll and looks the functions up. Returns PC_OK (some members may still be NULL)
 * or PC_ENOTSUP when tdh.dll cannot be loaded. */
int pc_tdh_api_load(pc_tdh_api *api);

/* State behind a pc_schema_source reading the OS through api. Owned by the caller; create
 * with pc_tdh_source_new, free with pc_tdh_source_free (NULL-safe). */
typedef struct pc_tdh_source pc_tdh_source;

/* src->list_events returns PC_ENOTSUP when the manifest functions are missing (the caller
 * then falls back to pc_tdh_describe_record on the first event of each kind);
 * src->get_event returns PC_ENOTSUP for layouts the schema model cannot express. api is
 * copied. */
int pc_tdh_source_new(const pc_tdh_api *api, pc_tdh_source **out, pc_schema_source *src);
void pc_tdh_source_free(pc_tdh_source *t);

/* Translates one TRACE_EVENT_INFO (size bytes, as TDH returned it) into *out: top-level
 * properties in order, TDH in-types, a length property (PropertyParamLength) as the index
 * of that property, fixed Binary lengths. Every offset is bounds-checked against size.
 * Returns PC_OK; PC_ENOTSUP for a struct, an array (PropertyParamCount or count != 1), an
 * in-type outside the model, a non-ASCII or over-long name, more than PC_SCHEMA_MAX_PROPS
 * properties; PC_EPARSE when an offset or index is out of range. out->provider/id/version
 * come from the EVENT_DESCRIPTOR in info. */
int pc_tdh_translate(const TRACE_EVENT_INFO *info, size_t size, pc_schema_event *out);

/* The fallback where the manifest functions are missing: describes the event of record r
 * with TdhGetEventInformation (which needs an EVENT_RECORD: rebuilt from r). Call once per
 * (provider, id, version), never per event. Returns what pc_tdh_translate returns, or
 * PC_ENOENT / PC_EIO from TDH, or PC_ENOTSUP when the function is missing. */
int pc_tdh_describe_record(const pc_tdh_api *api, const pc_record *r, pc_schema_event *out);

/* ---- portclash schema dump (cmd_schema_dump-win.c) ---- */

/* Writes the OS's layouts of every event portclash reads (the ids of the built-in schemas,
 * all versions the OS has), with an os-build line, in the text form of pc_schema_set_write.
 * api NULL = the real TDH. Events the OS cannot describe are named on err. Returns PC_OK,
 * PC_ENOTSUP (no manifest functions on this Windows) or another error. */
int pc_schema_dump_os(const pc_tdh_api *api, uint32_t os_build, FILE *out, FILE *err);

#endif
