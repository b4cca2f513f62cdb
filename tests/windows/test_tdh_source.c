/* The TDH schema source without TDH (Wine's TDH crashes): TRACE_EVENT_INFO buffers are
 * synthesized here per Microsoft's documented layout ("TRACE_EVENT_INFO structure",
 * "EVENT_PROPERTY_INFO structure": offsets from the start of the block, UTF-16 names,
 * top-level properties first), and the TDH functions are fakes in a pc_tdh_api table that
 * follow the documented buffer-size protocol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_schema_reconcile.h"
#include "etw.h"
#include "pc_test.h"

/* ---- Building TRACE_EVENT_INFO blocks ---- */

typedef struct tei {
  union {
    TRACE_EVENT_INFO info;
    unsigned char buf[8192];
  } u;
  size_t end; /* where the next string goes */
} tei;

static ULONG add_str(tei *t, const char *s) {
  ULONG off = (ULONG)t->end;
  size_t n = strlen(s);
  for (size_t i = 0; i <= n; i++) {
    t->u.buf[t->end++] = (unsigned char)s[i];
    t->u.buf[t->end++] = 0;
  }
  return off;
}

static void tei_init(tei *t, const pc_guid *prov, uint16_t id, uint8_t version, unsigned nprops,
                     const char *name) {
  memset(t, 0, sizeof *t);
  memcpy(&t->u.info.ProviderGuid, prov, sizeof(GUID));
  t->u.info.EventDescriptor.Id = id;
  t->u.info.EventDescriptor.Version = version;
  t->u.info.DecodingSource = DecodingSourceXMLFile;
  t->u.info.PropertyCount = nprops;
  t->u.info.TopLevelPropertyCount = nprops;
  t->end = offsetof(TRACE_EVENT_INFO, EventPropertyInfoArray) + nprops * sizeof(EVENT_PROPERTY_INFO);
  t->u.info.ProviderNameOffset = add_str(t, "Microsoft-Windows-Test");
  if (name) t->u.info.ActivityIDNameOffset = add_str(t, name); /* = EventNameOffset */
}

/* One scalar or blob property; flags/len as TDH would report them. */
static void tei_prop(tei *t, unsigned i, const char *name, USHORT intype, ULONG flags, USHORT len) {
  /* By byte offset: EventPropertyInfoArray is declared [ANYSIZE_ARRAY]. */
  EVENT_PROPERTY_INFO *p =
      (EVENT_PROPERTY_INFO *)(t->u.buf + offsetof(TRACE_EVENT_INFO, EventPropertyInfoArray) + i * sizeof *p);
  p->Flags = (PROPERTY_FLAGS)flags;
  p->NameOffset = add_str(t, name);
  p->nonStructType.InType = intype;
  p->count = 1;
  p->length = len;
}

/* The block TDH would return for a schema of ours (the inverse of pc_tdh_translate). */
static void tei_from_schema(tei *t, const pc_schema_event *e) {
  tei_init(t, &e->provider, e->id, e->version, e->prop_count, e->name);
  for (unsigned i = 0; i < e->prop_count; i++) {
    const pc_schema_prop *p = &e->props[i];
    if (p->length_prop != PC_SCHEMA_NO_LENGTH_PROP)
      tei_prop(t, i, p->name, p->intype, PropertyParamLength, p->length_prop);
    else if (p->intype == PC_IN_BINARY)
      tei_prop(t, i, p->name, p->intype, PropertyParamFixedLength, p->length);
    else
      tei_prop(t, i, p->name, p->intype, 0, (USHORT)pc_intype_fixed_size(p->intype, 8));
  }
}

static const pc_schema_event *builtin_event(pc_schema_set *set, const pc_guid *g, uint16_t id, uint8_t v) {
  const pc_schema_event *e = pc_schema_set_find(set, g, id, v);
  PC_CHECK(e != NULL);
  return e;
}

