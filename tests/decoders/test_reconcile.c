/* The start-up schema check against a fake TDH layer: the "OS" is a schema text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_schema_reconcile.h"
#include "pc_test.h"

typedef struct fake_os {
  pc_schema_set *set;
  bool has_winsock_sockets;
  int get_calls;
} fake_os;

static int fake_list(void *ud, const pc_guid *prov, uint16_t *ids, uint8_t *versions, size_t cap,
                     size_t *count) {
  fake_os *os = ud;
  if (pc_guid_equal(prov, &PC_GUID_WINSOCK_SOCKETS) && !os->has_winsock_sockets) return PC_ENOENT;
  *count = 0;
  for (size_t i = 0; i < os->set->count && *count < cap; i++)
    if (pc_guid_equal(&os->set->events[i].provider, prov)) {
      ids[*count] = os->set->events[i].id;
      versions[*count] = os->set->events[i].version;
      (*count)++;
    }
  return PC_OK;
}

static int fake_get(void *ud, const pc_guid *prov, uint16_t id, uint8_t version, pc_schema_event *out) {
  fake_os *os = ud;
  os->get_calls++;
  const pc_schema_event *e = pc_schema_set_find(os->set, prov, id, version);
  if (!e) return PC_ENOENT;
  *out = *e;
  return PC_OK;
}

/* Builds the fake OS from the built-in text with `from` replaced by `to` (NULL = as is). */
static void make_os(fake_os *os, const char *from, const char *to) {
  extern const char pc__builtin_schema[];
  extern const size_t pc__builtin_schema_len;
  char *text = malloc(pc__builtin_schema_len + 4096);
  memcpy(text, pc__builtin_schema, pc__builtin_schema_len);
  text[pc__builtin_schema_len] = '\0';
  if (from) {
    char *at = strstr(text, from);
    PC_CHECK(at != NULL);
    if (at) {
      size_t tail = strlen(at + strlen(from));
      memmove(at + strlen(to), at + strlen(from), tail + 1);
      memcpy(at, to, strlen(to));
    }
  }
  char err[256];
  PC_CHECK_INT(pc_schema_set_parse(text, strlen(text), "os", &os->set, err, sizeof err), PC_OK);
  free(text);
  os->has_winsock_sockets = true;
  os->get_calls = 0;
}

static char *run(fake_os *os, pc_decoder *dec, pc_reconcile_stats *st) {
  pc_schema_source src = {os, fake_list, fake_get};
  FILE *f = pc_test_stream();
  pc_schema_reconcile(dec, &src, f, st);
  return pc_test_stream_text(f, NULL);
}

static int decode(pc_decoder *dec, uint16_t id, uint8_t ver, const uint8_t *p, size_t n, pc_event *ev) {
  pc_record r = {0};
  r.provider = PC_GUID_TCPIP;
  r.id = id;
  r.version = ver;
  r.flags = PC_RECORD_FLAG_64BIT_HEADER;
  r.user_data = p;
  r.user_data_len = (uint32_t)n;
  return pc_decoder_decode(dec, &r, ev);
}

/* 1006 payload: [Endpoint u64 if v>=1], LocalAddressLength u32 = 16, sockaddr 127.0.0.1:80, Status. */
static size_t payload_1006(uint8_t *p, bool endpoint, size_t status_size, bool extra_pid) {
  size_t n = 0;
  if (endpoint) {
    memset(p, 0x11, 8);
    n = 8;
  }
  p[n++] = 16, p[n++] = 0, p[n++] = 0, p[n++] = 0;
  const uint8_t sa[16] = {2, 0, 0, 80, 127, 0, 0, 1};
  memcpy(p + n, sa, 16);
  n += 16;
  const uint8_t st[4] = {0x22, 0x00, 0x00, 0xC0};
  memcpy(p + n, st, status_size);
  n += status_size;
  if (extra_pid) {
    const uint8_t pid[4] = {0x39, 0x30, 0, 0}; /* 12345 */
    memcpy(p + n, pid, 4);
    n += 4;
  }
  return n;
}

PC_TEST(identical_schemas_keep_builtin_and_say_nothing) {
  fake_os os;
  make_os(&os, NULL, NULL);
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  pc_reconcile_stats st;
  char *out = run(&os, dec, &st);
  PC_CHECK_STR(out, "");
  PC_CHECK_INT(st.identical, 78);
  PC_CHECK_INT(st.replaced + st.added + st.providers_missing, 0);
  PC_CHECK_INT(os.get_calls, 78); /* once per schema at start-up, never per event */
  free(out);
  pc_decoder_free(dec);
  pc_schema_set_free(os.set);
}

