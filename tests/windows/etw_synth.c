/* etw_synth.c - fixture text to EVENT_RECORDs for the fake controllers (etw_synth.h). */
#include "etw_synth.h"

#include <string.h>

#include "pc_error.h"
#include "pc_fixture.h"

pc_time pc_synth_now(void) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  return (pc_time)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
}

int pc_synth_events(const char *text, pc_time base, pc_synth_event *out, int cap) {
  pc_schema_set *set;
  if (pc_schema_builtin_load(&set) != PC_OK) return -1;
  pc_fixture *fx;
  if (pc_fixture_open(text, strlen(text), "synth", set, &fx) != PC_OK) {
    pc_schema_set_free(set);
    return -1;
  }
  pc_record r;
  int rc, count = 0;
  pc_time first = 0;
  while ((rc = pc_fixture_next(fx, &r)) == PC_OK) {
    if (count == cap || r.user_data_len > sizeof out[0].data) {
      rc = -1;
      break;
    }
    pc_synth_event *s = &out[count++];
    memset(s, 0, sizeof *s);
    EVENT_HEADER *h = &s->ev.EventHeader;
    memcpy(&h->ProviderId, &r.provider, sizeof(GUID));
    h->Size = sizeof(EVENT_HEADER);
    h->Flags = (USHORT)(r.flags & (PC_RECORD_FLAG_32BIT_HEADER | PC_RECORD_FLAG_64BIT_HEADER));
    h->EventDescriptor.Id = r.id;
    h->EventDescriptor.Version = r.version;
    h->EventDescriptor.Opcode = r.opcode;
    h->EventDescriptor.Level = r.level;
    h->EventDescriptor.Keyword = r.keyword;
    h->ProcessId = r.pid;
    h->ThreadId = r.tid;
    s->ev.BufferContext.ProcessorIndex = r.processor;
    if (count == 1) first = r.timestamp;
    h->TimeStamp.QuadPart = (LONGLONG)(base + (r.timestamp - first));
    memcpy(s->data, r.user_data, r.user_data_len);
    s->ev.UserData = s->data;
    s->ev.UserDataLength = (USHORT)r.user_data_len;
    if (r.ext_present & PC_RECORD_EXT_PROCESS_START_KEY) {
      s->start_key = r.process_start_key;
      s->ext.ExtType = EVENT_HEADER_EXT_TYPE_PROCESS_START_KEY;
      s->ext.DataSize = sizeof s->start_key;
      s->ext.DataPtr = (ULONGLONG)(uintptr_t)&s->start_key;
      s->ev.ExtendedData = &s->ext;
      s->ev.ExtendedDataCount = 1;
      h->Flags |= EVENT_HEADER_FLAG_EXTENDED_INFO;
    }
  }
  pc_fixture_close(fx);
  pc_schema_set_free(set);
  return rc == 1 ? count : -1;
}