PC_TEST(translate_afd_1030_matches_builtin) {
  pc_schema_set *set;
  PC_CHECK_INT(pc_schema_builtin_load(&set), PC_OK);
  tei t;
  tei_init(&t, &PC_GUID_AFD, 1030, 0, 7, "AfdBindWithAddressConnected");
  tei_prop(&t, 0, "EnterExit", TDH_INTYPE_UINT32, 0, 4);
  tei_prop(&t, 1, "Location", TDH_INTYPE_UINT32, 0, 4);
  tei_prop(&t, 2, "Process", TDH_INTYPE_POINTER, 0, 0);
  tei_prop(&t, 3, "Endpoint", TDH_INTYPE_POINTER, 0, 0);
  tei_prop(&t, 4, "Status", TDH_INTYPE_UINT32, 0, 4);
  tei_prop(&t, 5, "AddressLen", TDH_INTYPE_UINT32, 0, 4);
  tei_prop(&t, 6, "Address", TDH_INTYPE_BINARY, PropertyParamLength, 5);
  pc_schema_event ev;
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_OK);
  PC_CHECK(pc_guid_equal(&ev.provider, &PC_GUID_AFD));
  PC_CHECK_INT(ev.id, 1030);
  PC_CHECK_INT(ev.version, 0);
  PC_CHECK_STR(ev.name, "AfdBindWithAddressConnected");
  PC_CHECK_INT(ev.prop_count, 7);
  PC_CHECK_STR(ev.props[6].name, "Address");
  PC_CHECK_INT(ev.props[6].length_prop, 5);
  PC_CHECK_INT(ev.props[2].intype, PC_IN_POINTER);
  PC_CHECK_INT(ev.props[0].length, 0); /* a fixed-size type's TDH length is not a blob length */
  char diff[320];
  PC_CHECK(pc_schema_event_same(builtin_event(set, &PC_GUID_AFD, 1030, 0), &ev, diff, sizeof diff));
  pc_schema_set_free(set);
}

PC_TEST(translate_names_fixed_lengths_and_sizet) {
  tei t;
  tei_init(&t, &PC_GUID_TCPIP, 1519, 0, 3, NULL); /* no event name: task + opcode */
  t.u.info.TaskNameOffset = add_str(&t, "TcpGlobalPortReservation");
  t.u.info.OpcodeNameOffset = add_str(&t, "1519");
  tei_prop(&t, 0, "Token", TDH_INTYPE_BINARY, PropertyParamFixedLength, 16);
  tei_prop(&t, 1, "Size", TDH_INTYPE_SIZET, 0, 0);
  tei_prop(&t, 2, "Name", TDH_INTYPE_UNICODESTRING, 0, 0);
  pc_schema_event ev;
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_OK);
  PC_CHECK_STR(ev.name, "TcpGlobalPortReservation1519");
  PC_CHECK_INT(ev.props[0].length, 16);
  PC_CHECK_INT(ev.props[0].length_prop, PC_SCHEMA_NO_LENGTH_PROP);
  PC_CHECK_INT(ev.props[1].intype, PC_IN_POINTER); /* SizeT has a pointer's size */
  PC_CHECK_INT(ev.props[2].intype, PC_IN_UNICODESTRING);
  /* Neither name: a made-up one, still one word. */
  tei_init(&t, &PC_GUID_TCPIP, 1006, 1, 0, NULL);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_OK);
  PC_CHECK_STR(ev.name, "event_1006");
  tei_init(&t, &PC_GUID_TCPIP, 1006, 1, 0, "Has space");
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_OK);
  PC_CHECK_STR(ev.name, "Has_space");
}

PC_TEST(translate_refuses_what_the_model_cannot_express) {
  tei t;
  pc_schema_event ev;
  /* A struct. */
  tei_init(&t, &PC_GUID_TCPIP, 1, 0, 1, "S");
  tei_prop(&t, 0, "Inner", 0, PropertyStruct, 0);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_ENOTSUP);
  /* An array whose count is another property. */
  tei_init(&t, &PC_GUID_TCPIP, 1, 0, 2, "A");
  tei_prop(&t, 0, "N", TDH_INTYPE_UINT32, 0, 4);
  tei_prop(&t, 1, "Items", TDH_INTYPE_UINT32, PropertyParamCount, 4);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_ENOTSUP);
  /* A fixed-count array. */
  tei_init(&t, &PC_GUID_TCPIP, 1, 0, 1, "A");
  tei_prop(&t, 0, "Items", TDH_INTYPE_UINT16, 0x20, 2);
  t.u.info.EventPropertyInfoArray[0].count = 4;
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_ENOTSUP);
  /* An in-type outside the model (counted string). */
  tei_init(&t, &PC_GUID_TCPIP, 1, 0, 1, "C");
  tei_prop(&t, 0, "S", TDH_INTYPE_COUNTEDSTRING, 0, 0);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_ENOTSUP);
  /* A length taken from a property that is not a blob. */
  tei_init(&t, &PC_GUID_TCPIP, 1, 0, 2, "L");
  tei_prop(&t, 0, "N", TDH_INTYPE_UINT32, 0, 4);
  tei_prop(&t, 1, "S", TDH_INTYPE_UNICODESTRING, PropertyParamLength, 0);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_ENOTSUP);
  /* More properties than a schema holds. */
  tei_init(&t, &PC_GUID_TCPIP, 1, 0, PC_SCHEMA_MAX_PROPS + 1, "Big");
  for (unsigned i = 0; i < PC_SCHEMA_MAX_PROPS + 1; i++) tei_prop(&t, i, "X", TDH_INTYPE_UINT8, 0, 1);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_ENOTSUP);
}

