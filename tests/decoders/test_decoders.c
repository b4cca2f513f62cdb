/* Hand-checked decoder tests: payload bytes written out by hand from the manifest field
 * lists (etw-facts.md §2-3), decoded, and every field of the typed event checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_attempt.h"
#include "pc_decode.h"
#include "pc_error.h"
#include "pc_ntstatus.h"
#include "pc_sockaddr.h"
#include "pc_test.h"

/* A tiny little-endian payload builder. */
typedef struct buf {
  uint8_t b[512];
  size_t n;
} buf;
static void u8s(buf *p, const uint8_t *v, size_t n) {
  memcpy(p->b + p->n, v, n);
  p->n += n;
}
static void le(buf *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

static const uint8_t SA_127_8080[16] = {2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
/* AF_INET6 (23), port 443, flowinfo 0, fe80::1, scope 5 */
static const uint8_t SA6_FE80_443[28] = {23, 0, 0x01, 0xbb, 0, 0, 0, 0, 0xfe, 0x80, 0, 0, 0, 0,
                                         0,  0, 0,    0,    0, 0, 0, 0, 0,    1,    5, 0, 0, 0};

static int decode(const pc_guid *prov, uint16_t id, uint8_t ver, unsigned ptr, const buf *p, pc_event *ev) {
  static pc_decoder *dec;
  if (!dec && pc_decoder_new(NULL, &dec) != PC_OK) return PC_ENOMEM;
  pc_record r = {0};
  r.provider = *prov;
  r.id = id;
  r.version = ver;
  r.flags = ptr == 8 ? PC_RECORD_FLAG_64BIT_HEADER : ptr == 4 ? PC_RECORD_FLAG_32BIT_HEADER : 0;
  r.pid = 4242;
  r.timestamp = 1000;
  r.user_data = p->b;
  r.user_data_len = (uint32_t)p->n;
  return pc_decoder_decode(dec, &r, ev);
}

static void afd_1030(unsigned ptr, uint32_t addr_len) {
  buf p = {.n = 0};
  le(&p, 1, 4);                       /* EnterExit: completed */
  le(&p, 7022, 4);                    /* Location */
  le(&p, 0xffffa00000001000ull, ptr); /* Process (truncated to 32 bits when ptr = 4) */
  le(&p, 0xffffb00000002000ull, ptr); /* Endpoint */
  le(&p, 0xC0000043u, 4);             /* Status */
  le(&p, addr_len, 4);                /* AddressLen */
  u8s(&p, SA_127_8080, addr_len);
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_AFD, 1030, 0, ptr, &p, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_BIND);
  PC_CHECK_INT(ev.source, PC_SEEN_AFD);
  PC_CHECK(ev.enter_exit_known && ev.enter_exit == 1);
  PC_CHECK_INT(ev.location, 7022);
  PC_CHECK_UINT(ev.process, ptr == 8 ? 0xffffa00000001000ull : 0x00001000u);
  PC_CHECK_UINT(ev.endpoint, ptr == 8 ? 0xffffb00000002000ull : 0x00002000u);
  PC_CHECK(ev.status_known);
  PC_CHECK_UINT(ev.status, 0xC0000043u);
  PC_CHECK_INT(ev.header_pid, 4242);
  if (addr_len) {
    PC_CHECK(ev.addr_known);
    PC_CHECK_INT(ev.addr.family, PC_AF_INET);
    PC_CHECK_INT(ev.addr.port, 8080);
    PC_CHECK(ev.addr.bytes[0] == 127 && ev.addr.bytes[3] == 1);
  } else {
    PC_CHECK(!ev.addr_known);
  }
}

PC_TEST(afd_bind_with_address_both_pointer_sizes) {
  afd_1030(8, 16);
  afd_1030(4, 16);
  afd_1030(8, 0); /* "AddressLen may be 0" */
}

PC_TEST(afd_create_gives_user_mode_pid) {
  for (unsigned ptr = 4; ptr <= 8; ptr += 4) {
    buf p = {.n = 0};
    le(&p, 1, 4);
    le(&p, 1012, 4);
    le(&p, 0x1000, ptr);
    le(&p, 0x2000, ptr);
    le(&p, 23, 4);     /* AddressFamily AF_INET6 */
    le(&p, 2, 4);      /* SOCK_DGRAM */
    le(&p, 17, 4);     /* IPPROTO_UDP */
    le(&p, 5678, ptr); /* ProcessId is pointer-sized */
    le(&p, 0, 4);
    pc_event ev;
    PC_CHECK_INT(decode(&PC_GUID_AFD, 1000, 0, ptr, &p, &ev), PC_OK);
    PC_CHECK_INT(ev.kind, PC_EV_SOCKET_CREATE);
    PC_CHECK(ev.pid_known && ev.pid == 5678);
    PC_CHECK_INT(ev.family_raw, 23);
    PC_CHECK_INT(ev.socktype, 2);
    PC_CHECK_INT(ev.protocol, 17);
  }
}

PC_TEST(tcpip_1006_v1_ipv6_with_scope) {
  buf p = {.n = 0};
  le(&p, 0xffffc00000000001ull, 8); /* Endpoint (v1 only) */
  le(&p, 28, 4);                    /* LocalAddressLength */
  u8s(&p, SA6_FE80_443, 28);
  le(&p, 0xC0000022u, 4);
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_TCPIP, 1006, 1, 8, &p, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_BIND_FAIL);
  PC_CHECK_INT(ev.proto, PC_PROTO_TCP);
  PC_CHECK(ev.addr_known && ev.addr.family == PC_AF_INET6 && ev.addr.port == 443 && ev.addr.scope_id == 5);
  char ip[64];
  pc_addr_format_ip(&ev.addr, ip, sizeof ip);
  PC_CHECK_STR(ip, "fe80::1%5");
  PC_CHECK_UINT(ev.status, 0xC0000022u);
  PC_CHECK(!ev.pid_known); /* no PID in the payload: the correlator decides */
  /* v0 has no Endpoint: the same bytes minus the first 8 decode as v0. */
  buf v0 = {.n = 0};
  u8s(&v0, p.b + 8, p.n - 8);
  PC_CHECK_INT(decode(&PC_GUID_TCPIP, 1006, 0, 8, &v0, &ev), PC_OK);
  PC_CHECK_INT(ev.addr.port, 443);
}

