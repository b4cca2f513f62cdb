/* etw_open-win.c - starting the live ETW source for `portclash monitor` and `selftest`
 * (etw_open-win.h): the plan, the session, its messages, and the OS's own event layouts. */
#include <stdio.h>

#include "cli.h"
#include "etw_open-win.h"
#include "pc_error.h"
#include "pc_schema_reconcile.h"

/* The OS's own layouts, once, before the first record is decoded: reconciled with the
 * built-in ones where the manifest functions exist (Windows 8.1+); before that, with
 * o->fallback, each new kind of event is checked when it arrives (cmd_monitor-win.c's fallback_check). */
static void load_os_schemas(const pc_etw_open *o, pc_decoder *dec) {
  pc_tdh_api local;
  pc_tdh_api *tdh = o->tdh ? o->tdh : &local;
  if (!o->os_schemas || pc_tdh_api_load(tdh) != PC_OK) return;
  if (tdh->enumerate_manifest_provider_events && tdh->get_manifest_event_information) {
    pc_tdh_source *t;
    pc_schema_source src;
    if (pc_tdh_source_new(tdh, &t, &src) == PC_OK) {
      pc_reconcile_stats st;
      pc_schema_reconcile(dec, &src, stderr, &st);
      pc_tdh_source_free(t);
    }
  } else if (o->fallback && tdh->get_event_information) {
    fputs(
        "portclash: note: this Windows has no manifest enumeration (before 8.1); each kind of event is\n"
        "checked against the system's layout when it first arrives\n",
        stderr);
    *o->fallback = true;
  }
}

int pc__etw_open_live(const pc_etw_open *o, pc_pipeline *p, pc_source **out) {
  pc_decoder *dec = pc_pipeline_decoder(p);
  pc_etw_plan plan;
  if (pc_etw_plan_build(o->os, pc_decoder_schemas(dec), &plan) == PC_ELIMIT)
    fputs(
        "portclash: note: a provider has more than 64 event ids; it is filtered in portclash, not the "
        "kernel\n",
        stderr);
  int rc = pc_source_open_etw(o->etw, &plan, o->api, o->os->build, stderr, out);
  if (rc == PC_EPRIV) {
    fprintf(stderr, "portclash %s: access denied when starting the ETW session%s", o->command,
            o->denied_next);
    return PC_EXIT_PRIVILEGE;
  }
  if (rc != PC_OK) {
    fprintf(stderr, "portclash %s: cannot start the ETW session: %s\n", o->command, pc_strerror(rc));
    return PC_EXIT_FAILURE;
  }
  fprintf(stderr, "portclash: Windows %u.%u.%u\n", (unsigned)o->os->major, (unsigned)o->os->minor,
          (unsigned)o->os->build);
  load_os_schemas(o, dec);
  return PC_EXIT_OK;
}
