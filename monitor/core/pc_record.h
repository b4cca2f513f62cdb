/* pc_record.h - an ETW-shaped event record that does not need windows.h.
 *
 * Every source produces these: the live ETW consumer copies them from EVENT_RECORD, the
 * ETL reader fills them from a file, tests fill them from fixtures. The user data is
 * borrowed: it is valid only for the duration of the call that hands the record on. */
#ifndef PC_RECORD_H
#define PC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_time.h"

/* A GUID in its native (Windows) layout; compare with pc_guid_equal. */
typedef struct pc_guid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];
} pc_guid;

/* EVENT_HEADER.Flags bits that matter to decoding (evntcons.h). */
#define PC_RECORD_FLAG_EXTENDED_INFO 0x0001u
#define PC_RECORD_FLAG_32BIT_HEADER 0x0020u
#define PC_RECORD_FLAG_64BIT_HEADER 0x0040u
#define PC_RECORD_FLAG_CLASSIC_HEADER 0x0100u

/* Which optional extended-data items the record carries. */
#define PC_RECORD_EXT_PROCESS_START_KEY 0x0001u

typedef struct pc_record {
  pc_guid provider;
  uint16_t id;      /* EVENT_DESCRIPTOR.Id */
  uint8_t version;  /* EVENT_DESCRIPTOR.Version */
  uint8_t channel;  /* EVENT_DESCRIPTOR.Channel */
  uint8_t level;    /* EVENT_DESCRIPTOR.Level */
  uint8_t opcode;   /* EVENT_DESCRIPTOR.Opcode */
  uint16_t task;    /* EVENT_DESCRIPTOR.Task */
  uint64_t keyword; /* EVENT_DESCRIPTOR.Keyword */
  uint16_t flags;   /* EVENT_HEADER.Flags: the pointer size comes from here */
  uint16_t processor;
  uint32_t pid; /* EVENT_HEADER.ProcessId: not always the socket owner, see correlator */
  uint32_t tid;
  pc_time timestamp;
  uint32_t ext_present; /* PC_RECORD_EXT_* */
  uint64_t process_start_key;
  const uint8_t *user_data; /* borrowed */
  uint32_t user_data_len;
} pc_record;

/* Pointer size in bytes of the record's producer: 4, 8, or 0 when the flags say neither
 * (a decoder must then refuse pointer-sized fields rather than guess). */
static inline unsigned pc_record_pointer_size(const pc_record *r) {
  if (r->flags & PC_RECORD_FLAG_64BIT_HEADER) return 8;
  if (r->flags & PC_RECORD_FLAG_32BIT_HEADER) return 4;
  return 0;
}

bool pc_guid_equal(const pc_guid *a, const pc_guid *b);

/* Parses "{2f07e2ee-15db-40f1-90ef-9d7ba282188a}" (braces optional, any case).
 * Returns PC_OK or PC_EPARSE. */
int pc_guid_parse(const char *text, size_t len, pc_guid *out);

/* Writes the lower-case braced form (38 chars + NUL) into buf[39]. */
void pc_guid_format(const pc_guid *g, char buf[39]);

/* The providers portclash understands. */
extern const pc_guid PC_GUID_AFD;             /* Microsoft-Windows-Winsock-AFD */
extern const pc_guid PC_GUID_TCPIP;           /* Microsoft-Windows-TCPIP */
extern const pc_guid PC_GUID_WINSOCK_SOCKETS; /* Microsoft-Windows-Winsock-Sockets */

#endif
