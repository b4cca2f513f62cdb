/* cef.c - one finding as an ArcSight Common Event Format (CEF:0) record. */
#include <string.h>

#include "pc_format.h"

static void hdr_esc(pc__out *o, const char *s) {
  pc__esc(o, s, PC__ESC_CEF_HDR);
}
static void ext_esc(pc__out *o, const char *s) {
  pc__esc(o, s, PC__ESC_CEF_EXT);
}

static void ext_key(pc__out *o, const char *k, bool *first) {
  if (!*first) pc__out_ch(o, ' ');
  *first = false;
  pc__out_str(o, k);
  pc__out_ch(o, '=');
}

static void ext_str(pc__out *o, const char *k, const char *v, bool *first) {
  if (!v) return;
  ext_key(o, k, first);
  ext_esc(o, v);
}

static void ext_num(pc__out *o, const char *k, bool known, uint64_t v, bool *first) {
  if (!known) return;
  ext_key(o, k, first);
  pc__out_u64(o, v);
}

/* The "csNLabel=LABEL" half of a labelled custom field (k is "csN", at most 9 bytes). */
static void ext_label(pc__out *o, const char *k, const char *label, bool *first) {
  char lk[16];
  size_t kl = strlen(k);
  memcpy(lk, k, kl);
  memcpy(lk + kl, "Label", 6);
  ext_key(o, lk, first);
  pc__out_str(o, label);
}

/* A labelled custom field: "csNLabel=LABEL csN=VALUE", both only when the value is known. */
static void ext_custom(pc__out *o, const char *k, const char *label, const char *v, bool *first) {
  if (!v) return;
  ext_label(o, k, label, first);
  ext_str(o, k, v, first);
}

static void ext_custom_num(pc__out *o, const char *k, const char *label, bool known, uint64_t v,
                           bool *first) {
  if (!known) return;
  ext_label(o, k, label, first);
  ext_num(o, k, true, v, first);
}

static bool unix_ms(pc_time t, uint64_t *ms) {
  if (t == PC_TIME_UNKNOWN || t < PC_TIME_UNIX_EPOCH) return false;
  *ms = (uint64_t)(t - PC_TIME_UNIX_EPOCH) / (uint64_t)PC_TIME_TICKS_PER_MS;
  return true;
}

static unsigned cef_severity(const char *sev) {
  switch (pc__syslog_severity(sev)) {
    case 3:
      return 7;
    case 4:
      return 5;
    case 6:
      return 3;
    default:
      return 5;
  }
}

size_t pc_format_cef(const pc_finding *f, const pc_format_options *opt, char *buf, size_t cap) {
  pc__out o;
  pc__out_init(&o, buf, cap);
  pc__out_str(&o, "CEF:0|portclash|portclash|");
  hdr_esc(&o, opt && opt->version ? opt->version : "0");
  pc__out_ch(&o, '|');
  hdr_esc(&o, f->rule_id ? f->rule_id : f->event ? f->event : "unknown");
  pc__out_ch(&o, '|');
  hdr_esc(&o, f->event ? f->event : "unknown");
  if (f->error_name) {
    pc__out_ch(&o, ' ');
    hdr_esc(&o, f->error_name);
  }
  pc__out_ch(&o, '|');
  pc__out_u64(&o, cef_severity(f->severity));
  pc__out_ch(&o, '|');

  bool first = true;
  uint64_t ms, ms_last;
  bool has_ts = unix_ms(f->ts, &ms);
  ext_num(&o, "rt", has_ts, ms, &first);
  if (f->count > 1 && has_ts && unix_ms(f->ts_last, &ms_last)) {
    ext_num(&o, "start", true, ms, &first);
    ext_num(&o, "end", true, ms_last, &first);
  }
  ext_str(&o, "dvchost", f->host, &first);
  ext_str(&o, "cat", f->event, &first);
  ext_str(&o, "proto", f->proto, &first);
  ext_num(&o, "dpt", f->port_known, f->port, &first);
  ext_num(&o, "dpid", f->pid_known, f->pid, &first);
  ext_str(&o, "dproc", f->process, &first);
  ext_custom(&o, "cs1", "bindAddress", f->address, &first);
  ext_custom_num(&o, "cn1", "errorCode", f->error_known, f->error, &first);
  ext_custom(&o, "cs2", "errorName", f->error_name, &first);
  ext_custom_num(&o, "cn2", "ownerPid", f->owner_pid_known, f->owner_pid, &first);
  ext_custom(&o, "cs3", "ownerProcess", f->owner_process, &first);
  ext_custom(&o, "cs4", "ruleId", f->rule_id, &first);
  ext_str(&o, "msg", f->explanation, &first);
  if (f->fixes && f->fix_count) {
    ext_key(&o, "cs5Label", &first);
    pc__out_str(&o, "fixes");
    ext_key(&o, "cs5", &first);
    for (size_t i = 0; i < f->fix_count; i++) {
      if (i) pc__out_str(&o, " | ");
      pc__esc(&o, f->fixes[i] ? f->fixes[i] : "?", PC__ESC_CEF_LIST);
    }
  }
  ext_custom(&o, "cs6", "os", f->os, &first);
  ext_str(&o, "deviceFacility", f->source, &first);
  ext_num(&o, "cnt", true, f->count, &first);
  return pc__out_finish(&o);
}
