/* etw-win.c - the live ETW source (see etw.h for the contract).
 *
 * API contracts used (learn.microsoft.com):
 *  - StartTraceW / EVENT_TRACE_PROPERTIES: Wnode.BufferSize covers the structure plus the
 *    logger and log file names; LoggerNameOffset/LogFileNameOffset point after it; the
 *    session name is copied by StartTrace from its argument. Returns ERROR_ALREADY_EXISTS
 *    when the name is taken, ERROR_ACCESS_DENIED without administrator rights or
 *    "Performance Log Users" membership.
 *  - ControlTraceW: QUERY fills EventsLost/RealTimeBuffersLost/LogBuffersLost and, in
 *    Wnode.HistoricalContext, the session handle; STOP stops the session (by name or handle).
 *  - EnableTraceEx2 with ENABLE_TRACE_PARAMETERS_VERSION_2: EnableFilterDesc holds scope
 *    filters such as EVENT_FILTER_TYPE_EVENT_ID (Windows 8.1+).
 *  - OpenTraceW with PROCESS_TRACE_MODE_REAL_TIME | PROCESS_TRACE_MODE_EVENT_RECORD calls
 *    EventRecordCallback with EVENT_RECORDs whose UserContext is EVENT_TRACE_LOGFILEW.Context.
 *    Without PROCESS_TRACE_MODE_RAW_TIMESTAMP, EVENT_HEADER.TimeStamp is system time
 *    (FILETIME ticks), which is pc_time.
 *  - ProcessTrace blocks until the session stops or CloseTrace is called; the EVENT_RECORD
 *    and its buffers are valid only during the callback, hence the copy. */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "etw.h"
#include "pc_source.h"
#include "win_util.h"

/* ---- Options ---- */

void pc_etw_options_init(pc_etw_options *o) {
  memset(o, 0, sizeof *o);
  /* One name per console run: two consoles, or a console and the service, never share a
   * session, so --stale stop can only ever meet a session left by a crashed run of a process
   * that had the same PID. */
  snprintf(o->session_name, sizeof o->session_name, "portclash-console-%lu",
           (unsigned long)GetCurrentProcessId());
  o->stale = PC_ETW_STALE_STOP;
  o->queue_capacity = 8192;
  /* 64 KB x 4..64 buffers, flushed every second: a bounded 4 MB, enough for bursts of the
   * filtered events (Fluent Bit and Sealighter use the same order of magnitude). */
  o->buffer_kb = 64;
  o->min_buffers = 4;
  o->max_buffers = 64;
  o->flush_seconds = 1;
}

int pc_etw_options_apply(pc_etw_options *o, const char *opt, const char *val, char *err, size_t errcap) {
  if (strcmp(opt, "--session") == 0) {
    size_t n = val ? strlen(val) : 0;
    if (n == 0 || n >= sizeof o->session_name) {
      snprintf(err, errcap, "--session needs a name of 1 to %u characters",
               (unsigned)sizeof o->session_name - 1);
      return PC_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
      if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] > 0x7e || val[i] == '\\') {
        snprintf(err, errcap, "--session: the name must be printable ASCII without '\\'");
        return PC_EINVAL;
      }
    memcpy(o->session_name, val, n + 1);
    o->session_set = true;
    return PC_OK;
  }
  if (strcmp(opt, "--service-child") == 0) {
    /* Hidden: `portclash service run` starts its monitor with it. */
    o->service_child = true;
    if (!o->session_set) snprintf(o->session_name, sizeof o->session_name, "%s", PC_ETW_SERVICE_SESSION);
    return PC_OK;
  }
  if (strcmp(opt, "--stale") == 0) {
    if (val && strcmp(val, "stop") == 0)
      o->stale = PC_ETW_STALE_STOP;
    else if (val && strcmp(val, "attach") == 0)
      o->stale = PC_ETW_STALE_ATTACH;
    else if (val && strcmp(val, "fail") == 0)
      o->stale = PC_ETW_STALE_FAIL;
    else {
      snprintf(err, errcap, "--stale must be stop, attach or fail (got '%s')", val ? val : "");
      return PC_EINVAL;
    }
    return PC_OK;
  }
  if (strcmp(opt, "--etw-queue") == 0) {
    char *end = NULL;
    unsigned long v = val ? strtoul(val, &end, 10) : 0;
    if (!val || !*val || *end || v < 16 || v > 1048576) {
      snprintf(err, errcap, "--etw-queue needs a number of records from 16 to 1048576");
      return PC_EINVAL;
    }
    o->queue_capacity = (uint32_t)v;
    return PC_OK;
  }
  if (strcmp(opt, "--record") == 0) {
    if (!val || !*val) {
      snprintf(err, errcap, "--record needs a file name");
      return PC_EINVAL;
    }
    o->record_path = val;
    return PC_OK;
  }
  return PC_ENOENT;
}

bool pc_etw_option_is_flag(const char *opt) {
  return strcmp(opt, "--service-child") == 0;
}

/* ---- OS version and the plan ---- */

void pc_os_version_get(pc_os_version *v) {
  memset(v, 0, sizeof *v);
  /* RtlGetVersion reports the real version; GetVersionExW is capped at 6.2 for programs
   * without a compatibility manifest ("RtlGetVersion function (wdm.h)"). */
  typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  rtl_get_version_fn fn = NULL;
  if (ntdll) {
    FARPROC p = GetProcAddress(ntdll, "RtlGetVersion");
    memcpy(&fn, &p, sizeof fn);
  }
  OSVERSIONINFOW vi;
  memset(&vi, 0, sizeof vi);
  vi.dwOSVersionInfoSize = sizeof vi;
  if (fn && fn(&vi) == 0) {
    v->major = vi.dwMajorVersion;
    v->minor = vi.dwMinorVersion;
    v->build = vi.dwBuildNumber;
  }
}