PC_TEST(translate_rejects_out_of_range_offsets_and_indexes) {
  tei t;
  pc_schema_event ev;
  /* A length property that is not an earlier one. */
  tei_init(&t, &PC_GUID_AFD, 1030, 0, 2, "E");
  tei_prop(&t, 0, "Address", TDH_INTYPE_BINARY, PropertyParamLength, 1);
  tei_prop(&t, 1, "Len", TDH_INTYPE_UINT32, 0, 4);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_EPARSE);
  /* A name offset past the block. */
  tei_init(&t, &PC_GUID_AFD, 1030, 0, 1, "E");
  tei_prop(&t, 0, "Status", TDH_INTYPE_UINT32, 0, 4);
  t.u.info.EventPropertyInfoArray[0].NameOffset = (ULONG)t.end + 100;
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_EPARSE);
  /* A name without its terminator inside the block (the block cut short). */
  tei_init(&t, &PC_GUID_AFD, 1030, 0, 1, NULL);
  tei_prop(&t, 0, "Status", TDH_INTYPE_UINT32, 0, 4);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end - 4, &ev), PC_EPARSE);
  /* More top-level properties than properties, and a property array past the block. */
  tei_init(&t, &PC_GUID_AFD, 1030, 0, 1, "E");
  t.u.info.TopLevelPropertyCount = 2;
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_EPARSE);
  tei_init(&t, &PC_GUID_AFD, 1030, 0, 1, "E");
  t.u.info.PropertyCount = t.u.info.TopLevelPropertyCount = 100;
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, t.end, &ev), PC_EPARSE);
  PC_CHECK_INT(pc_tdh_translate(&t.u.info, 10, &ev), PC_EPARSE);
}

/* ---- Fake TDH, serving an "OS" made of schema text ---- */

static struct fake_tdh {
  pc_schema_set *os;
  bool no_winsock_sockets;
  int enumerate_calls, info_calls, event_info_calls;
  EVENT_RECORD seen; /* what get_event_information received */
  uint8_t seen_data[64];
} T;

static ULONG WINAPI fake_enumerate(LPGUID g, PVOID buf, ULONG *size) {
  T.enumerate_calls++;
  if (T.no_winsock_sockets && IsEqualGUID(g, (const GUID *)&PC_GUID_WINSOCK_SOCKETS))
    return ERROR_FILE_NOT_FOUND;
  ULONG n = 0;
  for (size_t i = 0; i < T.os->count; i++)
    if (memcmp(&T.os->events[i].provider, g, sizeof(GUID)) == 0) n++;
  ULONG need = (ULONG)(2 * sizeof(ULONG) + n * sizeof(EVENT_DESCRIPTOR));
  if (!buf || *size < need) {
    *size = need;
    return ERROR_INSUFFICIENT_BUFFER;
  }
  ULONG *hdr = buf;
  hdr[0] = n;
  hdr[1] = 0;
  EVENT_DESCRIPTOR *d = (EVENT_DESCRIPTOR *)(hdr + 2);
  for (size_t i = 0; i < T.os->count; i++)
    if (memcmp(&T.os->events[i].provider, g, sizeof(GUID)) == 0) {
      memset(d, 0, sizeof *d);
      d->Id = T.os->events[i].id;
      d->Version = T.os->events[i].version;
      d->Level = 4;
      d++;
    }
  *size = need;
  return ERROR_SUCCESS;
}