PC_TEST(tcpip_1122_v1_listener_with_start_key) {
  buf p = {.n = 0};
  le(&p, 0x5000, 4); /* Listener (32-bit producer) */
  le(&p, 16, 4);
  u8s(&p, SA_127_8080, 16);
  le(&p, 0xC000020Au, 4);
  le(&p, 4321, 4);                /* ProcessId */
  le(&p, 1, 4);                   /* CompartmentId */
  le(&p, 2, 4);                   /* AddressFamily */
  le(&p, 0x20000000000123ull, 8); /* ProcessStartKey */
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_TCPIP, 1122, 1, 4, &p, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_LISTEN_FAIL);
  PC_CHECK(ev.pid_known && ev.pid == 4321);
  PC_CHECK(ev.start_key_known);
  PC_CHECK_UINT(ev.start_key, 0x20000000000123ull);
  PC_CHECK_UINT(ev.endpoint, 0x5000);
}

PC_TEST(tcpip_1394_udp_port_failure) {
  buf p = {.n = 0};
  le(&p, 16, 4);
  u8s(&p, SA_127_8080, 16);
  le(&p, 0xC0000022u, 4);
  le(&p, 0xffffe00000000007ull, 8); /* Endpoint comes last in 1393-1398 */
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_TCPIP, 1394, 0, 8, &p, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_BIND_FAIL);
  PC_CHECK_INT(ev.proto, PC_PROTO_UDP);
  PC_CHECK_UINT(ev.endpoint, 0xffffe00000000007ull);
}

PC_TEST(tcpip_1519_global_reservation_names_its_protocol) {
  buf p = {.n = 0};
  le(&p, 4, 4);     /* ProcessId */
  le(&p, 0, 4);     /* Status */
  le(&p, 1, 4);     /* ReservationType */
  le(&p, 17, 4);    /* IPTransportProtocol */
  le(&p, 50000, 2); /* StartPort */
  le(&p, 100, 2);   /* NumberOfPorts */
  le(&p, 99, 8);    /* ProcessSequenceNumber: an alias of the start key */
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_TCPIP, 1519, 0, 8, &p, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_GLOBAL_RESERVATION);
  PC_CHECK_INT(ev.proto, PC_PROTO_UDP);
  PC_CHECK_INT(ev.start_port, 50000);
  PC_CHECK_INT(ev.num_ports, 100);
  PC_CHECK(ev.start_key_known && ev.start_key == 99);
}