static bool version_at_least(const pc_os_version *os, uint32_t major, uint32_t minor) {
  return os->major > major || (os->major == major && os->minor >= minor);
}

/* Collects the distinct ids the schema set has for provider g, ascending. */
static int ids_for(const pc_schema_set *schemas, const pc_guid *g, pc_etw_provider_plan *p) {
  p->id_count = 0;
  if (!schemas) return PC_OK;
  for (size_t i = 0; i < schemas->count; i++) {
    const pc_schema_event *e = &schemas->events[i];
    if (!pc_guid_equal(&e->provider, g)) continue;
    uint16_t k = 0;
    while (k < p->id_count && p->ids[k] < e->id) k++;
    if (k < p->id_count && p->ids[k] == e->id) continue;
    if (p->id_count == PC_ETW_MAX_IDS) return PC_ELIMIT;
    memmove(&p->ids[k + 1], &p->ids[k], (size_t)(p->id_count - k) * sizeof p->ids[0]);
    p->ids[k] = e->id;
    p->id_count++;
  }
  return PC_OK;
}

int pc_etw_plan_build(const pc_os_version *os, const pc_schema_set *schemas, pc_etw_plan *out) {
  memset(out, 0, sizeof *out);
  int rc = PC_OK;
  /* Event-ID filters exist from Windows 8.1 ("EVENT_FILTER_EVENT_ID structure"). Before that
   * the decoder counts the extra events as foreign; correct but noisier. */
  bool filters = version_at_least(os, 6, 3);
  /* INDEPENDENT_SESSION_MODE is documented for Windows 8.1 / Server 2012 R2 and later ("Logging
   * Mode Constants"); it keeps our session from losing events when another session shares a
   * provider (beats #50966, a user report). beats PR #50967 reports that it only takes effect
   * together with PERSIST_ON_HYBRID_SHUTDOWN (a third-party claim), so both are asked for, and
   * the mode in force is read back after the start. */
  out->independent_session = version_at_least(os, 6, 3);
  /* The process start key property is Windows 10 1507+ (and 7 SP1 / 8.1 with a patch we
   * cannot detect), so only ask for it where it is documented. */
  out->enable_property = os->major >= 10 ? EVENT_ENABLE_PROPERTY_PROCESS_START_KEY : 0;

  pc_etw_provider_plan *p = &out->providers[out->count++];
  p->guid = PC_GUID_AFD;
  p->name = "Microsoft-Windows-Winsock-AFD";
  p->level = TRACE_LEVEL_INFORMATION;
  p->any_keyword = PC_ETW_KW_AFD_SOURCE_WINSOCK;
  /* The legacy AFD events in the schemas (1, 2, 3, 13, 14, 29, 40) are defined with keyword 0,
   * so they pass any MatchAnyKeyword; the event-ID filter is what keeps AFD's other keyword-0
   * events (legacy send/receive 18-28, ...) out. They stay in the filter, and
   * EVENT_ENABLE_PROPERTY_IGNORE_KEYWORD_0 stays unset (it would drop them whatever the filter
   * says), because: (1) nobody knows whether afd.sys on Windows 7+ still logs them
   * (etw-facts.md section 11, question 6) and a first capture should show it; (2) if a build logs a
   * failed bind only as event 40, dropping it loses the failure; (3) the correlator joins them to
   * the 1000-series events of the same Endpoint (correlator.c, A10), so duplicates cost a few
   * events, not findings; (4) the filter bounds them to the bind, create, close and option ids. */
  if (ids_for(schemas, &p->guid, p) != PC_OK) rc = PC_ELIMIT;
  p->use_id_filter = filters && p->id_count > 0 && rc == PC_OK;

  p = &out->providers[out->count++];
  p->guid = PC_GUID_TCPIP;
  p->name = "Microsoft-Windows-TCPIP";
  /* Level 4 also delivers the Error-level (2) v1 bind failures of Windows 11. */
  p->level = TRACE_LEVEL_INFORMATION;
  p->any_keyword = PC_ETW_KW_TCPIP_STABLE;
  if (os->major >= 10)
    p->any_keyword |= PC_ETW_KW_TCPIP_GLOBAL_WIN10;
  else if (os->major == 6 && os->minor == 1)
    p->any_keyword |= PC_ETW_KW_TCPIP_GLOBAL_WIN7;
  /* Windows 8/8.1: no manifest dump says where ut:Global sits, so only the stable bits. */
  int trc = ids_for(schemas, &p->guid, p);
  if (trc != PC_OK) rc = trc;
  p->use_id_filter = filters && p->id_count > 0 && trc == PC_OK;

  /* Winsock-Sockets first appears in Windows 11 21H2 (build 22000) per the manifest dumps. */
  if (os->major >= 10 && os->build >= 22000) {
    p = &out->providers[out->count++];
    p->guid = PC_GUID_WINSOCK_SOCKETS;
    p->name = "Microsoft-Windows-Winsock-Sockets";
    p->level = TRACE_LEVEL_INFORMATION;
    p->any_keyword = PC_ETW_KW_WSS_LIFETIME_CONFIG;
    p->optional = true;
    trc = ids_for(schemas, &p->guid, p);
    if (trc != PC_OK) rc = trc;
    p->use_id_filter = filters && p->id_count > 0 && trc == PC_OK;
  }
  return rc;
}

/* ---- The queue between the ETW thread and the consumer ---- */

#define SLOT_DATA 512 /* the bind-related payloads are well under 200 bytes */

typedef struct slot {
  pc_record rec;
  uint8_t data[SLOT_DATA];
} slot;

