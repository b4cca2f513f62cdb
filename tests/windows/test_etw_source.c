/* The live ETW source with a fake controller (Wine stubs ETW, so nothing here touches the
 * real StartTrace/ProcessTrace): option parsing, the enable plan per Windows version, the
 * stale-session policies, EVENT_RECORD -> pc_record, the bounded queue and the lost-event
 * query. The real EventRecordCallback is driven by the fake ProcessTrace with synthesized
 * EVENT_RECORDs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "etw.h"
#include "pc_test.h"

/* ---- Synthesized events ---- */

typedef struct synth {
  EVENT_RECORD ev;
  EVENT_HEADER_EXTENDED_DATA_ITEM ext[2];
  uint64_t start_key;
  uint8_t data[600];
} synth;

static void synth_init(synth *s, const pc_guid *prov, uint16_t id, uint8_t version, USHORT ptr_flag) {
  memset(s, 0, sizeof *s);
  memcpy(&s->ev.EventHeader.ProviderId, prov, sizeof(GUID));
  s->ev.EventHeader.Size = sizeof(EVENT_HEADER);
  s->ev.EventHeader.Flags = ptr_flag;
  s->ev.EventHeader.EventDescriptor.Id = id;
  s->ev.EventHeader.EventDescriptor.Version = version;
  s->ev.EventHeader.EventDescriptor.Channel = 0x10;
  s->ev.EventHeader.EventDescriptor.Level = 4;
  s->ev.EventHeader.EventDescriptor.Opcode = 11;
  s->ev.EventHeader.EventDescriptor.Task = id;
  s->ev.EventHeader.EventDescriptor.Keyword = UINT64_C(0x8000000000000004);
  s->ev.EventHeader.ProcessId = 4242;
  s->ev.EventHeader.ThreadId = 77;
  s->ev.EventHeader.TimeStamp.QuadPart = INT64_C(133800000000000000) + id;
  s->ev.BufferContext.ProcessorIndex = 3;
  for (size_t i = 0; i < sizeof s->data; i++) s->data[i] = (uint8_t)(i * 7 + id);
  s->ev.UserData = s->data;
  s->ev.UserDataLength = 40;
}

static void synth_add_start_key(synth *s, uint64_t key, USHORT size) {
  s->start_key = key;
  s->ext[0].ExtType = EVENT_HEADER_EXT_TYPE_SID; /* an unrelated item first */
  s->ext[0].DataSize = 0;
  s->ext[1].ExtType = EVENT_HEADER_EXT_TYPE_PROCESS_START_KEY;
  s->ext[1].DataSize = size;
  s->ext[1].DataPtr = (ULONGLONG)(uintptr_t)&s->start_key;
  s->ev.ExtendedData = s->ext;
  s->ev.ExtendedDataCount = 2;
  s->ev.EventHeader.Flags |= EVENT_HEADER_FLAG_EXTENDED_INFO;
}

PC_TEST(record_from_event_64bit_with_start_key) {
  synth s;
  synth_init(&s, &PC_GUID_AFD, 1030, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  synth_add_start_key(&s, UINT64_C(0x1122334455667788), 8);
  pc_record r;
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_OK);
  PC_CHECK(pc_guid_equal(&r.provider, &PC_GUID_AFD));
  PC_CHECK_INT(r.id, 1030);
  PC_CHECK_INT(r.version, 0);
  PC_CHECK_INT(r.channel, 0x10);
  PC_CHECK_INT(r.level, 4);
  PC_CHECK_INT(r.opcode, 11);
  PC_CHECK_INT(r.task, 1030);
  PC_CHECK_UINT(r.keyword, UINT64_C(0x8000000000000004));
  PC_CHECK_INT(pc_record_pointer_size(&r), 8);
  PC_CHECK_UINT(r.flags & PC_RECORD_FLAG_EXTENDED_INFO, PC_RECORD_FLAG_EXTENDED_INFO);
  PC_CHECK_INT(r.pid, 4242);
  PC_CHECK_INT(r.tid, 77);
  PC_CHECK_INT(r.processor, 3);
  PC_CHECK_INT(r.timestamp, INT64_C(133800000000000000) + 1030);
  PC_CHECK_UINT(r.ext_present, PC_RECORD_EXT_PROCESS_START_KEY);
  PC_CHECK_UINT(r.process_start_key, UINT64_C(0x1122334455667788));
  PC_CHECK(r.user_data == s.data);
  PC_CHECK_INT(r.user_data_len, 40);
}

PC_TEST(record_from_event_32bit_without_extended_data) {
  synth s;
  synth_init(&s, &PC_GUID_TCPIP, 1006, 1, EVENT_HEADER_FLAG_32_BIT_HEADER);
  pc_record r;
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_OK);
  PC_CHECK(pc_guid_equal(&r.provider, &PC_GUID_TCPIP));
  PC_CHECK_INT(r.version, 1);
  PC_CHECK_INT(pc_record_pointer_size(&r), 4);
  PC_CHECK_UINT(r.ext_present, 0);
  PC_CHECK_UINT(r.process_start_key, 0);
}

