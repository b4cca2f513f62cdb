/* Schema-driven decoding: what each (provider, id) means, and which properties to read. */
#include <stdlib.h>
#include <string.h>

#include "pc_attempt.h"
#include "pc_decode.h"
#include "pc_error.h"
#include "pc_sockaddr.h"

/* Roles are the meanings decoders need; each has the property names (aliases) that carry
 * it across providers and Windows builds. ProcessSequenceNumber is what the 18990 dump
 * calls the field later builds name ProcessStartKey (etw-facts.md §3.1). */
enum role {
  R_ENTER_EXIT,
  R_LOCATION,
  R_PROCESS,
  R_ENDPOINT,
  R_PID,
  R_START_KEY,
  R_STATUS,
  R_WSA_ERROR,
  R_ADDRESS,
  R_PORT,
  R_FAMILY,
  R_SOCKTYPE,
  R_PROTOCOL,
  R_OPT_LEVEL,
  R_OPT_NAME,
  R_OPT_VAL,
  R_START_PORT,
  R_NUM_PORTS,
  R_RES_TYPE,
  R_BACKLOG,
  R_COUNT
};

static const char *const role_aliases[R_COUNT][4] = {
    [R_ENTER_EXIT] = {"EnterExit"},
    [R_LOCATION] = {"Location"},
    [R_PROCESS] = {"Process"},
    [R_ENDPOINT] = {"Endpoint", "Listener", "Socket"},
    [R_PID] = {"ProcessId", "Pid", "UserModePid"},
    [R_START_KEY] = {"ProcessStartKey", "ProcessSequenceNumber"},
    [R_STATUS] = {"Status", "Error"},
    [R_WSA_ERROR] = {"ErrorCode"},
    [R_ADDRESS] = {"Address", "LocalAddress", "SocketAddress"},
    [R_PORT] = {"Port", "PortNumber"},
    [R_FAMILY] = {"AddressFamily"},
    [R_SOCKTYPE] = {"SocketType"},
    [R_PROTOCOL] = {"Protocol", "IPTransportProtocol"},
    [R_OPT_LEVEL] = {"Level"},
    [R_OPT_NAME] = {"OptName", "Option"},
    [R_OPT_VAL] = {"OptVal", "Value"},
    [R_START_PORT] = {"StartPort"},
    [R_NUM_PORTS] = {"NumberOfPorts"},
    [R_RES_TYPE] = {"ReservationType"},
    [R_BACKLOG] = {"Backlog"},
};

#define NO_PROP 0xFF

/* What an event id of a provider means, whatever its version. */
typedef struct meaning {
  uint8_t provider; /* PC_SEEN_* */
  uint16_t id_lo, id_hi;
  uint8_t kind;
  uint8_t proto;
} meaning;