struct pc_etw_session {
  const pc_etw_api *api;
  pc_etw_plan plan;
  pc_etw_stale stale;
  bool attached; /* we did not start it: do not stop it */
  TRACEHANDLE session;
  TRACEHANDLE consumer;
  HANDLE thread;
  ULONG process_rc;
  bool ended_outside; /* ProcessTrace returned before any local stop */
  bool mode_known;    /* the QUERY after the start worked */
  uint32_t mode;      /* its LogFileMode */
  bool service_child; /* the options' service_child */
  uint32_t os_error;
  EVENT_TRACE_PROPERTIES *props; /* with the names after it */
  size_t props_size;
  WCHAR name[PC_ETW_NAME_MAX];
  WCHAR *log_file; /* NULL without --record */

  SRWLOCK lock;
  CONDITION_VARIABLE nonempty;
  slot *slots;
  uint32_t cap, head, count;
  bool ended;           /* ProcessTrace returned */
  LONG stopped;         /* pc_etw_session_stop ran (InterlockedExchange) */
  LONG consumer_closed; /* CloseTrace ran on the consumer (exactly once) */
  volatile LONG64 delivered, queue_drops, oversize_drops, malformed_drops;
  HANDLE freed_event; /* set by pc_etw_session_free: the ctrl handler waits for it */
  pc_etw_stats last;  /* the last successful QUERY (under lock): the summary after stop */
};

static int query_os(pc_etw_session *s);

/* ---- EVENT_RECORD -> pc_record ---- */

pc_guid pc__etw_guid(const GUID *g) {
  pc_guid out = {.data1 = g->Data1, .data2 = g->Data2, .data3 = g->Data3};
  memcpy(out.data4, g->Data4, 8);
  return out;
}

int pc_etw_record_from_event(const EVENT_RECORD *ev, pc_record *r) {
  const EVENT_HEADER *h = &ev->EventHeader;
  memset(r, 0, sizeof *r);
  r->provider = pc__etw_guid(&h->ProviderId);
  r->id = h->EventDescriptor.Id;
  r->version = h->EventDescriptor.Version;
  r->channel = h->EventDescriptor.Channel;
  r->level = h->EventDescriptor.Level;
  r->opcode = h->EventDescriptor.Opcode;
  r->task = h->EventDescriptor.Task;
  r->keyword = h->EventDescriptor.Keyword;
  r->flags = h->Flags; /* EVENT_HEADER_FLAG_32_BIT_HEADER 0x20 / 64_BIT_HEADER 0x40 */
  r->processor = ev->BufferContext.ProcessorIndex;
  r->pid = h->ProcessId;
  r->tid = h->ThreadId;
  r->timestamp = h->TimeStamp.QuadPart;
  /* Extended items are present only when the header flag says so ("EVENT_HEADER_EXTENDED_
   * DATA_ITEM structure"); DataPtr is a ULONGLONG holding the address. */
  if ((h->Flags & EVENT_HEADER_FLAG_EXTENDED_INFO) && ev->ExtendedData) {
    for (USHORT i = 0; i < ev->ExtendedDataCount; i++) {
      const EVENT_HEADER_EXTENDED_DATA_ITEM *it = &ev->ExtendedData[i];
      if (it->ExtType != EVENT_HEADER_EXT_TYPE_PROCESS_START_KEY || it->DataSize < 8 || !it->DataPtr)
        continue;
      const void *p = (const void *)(uintptr_t)it->DataPtr;
      memcpy(&r->process_start_key, p, 8);
      r->ext_present |= PC_RECORD_EXT_PROCESS_START_KEY;
      break;
    }
  }
  if (ev->UserDataLength && !ev->UserData) return PC_EPARSE;
  r->user_data = ev->UserData;
  r->user_data_len = ev->UserDataLength;
  return PC_OK;
}

void WINAPI pc__etw_event_callback(PEVENT_RECORD ev) {
  pc_etw_session *s = ev->UserContext;
  if (!s) return;
  InterlockedIncrement64(&s->delivered);
  pc_record r;
  if (pc_etw_record_from_event(ev, &r) != PC_OK) {
    InterlockedIncrement64(&s->malformed_drops);
    return;
  }
  if (r.user_data_len > SLOT_DATA) {
    InterlockedIncrement64(&s->oversize_drops);
    return;
  }
  AcquireSRWLockExclusive(&s->lock);
  if (s->count == s->cap) {
    ReleaseSRWLockExclusive(&s->lock);
    /* Never block ETW's thread: a blocked consumer makes the OS drop whole buffers. */
    InterlockedIncrement64(&s->queue_drops);
    return;
  }
  slot *sl = &s->slots[(s->head + s->count) % s->cap];
  sl->rec = r;
  if (r.user_data_len) memcpy(sl->data, r.user_data, r.user_data_len);
  sl->rec.user_data = NULL; /* re-pointed at the consumer's buffer on pop */
  s->count++;
  ReleaseSRWLockExclusive(&s->lock);
  WakeConditionVariable(&s->nonempty);
}

int pc_etw_session_next(pc_etw_session *s, pc_record *r, uint8_t *buf, size_t cap, uint32_t timeout_ms) {
  AcquireSRWLockExclusive(&s->lock);
  if (s->count == 0 && !s->ended) SleepConditionVariableSRW(&s->nonempty, &s->lock, timeout_ms, 0);
  if (s->count == 0) {
    bool ended = s->ended;
    ReleaseSRWLockExclusive(&s->lock);
    return ended ? PC_ENOENT : PC_ETIMEOUT;
  }
  slot *sl = &s->slots[s->head];
  *r = sl->rec;
  size_t n = r->user_data_len < cap ? r->user_data_len : cap;
  if (n) memcpy(buf, sl->data, n);
  r->user_data = buf;
  r->user_data_len = (uint32_t)n;
  s->head = (s->head + 1) % s->cap;
  s->count--;
  ReleaseSRWLockExclusive(&s->lock);
  return PC_OK;
}