PC_TEST(record_from_event_ignores_bad_extended_items) {
  synth s;
  synth_init(&s, &PC_GUID_AFD, 1000, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  synth_add_start_key(&s, 99, 4); /* truncated item: 4 of 8 bytes */
  pc_record r;
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_OK);
  PC_CHECK_UINT(r.ext_present, 0);
  /* Items present but the header flag missing: not read. */
  synth_add_start_key(&s, 99, 8);
  s.ev.EventHeader.Flags &= (USHORT)~EVENT_HEADER_FLAG_EXTENDED_INFO;
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_OK);
  PC_CHECK_UINT(r.ext_present, 0);
  /* Neither pointer-size flag: the record says so, the decoder refuses pointers. */
  s.ev.EventHeader.Flags = 0;
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_OK);
  PC_CHECK_INT(pc_record_pointer_size(&r), 0);
}

PC_TEST(record_from_event_truncated_user_data) {
  synth s;
  synth_init(&s, &PC_GUID_AFD, 1030, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  s.ev.UserData = NULL; /* a length without data */
  pc_record r;
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_EPARSE);
  s.ev.UserDataLength = 0; /* an empty payload is fine */
  PC_CHECK_INT(pc_etw_record_from_event(&s.ev, &r), PC_OK);
  PC_CHECK_INT(r.user_data_len, 0);
}

/* ---- Options ---- */

PC_TEST(options_defaults_and_parsing) {
  pc_etw_options o;
  pc_etw_options_init(&o);
  char want[64];
  snprintf(want, sizeof want, "portclash-console-%lu", (unsigned long)GetCurrentProcessId());
  PC_CHECK_STR(o.session_name, want); /* one session per console run */
  PC_CHECK(!o.service_child && !o.session_set);
  PC_CHECK_INT(o.stale, PC_ETW_STALE_STOP);
  PC_CHECK(o.record_path == NULL);
  char err[160];
  PC_CHECK_INT(pc_etw_options_apply(&o, "--stale", "attach", err, sizeof err), PC_OK);
  PC_CHECK_INT(o.stale, PC_ETW_STALE_ATTACH);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--stale", "fail", err, sizeof err), PC_OK);
  PC_CHECK_INT(o.stale, PC_ETW_STALE_FAIL);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--stale", "stop", err, sizeof err), PC_OK);
  PC_CHECK_INT(o.stale, PC_ETW_STALE_STOP);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--stale", "kill", err, sizeof err), PC_EINVAL);
  PC_CHECK_STR(err, "--stale must be stop, attach or fail (got 'kill')");
  PC_CHECK_INT(pc_etw_options_apply(&o, "--stale", NULL, err, sizeof err), PC_EINVAL);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--session", "pc-test", err, sizeof err), PC_OK);
  PC_CHECK_STR(o.session_name, "pc-test");
  PC_CHECK_INT(pc_etw_options_apply(&o, "--session", "", err, sizeof err), PC_EINVAL);
  char longname[100];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  PC_CHECK_INT(pc_etw_options_apply(&o, "--session", longname, err, sizeof err), PC_EINVAL);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--session", "a\\b", err, sizeof err), PC_EINVAL);
  PC_CHECK_STR(o.session_name, "pc-test");
  PC_CHECK_INT(pc_etw_options_apply(&o, "--record", "out.etl", err, sizeof err), PC_OK);
  PC_CHECK_STR(o.record_path, "out.etl");
  PC_CHECK_INT(pc_etw_options_apply(&o, "--record", "", err, sizeof err), PC_EINVAL);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--format", "json", err, sizeof err), PC_ENOENT);
  /* The service's monitor: its own fixed name, unless --session chose one. */
  pc_etw_options_init(&o);
  PC_CHECK(pc_etw_option_is_flag("--service-child"));
  PC_CHECK(!pc_etw_option_is_flag("--session"));
  PC_CHECK_INT(pc_etw_options_apply(&o, "--service-child", NULL, err, sizeof err), PC_OK);
  PC_CHECK(o.service_child);
  PC_CHECK_STR(o.session_name, PC_ETW_SERVICE_SESSION);
  pc_etw_options_init(&o);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--session", "mine", err, sizeof err), PC_OK);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--service-child", NULL, err, sizeof err), PC_OK);
  PC_CHECK_STR(o.session_name, "mine");
}

/* ---- Plans per Windows version ---- */

static size_t distinct_ids(const pc_schema_set *set, const pc_guid *g) {
  size_t n = 0;
  for (size_t i = 0; i < set->count; i++) {
    if (!pc_guid_equal(&set->events[i].provider, g)) continue;
    bool seen = false;
    for (size_t k = 0; k < i && !seen; k++)
      seen = pc_guid_equal(&set->events[k].provider, g) && set->events[k].id == set->events[i].id;
    if (!seen) n++;
  }
  return n;
}

static bool has_id(const pc_etw_provider_plan *p, uint16_t id) {
  for (unsigned i = 0; i < p->id_count; i++)
    if (p->ids[i] == id) return true;
  return false;
}