PC_TEST(field_added_is_warned_and_decoded_with_os_layout) {
  fake_os os;
  make_os(&os,
          "event 1006 v1 TcpBindEndpointPortFailure_V1\n  Endpoint Pointer\n  LocalAddressLength UInt32\n"
          "  LocalAddress Binary length=LocalAddressLength\n  Status UInt32\n",
          "event 1006 v1 TcpBindEndpointPortFailure_V1\n  Endpoint Pointer\n  LocalAddressLength UInt32\n"
          "  LocalAddress Binary length=LocalAddressLength\n  Status UInt32\n  ProcessId UInt32\n");
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  uint8_t p[64];
  size_t n = payload_1006(p, true, 4, true);
  pc_event ev;
  PC_CHECK_INT(decode(dec, 1006, 1, p, n, &ev), PC_ETRAILING); /* before: our layout rejects it */
  pc_reconcile_stats st;
  char *out = run(&os, dec, &st);
  PC_CHECK_STR(
      out,
      "portclash: Microsoft-Windows-TCPIP event 1006 v1 differs from the built-in layout (built in 4 "
      "properties, here 5 (added 'ProcessId UInt32')); decoding it with the system's layout\n");
  PC_CHECK_INT(st.replaced, 1);
  PC_CHECK_INT(decode(dec, 1006, 1, p, n, &ev), PC_OK);
  PC_CHECK(ev.pid_known && ev.pid == 12345); /* the new field is picked up by name */
  PC_CHECK_UINT(ev.status, 0xC0000022u);
  free(out);
  pc_decoder_free(dec);
  pc_schema_set_free(os.set);
}

PC_TEST(type_change_is_warned_and_decoded_with_os_layout) {
  fake_os os;
  make_os(&os,
          "event 1006 v0 TcpBindEndpointPortFailure\n  LocalAddressLength UInt32\n"
          "  LocalAddress Binary length=LocalAddressLength\n  Status UInt32\n",
          "event 1006 v0 TcpBindEndpointPortFailure\n  LocalAddressLength UInt32\n"
          "  LocalAddress Binary length=LocalAddressLength\n  Status UInt16\n");
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  pc_reconcile_stats st;
  char *out = run(&os, dec, &st);
  PC_CHECK_STR(
      out,
      "portclash: Microsoft-Windows-TCPIP event 1006 v0 differs from the built-in layout (property 3: "
      "built in 'Status UInt32', here 'Status UInt16'); decoding it with the system's layout\n");
  uint8_t p[64];
  size_t n = payload_1006(p, false, 2, false);
  pc_event ev;
  PC_CHECK_INT(decode(dec, 1006, 0, p, n, &ev), PC_OK);
  PC_CHECK_UINT(ev.status, 0x0022);
  free(out);
  pc_decoder_free(dec);
  pc_schema_set_free(os.set);
}

PC_TEST(unknown_version_is_added) {
  fake_os os;
  make_os(&os, "event 1007 v0",
          "event 1006 v2 TcpBindEndpointPortFailure_V2\n  Endpoint Pointer\n"
          "  LocalAddressLength UInt32\n  LocalAddress Binary length=LocalAddressLength\n"
          "  Status UInt32\n  ProcessId UInt32\nevent 1007 v0");
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  uint8_t p[64];
  size_t n = payload_1006(p, true, 4, true);
  pc_event ev;
  PC_CHECK_INT(decode(dec, 1006, 2, p, n, &ev), PC_EUNKNOWN);
  pc_reconcile_stats st;
  char *out = run(&os, dec, &st);
  PC_CHECK_STR(out,
               "portclash: Microsoft-Windows-TCPIP event 1006 v2 is a version portclash does not know; "
               "decoding it with the system's layout\n");
  PC_CHECK_INT(st.added, 1);
  PC_CHECK_INT(decode(dec, 1006, 2, p, n, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_BIND_FAIL); /* the meaning of id 1006 carries over to the new version */
  PC_CHECK(ev.pid == 12345 && ev.addr.port == 80);
  free(out);
  pc_decoder_free(dec);
  pc_schema_set_free(os.set);
}

PC_TEST(missing_provider_is_reported_once_and_skipped) {
  fake_os os;
  make_os(&os, NULL, NULL);
  os.has_winsock_sockets = false;
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  pc_reconcile_stats st;
  char *out = run(&os, dec, &st);
  PC_CHECK_STR(
      out,
      "portclash: Microsoft-Windows-Winsock-Sockets is not on this system; its events will not be seen\n");
  PC_CHECK_INT(st.providers_missing, 1);
  PC_CHECK_INT(st.identical, 68); /* 78 minus the 10 Winsock-Sockets schemas */
  free(out);
  pc_decoder_free(dec);
  pc_schema_set_free(os.set);
}
