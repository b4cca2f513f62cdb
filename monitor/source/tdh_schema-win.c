/* tdh_schema-win.c - pc_schema_source over TDH: the layouts the running Windows reports.
 *
 * API contracts used (learn.microsoft.com):
 *  - TdhEnumerateManifestProviderEvents(ProviderGuid, PROVIDER_EVENT_INFO *Buffer, ULONG
 *    *BufferSize): a size of 0 (or too small) gives ERROR_INSUFFICIENT_BUFFER and the needed
 *    size; ERROR_FILE_NOT_FOUND / ERROR_NOT_FOUND when the provider's metadata is not on this
 *    machine; ERROR_EMPTY when it has no events. Windows 8.1+.
 *  - TdhGetManifestEventInformation(ProviderGuid, EventDescriptor, TRACE_EVENT_INFO *, ULONG
 *    *BufferSize): same sizing protocol. Windows 8.1+.
 *  - TdhGetEventInformation(EVENT_RECORD *, ...): same sizing protocol; Vista+.
 *  - TRACE_EVENT_INFO: offsets are from the start of the structure; names are NUL-terminated
 *    UTF-16. EventNameOffset shares its slot with ActivityIDNameOffset (the union in the SDK;
 *    mingw-w64 v10 names only the latter). TopLevelPropertyCount properties come first in
 *    EventPropertyInfoArray; members of structs follow them.
 *  - EVENT_PROPERTY_INFO.Flags: PropertyStruct 0x1, PropertyParamLength 0x2 (length is
 *    lengthPropertyIndex), PropertyParamCount 0x4 (count is countPropertyIndex),
 *    PropertyWBEMXmlFragment 0x8, PropertyParamFixedLength 0x10, PropertyParamFixedCount 0x20.
 * Nothing here runs per event: the source is read once at start-up. */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "etw.h"

/* PROVIDER_EVENT_INFO (tdh.h, Windows 8.1+), absent from mingw v10's tdh.h. */
typedef struct provider_event_info {
  ULONG NumberOfEvents;
  ULONG Reserved;
  EVENT_DESCRIPTOR EventDescriptorsArray[ANYSIZE_ARRAY];
} provider_event_info;