PC_TEST(plan_windows_10_and_11) {
  pc_schema_set *set;
  PC_CHECK_INT(pc_schema_builtin_load(&set), PC_OK);
  pc_os_version w10 = {10, 0, 19045};
  pc_etw_plan plan;
  PC_CHECK_INT(pc_etw_plan_build(&w10, set, &plan), PC_OK);
  PC_CHECK_INT(plan.count, 2); /* no Winsock-Sockets before Windows 11 */
  PC_CHECK_UINT(plan.enable_property, EVENT_ENABLE_PROPERTY_PROCESS_START_KEY);
  PC_CHECK(plan.independent_session);
  const pc_etw_provider_plan *afd = &plan.providers[0], *tcp = &plan.providers[1];
  PC_CHECK(pc_guid_equal(&afd->guid, &PC_GUID_AFD));
  PC_CHECK_UINT(afd->any_keyword, 0x4);
  PC_CHECK_INT(afd->level, 4);
  PC_CHECK(afd->use_id_filter && !afd->optional);
  PC_CHECK_INT(afd->id_count, distinct_ids(set, &PC_GUID_AFD));
  PC_CHECK(has_id(afd, 1000) && has_id(afd, 1030) && has_id(afd, 1002) && !has_id(afd, 1031));
  for (unsigned i = 1; i < afd->id_count; i++) PC_CHECK(afd->ids[i - 1] < afd->ids[i]);
  PC_CHECK(pc_guid_equal(&tcp->guid, &PC_GUID_TCPIP));
  PC_CHECK_UINT(tcp->any_keyword, UINT64_C(0x8B) | UINT64_C(0x8000000000));
  PC_CHECK(tcp->use_id_filter);
  PC_CHECK_INT(tcp->id_count, distinct_ids(set, &PC_GUID_TCPIP));
  PC_CHECK(has_id(tcp, 1006) && has_id(tcp, 1394) && has_id(tcp, 1122) && has_id(tcp, 1519));

  pc_os_version w11 = {10, 0, 22631};
  PC_CHECK_INT(pc_etw_plan_build(&w11, set, &plan), PC_OK);
  PC_CHECK_INT(plan.count, 3);
  const pc_etw_provider_plan *wss = &plan.providers[2];
  PC_CHECK(pc_guid_equal(&wss->guid, &PC_GUID_WINSOCK_SOCKETS));
  PC_CHECK(wss->optional && wss->use_id_filter);
  PC_CHECK_UINT(wss->any_keyword, 0x3000);
  PC_CHECK(has_id(wss, 8) && has_id(wss, 12));
  pc_schema_set_free(set);
}

PC_TEST(plan_windows_7_and_8_1) {
  pc_schema_set *set;
  PC_CHECK_INT(pc_schema_builtin_load(&set), PC_OK);
  pc_os_version w7 = {6, 1, 7601};
  pc_etw_plan plan;
  PC_CHECK_INT(pc_etw_plan_build(&w7, set, &plan), PC_OK);
  PC_CHECK_INT(plan.count, 2);
  PC_CHECK_UINT(plan.enable_property, 0);
  PC_CHECK(!plan.independent_session);
  PC_CHECK(!plan.providers[0].use_id_filter && !plan.providers[1].use_id_filter);        /* 8.1+ only */
  PC_CHECK_UINT(plan.providers[1].any_keyword, UINT64_C(0x8B) | UINT64_C(0x4000000000)); /* Win7 ut:Global */

  pc_os_version w81 = {6, 3, 9600};
  PC_CHECK_INT(pc_etw_plan_build(&w81, set, &plan), PC_OK);
  PC_CHECK(plan.providers[0].use_id_filter && plan.providers[1].use_id_filter);
  PC_CHECK(plan.independent_session);
  PC_CHECK_UINT(plan.enable_property, 0);
  PC_CHECK_UINT(plan.providers[1].any_keyword, UINT64_C(0x8B)); /* Global unknown on 8.x: stable bits only */
  pc_schema_set_free(set);
}

PC_TEST(plan_too_many_ids_drops_the_filter) {
  pc_schema_set *set;
  PC_CHECK_INT(pc_schema_builtin_load(&set), PC_OK);
  pc_schema_event e = set->events[0];
  e.provider = PC_GUID_AFD;
  for (uint16_t i = 0; i < 70; i++) {
    e.id = (uint16_t)(5000 + i);
    PC_CHECK_INT(pc_schema_set_put(set, &e), PC_OK);
  }
  pc_os_version w10 = {10, 0, 19045};
  pc_etw_plan plan;
  PC_CHECK_INT(pc_etw_plan_build(&w10, set, &plan), PC_ELIMIT);
  PC_CHECK(!plan.providers[0].use_id_filter);
  PC_CHECK(plan.providers[1].use_id_filter); /* the others keep theirs */
  pc_schema_set_free(set);
}

/* ---- The fake controller ---- */

#define MAX_CALLS 32
#define FAKE_HANDLE ((TRACEHANDLE)0x5151)
#define FAKE_CONSUMER ((TRACEHANDLE)0x4242)

typedef struct enable_call {
  GUID guid;
  ULONG code;
  UCHAR level;
  ULONGLONG any;
  ULONG property;
  bool filtered;
  ULONG filter_type, filter_size;
  BOOLEAN filter_in;
  USHORT count;
  USHORT ids[64];
} enable_call;