/* ---- Session control ---- */

/* (Re)initializes the properties block before every StartTrace/ControlTrace call: the OS
 * writes into it, and each call wants BufferSize and the name offsets set. */
static void props_reset(pc_etw_session *s, const pc_etw_options *o) {
  memset(s->props, 0, s->props_size);
  EVENT_TRACE_PROPERTIES *p = s->props;
  p->Wnode.BufferSize = (ULONG)s->props_size;
  p->Wnode.Flags = WNODE_FLAG_TRACED_GUID;
  /* 1 = QueryPerformanceCounter resolution; consumers still see FILETIME (no RAW_TIMESTAMP). */
  p->Wnode.ClientContext = 1;
  p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
  p->LogFileNameOffset = 0;
  if (o) {
    p->BufferSize = o->buffer_kb;
    p->MinimumBuffers = o->min_buffers;
    p->MaximumBuffers = o->max_buffers;
    p->FlushTimer = o->flush_seconds;
    p->LogFileMode = EVENT_TRACE_REAL_TIME_MODE;
    if (s->plan.independent_session)
      p->LogFileMode |= EVENT_TRACE_INDEPENDENT_SESSION_MODE | EVENT_TRACE_PERSIST_ON_HYBRID_SHUTDOWN;
    if (s->log_file) {
      /* Real time and a sequential file in one session ("Logging Mode Constants"). */
      p->LogFileMode |= EVENT_TRACE_FILE_MODE_SEQUENTIAL;
      p->LogFileNameOffset = (ULONG)(sizeof(EVENT_TRACE_PROPERTIES) + sizeof s->name);
      wcscpy((WCHAR *)((char *)p + p->LogFileNameOffset), s->log_file);
    }
  } else if (s->log_file) {
    /* QUERY/STOP: leave room for the OS to write the names back. */
    p->LogFileNameOffset = (ULONG)(sizeof(EVENT_TRACE_PROPERTIES) + sizeof s->name);
  }
}

/* ControlTrace (QUERY or STOP) on our session by its handle, or on the session of our name
 * when h is 0, with the properties cleared for the OS to fill in. */
static ULONG control(pc_etw_session *s, TRACEHANDLE h, ULONG code) {
  props_reset(s, NULL);
  return s->api->control_trace(h, h ? NULL : s->name, s->props, code);
}

void pc_etw_error_text(char *out, size_t cap, const char *call, uint32_t err, const char *session_name) {
  switch (err) {
    case ERROR_ACCESS_DENIED:
      snprintf(
          out, cap,
          "%s: access denied (Win32 error 5): run from an elevated console, or as a member of \"Performance "
          "Log Users\"",
          call);
      return;
    case ERROR_NO_SYSTEM_RESOURCES:
      snprintf(
          out, cap,
          "%s failed: too many ETW sessions are running (Win32 error 1450; Windows allows 64 at a time); "
          "list them with: logman query -ets   and stop one you do not need with: logman stop NAME -ets",
          call);
      return;
    case ERROR_ALREADY_EXISTS:
      snprintf(out, cap, "%s: an ETW session named '%s' already exists (Win32 error 183)", call,
               session_name ? session_name : "");
      return;
    default:
      break;
  }
  char text[256] = "";
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0, text,
                           sizeof text, NULL);
  while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == '\n' || text[n - 1] == '.' || text[n - 1] == ' '))
    text[--n] = '\0';
  if (n)
    snprintf(out, cap, "%s failed (Win32 error %lu: %s)", call, (unsigned long)err, text);
  else
    snprintf(out, cap, "%s failed (Win32 error %lu)", call, (unsigned long)err);
}

void pc_etw_print_error(FILE *msg, const char *call, uint32_t err, const char *session_name) {
  if (!msg) return;
  char text[600];
  pc_etw_error_text(text, sizeof text, call, err, session_name);
  fprintf(msg, "portclash: %s\n", text);
}

static int fail(pc_etw_session *s, FILE *msg, const char *call, ULONG err) {
  s->os_error = err;
  pc_err e = pc_os_err_from_win32(err);
  if (e == PC_EPRIV) return PC_EPRIV; /* the caller says what to do */
  char name[PC_ETW_NAME_MAX * 3];
  WideCharToMultiByte(CP_UTF8, 0, s->name, -1, name, sizeof name, NULL, NULL);
  pc_etw_print_error(msg, call, err, name);
  return e == PC_ENOMEM ? PC_ENOMEM : PC_EIO;
}

static ULONG enable_provider(pc_etw_session *s, const pc_etw_provider_plan *p, bool with_filter,
                             uint32_t property) {
  /* EVENT_FILTER_EVENT_ID is packed with a flexible array: build it in a local buffer. */
  union {
    EVENT_FILTER_EVENT_ID f;
    unsigned char bytes[sizeof(EVENT_FILTER_EVENT_ID) + PC_ETW_MAX_IDS * sizeof(USHORT)];
  } idf;
  EVENT_FILTER_DESCRIPTOR desc;
  ENABLE_TRACE_PARAMETERS params;
  memset(&idf, 0, sizeof idf);
  memset(&desc, 0, sizeof desc);
  memset(&params, 0, sizeof params);
  params.Version = ENABLE_TRACE_PARAMETERS_VERSION_2;
  params.EnableProperty = property;
  if (with_filter) {
    idf.f.FilterIn = TRUE;
    idf.f.Count = p->id_count;
    memcpy(idf.f.Events, p->ids, p->id_count * sizeof(USHORT));
    desc.Ptr = (ULONGLONG)(uintptr_t)&idf;
    desc.Size = (ULONG)(offsetof(EVENT_FILTER_EVENT_ID, Events) + p->id_count * sizeof(USHORT));
    desc.Type = EVENT_FILTER_TYPE_EVENT_ID;
    params.EnableFilterDesc = &desc;
    params.FilterDescCount = 1;
  }
  GUID g;
  memcpy(&g, &p->guid, sizeof g);
  return s->api->enable_trace_ex2(s->session, &g, EVENT_CONTROL_CODE_ENABLE_PROVIDER, p->level,
                                  p->any_keyword, 0, 0, &params);
}