int pc_tdh_api_load(pc_tdh_api *api) {
  memset(api, 0, sizeof *api);
  HMODULE tdh = LoadLibraryExW(L"tdh.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (!tdh) tdh = LoadLibraryW(L"tdh.dll"); /* LOAD_LIBRARY_SEARCH_* needs KB2533623 on Windows 7 */
  if (!tdh) return PC_ENOTSUP;
  FARPROC p = GetProcAddress(tdh, "TdhEnumerateManifestProviderEvents");
  memcpy(&api->enumerate_manifest_provider_events, &p, sizeof p);
  p = GetProcAddress(tdh, "TdhGetManifestEventInformation");
  memcpy(&api->get_manifest_event_information, &p, sizeof p);
  p = GetProcAddress(tdh, "TdhGetEventInformation");
  memcpy(&api->get_event_information, &p, sizeof p);
  /* The library stays loaded for the life of the process. */
  return PC_OK;
}

/* ---- TRACE_EVENT_INFO -> pc_schema_event ---- */

/* Copies the UTF-16 string at offset off of the info block into an ASCII token (spaces
 * become '_', so it stays one word in the text form). */
static int read_name(const TRACE_EVENT_INFO *info, size_t size, ULONG off, char *dst, size_t cap,
                     bool token) {
  if (off < sizeof(TRACE_EVENT_INFO) - sizeof(EVENT_PROPERTY_INFO) || off >= size || (size - off) < 2)
    return PC_EPARSE;
  const unsigned char *p = (const unsigned char *)info + off;
  size_t max = (size - off) / 2, n = 0;
  for (size_t i = 0; i < max; i++) {
    unsigned c = (unsigned)p[2 * i] | (unsigned)p[2 * i + 1] << 8;
    if (c == 0) {
      if (n == 0) return PC_ENOTSUP;
      dst[n] = '\0';
      return PC_OK;
    }
    if (c > 0x7e || c < 0x20) return PC_ENOTSUP;
    if (n + 1 >= cap) return PC_ENOTSUP;
    dst[n++] = token && c == ' ' ? '_' : (char)c;
  }
  return PC_EPARSE; /* no terminator inside the block */
}

/* In-types the schema model has (pc_intype), plus SizeT, which has a pointer's size. */
static int map_intype(USHORT in) {
  if (in <= TDH_INTYPE_HEXINT64) return in;
  if (in == TDH_INTYPE_SIZET) return PC_IN_POINTER;
  return -1;
}

int pc_tdh_translate(const TRACE_EVENT_INFO *info, size_t size, pc_schema_event *out) {
  memset(out, 0, sizeof *out);
  size_t head = offsetof(TRACE_EVENT_INFO, EventPropertyInfoArray);
  if (size < head) return PC_EPARSE;
  out->provider = pc__etw_guid(&info->ProviderGuid);
  out->id = info->EventDescriptor.Id;
  out->version = info->EventDescriptor.Version;
  ULONG top = info->TopLevelPropertyCount;
  if (info->PropertyCount < top) return PC_EPARSE;
  if ((size - head) / sizeof(EVENT_PROPERTY_INFO) < info->PropertyCount) return PC_EPARSE;
  if (top > PC_SCHEMA_MAX_PROPS) return PC_ENOTSUP;

  /* The event's name: EventNameOffset (ActivityIDNameOffset's slot), else task + opcode. */
  int rc = PC_ENOTSUP;
  if (info->ActivityIDNameOffset)
    rc = read_name(info, size, info->ActivityIDNameOffset, out->name, sizeof out->name, true);
  if (rc != PC_OK && info->TaskNameOffset) {
    char task[PC_SCHEMA_NAME_MAX], op[PC_SCHEMA_NAME_MAX] = "";
    if (read_name(info, size, info->TaskNameOffset, task, sizeof task, true) == PC_OK) {
      if (info->OpcodeNameOffset) read_name(info, size, info->OpcodeNameOffset, op, sizeof op, true);
      int n = snprintf(out->name, sizeof out->name, "%s%s", task, op);
      if (n >= 0 && (size_t)n < sizeof out->name) rc = PC_OK;
    }
  }
  if (rc != PC_OK) snprintf(out->name, sizeof out->name, "event_%u", (unsigned)out->id);

  for (ULONG i = 0; i < top; i++) {
    /* EventPropertyInfoArray is declared [ANYSIZE_ARRAY]: index through a plain pointer. */
    const EVENT_PROPERTY_INFO *ep = (const EVENT_PROPERTY_INFO *)((const unsigned char *)info + head) + i;
    pc_schema_prop *p = &out->props[i];
    if (ep->Flags & (PropertyStruct | PropertyParamCount | PropertyWBEMXmlFragment)) return PC_ENOTSUP;
    /* count is 1 for a property that is not an array ("EVENT_PROPERTY_INFO structure");
     * anything else (including a fixed count > 1, PropertyParamFixedCount) is an array. */
    if (ep->count != 1) return PC_ENOTSUP;
    rc = read_name(info, size, ep->NameOffset, p->name, sizeof p->name, false);
    if (rc != PC_OK) return rc;
    int t = map_intype(ep->nonStructType.InType);
    if (t < 0) return PC_ENOTSUP;
    p->intype = (uint8_t)t;
    p->length_prop = PC_SCHEMA_NO_LENGTH_PROP;
    if (ep->Flags & PropertyParamLength) {
      /* Only byte blobs take their length from another property in the model. */
      if (t != PC_IN_BINARY) return PC_ENOTSUP;
      if (ep->lengthPropertyIndex >= i) return PC_EPARSE; /* must name an earlier property */
      p->length_prop = (uint8_t)ep->lengthPropertyIndex;
    } else if (t == PC_IN_BINARY) {
      p->length = ep->length;
    } else if ((t == PC_IN_UNICODESTRING || t == PC_IN_ANSISTRING) && ep->length != 0) {
      return PC_ENOTSUP; /* fixed-length strings are not in the model */
    }
    /* Fixed-size types: TDH reports their size in length; the model knows it already. */
  }
  out->prop_count = (uint8_t)top;
  return PC_OK;
}

/* ---- The source ---- */

#define MAX_PROVIDERS 3

struct pc_tdh_source {
  pc_tdh_api api;
  struct {
    pc_guid guid;
    provider_event_info *events; /* from TdhEnumerateManifestProviderEvents */
  } cache[MAX_PROVIDERS];
};

/* Calls TDH with the size protocol: ask, allocate, ask again (the size can grow between the
 * calls, so loop a few times). On success *buf is malloc'ed and *size set. */
typedef ULONG (*tdh_call)(void *ctx, void *buf, ULONG *size);

static int tdh_alloc(tdh_call call, void *ctx, void **buf, ULONG *out_size) {
  ULONG size = 0;
  *buf = NULL;
  ULONG rc = call(ctx, NULL, &size);
  for (int tries = 0; tries < 4 && rc == ERROR_INSUFFICIENT_BUFFER; tries++) {
    free(*buf);
    *buf = size ? malloc(size) : NULL;
    if (!*buf) return PC_ENOMEM;
    rc = call(ctx, *buf, &size);
  }
  if (rc == ERROR_SUCCESS && *buf) {
    *out_size = size;
    return PC_OK;
  }
  free(*buf);
  *buf = NULL;
  if (rc == ERROR_SUCCESS || rc == ERROR_EMPTY) return PC_ENOENT; /* nothing to describe */
  if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_NOT_FOUND || rc == ERROR_RESOURCE_TYPE_NOT_FOUND)
    return PC_ENOENT;
  if (rc == ERROR_NOT_ENOUGH_MEMORY || rc == ERROR_OUTOFMEMORY) return PC_ENOMEM;
  return PC_EIO;
}