static struct fake {
  /* scripted results */
  ULONG start_rc[4];
  int start_calls;
  ULONG stop_rc;
  ULONG enable_rc_first; /* result of the first enable of each filtered provider */
  const GUID *enable_fail_guid;
  ULONG enable_fail_rc;
  bool open_fails;
  ULONG enable_rc_with_property; /* result of every enable that asks for a property */
  bool process_returns;          /* ProcessTrace returns process_rc after delivering */
  ULONG process_rc;
  int records_to_deliver;
  synth *records;
  /* what happened */
  char log[512];
  EVENT_TRACE_PROPERTIES start_props, first_start_props;
  WCHAR start_name[64];
  WCHAR start_file[300];
  enable_call enables[MAX_CALLS];
  int enable_calls;
  EVENT_TRACE_LOGFILEW logfile;
  HANDLE stop_event;
  int close_calls;
} F;

static void log_call(const char *s) {
  strncat(F.log, s, sizeof F.log - strlen(F.log) - 1);
  strncat(F.log, " ", sizeof F.log - strlen(F.log) - 1);
}

static ULONG WINAPI fake_start(PTRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p) {
  ULONG rc = F.start_rc[F.start_calls < 4 ? F.start_calls : 3];
  F.start_calls++;
  log_call(rc == ERROR_SUCCESS ? "start" : rc == ERROR_ALREADY_EXISTS ? "start=exists" : "start=fail");
  F.start_props = *p;
  if (F.start_calls == 1) F.first_start_props = *p;
  wcsncpy(F.start_name, name, 63);
  if (p->LogFileNameOffset)
    wcsncpy(F.start_file, (const WCHAR *)((const char *)p + p->LogFileNameOffset), 299);
  if (rc == ERROR_SUCCESS) *h = FAKE_HANDLE;
  return rc;
}

static ULONG WINAPI fake_control(TRACEHANDLE h, LPCWSTR name, PEVENT_TRACE_PROPERTIES p, ULONG code) {
  if (code == EVENT_TRACE_CONTROL_STOP) {
    log_call(h ? "stop(handle)" : name ? "stop(name)" : "stop(?)");
    if (h) SetEvent(F.stop_event);
    return h ? ERROR_SUCCESS : F.stop_rc;
  }
  if (code == EVENT_TRACE_CONTROL_QUERY) {
    if (!h) log_call("query(name)"); /* by handle: the periodic lost-event query, not logged */
    if (p->Wnode.BufferSize < sizeof *p) return ERROR_BAD_LENGTH;
    p->Wnode.HistoricalContext = FAKE_HANDLE;
    p->LogFileMode = F.start_props.LogFileMode; /* the mode in force: what the last start asked */
    p->EventsLost = 7;
    p->RealTimeBuffersLost = 2;
    p->LogBuffersLost = 1;
    return ERROR_SUCCESS;
  }
  return ERROR_INVALID_PARAMETER;
}

static ULONG WINAPI fake_enable(TRACEHANDLE h, LPCGUID g, ULONG code, UCHAR level, ULONGLONG any,
                                ULONGLONG all, ULONG timeout, PENABLE_TRACE_PARAMETERS params) {
  (void)all, (void)timeout;
  if (h != FAKE_HANDLE) return ERROR_INVALID_HANDLE;
  enable_call *e = &F.enables[F.enable_calls < MAX_CALLS ? F.enable_calls : MAX_CALLS - 1];
  F.enable_calls++;
  memset(e, 0, sizeof *e);
  e->guid = *g;
  e->code = code;
  e->level = level;
  e->any = any;
  log_call(code == EVENT_CONTROL_CODE_ENABLE_PROVIDER ? "enable" : "disable");
  if (params) {
    e->property = params->EnableProperty;
    if (F.enable_rc_with_property && params->EnableProperty) {
      e->filtered = params->FilterDescCount == 1;
      return F.enable_rc_with_property;
    }
    if (params->FilterDescCount == 1 && params->EnableFilterDesc) {
      const EVENT_FILTER_DESCRIPTOR *d = params->EnableFilterDesc;
      const EVENT_FILTER_EVENT_ID *f = (const EVENT_FILTER_EVENT_ID *)(uintptr_t)d->Ptr;
      e->filtered = true;
      e->filter_type = d->Type;
      e->filter_size = d->Size;
      e->filter_in = f->FilterIn;
      e->count = f->Count;
      memcpy(e->ids, f->Events, f->Count * sizeof(USHORT));
      if (F.enable_rc_first) {
        ULONG rc = F.enable_rc_first;
        return rc;
      }
    }
  }
  if (code == EVENT_CONTROL_CODE_ENABLE_PROVIDER && F.enable_fail_guid && IsEqualGUID(g, F.enable_fail_guid))
    return F.enable_fail_rc;
  return ERROR_SUCCESS;
}

static TRACEHANDLE WINAPI fake_open(PEVENT_TRACE_LOGFILEW lf) {
  log_call("open");
  F.logfile = *lf;
  if (F.open_fails) {
    SetLastError(ERROR_ACCESS_DENIED);
    return INVALID_PROCESSTRACE_HANDLE;
  }
  return FAKE_CONSUMER;
}