/* Enables p with its filter and the plan's property. ERROR_INVALID_PARAMETER does not say which
 * part was refused, so the parts are dropped one at a time, the property first (the start key
 * is a nicety; the kernel-side filter is what keeps the queue quiet), then the filter with the
 * property kept, then both: only what the OS rejected is given up, and it is said. */
static ULONG enable_with_fallback(pc_etw_session *s, const pc_etw_provider_plan *p, FILE *msg) {
  uint32_t prop = s->plan.enable_property;
  ULONG rc = enable_provider(s, p, p->use_id_filter, prop);
  if (rc != ERROR_INVALID_PARAMETER || (!p->use_id_filter && !prop)) return rc;
  bool f0 = p->use_id_filter, p0 = prop != 0;
  const struct {
    bool filter, prop;
    const char *what;
  } tries[] = {
      {f0, false, "the process start key property was refused; events come without it"},
      {false, p0, "the kernel event-ID filter was refused; filtering in portclash instead"},
      {false, false,
       "the kernel event-ID filter and the process start key property were refused; filtering in portclash, "
       "without start keys"},
  };
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    if (tries[i].filter == f0 && tries[i].prop == p0) continue; /* what was refused */
    if (i == 2 && !(f0 && p0)) continue;                        /* the same as try 0 or 1 */
    rc = enable_provider(s, p, tries[i].filter, tries[i].prop ? prop : 0);
    if (rc == ERROR_SUCCESS) {
      if (msg) fprintf(msg, "portclash: %s: %s\n", p->name, tries[i].what);
      return rc;
    }
    if (rc != ERROR_INVALID_PARAMETER) return rc;
  }
  return rc;
}

/* CloseTrace exactly once, whichever of stop and free comes first. */
static void close_consumer(pc_etw_session *s) {
  if (s->consumer && !InterlockedExchange(&s->consumer_closed, 1)) s->api->close_trace(s->consumer);
}

static DWORD WINAPI process_thread(LPVOID arg) {
  pc_etw_session *s = arg;
  TRACEHANDLE h = s->consumer;
  ULONG rc = s->api->process_trace(&h, 1, NULL, NULL);
  AcquireSRWLockExclusive(&s->lock);
  s->process_rc = rc;
  /* A local stop sets `stopped` before it stops the session; anything else ended it. */
  s->ended_outside = InterlockedCompareExchange(&s->stopped, 0, 0) == 0;
  s->ended = true;
  ReleaseSRWLockExclusive(&s->lock);
  WakeAllConditionVariable(&s->nonempty);
  return 0;
}

static void session_teardown(pc_etw_session *s) {
  if (!s->session) return;
  if (s->attached) {
    for (unsigned i = 0; i < s->plan.count; i++) {
      GUID g;
      memcpy(&g, &s->plan.providers[i].guid, sizeof g);
      s->api->enable_trace_ex2(s->session, &g, EVENT_CONTROL_CODE_DISABLE_PROVIDER, 0, 0, 0, 0, NULL);
    }
  } else {
    control(s, s->session, EVENT_TRACE_CONTROL_STOP);
  }
}

static void session_destroy(pc_etw_session *s) {
  if (!s) return;
  if (s->freed_event) CloseHandle(s->freed_event);
  free(s->slots);
  free(s->props);
  free(s->log_file);
  free(s);
}

/* The session object with its queue, names and properties buffer; nothing started yet.
 * PC_OK with *out, or PC_ENOMEM / PC_EINVAL (a --record name that is not UTF-8). */
static int session_new(const pc_etw_options *opts, const pc_etw_plan *plan, const pc_etw_api *api, FILE *msg,
                       pc_etw_session **out) {
  *out = NULL;
  pc_etw_session *s = calloc(1, sizeof *s);
  if (!s) return PC_ENOMEM;
  s->api = api ? api : &pc_etw_api_system;
  s->plan = *plan;
  s->stale = opts->stale;
  s->cap = opts->queue_capacity ? opts->queue_capacity : 1024;
  s->slots = calloc(s->cap, sizeof *s->slots);
  InitializeSRWLock(&s->lock);
  InitializeConditionVariable(&s->nonempty);
  s->freed_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  MultiByteToWideChar(CP_UTF8, 0, opts->session_name, -1, s->name, PC_ETW_NAME_MAX);
  s->name[PC_ETW_NAME_MAX - 1] = 0;
  size_t file_chars = 0;
  if (opts->record_path) {
    int n = MultiByteToWideChar(CP_UTF8, 0, opts->record_path, -1, NULL, 0);
    if (n <= 0) {
      session_destroy(s);
      if (msg) fprintf(msg, "portclash: --record: the file name is not valid UTF-8\n");
      return PC_EINVAL;
    }
    /* StartTrace wants a full path for the log file; GetFullPathNameW makes it one. */
    WCHAR *rel = calloc((size_t)n, sizeof(WCHAR));
    if (rel) {
      MultiByteToWideChar(CP_UTF8, 0, opts->record_path, -1, rel, n);
      DWORD full = GetFullPathNameW(rel, 0, NULL, NULL);
      s->log_file = full ? calloc(full + 1, sizeof(WCHAR)) : NULL;
      if (s->log_file) GetFullPathNameW(rel, full + 1, s->log_file, NULL);
      free(rel);
    }
    if (!s->log_file) {
      session_destroy(s);
      return PC_ENOMEM;
    }
    file_chars = wcslen(s->log_file) + 1;
  }
  /* Room for the longest names the OS may write back on QUERY (MAX_PATH-sized file name). */
  s->props_size = sizeof(EVENT_TRACE_PROPERTIES) + sizeof s->name +
                  (file_chars > MAX_PATH ? file_chars : MAX_PATH) * sizeof(WCHAR);
  s->props = calloc(1, s->props_size);
  if (!s->slots || !s->props || !s->freed_event) {
    session_destroy(s);
    return PC_ENOMEM;
  }

  *out = s;
  return PC_OK;
}

