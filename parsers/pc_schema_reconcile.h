/* pc_schema_reconcile.h - make the decoder use the layouts the running OS reports.
 *
 * At start-up (once, never per event) the OS's schema of every event portclash reads is
 * compared with the built-in one: identical → keep ours; different, or a version we do not
 * know → one warning naming the event and the difference, and the OS's layout is decoded
 * with the same walker. A provider the OS does not have (Winsock-Sockets before Windows 11)
 * is reported once and skipped. The OS is reached through pc_schema_source, which is TDH
 * on Windows (tdh_schema-win.c) and a fake in tests (Wine's TDH is unimplemented). */
#ifndef PC_SCHEMA_RECONCILE_H
#define PC_SCHEMA_RECONCILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_decode.h"

typedef struct pc_schema_source {
  void *ud;
  /* Lists the (id, version) pairs the OS knows for provider into ids/versions (capacity
   * cap), setting *count. Returns PC_OK, PC_ENOENT when the provider does not exist on
   * this OS, PC_ELIMIT when cap is too small (the first cap are filled), or another
   * error. */
  int (*list_events)(void *ud, const pc_guid *provider, uint16_t *ids, uint8_t *versions, size_t cap,
                     size_t *count);
  /* Reads the OS's layout of one event. Returns PC_OK, PC_ENOENT, PC_ENOTSUP (a layout the
   * schema model cannot express, e.g. a struct or array property), or another error. */
  int (*get_event)(void *ud, const pc_guid *provider, uint16_t id, uint8_t version, pc_schema_event *out);
} pc_schema_source;

typedef struct pc_reconcile_stats {
  unsigned providers_missing;
  unsigned identical;
  unsigned replaced;   /* the OS layout differs: decoded with the OS's */
  unsigned added;      /* a version we did not know: decoded with the OS's */
  unsigned unreadable; /* the OS could not describe it: built-in kept */
} pc_reconcile_stats;

/* Reconciles every provider the decoder has schemas for. Warnings (one line each) go to
 * warn. Never fails the start-up: problems reading the OS are warnings and the built-in
 * schema stays. */
void pc_schema_reconcile(pc_decoder *dec, const pc_schema_source *src, FILE *warn, pc_reconcile_stats *stats);

#endif