static const meaning meanings[] = {
    {PC_SEEN_AFD, 1, 1, PC_EV_SOCKET_CREATE, 0},
    {PC_SEEN_AFD, 2, 3, PC_EV_BIND, 0},
    {PC_SEEN_AFD, 13, 14, PC_EV_SOCKET_CLOSE, 0},
    {PC_SEEN_AFD, 29, 29, PC_EV_SOCKOPT, 0},
    {PC_SEEN_AFD, 40, 40, PC_EV_BIND_FAIL, 0},
    {PC_SEEN_AFD, 1000, 1000, PC_EV_SOCKET_CREATE, 0},
    {PC_SEEN_AFD, 1001, 1002, PC_EV_SOCKET_CLOSE, 0},
    {PC_SEEN_AFD, 1029, 1030, PC_EV_BIND, 0},
    {PC_SEEN_AFD, 1035, 1035, PC_EV_SOCKOPT, 0},
    {PC_SEEN_AFD, 1037, 1037, PC_EV_LISTEN, 0},
    {PC_SEEN_TCPIP, 1001, 1001, PC_EV_ENDPOINT_CREATE, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1005, 1007, PC_EV_BIND_FAIL, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1008, 1008, PC_EV_BIND_OK, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1009, 1009, PC_EV_ENDPOINT_CLOSE, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1010, 1012, PC_EV_CREATE_FAIL, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1013, 1013, PC_EV_ENDPOINT_CREATE, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1050, 1050, PC_EV_CONNECT_PORT_FAIL, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1052, 1053, PC_EV_PORT_RESERVATION, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1054, 1054, PC_EV_GLOBAL_RESERVATION, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1121, 1122, PC_EV_LISTEN_FAIL, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1123, 1123, PC_EV_LISTEN_OK, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1124, 1124, PC_EV_LISTEN_CLOSE, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1191, 1195, PC_EV_PORT_ACQUIRE, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1366, 1366, PC_EV_BIND_DEFERRED, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1391, 1391, PC_EV_ENDPOINT_CREATE, PC_PROTO_UDP},
    {PC_SEEN_TCPIP, 1393, 1395, PC_EV_BIND_FAIL, PC_PROTO_UDP},
    {PC_SEEN_TCPIP, 1396, 1396, PC_EV_BIND_OK, PC_PROTO_UDP},
    {PC_SEEN_TCPIP, 1397, 1398, PC_EV_ENDPOINT_CLOSE, PC_PROTO_UDP},
    /* 1519 names its protocol in IPTransportProtocol; the proto here is only a default. */
    {PC_SEEN_TCPIP, 1519, 1519, PC_EV_GLOBAL_RESERVATION, 0},
    {PC_SEEN_TCPIP, 1562, 1562, PC_EV_CREATE_FAIL, PC_PROTO_TCP},
    {PC_SEEN_TCPIP, 1563, 1563, PC_EV_CREATE_FAIL, PC_PROTO_UDP},
    {PC_SEEN_WINSOCK, 1, 1, PC_EV_NONE, 0},
    {PC_SEEN_WINSOCK, 2, 2, PC_EV_SOCKET_CREATE, 0},
    {PC_SEEN_WINSOCK, 3, 3, PC_EV_NONE, 0},
    {PC_SEEN_WINSOCK, 4, 4, PC_EV_SOCKET_CLOSE, 0},
    {PC_SEEN_WINSOCK, 7, 7, PC_EV_NONE, 0},
    {PC_SEEN_WINSOCK, 8, 8, PC_EV_SOCKOPT, 0},
    {PC_SEEN_WINSOCK, 11, 11, PC_EV_NONE, 0},
    {PC_SEEN_WINSOCK, 12, 12, PC_EV_BIND, 0},
    {PC_SEEN_WINSOCK, 15, 15, PC_EV_NONE, 0},
    {PC_SEEN_WINSOCK, 16, 16, PC_EV_LISTEN, 0},
};

/* A schema resolved for decoding: where each role sits, and what the event means. */
typedef struct binding {
  const pc_schema_event *schema; /* points into the decoder's set */
  uint8_t provider;
  uint8_t kind;
  uint8_t proto;
  bool has_meaning;
  uint8_t prop[R_COUNT];
} binding;

/* Counters for problems, keyed by (provider, id, version, reason). Bounded: past the
 * table size problems are still counted in the totals and in `problem_overflow`. */
#define PROBLEM_SLOTS 128
typedef struct problem {
  uint8_t provider, version;
  uint16_t id;
  int reason; /* PC_EUNKNOWN, PC_ETRUNC, ... */
  uint64_t count;
} problem;

#define INDEX_SLOTS 1024 /* power of two, > 2x the number of schemas we can hold */

struct pc_decoder {
  pc_schema_set *schemas;
  binding *bindings;
  size_t binding_count;
  int32_t index[INDEX_SLOTS]; /* open addressing on key -> binding index, -1 empty */
  pc_decoder_stats stats;
  problem problems[PROBLEM_SLOTS];
  size_t problem_count;
  uint64_t problem_overflow;
};

static uint8_t provider_bit(const pc_guid *g) {
  /* Comparing data1 first is enough to reject almost every foreign provider quickly. */
  if (g->data1 == PC_GUID_AFD.data1 && pc_guid_equal(g, &PC_GUID_AFD)) return PC_SEEN_AFD;
  if (g->data1 == PC_GUID_TCPIP.data1 && pc_guid_equal(g, &PC_GUID_TCPIP)) return PC_SEEN_TCPIP;
  if (g->data1 == PC_GUID_WINSOCK_SOCKETS.data1 && pc_guid_equal(g, &PC_GUID_WINSOCK_SOCKETS))
    return PC_SEEN_WINSOCK;
  return 0;
}