/* Like ProcessTrace on a real-time session: delivers the events, then blocks until the
 * session is stopped (or the consumer closed). */
static ULONG WINAPI fake_process(PTRACEHANDLE hs, ULONG n, LPFILETIME a, LPFILETIME b) {
  (void)a, (void)b;
  if (n != 1 || hs[0] != FAKE_CONSUMER) return ERROR_INVALID_HANDLE;
  for (int i = 0; i < F.records_to_deliver; i++) {
    F.records[i].ev.UserContext = F.logfile.Context;
    F.logfile.EventRecordCallback(&F.records[i].ev);
  }
  if (F.process_returns) return F.process_rc; /* stopped from outside, or failed */
  WaitForSingleObject(F.stop_event, 10000);
  return ERROR_SUCCESS;
}

static ULONG WINAPI fake_close(TRACEHANDLE h) {
  (void)h;
  F.close_calls++;
  log_call("close");
  SetEvent(F.stop_event);
  return ERROR_SUCCESS;
}

static const pc_etw_api fake_api = {fake_start, fake_control, fake_enable,
                                    fake_open,  fake_process, fake_close};

static void fake_reset(void) {
  if (F.stop_event) CloseHandle(F.stop_event);
  memset(&F, 0, sizeof F);
  F.stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
}

static pc_etw_plan test_plan(pc_os_version v) {
  pc_schema_set *set;
  pc_schema_builtin_load(&set);
  pc_etw_plan plan;
  pc_etw_plan_build(&v, set, &plan);
  pc_schema_set_free(set);
  return plan;
}

/* Messages go to a temporary file, read back as a string (no open_memstream on Windows). */
static FILE *msg_open(void) {
  return tmpfile();
}
static const char *msg_text(FILE *f) {
  static char buf[2048];
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  return buf;
}

PC_TEST(stale_session_default_stops_and_restarts) {
  fake_reset();
  F.start_rc[0] = ERROR_ALREADY_EXISTS;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  FILE *msg = msg_open();
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_options_apply(&o, "--session", "portclash", NULL, 0), PC_OK);
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_OK);
  PC_CHECK_STR(msg_text(msg),
               "portclash: stopping the existing ETW session 'portclash' and starting a new one\n");
  PC_CHECK(wcscmp(F.start_name, L"portclash") == 0);
  PC_CHECK_UINT(F.start_props.LogFileMode, EVENT_TRACE_REAL_TIME_MODE | EVENT_TRACE_INDEPENDENT_SESSION_MODE |
                                               EVENT_TRACE_PERSIST_ON_HYBRID_SHUTDOWN);
  uint32_t mode = 0;
  PC_CHECK(pc_etw_session_mode(s, &mode));
  PC_CHECK_UINT(mode, F.start_props.LogFileMode);
  PC_CHECK_UINT(F.start_props.LoggerNameOffset, sizeof(EVENT_TRACE_PROPERTIES));
  PC_CHECK_UINT(F.start_props.Wnode.Flags, WNODE_FLAG_TRACED_GUID);
  PC_CHECK_INT(F.start_props.BufferSize, 64);
  /* Both providers enabled with their kernel-side event-ID filters. */
  PC_CHECK_INT(F.enable_calls, 2);
  for (int i = 0; i < 2; i++) {
    const enable_call *e = &F.enables[i];
    const pc_etw_provider_plan *p = &plan.providers[i];
    PC_CHECK(memcmp(&e->guid, &p->guid, sizeof e->guid) == 0);
    PC_CHECK_INT(e->code, EVENT_CONTROL_CODE_ENABLE_PROVIDER);
    PC_CHECK_INT(e->level, 4);
    PC_CHECK_UINT(e->any, p->any_keyword);
    PC_CHECK_UINT(e->property, EVENT_ENABLE_PROPERTY_PROCESS_START_KEY);
    PC_CHECK(e->filtered);
    PC_CHECK_UINT(e->filter_type, EVENT_FILTER_TYPE_EVENT_ID);
    PC_CHECK_INT(e->filter_size, 4 + 2 * p->id_count);
    PC_CHECK(e->filter_in);
    PC_CHECK_INT(e->count, p->id_count);
    PC_CHECK(memcmp(e->ids, p->ids, p->id_count * 2) == 0);
  }
  pc_etw_session_free(s);
  PC_CHECK_STR(F.log, "start=exists stop(name) start enable enable open stop(handle) close ");
  fclose(msg);
}

PC_TEST(stale_session_fail_policy_gives_up_and_says_how_to_fix) {
  fake_reset();
  F.start_rc[0] = ERROR_ALREADY_EXISTS;
  pc_etw_options o;
  pc_etw_options_init(&o);
  o.stale = PC_ETW_STALE_FAIL;
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  FILE *msg = msg_open();
  pc_etw_session *s = (pc_etw_session *)1;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_EEXIST);
  PC_CHECK(s == NULL);
  PC_CHECK(strstr(msg_text(msg), "logman stop portclash-console-") != NULL);
  PC_CHECK_STR(F.log, "start=exists ");
  fclose(msg);
}