static ULONG WINAPI fake_manifest_info(LPGUID g, PEVENT_DESCRIPTOR d, PTRACE_EVENT_INFO info, ULONG *size) {
  T.info_calls++;
  pc_guid pg;
  memcpy(&pg, g, sizeof pg);
  const pc_schema_event *e = pc_schema_set_find(T.os, &pg, d->Id, d->Version);
  if (!e || d->Level != 4) return ERROR_NOT_FOUND; /* the full descriptor must be passed */
  static tei t;
  tei_from_schema(&t, e);
  if (!info || *size < t.end) {
    *size = (ULONG)t.end;
    return ERROR_INSUFFICIENT_BUFFER;
  }
  memcpy(info, t.u.buf, t.end);
  *size = (ULONG)t.end;
  return ERROR_SUCCESS;
}

static ULONG WINAPI fake_event_info(PEVENT_RECORD ev, ULONG n, PTDH_CONTEXT ctx, PTRACE_EVENT_INFO info,
                                    ULONG *size) {
  (void)n, (void)ctx;
  T.event_info_calls++;
  T.seen = *ev;
  if (ev->UserDataLength <= sizeof T.seen_data) memcpy(T.seen_data, ev->UserData, ev->UserDataLength);
  return fake_manifest_info(&ev->EventHeader.ProviderId,
                            &(EVENT_DESCRIPTOR){.Id = ev->EventHeader.EventDescriptor.Id,
                                                .Version = ev->EventHeader.EventDescriptor.Version,
                                                .Level = 4},
                            info, size);
}

static const pc_tdh_api fake_tdh = {fake_enumerate, fake_manifest_info, fake_event_info};

static void os_from_builtin(const char *from, const char *to) {
  extern const char pc__builtin_schema[];
  extern const size_t pc__builtin_schema_len;
  memset(&T, 0, sizeof T);
  char *text = malloc(pc__builtin_schema_len + 1024);
  memcpy(text, pc__builtin_schema, pc__builtin_schema_len);
  text[pc__builtin_schema_len] = 0;
  if (from) {
    char *at = strstr(text, from);
    PC_CHECK(at != NULL);
    if (at) {
      memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
      memcpy(at, to, strlen(to));
    }
  }
  char err[256];
  PC_CHECK_INT(pc_schema_set_parse(text, strlen(text), "os", &T.os, err, sizeof err), PC_OK);
  free(text);
}

static const char *file_text(FILE *f) {
  static char buf[65536];
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  return buf;
}

PC_TEST(reconcile_through_tdh_identical_os) {
  os_from_builtin(NULL, NULL);
  pc_tdh_source *t;
  pc_schema_source src;
  PC_CHECK_INT(pc_tdh_source_new(&fake_tdh, &t, &src), PC_OK);
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  FILE *warn = tmpfile();
  pc_reconcile_stats st;
  pc_schema_reconcile(dec, &src, warn, &st);
  PC_CHECK_STR(file_text(warn), "");
  PC_CHECK_INT(st.identical, T.os->count);
  PC_CHECK_INT(st.replaced + st.added + st.unreadable + st.providers_missing, 0);
  PC_CHECK_INT(T.enumerate_calls, 6); /* size probe + fill, once per provider (cached after) */
  fclose(warn);
  pc_decoder_free(dec);
  pc_tdh_source_free(t);
  pc_schema_set_free(T.os);
}

PC_TEST(reconcile_through_tdh_changed_and_missing) {
  os_from_builtin("  AddressLen UInt32\n  Address Binary length=AddressLen\nevent 1035",
                  "  AddressLen UInt32\n  Address Binary length=AddressLen\n  Extra UInt16\nevent 1035");
  T.no_winsock_sockets = true;
  pc_tdh_source *t;
  pc_schema_source src;
  PC_CHECK_INT(pc_tdh_source_new(&fake_tdh, &t, &src), PC_OK);
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  FILE *warn = tmpfile();
  pc_reconcile_stats st;
  pc_schema_reconcile(dec, &src, warn, &st);
  PC_CHECK_STR(
      file_text(warn),
      "portclash: Microsoft-Windows-Winsock-AFD event 1030 v0 differs from the built-in layout (built in 7 "
      "properties, here 8 (added 'Extra UInt16')); decoding it with the system's layout\n"
      "portclash: Microsoft-Windows-Winsock-Sockets is not on this system; its events will not be seen\n");
  PC_CHECK_INT(st.replaced, 1);
  PC_CHECK_INT(st.providers_missing, 1);
  fclose(warn);
  pc_decoder_free(dec);
  pc_tdh_source_free(t);
  pc_schema_set_free(T.os);
}