/* Starts the trace session, or per the stale policy stops or attaches to one of the same name;
 * the independent mode is dropped when StartTrace refuses it; then reads back the mode in
 * force. Returns PC_OK or a pc_err with the reason printed to msg; on failure the session is
 * not running. */
static int start_or_claim(pc_etw_session *s, const pc_etw_options *opts, FILE *msg) {
  s->service_child = opts->service_child;
  props_reset(s, opts);
  ULONG rc = s->api->start_trace(&s->session, s->name, s->props);
  if ((rc == ERROR_INVALID_PARAMETER || rc == ERROR_NOT_SUPPORTED) && s->plan.independent_session) {
    /* An OS that does not know the independent mode (or the hybrid-shutdown flag) refuses the
     * whole start: run without them rather than not at all. */
    if (msg)
      fprintf(msg,
              "portclash: note: StartTrace refused the independent session mode (Win32 error %lu); running "
              "without it (events shared with another session may be lost)\n",
              (unsigned long)rc);
    s->plan.independent_session = false;
    s->session = 0;
    props_reset(s, opts);
    rc = s->api->start_trace(&s->session, s->name, s->props);
  }
  if (rc == ERROR_ALREADY_EXISTS && !opts->service_child &&
      strcmp(opts->session_name, PC_ETW_SERVICE_SESSION) == 0) {
    /* Stopping it would end the service's monitoring without a trace in its status, and
     * attaching would disable its providers at our exit: never, whatever --stale says. */
    if (msg)
      fprintf(
          msg,
          "portclash: the ETW session '%s' belongs to the portclash service; a console run never stops or "
          "shares it.\n"
          "portclash: run without --session (each console run gets its own session) or stop the service "
          "first (sc stop portclash)\n",
          opts->session_name);
    s->session = 0;
    return PC_EEXIST;
  }
  if (rc == ERROR_ALREADY_EXISTS) {
    switch (s->stale) {
      case PC_ETW_STALE_FAIL:
        if (msg)
          fprintf(msg,
                  "portclash: an ETW session named '%s' already exists (another portclash, or one left by a "
                  "crash).\n"
                  "portclash: stop it with: logman stop %s -ets   (or run with --stale stop)\n",
                  opts->session_name, opts->session_name);
        s->session = 0;
        return PC_EEXIST;
      case PC_ETW_STALE_STOP:
        if (msg)
          fprintf(msg, "portclash: stopping the existing ETW session '%s' and starting a new one\n",
                  opts->session_name);
        rc = control(s, 0, EVENT_TRACE_CONTROL_STOP);
        if (rc != ERROR_SUCCESS && rc != ERROR_WMI_INSTANCE_NOT_FOUND) {
          return fail(s, msg, "ControlTrace(STOP) of the stale session", rc);
        }
        s->session = 0;
        props_reset(s, opts);
        rc = s->api->start_trace(&s->session, s->name, s->props);
        break;
      case PC_ETW_STALE_ATTACH:
        if (msg)
          fprintf(msg, "portclash: using the existing ETW session '%s' (it stays running at exit)\n",
                  opts->session_name);
        rc = control(s, 0, EVENT_TRACE_CONTROL_QUERY);
        if (rc == ERROR_SUCCESS) {
          s->session = (TRACEHANDLE)s->props->Wnode.HistoricalContext;
          s->attached = true;
        }
        break;
    }
  }
  if (rc != ERROR_SUCCESS) {
    int e = fail(s, msg, "StartTrace", rc);
    s->session = 0;
    return e;
  }
  /* The mode in force, as the OS reports it (it may ignore a mode it does not know). */
  if (control(s, s->session, EVENT_TRACE_CONTROL_QUERY) == ERROR_SUCCESS) {
    s->mode_known = true;
    s->mode = s->props->LogFileMode;
  }
  return PC_OK;
}

/* Enables every provider of the plan (an optional one that fails is left out, said on msg).
 * PC_OK or the pc_err of a required provider that could not be enabled. */
static int enable_providers(pc_etw_session *s, FILE *msg) {
  ULONG rc;
  for (unsigned i = 0; i < s->plan.count; i++) {
    const pc_etw_provider_plan *p = &s->plan.providers[i];
    rc = enable_with_fallback(s, p, msg);
    if (rc != ERROR_SUCCESS) {
      if (p->optional) {
        if (msg)
          fprintf(msg, "portclash: %s could not be enabled (Win32 error %lu); continuing without it\n",
                  p->name, (unsigned long)rc);
        continue;
      }
      return fail(s, msg, "EnableTraceEx2", rc);
    }
  }

  return PC_OK;
}

/* Opens the real-time consumer and starts ProcessTrace on its own thread. PC_OK or a pc_err
 * (the consumer is closed again on failure). */