PC_TEST(stale_session_attach_uses_it_and_leaves_it_running) {
  fake_reset();
  F.start_rc[0] = ERROR_ALREADY_EXISTS;
  pc_etw_options o;
  pc_etw_options_init(&o);
  o.stale = PC_ETW_STALE_ATTACH;
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 22631});
  FILE *msg = msg_open();
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_OK);
  pc_etw_session_free(s);
  /* Enabled on the handle QUERY returned, disabled again at exit, never stopped. */
  PC_CHECK_STR(F.log, "start=exists query(name) enable enable enable open disable disable disable close ");
  PC_CHECK_INT(F.enables[3].code, EVENT_CONTROL_CODE_DISABLE_PROVIDER);
  fclose(msg);
}

PC_TEST(access_denied_is_a_privilege_error_and_leaves_nothing) {
  fake_reset();
  F.start_rc[0] = ERROR_ACCESS_DENIED;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_EPRIV);
  PC_CHECK_STR(F.log, "start=fail ");
  /* OpenTrace refused (what Wine does): the session we started is stopped again. */
  fake_reset();
  F.open_fails = true;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_EPRIV);
  PC_CHECK_STR(F.log, "start enable enable open stop(handle) ");
}

PC_TEST(enable_failure_stops_the_session_optional_provider_only_warns) {
  fake_reset();
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 22631});
  F.enable_fail_guid = (const GUID *)&PC_GUID_TCPIP;
  F.enable_fail_rc = ERROR_NO_SYSTEM_RESOURCES;
  FILE *msg = msg_open();
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_EIO);
  PC_CHECK(strstr(msg_text(msg),
                  "portclash: EnableTraceEx2 failed: too many ETW sessions are running (Win32 error 1450") !=
           NULL);
  PC_CHECK(strstr(msg_text(msg), "logman query -ets") != NULL);
  PC_CHECK_STR(F.log, "start enable enable stop(handle) ");
  fclose(msg);

  fake_reset();
  F.enable_fail_guid = (const GUID *)&PC_GUID_WINSOCK_SOCKETS;
  F.enable_fail_rc = ERROR_NO_SYSTEM_RESOURCES;
  msg = msg_open();
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_OK);
  PC_CHECK_STR(msg_text(msg),
               "portclash: Microsoft-Windows-Winsock-Sockets could not be enabled (Win32 error 1450); "
               "continuing without it\n");
  pc_etw_session_free(s);
  fclose(msg);
}

PC_TEST(refused_event_id_filter_falls_back_to_no_filter) {
  fake_reset();
  F.enable_rc_first = ERROR_INVALID_PARAMETER;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *s;
  FILE *msg = msg_open();
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_OK);
  /* Per provider: filter + property refused, filter alone refused, the property alone works:
   * only the filter is given up, the start key stays. */
  PC_CHECK_INT(F.enable_calls, 6);
  for (int i = 0; i < 2; i++) {
    PC_CHECK(F.enables[3 * i].filtered && F.enables[3 * i].property != 0);
    PC_CHECK(F.enables[3 * i + 1].filtered && F.enables[3 * i + 1].property == 0);
    PC_CHECK(!F.enables[3 * i + 2].filtered &&
             F.enables[3 * i + 2].property == EVENT_ENABLE_PROPERTY_PROCESS_START_KEY);
  }
  PC_CHECK(strstr(msg_text(msg), "Microsoft-Windows-TCPIP: the kernel event-ID filter was refused") != NULL);
  pc_etw_session_free(s);
  fclose(msg);
}

PC_TEST(refused_property_keeps_the_event_id_filter) {
  fake_reset();
  F.enable_rc_with_property = ERROR_INVALID_PARAMETER;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *s;
  FILE *msg = msg_open();
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_OK);
  PC_CHECK_INT(F.enable_calls, 4);
  for (int i = 0; i < 2; i++) {
    PC_CHECK(F.enables[2 * i].filtered && F.enables[2 * i].property != 0);
    PC_CHECK(F.enables[2 * i + 1].filtered && F.enables[2 * i + 1].property == 0);
  }
  PC_CHECK(strstr(msg_text(msg),
                  "Microsoft-Windows-Winsock-AFD: the process start key property was refused") != NULL);
  pc_etw_session_free(s);
  fclose(msg);
}

PC_TEST(start_rejecting_the_independent_mode_falls_back) {
  fake_reset();
  F.start_rc[0] = ERROR_INVALID_PARAMETER;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){6, 3, 9600});
  PC_CHECK(plan.independent_session);
  FILE *msg = msg_open();
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_OK);
  PC_CHECK_INT(F.start_calls, 2);
  PC_CHECK_UINT(F.first_start_props.LogFileMode, EVENT_TRACE_REAL_TIME_MODE |
                                                     EVENT_TRACE_INDEPENDENT_SESSION_MODE |
                                                     EVENT_TRACE_PERSIST_ON_HYBRID_SHUTDOWN);
  PC_CHECK_UINT(F.start_props.LogFileMode, EVENT_TRACE_REAL_TIME_MODE);
  PC_CHECK(strstr(msg_text(msg), "StartTrace refused the independent session mode (Win32 error 87)") != NULL);
  uint32_t mode = 1;
  PC_CHECK(pc_etw_session_mode(s, &mode));
  PC_CHECK_UINT(mode, EVENT_TRACE_REAL_TIME_MODE);
  pc_etw_session_free(s);
  fclose(msg);
  /* Windows 8 (6.2): not documented there, so not asked for. */
  plan = test_plan((pc_os_version){6, 2, 9200});
  PC_CHECK(!plan.independent_session);
}

