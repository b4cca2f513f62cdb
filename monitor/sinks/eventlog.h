/* eventlog.h - findings as Windows Event Log events (`--eventlog`, and always in the
 * service): the portable part, which turns a finding into (event id, event type, insertion
 * strings), and the encoding of such an event as one record of the sink's bounded queue.
 *
 * The event source is "portclash" in the Application log. Its message table
 * (eventlog_messages.mc, linked into portclash.exe) has one message per id below, with the
 * explanation as %1 and the key fields as further insertion strings (listed in the .mc file),
 * so Event Viewer shows a readable text and forwarders get the fields. The severity of the
 * finding gives the event type: "error" -> Error, "warning" -> Warning, anything else ->
 * Information. The Windows transport is eventlog-win.c (eventlog_win.h); other
 * systems get eventlog-none.c, whose open says that the Event Log exists only on Windows. */
#ifndef PC_SINKS_EVENTLOG_H
#define PC_SINKS_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "pc_finding.h"

/* Event ids: the MessageId values of eventlog_messages.mc. A public contract. */
enum {
  PC_EVENTLOG_BIND_FAILURE = 100,
  PC_EVENTLOG_PORT_AT_RISK = 101,
  PC_EVENTLOG_EVENTS_LOST = 102,
  PC_EVENTLOG_OUTPUT_DROPPED = 103,
  PC_EVENTLOG_LIMIT_HIT = 104,
  PC_EVENTLOG_OTHER_FINDING = 109, /* a finding kind added later than this table */
  PC_EVENTLOG_SERVICE_START = 200,
  PC_EVENTLOG_SERVICE_STOP = 201,
  PC_EVENTLOG_SERVICE_RESTART = 202
};

/* Event types: the values of EVENTLOG_ERROR_TYPE, _WARNING_TYPE and _INFORMATION_TYPE. */
enum { PC_EVENTLOG_ERROR = 1, PC_EVENTLOG_WARNING = 2, PC_EVENTLOG_INFORMATION = 4 };

#define PC_EVENTLOG_SOURCE "portclash"
#define PC_EVENTLOG_FINDING_STRINGS 19 /* %1 .. %19 of a finding's message */
#define PC_EVENTLOG_MAX_STRINGS 24
#define PC_EVENTLOG_STRING_MAX 8192 /* bytes of one insertion string (UTF-8) before "..." */

/* One event, decoded: the strings point into the record it was decoded from. */
typedef struct pc_eventlog_event {
  uint32_t id;
  uint16_t type;
  size_t n;
  const char *s[PC_EVENTLOG_MAX_STRINGS];
} pc_eventlog_event;

/* The event id and type for f (by f->event and f->severity). */
uint32_t pc_eventlog_id(const pc_finding *f);
uint16_t pc_eventlog_type(const pc_finding *f);

/* Encodes the event for f (id, type and the PC_EVENTLOG_FINDING_STRINGS strings, UTF-8,
 * unknown values as "-", each cut at PC_EVENTLOG_STRING_MAX bytes on a character boundary)
 * into buf. Returns the length the record needs; it was written only when that is <= cap. */
size_t pc_eventlog_encode_finding(const pc_finding *f, char *buf, size_t cap);

/* Encodes an event given as id, type and n strings (the service's own events); same return. */
size_t pc_eventlog_encode(uint32_t id, uint16_t type, size_t n, const char *const *strings, char *buf,
                          size_t cap);

/* Decodes a record made by the functions above; 0 on success, -1 when it is malformed. */
int pc_eventlog_decode(const char *rec, size_t len, pc_eventlog_event *ev);

#endif