static int start_consumer(pc_etw_session *s, FILE *msg) {
  EVENT_TRACE_LOGFILEW lf;
  memset(&lf, 0, sizeof lf);
  lf.LoggerName = s->name;
  lf.ProcessTraceMode = PROCESS_TRACE_MODE_REAL_TIME | PROCESS_TRACE_MODE_EVENT_RECORD;
  lf.EventRecordCallback = pc__etw_event_callback;
  lf.Context = s;
  s->consumer = s->api->open_trace(&lf);
  if (s->consumer == INVALID_PROCESSTRACE_HANDLE) {
    s->consumer = 0;
    return fail(s, msg, "OpenTrace", GetLastError());
  }
  s->thread = CreateThread(NULL, 0, process_thread, s, 0, NULL);
  if (!s->thread) {
    int e = fail(s, msg, "CreateThread", GetLastError());
    close_consumer(s);
    return e;
  }
  return PC_OK;
}

int pc_etw_session_start(const pc_etw_options *opts, const pc_etw_plan *plan, const pc_etw_api *api,
                         FILE *msg, pc_etw_session **out) {
  *out = NULL;
  pc_etw_session *s;
  int e = session_new(opts, plan, api, msg, &s);
  if (e != PC_OK) return e;
  e = start_or_claim(s, opts, msg);
  if (e != PC_OK) {
    session_destroy(s);
    return e;
  }
  e = enable_providers(s, msg);
  if (e == PC_OK) e = start_consumer(s, msg);
  if (e != PC_OK) {
    session_teardown(s);
    session_destroy(s);
    return e;
  }
  *out = s;
  return PC_OK;
}

void pc_etw_session_stop(pc_etw_session *s) {
  if (!s || InterlockedExchange(&s->stopped, 1)) return;
  query_os(s); /* last look at the lost-event counters, for the summary */
  session_teardown(s);
  /* For an attached session ProcessTrace keeps running until our consumer closes; closing
   * it also ends the thread of an owned session whose STOP failed. */
  if (s->attached) close_consumer(s);
}

bool pc_etw_session_stop_requested(const pc_etw_session *s) {
  pc_etw_session *m = (pc_etw_session *)s; /* an atomic read; nothing is changed */
  return s && InterlockedCompareExchange(&m->stopped, 0, 0) != 0;
}

/* Asks the OS for the session's lost-event counters into s->last. */
static int query_os(pc_etw_session *s) {
  /* A private properties block: stop may use s->props on another thread (ctrl handler). */
  EVENT_TRACE_PROPERTIES *p = calloc(1, s->props_size);
  if (!p) return PC_ENOMEM;
  p->Wnode.BufferSize = (ULONG)s->props_size;
  p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
  if (s->log_file) p->LogFileNameOffset = (ULONG)(sizeof(EVENT_TRACE_PROPERTIES) + sizeof s->name);
  ULONG rc = s->api->control_trace(s->session, NULL, p, EVENT_TRACE_CONTROL_QUERY);
  if (rc == ERROR_SUCCESS) {
    AcquireSRWLockExclusive(&s->lock);
    s->last.query_ok = true;
    s->last.events_lost = p->EventsLost;
    s->last.realtime_buffers_lost = p->RealTimeBuffersLost;
    s->last.log_buffers_lost = p->LogBuffersLost;
    ReleaseSRWLockExclusive(&s->lock);
  } else {
    s->os_error = rc;
  }
  free(p);
  return rc == ERROR_SUCCESS ? PC_OK : PC_EIO;
}

int pc_etw_session_query(pc_etw_session *s, pc_etw_stats *st) {
  /* Once stopped, the session is gone: report the counters read just before the stop. */
  int rc = s->stopped ? PC_OK : query_os(s);
  AcquireSRWLockExclusive(&s->lock);
  *st = s->last;
  ReleaseSRWLockExclusive(&s->lock);
  st->delivered = (uint64_t)InterlockedCompareExchange64(&s->delivered, 0, 0);
  st->queue_drops = (uint64_t)InterlockedCompareExchange64(&s->queue_drops, 0, 0);
  st->oversize_drops = (uint64_t)InterlockedCompareExchange64(&s->oversize_drops, 0, 0);
  st->malformed_drops = (uint64_t)InterlockedCompareExchange64(&s->malformed_drops, 0, 0);
  return rc;
}

uint32_t pc_etw_session_os_error(const pc_etw_session *s) {
  return s ? s->os_error : 0;
}

bool pc_etw_session_mode(const pc_etw_session *s, uint32_t *log_file_mode) {
  *log_file_mode = s->mode;
  return s->mode_known;
}

bool pc_etw_session_ended_outside(const pc_etw_session *s, uint32_t *process_rc) {
  pc_etw_session *m = (pc_etw_session *)s; /* the lock is not part of the observable state */
  AcquireSRWLockExclusive(&m->lock);
  bool out = m->ended && m->ended_outside;
  *process_rc = m->process_rc;
  ReleaseSRWLockExclusive(&m->lock);
  return out;
}

const EVENT_TRACE_PROPERTIES *pc__etw_session_properties(const pc_etw_session *s) {
  return s->props;
}

static pc_etw_session *volatile ctrl_session;

static BOOL WINAPI ctrl_handler(DWORD type) {
  pc_etw_session *s = ctrl_session;
  if (!s) return FALSE;
  /* The system runs this on a new thread ("HandlerRoutine callback function"). */
  pc_etw_session_stop(s);
  if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT) {
    /* The process ends when we return: give the consumer time to drain and print its
     * summary (the system allows about 5 s for CTRL_CLOSE_EVENT). */
    WaitForSingleObject(s->freed_event, 4000);
  }
  return TRUE;
}

int pc_etw_install_ctrl_handler(pc_etw_session *s) {
  ctrl_session = s;
  return SetConsoleCtrlHandler(ctrl_handler, TRUE) ? PC_OK : PC_EIO;
}