PC_TEST(winsock_sockets_setsockopt_and_bind) {
  buf p = {.n = 0};
  le(&p, 0, 4);          /* ErrorCode */
  le(&p, 0x1f4, 8);      /* Socket */
  le(&p, 0xFFFF, 4);     /* Level SOL_SOCKET */
  le(&p, 0xFFFFFFFB, 4); /* OptName SO_EXCLUSIVEADDRUSE = ~4 */
  le(&p, 4, 4);          /* OptLen */
  le(&p, 1, 4);          /* OptVal TRUE */
  le(&p, 0, 4);          /* FailurePoint */
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_WINSOCK_SOCKETS, 8, 0, 8, &p, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_SOCKOPT);
  PC_CHECK_INT(ev.opt_level, 0xFFFF);
  PC_CHECK_INT(ev.opt_name, -5);
  PC_CHECK_INT(ev.opt_value, 1);
  PC_CHECK(ev.wsa_known && ev.wsa_error == 0);

  buf b = {.n = 0};
  le(&b, 10048, 4); /* ErrorCode WSAEADDRINUSE */
  le(&b, 0x1f4, 8);
  le(&b, 16, 4);
  u8s(&b, SA_127_8080, 16);
  le(&b, 3, 4);
  PC_CHECK_INT(decode(&PC_GUID_WINSOCK_SOCKETS, 12, 0, 8, &b, &ev), PC_OK);
  PC_CHECK_INT(ev.kind, PC_EV_BIND);
  PC_CHECK(ev.wsa_known && ev.wsa_error == 10048);
  PC_CHECK(!ev.status_known);
  PC_CHECK(ev.addr_known && ev.addr.port == 8080);
}

PC_TEST(afd_legacy_bind_events_2_and_3) {
  buf p = {.n = 0};
  le(&p, 0x1000, 8);
  le(&p, 0x2000, 8);
  const uint8_t ip[4] = {192, 168, 1, 2};
  u8s(&p, ip, 4);                       /* Address: IPv4 in network order */
  const uint8_t port[2] = {0x1f, 0x90}; /* Port: win:Port, network order = 8080 */
  u8s(&p, port, 2);
  le(&p, 0xC0000043u, 4);
  pc_event ev;
  PC_CHECK_INT(decode(&PC_GUID_AFD, 2, 0, 8, &p, &ev), PC_OK);
  PC_CHECK(ev.addr_known && ev.addr.family == PC_AF_INET && ev.addr.port == 8080);
  PC_CHECK(ev.addr.bytes[0] == 192 && ev.addr.bytes[3] == 2);
  PC_CHECK(!ev.enter_exit_known);

  buf q = {.n = 0};
  le(&q, 0x1000, 4);
  le(&q, 0x2000, 4);
  uint8_t v6[16] = {0};
  v6[15] = 1; /* ::1 */
  u8s(&q, v6, 16);
  u8s(&q, port, 2);
  le(&q, 0, 4);
  PC_CHECK_INT(decode(&PC_GUID_AFD, 3, 0, 4, &q, &ev), PC_OK);
  PC_CHECK(ev.addr_known && ev.addr.family == PC_AF_INET6 && ev.addr.port == 8080 && ev.addr.bytes[15] == 1);
}