static uint32_t index_key(uint8_t provider, uint16_t id, uint8_t version) {
  return (uint32_t)provider << 24 | (uint32_t)id << 8 | version;
}

static uint32_t index_hash(uint32_t key) {
  return (key * 2654435761u) >> 22; /* 10 bits */
}

static void bind_schema(binding *b, const pc_schema_event *ev, uint8_t provider) {
  memset(b, 0, sizeof *b);
  b->schema = ev;
  b->provider = provider;
  for (int r = 0; r < R_COUNT; r++) {
    b->prop[r] = NO_PROP;
    for (int a = 0; a < 4 && role_aliases[r][a] && b->prop[r] == NO_PROP; a++)
      for (unsigned i = 0; i < ev->prop_count; i++)
        if (strcmp(ev->props[i].name, role_aliases[r][a]) == 0) {
          b->prop[r] = (uint8_t)i;
          break;
        }
  }
  for (size_t m = 0; m < sizeof meanings / sizeof meanings[0]; m++)
    if (meanings[m].provider == provider && ev->id >= meanings[m].id_lo && ev->id <= meanings[m].id_hi) {
      b->kind = meanings[m].kind;
      b->proto = meanings[m].proto;
      b->has_meaning = true;
    }
}

static int rebuild(pc_decoder *d) {
  binding *nb = calloc(d->schemas->count ? d->schemas->count : 1, sizeof *nb);
  if (!nb) return PC_ENOMEM;
  if (d->schemas->count > INDEX_SLOTS / 2) {
    free(nb);
    return PC_ELIMIT;
  }
  free(d->bindings);
  d->bindings = nb;
  d->binding_count = 0;
  for (size_t i = 0; i < INDEX_SLOTS; i++) d->index[i] = -1;
  for (size_t i = 0; i < d->schemas->count; i++) {
    const pc_schema_event *ev = &d->schemas->events[i];
    uint8_t prov = provider_bit(&ev->provider);
    if (!prov) continue; /* schemas of other providers are kept but never used */
    bind_schema(&nb[d->binding_count], ev, prov);
    uint32_t key = index_key(prov, ev->id, ev->version);
    uint32_t h = index_hash(key);
    while (d->index[h] >= 0) h = (h + 1) & (INDEX_SLOTS - 1);
    d->index[h] = (int32_t)d->binding_count++;
  }
  return PC_OK;
}

int pc_decoder_new(pc_schema_set *schemas, pc_decoder **out) {
  *out = NULL;
  if (!schemas) {
    int rc = pc_schema_builtin_load(&schemas);
    if (rc != PC_OK) return rc;
  }
  pc_decoder *d = calloc(1, sizeof *d);
  if (!d) {
    pc_schema_set_free(schemas);
    return PC_ENOMEM;
  }
  d->schemas = schemas;
  int rc = rebuild(d);
  if (rc != PC_OK) {
    pc_decoder_free(d);
    return rc;
  }
  *out = d;
  return PC_OK;
}

void pc_decoder_free(pc_decoder *d) {
  if (!d) return;
  pc_schema_set_free(d->schemas);
  free(d->bindings);
  free(d);
}

int pc_decoder_set_schema(pc_decoder *d, const pc_schema_event *ev) {
  int rc = pc_schema_set_put(d->schemas, ev);
  return rc == PC_OK ? rebuild(d) : rc;
}

const pc_schema_set *pc_decoder_schemas(const pc_decoder *d) {
  return d->schemas;
}

static const binding *lookup(const pc_decoder *d, uint8_t prov, uint16_t id, uint8_t version) {
  uint32_t key = index_key(prov, id, version);
  for (uint32_t h = index_hash(key);; h = (h + 1) & (INDEX_SLOTS - 1)) {
    int32_t i = d->index[h];
    if (i < 0) return NULL;
    const binding *b = &d->bindings[i];
    if (b->provider == prov && b->schema->id == id && b->schema->version == version) return b;
  }
}

static int count_problem(pc_decoder *d, uint8_t prov, const pc_record *r, int reason) {
  if (reason == PC_EUNKNOWN)
    d->stats.unknown++;
  else
    d->stats.malformed++;
  for (size_t i = 0; i < d->problem_count; i++) {
    problem *p = &d->problems[i];
    if (p->provider == prov && p->id == r->id && p->version == r->version && p->reason == reason) {
      p->count++;
      return reason;
    }
  }
  if (d->problem_count < PROBLEM_SLOTS)
    d->problems[d->problem_count++] = (problem){prov, r->version, r->id, reason, 1};
  else
    d->problem_overflow++;
  return reason;
}

