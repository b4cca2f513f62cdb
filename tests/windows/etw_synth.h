/* etw_synth.h - EVENT_RECORDs as ETW hands them to the EventRecordCallback, built from record
 * fixture text (tests/FIXTURES.md), for the Windows tests' fake controllers. The layouts come
 * from the built-in schemas through the fixture encoder: nothing here shows what a real
 * Windows delivers. Test code only. */
#ifndef PC_TEST_ETW_SYNTH_H
#define PC_TEST_ETW_SYNTH_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <stdint.h>
#include <windows.h>

#include "etw.h"
#include "pc_time.h"

typedef struct pc_synth_event {
  EVENT_RECORD ev;
  EVENT_HEADER_EXTENDED_DATA_ITEM ext;
  uint64_t start_key;
  uint8_t data[256];
} pc_synth_event;

/* The wall clock as an event time (FILETIME ticks). */
pc_time pc_synth_now(void);

/* Turns the records of text into out[0..cap): header flags (pointer size, extended info) as
 * the fixture says, the process start key as an extended data item, event times moved so
 * that the first record is at base (later ones keep their distance). ev.UserData points into
 * the element itself, so the array must not be moved afterwards. Returns the number of
 * events, or -1 on a bad fixture, a payload over 256 bytes or more than cap records. */
int pc_synth_events(const char *text, pc_time base, pc_synth_event *out, int cap);

#endif