PC_TEST(foreign_unknown_and_malformed_are_counted_not_guessed) {
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  pc_record r = {0};
  pc_event ev;
  uint8_t junk[8] = {0};
  r.user_data = junk;
  r.user_data_len = 8;
  r.flags = PC_RECORD_FLAG_64BIT_HEADER;
  pc_guid other = {0x12345678, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
  r.provider = other;
  PC_CHECK_INT(pc_decoder_decode(dec, &r, &ev), PC_ENOTSUP);
  r.provider = PC_GUID_AFD;
  r.id = 9999;
  PC_CHECK_INT(pc_decoder_decode(dec, &r, &ev), PC_EUNKNOWN);
  PC_CHECK_INT(pc_decoder_decode(dec, &r, &ev), PC_EUNKNOWN);
  r.provider = PC_GUID_TCPIP;
  r.id = 1006;
  r.version = 7; /* a future version: unknown, not decoded with v1's layout */
  PC_CHECK_INT(pc_decoder_decode(dec, &r, &ev), PC_EUNKNOWN);
  r.version = 0;
  r.user_data_len = 6; /* LocalAddressLength 0, an empty address, then only 2 of Status's 4 bytes */
  PC_CHECK_INT(pc_decoder_decode(dec, &r, &ev), PC_ETRUNC);
  pc_decoder_stats st;
  pc_decoder_get_stats(dec, &st);
  PC_CHECK_UINT(st.foreign, 1);
  PC_CHECK_UINT(st.unknown, 3);
  PC_CHECK_UINT(st.malformed, 1);
  FILE *f = pc_test_stream();
  pc_decoder_write_summary(dec, f);
  char *out = pc_test_stream_text(f, NULL);
  PC_CHECK(out && strstr(out, "Winsock-AFD event 9999 v0: 2 x no schema") != NULL);
  PC_CHECK(out && strstr(out, "TCPIP event 1006 v7: 1 x no schema") != NULL);
  PC_CHECK(out && strstr(out, "TCPIP event 1006 v0: 1 x") != NULL);
  free(out);
  pc_decoder_free(dec);
}

PC_TEST(sockaddr_decoded_by_length_and_family) {
  pc_addr a;
  PC_CHECK_INT(pc_sockaddr_decode(SA_127_8080, 16, &a), PC_OK);
  PC_CHECK_INT(pc_sockaddr_decode(SA_127_8080, 8, &a), PC_OK); /* the minimum for AF_INET */
  PC_CHECK_INT(pc_sockaddr_decode(SA_127_8080, 7, &a), PC_ETRUNC);
  PC_CHECK_INT(pc_sockaddr_decode(SA6_FE80_443, 24, &a), PC_OK);
  PC_CHECK_INT(a.scope_id, 0);
  PC_CHECK_INT(pc_sockaddr_decode(SA6_FE80_443, 20, &a), PC_ETRUNC);
  PC_CHECK_INT(pc_sockaddr_decode(SA6_FE80_443, 0, &a), PC_ENOENT);
  uint8_t big[200] = {2, 0};
  PC_CHECK_INT(pc_sockaddr_decode(big, 200, &a), PC_EPARSE);
  uint8_t unixaddr[16] = {1, 0};
  PC_CHECK_INT(pc_sockaddr_decode(unixaddr, 16, &a), PC_ENOTSUP);
}

PC_TEST(ntstatus_to_wsa_table) {
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0000022u), 10013);
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0000043u), 10048);
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC000020Au), 10048);
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0000238u), 10022);
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0000141u), 10049);
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0000207u), 10049);
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0072740u), 10048); /* FACILITY_NTWIN32 wrapping WSAEADDRINUSE */
  PC_CHECK_INT(pc_ntstatus_to_wsa(0xC0001234u), 0);     /* unknown: not guessed */
  PC_CHECK_INT(pc_ntstatus_to_wsa(0), 0);
  PC_CHECK_STR(pc_ntstatus_name(0xC0000043u), "STATUS_SHARING_VIOLATION");
  PC_CHECK_STR(pc_wsa_name(10013), "WSAEACCES");
  PC_CHECK_STR(pc_wsa_name(10048), "WSAEADDRINUSE");
  PC_CHECK(pc_wsa_name(12345) == NULL);
}