static uint64_t get_uint(const binding *b, const pc_field *f, const uint8_t *data, int role, bool *known) {
  uint8_t i = b->prop[role];
  if (i == NO_PROP) {
    if (known) *known = false;
    return 0;
  }
  if (known) *known = true;
  return pc_field_uint(data, &f[i]);
}

/* Fills the address from whichever shape the event uses: a SOCKADDR blob (most events),
 * or the legacy AFD 2/3 pair of a raw IPv4 u32 / 16-byte IPv6 plus a network-order port. */
static int decode_address(const binding *b, const pc_field *f, const uint8_t *data, pc_event *ev) {
  uint8_t ai = b->prop[R_ADDRESS];
  if (ai == NO_PROP) return PC_OK;
  const pc_schema_prop *ap = &b->schema->props[ai];
  const pc_field *af = &f[ai];
  if (b->prop[R_PORT] != NO_PROP && ap->intype != PC_IN_BINARY) {
    if (af->length != 4) return PC_EPARSE;
    ev->addr.family = PC_AF_INET;
    memcpy(ev->addr.bytes, data + af->offset, 4);
  } else if (b->prop[R_PORT] != NO_PROP && ap->intype == PC_IN_BINARY && af->length == 16 &&
             ap->length_prop == PC_SCHEMA_NO_LENGTH_PROP) {
    ev->addr.family = PC_AF_INET6;
    memcpy(ev->addr.bytes, data + af->offset, 16);
  } else if (ap->intype == PC_IN_BINARY) {
    int rc = pc_sockaddr_decode(data + af->offset, af->length, &ev->addr);
    if (rc == PC_ENOENT) return PC_OK;  /* "AddressLen may be 0" (NetBlame): no address */
    if (rc == PC_ENOTSUP) return PC_OK; /* another family (AF_UNIX, Hyper-V): not a port bind */
    if (rc != PC_OK) return rc;
    ev->addr_known = true;
    return PC_OK;
  } else {
    return PC_OK;
  }
  /* Legacy pair: the port is a u16 in network byte order (outType win:Port). */
  const pc_field *pf = &f[b->prop[R_PORT]];
  if (pf->length != 2) return PC_EPARSE;
  ev->addr.port = (uint16_t)(data[pf->offset] << 8 | data[pf->offset + 1]);
  ev->addr_known = true;
  return PC_OK;
}