typedef struct enum_ctx {
  const pc_tdh_api *api;
  GUID guid;
  EVENT_DESCRIPTOR desc;
  EVENT_RECORD *rec;
} enum_ctx;

static ULONG call_enumerate(void *c, void *buf, ULONG *size) {
  enum_ctx *e = c;
  return e->api->enumerate_manifest_provider_events(&e->guid, buf, size);
}

static ULONG call_manifest_info(void *c, void *buf, ULONG *size) {
  enum_ctx *e = c;
  return e->api->get_manifest_event_information(&e->guid, &e->desc, buf, size);
}

static ULONG call_event_info(void *c, void *buf, ULONG *size) {
  enum_ctx *e = c;
  return e->api->get_event_information(e->rec, 0, NULL, buf, size);
}

static provider_event_info *provider_events(pc_tdh_source *t, const pc_guid *g, int *rc) {
  for (int i = 0; i < MAX_PROVIDERS; i++)
    if (t->cache[i].events && pc_guid_equal(&t->cache[i].guid, g)) {
      *rc = PC_OK;
      return t->cache[i].events;
    }
  enum_ctx e = {&t->api, {0}, {0}, NULL};
  memcpy(&e.guid, g, sizeof e.guid);
  void *buf;
  ULONG size;
  *rc = tdh_alloc(call_enumerate, &e, &buf, &size);
  if (*rc != PC_OK) return NULL;
  provider_event_info *pei = buf;
  if (size < offsetof(provider_event_info, EventDescriptorsArray) ||
      (size - offsetof(provider_event_info, EventDescriptorsArray)) / sizeof(EVENT_DESCRIPTOR) <
          pei->NumberOfEvents) {
    free(buf);
    *rc = PC_EPARSE;
    return NULL;
  }
  for (int i = 0; i < MAX_PROVIDERS; i++)
    if (!t->cache[i].events) {
      t->cache[i].guid = *g;
      t->cache[i].events = pei;
      return pei;
    }
  free(buf); /* more providers than the cache holds: still answer this call */
  *rc = PC_ELIMIT;
  return NULL;
}