PC_TEST(schema_text_round_trip_and_errors) {
  pc_schema_set *set;
  PC_CHECK_INT(pc_schema_builtin_load(&set), PC_OK);
  PC_CHECK(set->count >= 76);
  size_t len = 0;
  FILE *f = pc_test_stream();
  pc_schema_set_write(set, f);
  char *text = pc_test_stream_text(f, &len);
  pc_schema_set *again;
  char err[256];
  PC_CHECK_INT(pc_schema_set_parse(text, len, "dump", &again, err, sizeof err), PC_OK);
  PC_CHECK_INT(again->count, set->count);
  for (size_t i = 0; i < set->count; i++) {
    const pc_schema_event *b =
        pc_schema_set_find(again, &set->events[i].provider, set->events[i].id, set->events[i].version);
    char diff[256];
    PC_CHECK(b && pc_schema_event_same(&set->events[i], b, diff, sizeof diff));
  }
  free(text);
  pc_schema_set_free(again);
  pc_schema_set_free(set);

  static const struct {
    const char *text, *error;
  } bad[] = {
      {"event 1 v0 X\n", "t:1: event before any provider line"},
      {"provider P {zz}\n", "t:1: expected: provider NAME {GUID}"},
      {"provider P {e53c6823-7bb8-44bb-90dc-3f86090d48a6}\nevent 1 v0 X\n  A Binary\n",
       "t:3: Binary needs length=PROP or length=N"},
      {"provider P {e53c6823-7bb8-44bb-90dc-3f86090d48a6}\nevent 1 v0 X\n  A Binary length=L\n",
       "t:3: length refers to 'L', which is not an earlier property"},
      {"provider P {e53c6823-7bb8-44bb-90dc-3f86090d48a6}\nevent 1 v0 X\n  A Strange\n",
       "t:3: unknown type 'Strange'"},
      {"provider P {e53c6823-7bb8-44bb-90dc-3f86090d48a6}\nevent 1 v0 X\n  A UInt32\n  A UInt32\n",
       "t:4: duplicate property 'A'"},
      {"provider P {e53c6823-7bb8-44bb-90dc-3f86090d48a6}\nevent 1 v0 X\nevent 1 v0 Y\n",
       "t:3: event 1 v0 is defined twice"},
      {"  A UInt32\n", "t:1: property outside an event"},
      {"bogus\n", "t:1: unknown keyword 'bogus'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pc_schema_set *s = NULL;
    err[0] = '\0';
    PC_CHECK_INT(pc_schema_set_parse(bad[i].text, strlen(bad[i].text), "t", &s, err, sizeof err), PC_EPARSE);
    PC_CHECK_STR(err, bad[i].error);
    PC_CHECK(s == NULL);
  }
}

PC_TEST(os_schema_replaces_builtin_and_aliases_resolve) {
  /* A hypothetical build that renames ProcessStartKey and appends a field to 1122 v1:
   * decoding follows the new layout and still finds the start key by its alias. */
  const char *text =
      "provider Microsoft-Windows-TCPIP {2f07e2ee-15db-40f1-90ef-9d7ba282188a}\n"
      "event 1122 v1 TcpListenerBindFailedPort_V1\n"
      "  Listener Pointer\n  AddressLength UInt32\n  SocketAddress Binary length=AddressLength\n"
      "  Status UInt32\n  ProcessId UInt32\n  CompartmentId UInt32\n  AddressFamily UInt32\n"
      "  ProcessSequenceNumber UInt64\n  NewField UInt16\n";
  pc_schema_set *os;
  char err[256];
  PC_CHECK_INT(pc_schema_set_parse(text, strlen(text), "os", &os, err, sizeof err), PC_OK);
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  PC_CHECK_INT(pc_decoder_set_schema(dec, &os->events[0]), PC_OK);
  buf p = {.n = 0};
  le(&p, 0x5000, 8);
  le(&p, 16, 4);
  u8s(&p, SA_127_8080, 16);
  le(&p, 0xC000020Au, 4);
  le(&p, 77, 4);
  le(&p, 1, 4);
  le(&p, 2, 4);
  le(&p, 555, 8);
  le(&p, 0xABCD, 2);
  pc_record r = {0};
  r.provider = PC_GUID_TCPIP;
  r.id = 1122;
  r.version = 1;
  r.flags = PC_RECORD_FLAG_64BIT_HEADER;
  r.user_data = p.b;
  r.user_data_len = (uint32_t)p.n;
  pc_event ev;
  PC_CHECK_INT(pc_decoder_decode(dec, &r, &ev), PC_OK);
  PC_CHECK(ev.pid == 77 && ev.start_key_known && ev.start_key == 555);
  pc_decoder_free(dec);
  pc_schema_set_free(os);
}