int pc_decoder_decode(pc_decoder *d, const pc_record *r, pc_event *ev) {
  uint8_t prov = provider_bit(&r->provider);
  if (!prov) {
    d->stats.foreign++;
    return PC_ENOTSUP;
  }
  const binding *b = lookup(d, prov, r->id, r->version);
  if (!b || !b->has_meaning) return count_problem(d, prov, r, PC_EUNKNOWN);
  pc_field f[PC_SCHEMA_MAX_PROPS];
  int rc = pc_schema_walk(b->schema, r->user_data, r->user_data_len, pc_record_pointer_size(r), f);
  if (rc != PC_OK) return count_problem(d, prov, r, rc);

  const uint8_t *data = r->user_data;
  *ev = (pc_event){
      .kind = b->kind,
      .source = prov,
      .proto = b->proto,
      .id = r->id,
      .version = r->version,
      .ts = r->timestamp,
      .header_pid = r->pid,
      .tid = r->tid,
      .header_start_key = (r->ext_present & PC_RECORD_EXT_PROCESS_START_KEY) ? r->process_start_key : 0,
  };

  ev->enter_exit = (uint32_t)get_uint(b, f, data, R_ENTER_EXIT, &ev->enter_exit_known);
  ev->location = (uint32_t)get_uint(b, f, data, R_LOCATION, NULL);
  ev->process = get_uint(b, f, data, R_PROCESS, NULL);
  ev->endpoint = get_uint(b, f, data, R_ENDPOINT, NULL);
  uint64_t pid = get_uint(b, f, data, R_PID, &ev->pid_known);
  if (pid > UINT32_MAX) return count_problem(d, prov, r, PC_EPARSE);
  ev->pid = (uint32_t)pid;
  /* A payload ProcessId of 0 is the Idle process, never a socket owner: NetBlame treats it
   * as "not known", and so do we (a non-zero value, 4 included, is what the event says). */
  if (ev->pid == 0) ev->pid_known = false;
  ev->start_key = get_uint(b, f, data, R_START_KEY, &ev->start_key_known);
  if (prov == PC_SEEN_WINSOCK) {
    /* Winsock-Sockets logs Win32/WSA codes (ErrorCode), not NTSTATUS. */
    ev->wsa_error = (uint32_t)get_uint(b, f, data, R_WSA_ERROR, &ev->wsa_known);
  } else {
    ev->status = (uint32_t)get_uint(b, f, data, R_STATUS, &ev->status_known);
  }
  ev->family_raw = (uint32_t)get_uint(b, f, data, R_FAMILY, &ev->family_known);
  ev->socktype = (uint32_t)get_uint(b, f, data, R_SOCKTYPE, NULL);
  ev->protocol = (uint32_t)get_uint(b, f, data, R_PROTOCOL, NULL);
  ev->backlog = (uint32_t)get_uint(b, f, data, R_BACKLOG, NULL);
  ev->start_port = (uint16_t)get_uint(b, f, data, R_START_PORT, NULL);
  ev->num_ports = (uint16_t)get_uint(b, f, data, R_NUM_PORTS, NULL);
  ev->reservation_type = (uint32_t)get_uint(b, f, data, R_RES_TYPE, NULL);
  if (b->kind == PC_EV_GLOBAL_RESERVATION && ev->protocol) ev->proto = (uint8_t)ev->protocol;

  if (b->kind == PC_EV_SOCKOPT) {
    bool lk;
    ev->opt_level = (int32_t)get_uint(b, f, data, R_OPT_LEVEL, &lk);
    ev->opt_name = (int32_t)get_uint(b, f, data, R_OPT_NAME, &ev->opt_known);
    uint8_t vi = b->prop[R_OPT_VAL];
    if (vi != NO_PROP) {
      /* OptVal is a blob (usually a 4-byte BOOL/int); Value is a u32. Read up to 4 bytes. */
      pc_field vf = f[vi];
      if (vf.length > 4) vf.length = 4;
      ev->opt_value = (uint32_t)pc_field_uint(data, &vf);
    }
  }
  rc = decode_address(b, f, data, ev);
  if (rc != PC_OK) return count_problem(d, prov, r, rc);
  d->stats.decoded++;
  return PC_OK;
}

void pc_decoder_get_stats(const pc_decoder *d, pc_decoder_stats *out) {
  *out = d->stats;
}

static const char *provider_short(uint8_t prov) {
  return prov == PC_SEEN_AFD ? "Winsock-AFD" : prov == PC_SEEN_TCPIP ? "TCPIP" : "Winsock-Sockets";
}

void pc_decoder_write_summary(const pc_decoder *d, FILE *out) {
  for (size_t i = 0; i < d->problem_count; i++) {
    const problem *p = &d->problems[i];
    const char *why =
        p->reason == PC_EUNKNOWN ? "no schema for this (id, version): not decoded" : pc_strerror(p->reason);
    fprintf(out, "decoder: %s event %u v%u: %llu x %s\n", provider_short(p->provider), p->id, p->version,
            (unsigned long long)p->count, why);
  }
  if (d->problem_overflow)
    fprintf(out, "decoder: %llu more problems of other kinds (table full)\n",
            (unsigned long long)d->problem_overflow);
}

const char *pc_event_kind_name(uint8_t kind) {
  static const char *const names[PC_EV_KIND_COUNT] = {"none",
                                                      "socket_create",
                                                      "socket_close",
                                                      "bind",
                                                      "bind_fail",
                                                      "bind_ok",
                                                      "listen",
                                                      "listen_fail",
                                                      "listen_ok",
                                                      "listen_close",
                                                      "sockopt",
                                                      "endpoint_create",
                                                      "endpoint_close",
                                                      "create_fail",
                                                      "connect_port_fail",
                                                      "port_reservation",
                                                      "global_reservation",
                                                      "port_acquire",
                                                      "bind_deferred"};
  return kind < PC_EV_KIND_COUNT ? names[kind] : "?";
}