static int tdh_list_events(void *ud, const pc_guid *provider, uint16_t *ids, uint8_t *versions, size_t cap,
                           size_t *count) {
  pc_tdh_source *t = ud;
  *count = 0;
  if (!t->api.enumerate_manifest_provider_events || !t->api.get_manifest_event_information) return PC_ENOTSUP;
  int rc;
  provider_event_info *pei = provider_events(t, provider, &rc);
  if (!pei) return rc;
  for (ULONG i = 0; i < pei->NumberOfEvents; i++) {
    if (*count == cap) return PC_ELIMIT;
    ids[*count] = pei->EventDescriptorsArray[i].Id;
    versions[*count] = pei->EventDescriptorsArray[i].Version;
    (*count)++;
  }
  return PC_OK;
}

static int tdh_get_event(void *ud, const pc_guid *provider, uint16_t id, uint8_t version,
                         pc_schema_event *out) {
  pc_tdh_source *t = ud;
  if (!t->api.get_manifest_event_information) return PC_ENOTSUP;
  int rc;
  provider_event_info *pei = provider_events(t, provider, &rc);
  if (!pei) return rc;
  enum_ctx e = {&t->api, {0}, {0}, NULL};
  memcpy(&e.guid, provider, sizeof e.guid);
  bool found = false;
  for (ULONG i = 0; i < pei->NumberOfEvents && !found; i++)
    if (pei->EventDescriptorsArray[i].Id == id && pei->EventDescriptorsArray[i].Version == version) {
      /* The full descriptor as the manifest has it (channel, level, task, opcode, keyword). */
      e.desc = pei->EventDescriptorsArray[i];
      found = true;
    }
  if (!found) return PC_ENOENT;
  void *buf;
  ULONG size;
  rc = tdh_alloc(call_manifest_info, &e, &buf, &size);
  if (rc != PC_OK) return rc;
  rc = pc_tdh_translate(buf, size, out);
  free(buf);
  return rc;
}

int pc_tdh_source_new(const pc_tdh_api *api, pc_tdh_source **out, pc_schema_source *src) {
  pc_tdh_source *t = calloc(1, sizeof *t);
  if (!t) return PC_ENOMEM;
  t->api = *api;
  src->ud = t;
  src->list_events = tdh_list_events;
  src->get_event = tdh_get_event;
  *out = t;
  return PC_OK;
}

void pc_tdh_source_free(pc_tdh_source *t) {
  if (!t) return;
  for (int i = 0; i < MAX_PROVIDERS; i++) free(t->cache[i].events);
  free(t);
}

int pc_tdh_describe_record(const pc_tdh_api *api, const pc_record *r, pc_schema_event *out) {
  if (!api->get_event_information) return PC_ENOTSUP;
  EVENT_RECORD ev;
  memset(&ev, 0, sizeof ev);
  memcpy(&ev.EventHeader.ProviderId, &r->provider, sizeof(GUID));
  ev.EventHeader.Size = sizeof(EVENT_HEADER);
  ev.EventHeader.Flags = r->flags & (USHORT)~EVENT_HEADER_FLAG_EXTENDED_INFO; /* no items are passed */
  ev.EventHeader.EventDescriptor.Id = r->id;
  ev.EventHeader.EventDescriptor.Version = r->version;
  ev.EventHeader.EventDescriptor.Channel = r->channel;
  ev.EventHeader.EventDescriptor.Level = r->level;
  ev.EventHeader.EventDescriptor.Opcode = r->opcode;
  ev.EventHeader.EventDescriptor.Task = r->task;
  ev.EventHeader.EventDescriptor.Keyword = r->keyword;
  ev.EventHeader.ProcessId = r->pid;
  ev.EventHeader.ThreadId = r->tid;
  ev.EventHeader.TimeStamp.QuadPart = r->timestamp;
  ev.UserDataLength = (USHORT)(r->user_data_len > 0xFFFF ? 0xFFFF : r->user_data_len);
  ev.UserData = (PVOID)(uintptr_t)r->user_data;
  enum_ctx e = {api, {0}, {0}, &ev};
  void *buf;
  ULONG size;
  int rc = tdh_alloc(call_event_info, &e, &buf, &size);
  if (rc != PC_OK) return rc;
  rc = pc_tdh_translate(buf, size, out);
  free(buf);
  return rc;
}