PC_TEST(missing_manifest_api_is_reported_and_the_record_fallback_works) {
  os_from_builtin(NULL, NULL);
  pc_tdh_api old = {NULL, NULL, fake_event_info}; /* Windows 7/8: no manifest functions */
  pc_tdh_source *t;
  pc_schema_source src;
  PC_CHECK_INT(pc_tdh_source_new(&old, &t, &src), PC_OK);
  uint16_t ids[8];
  uint8_t vers[8];
  size_t n = 99;
  PC_CHECK_INT(src.list_events(src.ud, &PC_GUID_AFD, ids, vers, 8, &n), PC_ENOTSUP);
  PC_CHECK_INT(n, 0);
  pc_tdh_source_free(t);

  /* The fallback: describe a received record once with TdhGetEventInformation. */
  uint8_t payload[40] = {1, 2, 3};
  pc_record r = {0};
  r.provider = PC_GUID_TCPIP;
  r.id = 1006;
  r.version = 1;
  r.flags = PC_RECORD_FLAG_64BIT_HEADER | PC_RECORD_FLAG_EXTENDED_INFO;
  r.user_data = payload;
  r.user_data_len = sizeof payload;
  pc_schema_event ev;
  PC_CHECK_INT(pc_tdh_describe_record(&old, &r, &ev), PC_OK);
  PC_CHECK_INT(T.event_info_calls, 2); /* size probe + fill */
  PC_CHECK(memcmp(&T.seen.EventHeader.ProviderId, &PC_GUID_TCPIP, 16) == 0);
  PC_CHECK_INT(T.seen.EventHeader.EventDescriptor.Id, 1006);
  PC_CHECK_INT(T.seen.EventHeader.Flags, EVENT_HEADER_FLAG_64_BIT_HEADER); /* no extended items passed */
  PC_CHECK_INT(T.seen.UserDataLength, 40);
  PC_CHECK_INT(T.seen_data[2], 3);
  char diff[320];
  PC_CHECK(pc_schema_event_same(pc_schema_set_find(T.os, &PC_GUID_TCPIP, 1006, 1), &ev, diff, sizeof diff));
  pc_tdh_api none = {NULL, NULL, NULL};
  PC_CHECK_INT(pc_tdh_describe_record(&none, &r, &ev), PC_ENOTSUP);
  pc_schema_set_free(T.os);
}

PC_TEST(schema_dump_round_trips_through_the_text_form) {
  os_from_builtin("event 1006 v1 TcpBindEndpointPortFailure_V1\n  Endpoint Pointer\n",
                  "event 1006 v1 TcpBindEndpointPortFailure_V1\n  Endpoint Pointer\n  Extra UInt8\n");
  FILE *out = tmpfile(), *err = tmpfile();
  PC_CHECK_INT(pc_schema_dump_os(&fake_tdh, 22631, out, err), PC_OK);
  PC_CHECK_STR(file_text(err), "");
  const char *text = file_text(out);
  PC_CHECK(strncmp(text, "# portclash schema dump", 23) == 0);
  pc_schema_set *dump;
  char msg[256];
  PC_CHECK_INT(pc_schema_set_parse(text, strlen(text), "dump", &dump, msg, sizeof msg), PC_OK);
  PC_CHECK_INT(dump->os_build, 22631);
  PC_CHECK_INT(dump->count, T.os->count);
  char diff[320];
  for (size_t i = 0; i < T.os->count; i++) {
    const pc_schema_event *a = &T.os->events[i];
    const pc_schema_event *b = pc_schema_set_find(dump, &a->provider, a->id, a->version);
    PC_CHECK(b != NULL);
    if (b) PC_CHECK(pc_schema_event_same(a, b, diff, sizeof diff));
  }
  pc_schema_set_free(dump);
  pc_tdh_api old = {NULL, NULL, fake_event_info};
  PC_CHECK_INT(pc_schema_dump_os(&old, 7601, out, err), PC_ENOTSUP);
  fclose(out);
  fclose(err);
  pc_schema_set_free(T.os);
}