void pc_etw_session_free(pc_etw_session *s) {
  if (!s) return;
  pc_etw_session_stop(s);
  if (s->thread) {
    /* ProcessTrace returns once the stopped session's buffers are delivered. */
    if (WaitForSingleObject(s->thread, 10000) == WAIT_TIMEOUT) {
      close_consumer(s);
      WaitForSingleObject(s->thread, 5000);
    }
    CloseHandle(s->thread);
  }
  close_consumer(s);
  if (ctrl_session == s) {
    SetConsoleCtrlHandler(ctrl_handler, FALSE);
    SetEvent(s->freed_event);
    /* The handler may still be waiting on the event: give it a moment to see it. */
    Sleep(0);
    ctrl_session = NULL;
    return; /* leaked on purpose: the handler thread may still hold s, the process is ending */
  }
  session_destroy(s);
}

/* ---- The real functions ---- */

const pc_etw_api pc_etw_api_system = {
    StartTraceW, ControlTraceW, EnableTraceEx2, OpenTraceW, ProcessTrace, CloseTrace,
};

/* ---- as a pc_source (pc_source.h) ---- */

typedef struct etw_src {
  pc_etw_session *s;
  uint32_t os_build;
  char attached[PC_ETW_NAME_MAX + 48];
  char name[PC_ETW_NAME_MAX];
  char error[700];    /* why the session ended without our stop */
  uint8_t buf[65536]; /* the user data of the record handed out last */
} etw_src;

static int etw_src_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  etw_src *e = self;
  int rc = pc_etw_session_next(e->s, &it->record, e->buf, sizeof e->buf, timeout_ms);
  if (rc == PC_OK) it->kind = PC_SOURCE_RECORD;
  /* PC_ENOENT: the session has ended and the queue is empty. Stopped by us: the end. Stopped
   * from outside, or ProcessTrace failed: an error, so that the command exits 1 and says why
   * (a service then restarts it). */
  if (rc != PC_ENOENT) return rc;
  uint32_t prc = 0;
  if (!pc_etw_session_ended_outside(e->s, &prc)) return PC_EEND;
  if (prc == ERROR_SUCCESS)
    snprintf(e->error, sizeof e->error,
             "the ETW session '%s' was stopped from outside portclash (logman stop, another tool, or the "
             "system); monitoring has ended",
             e->name);
  else
    pc_etw_error_text(e->error, sizeof e->error, "ProcessTrace", prc, e->name);
  return prc == ERROR_ACCESS_DENIED ? PC_EPRIV : PC_EIO;
}

static void etw_src_stats(void *self, pc_source_stats *st) {
  pc_etw_stats es;
  pc_etw_session_query(((etw_src *)self)->s, &es);
  st->items = es.delivered;
  st->lost = es.queue_drops + es.oversize_drops + es.malformed_drops +
             (es.query_ok ? (uint64_t)es.events_lost + es.realtime_buffers_lost : 0);
  int n = snprintf(st->detail, sizeof st->detail,
                   "ETW: %llu events received, dropped %llu (queue %llu, oversize %llu, malformed %llu)",
                   (unsigned long long)es.delivered,
                   (unsigned long long)(es.queue_drops + es.oversize_drops + es.malformed_drops),
                   (unsigned long long)es.queue_drops, (unsigned long long)es.oversize_drops,
                   (unsigned long long)es.malformed_drops);
  if (es.query_ok && n > 0 && (size_t)n < sizeof st->detail)
    snprintf(st->detail + n, sizeof st->detail - (size_t)n,
             ", ETW events lost %lu, real-time buffers lost %lu", (unsigned long)es.events_lost,
             (unsigned long)es.realtime_buffers_lost);
}

static void etw_src_info(void *self, pc_source_info *in) {
  etw_src *e = self;
  in->name = "etw";
  in->os = "windows";
  in->os_build = e->os_build;
  in->attached = e->attached;
}

static void etw_src_stop(void *self) {
  pc_etw_session_stop(((etw_src *)self)->s);
}

static const char *etw_src_error(const void *self) {
  return ((const etw_src *)self)->error;
}

static bool etw_src_stop_requested(const void *self) {
  return pc_etw_session_stop_requested(((const etw_src *)self)->s);
}

static void etw_src_close(void *self) {
  etw_src *e = self;
  pc_etw_session_free(e->s);
  free(e);
}

static const pc_source_ops etw_src_ops = {etw_src_next,  etw_src_stats, etw_src_info,          etw_src_stop,
                                          etw_src_error, etw_src_close, etw_src_stop_requested};

int pc_source_open_etw(const struct pc_etw_options *o, const struct pc_etw_plan *plan,
                       const struct pc_etw_api *api, uint32_t os_build, FILE *msg, pc_source **out) {
  *out = NULL;
  etw_src *e = calloc(1, sizeof *e);
  if (!e) return PC_ENOMEM;
  int rc = pc_etw_session_start(o, plan, api, msg, &e->s);
  if (rc != PC_OK) {
    free(e);
    return rc;
  }
  pc_etw_install_ctrl_handler(e->s);
  e->os_build = os_build;
  snprintf(e->attached, sizeof e->attached, "ETW session '%s'", o->session_name);
  snprintf(e->name, sizeof e->name, "%s", o->session_name);
  uint32_t mode;
  if (msg && pc_etw_session_mode(e->s, &mode))
    fprintf(msg, "portclash: session mode (read back): LogFileMode 0x%08lx, real-time %s, independent %s\n",
            (unsigned long)mode, (mode & EVENT_TRACE_REAL_TIME_MODE) ? "yes" : "no",
            (mode & EVENT_TRACE_INDEPENDENT_SESSION_MODE) ? "yes" : "no");
  else if (msg)
    fputs("portclash: session mode: could not be read back (ControlTrace QUERY failed)\n", msg);
  return pc_source_new(&etw_src_ops, e, out);
}