PC_TEST(too_many_sessions_says_how_to_find_them) {
  fake_reset();
  F.start_rc[0] = ERROR_NO_SYSTEM_RESOURCES;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  FILE *msg = msg_open();
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_EIO);
  PC_CHECK(strstr(msg_text(msg), "StartTrace failed: too many ETW sessions are running (Win32 error 1450") !=
           NULL);
  PC_CHECK(strstr(msg_text(msg), "logman query -ets") != NULL);
  PC_CHECK_STR(F.log, "start=fail ");
  fclose(msg);
}

PC_TEST(console_run_never_stops_or_attaches_to_the_service_session) {
  pc_etw_stale policies[] = {PC_ETW_STALE_STOP, PC_ETW_STALE_ATTACH};
  for (int i = 0; i < 2; i++) {
    fake_reset();
    F.start_rc[0] = ERROR_ALREADY_EXISTS;
    pc_etw_options o;
    pc_etw_options_init(&o);
    PC_CHECK_INT(pc_etw_options_apply(&o, "--session", PC_ETW_SERVICE_SESSION, NULL, 0), PC_OK);
    o.stale = policies[i];
    pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
    FILE *msg = msg_open();
    pc_etw_session *s = (pc_etw_session *)1;
    PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, msg, &s), PC_EEXIST);
    PC_CHECK(s == NULL);
    PC_CHECK_STR(F.log, "start=exists "); /* no stop, no query, no enable */
    PC_CHECK(strstr(msg_text(msg), "belongs to the portclash service") != NULL);
    fclose(msg);
  }
  /* The service's own monitor replaces a session its dead predecessor left. */
  fake_reset();
  F.start_rc[0] = ERROR_ALREADY_EXISTS;
  pc_etw_options o;
  pc_etw_options_init(&o);
  PC_CHECK_INT(pc_etw_options_apply(&o, "--service-child", NULL, NULL, 0), PC_OK);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_OK);
  PC_CHECK(wcscmp(F.start_name, L"" PC_ETW_SERVICE_SESSION) == 0);
  pc_etw_session_free(s);
  PC_CHECK_STR(F.log, "start=exists stop(name) start enable enable open stop(handle) close ");
}

PC_TEST(console_and_service_sessions_run_side_by_side) {
  /* Two sessions at once through one fake controller: distinct names, neither stops the
   * other (the fake says ALREADY_EXISTS only for a name in use). */
  fake_reset();
  pc_etw_options svc, con;
  pc_etw_options_init(&svc);
  pc_etw_options_apply(&svc, "--service-child", NULL, NULL, 0);
  pc_etw_options_init(&con);
  PC_CHECK(strcmp(svc.session_name, con.session_name) != 0);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *a, *b;
  PC_CHECK_INT(pc_etw_session_start(&svc, &plan, &fake_api, NULL, &a), PC_OK);
  PC_CHECK(wcscmp(F.start_name, L"" PC_ETW_SERVICE_SESSION) == 0);
  PC_CHECK_INT(pc_etw_session_start(&con, &plan, &fake_api, NULL, &b), PC_OK);
  PC_CHECK(wcsncmp(F.start_name, L"portclash-console-", 18) == 0);
  PC_CHECK(strstr(F.log, "stop(name)") == NULL);
  pc_etw_session_free(b);
  pc_etw_session_free(a);
}

PC_TEST(outside_stop_and_process_trace_failure_are_told_apart_from_a_local_stop) {
  uint8_t buf[64];
  pc_record r;
  uint32_t prc = 1;
  pc_etw_options o;
  pc_etw_options_init(&o);
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *s;
  ULONG results[] = {ERROR_SUCCESS, ERROR_ACCESS_DENIED};
  for (int i = 0; i < 2; i++) {
    fake_reset();
    F.process_returns = true;
    F.process_rc = results[i];
    PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_OK);
    PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 5000), PC_ENOENT);
    PC_CHECK(pc_etw_session_ended_outside(s, &prc));
    PC_CHECK_UINT(prc, results[i]);
    PC_CHECK(!pc_etw_session_stop_requested(s)); /* the monitor then drains: nobody asked to stop */
    pc_etw_session_free(s);
  }
  fake_reset();
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_OK);
  PC_CHECK(!pc_etw_session_stop_requested(s));
  pc_etw_session_stop(s); /* as the console control handler does on Ctrl+C */
  PC_CHECK(pc_etw_session_stop_requested(s));
  PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 5000), PC_ENOENT);
  PC_CHECK(!pc_etw_session_ended_outside(s, &prc));
  pc_etw_session_free(s);
  FILE *msg = msg_open();
  pc_etw_print_error(msg, "ProcessTrace", ERROR_ACCESS_DENIED, "x");
  PC_CHECK(strstr(msg_text(msg), "ProcessTrace: access denied (Win32 error 5)") != NULL);
  fclose(msg);
}

PC_TEST(record_option_logs_to_a_sequential_file_too) {
  fake_reset();
  pc_etw_options o;
  pc_etw_options_init(&o);
  o.record_path = "capture.etl";
  pc_etw_plan plan = test_plan((pc_os_version){6, 1, 7601});
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_OK);
  PC_CHECK_UINT(F.start_props.LogFileMode, EVENT_TRACE_REAL_TIME_MODE | EVENT_TRACE_FILE_MODE_SEQUENTIAL);
  size_t n = wcslen(F.start_file);
  PC_CHECK(n > 12 && wcscmp(F.start_file + n - 12, L"\\capture.etl") == 0);
  PC_CHECK(F.start_file[1] == L':'); /* made absolute */
  /* Windows 7: no filter, no start key property. */
  PC_CHECK(!F.enables[0].filtered && F.enables[0].property == 0);
  pc_etw_stats st;
  PC_CHECK_INT(pc_etw_session_query(s, &st), PC_OK);
  PC_CHECK(st.query_ok);
  PC_CHECK_INT(st.log_buffers_lost, 1);
  pc_etw_session_free(s);
}

PC_TEST(records_flow_through_the_real_callback_and_queue) {
  fake_reset();
  static synth recs[6];
  synth_init(&recs[0], &PC_GUID_AFD, 1000, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  synth_add_start_key(&recs[0], 555, 8);
  synth_init(&recs[1], &PC_GUID_AFD, 1030, 0, EVENT_HEADER_FLAG_32_BIT_HEADER);
  recs[1].ev.UserDataLength = 36;
  synth_init(&recs[2], &PC_GUID_TCPIP, 1006, 1, EVENT_HEADER_FLAG_64_BIT_HEADER);
  recs[2].ev.UserDataLength = 0;
  recs[2].ev.UserData = NULL;
  synth_init(&recs[3], &PC_GUID_TCPIP, 1394, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  recs[3].ev.UserDataLength = 513; /* larger than a queue slot */
  synth_init(&recs[4], &PC_GUID_AFD, 1001, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  recs[4].ev.UserData = NULL; /* truncated: a length without data */
  synth_init(&recs[5], &PC_GUID_AFD, 1002, 0, EVENT_HEADER_FLAG_64_BIT_HEADER);
  F.records = recs;
  F.records_to_deliver = 6;
  pc_etw_options o;
  pc_etw_options_init(&o);
  o.queue_capacity = 3; /* recs 0, 1, 2 fit; 5 finds the queue full */
  pc_etw_plan plan = test_plan((pc_os_version){10, 0, 19045});
  pc_etw_session *s;
  PC_CHECK_INT(pc_etw_session_start(&o, &plan, &fake_api, NULL, &s), PC_OK);
  /* Wait until the fake ProcessTrace has delivered everything. */
  pc_etw_stats st;
  for (int i = 0; i < 500; i++) {
    pc_etw_session_query(s, &st);
    if (st.delivered == 6) break;
    Sleep(2);
  }
  PC_CHECK_INT(st.delivered, 6);
  PC_CHECK_INT(st.queue_drops, 1);
  PC_CHECK_INT(st.oversize_drops, 1);
  PC_CHECK_INT(st.malformed_drops, 1);
  PC_CHECK(st.query_ok);
  PC_CHECK_INT(st.events_lost, 7);
  PC_CHECK_INT(st.realtime_buffers_lost, 2);

  uint8_t buf[600];
  pc_record r;
  PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 100), PC_OK);
  PC_CHECK_INT(r.id, 1000);
  PC_CHECK_INT(pc_record_pointer_size(&r), 8);
  PC_CHECK_UINT(r.process_start_key, 555);
  PC_CHECK(r.user_data == buf && r.user_data_len == 40 && memcmp(buf, recs[0].data, 40) == 0);
  PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 100), PC_OK);
  PC_CHECK_INT(r.id, 1030);
  PC_CHECK_INT(pc_record_pointer_size(&r), 4);
  PC_CHECK_UINT(r.ext_present, 0);
  PC_CHECK(r.user_data_len == 36 && memcmp(buf, recs[1].data, 36) == 0);
  PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 100), PC_OK);
  PC_CHECK_INT(r.id, 1006);
  PC_CHECK_INT(r.version, 1);
  PC_CHECK_INT(r.user_data_len, 0);
  PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 20), PC_ETIMEOUT);
  /* Stop (what Ctrl+C does): ProcessTrace returns, the queue is empty, the source ends. */
  pc_etw_session_stop(s);
  PC_CHECK_INT(pc_etw_session_next(s, &r, buf, sizeof buf, 2000), PC_ENOENT);
  pc_etw_session_free(s);
  PC_CHECK_STR(F.log, "start enable enable open stop(handle) close ");
}
