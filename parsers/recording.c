/* recording.c - the field table and the reader of the Linux recording (pc_recording.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_file.h"
#include "pc_json_read.h"
#include "pc_recording.h"
#include "pc_text.h"
#include "pc_vec.h"

#define A(name, field, type) \
  { name, true, type, offsetof(pc_facts, attempt.field), sizeof(((pc_facts *)0)->attempt.field) }
#define F(name, field, type) \
  { name, false, type, offsetof(pc_facts, field), sizeof(((pc_facts *)0)->field) }

static const pc_rec_field k_fields[] = {
    A("ts_first", ts_first, PC_REC_TIME),
    A("ts_last", ts_last, PC_REC_TIME),
    A("pid", pid, PC_REC_U32),
    A("pid_known", pid_known, PC_REC_BOOL),
    A("start_key", start_key, PC_REC_U64),
    A("tid", tid, PC_REC_U32),
    A("endpoint", endpoint, PC_REC_U64),
    A("local", local, PC_REC_ADDR),
    A("addr_known", addr_known, PC_REC_BOOL),
    A("proto", proto, PC_REC_U8),
    A("socktype", socktype, PC_REC_I32),
    A("stage", stage, PC_REC_U8),
    A("failed", failed, PC_REC_BOOL),
    A("ntstatus", ntstatus, PC_REC_U32),
    A("ntstatus_known", ntstatus_known, PC_REC_BOOL),
    A("error", error, PC_REC_U32),
    A("error_known", error_known, PC_REC_BOOL),
    A("error_is_errno", error_is_errno, PC_REC_BOOL),
    A("seen_by", seen_by, PC_REC_U32),
    A("sockopts", sockopts, PC_REC_U32),
    A("sockopts_known", sockopts_known, PC_REC_U32),
    A("tcpip_event", tcpip_event, PC_REC_U16),
    A("holder_known", holder_known, PC_REC_BOOL),
    A("holder_pid_known", holder_pid_known, PC_REC_BOOL),
    A("holder_pid", holder_pid, PC_REC_U32),
    A("holder_addr", holder_addr, PC_REC_ADDR),
    A("holder_sockopts", holder_sockopts, PC_REC_U32),
    A("holder_sockopts_known", holder_sockopts_known, PC_REC_U32),
    A("ppid", ppid, PC_REC_U32),
    A("uid_known", uid_known, PC_REC_BOOL),
    A("uid", uid, PC_REC_U32),
    A("euid", euid, PC_REC_U32),
    A("cgroup_id", cgroup_id, PC_REC_U64),
    A("netns", netns, PC_REC_U32),
    A("caps_known", caps_known, PC_REC_BOOL),
    A("cap_effective", cap_effective, PC_REC_U64),
    A("comm", comm, PC_REC_STR),
    A("bound_device", bound_device, PC_REC_STR),
    A("repeats", repeats, PC_REC_U32),
    F("process_name", process_name, PC_REC_STR),
    F("process_path", process_path, PC_REC_STR),
    F("process_user", process_user, PC_REC_STR),
    F("process_service", process_service, PC_REC_STR),
    F("ranges_known", ranges_known, PC_REC_BOOL),
    F("owners_known", owners_known, PC_REC_BOOL),
    F("hoststate_stale", hoststate_stale, PC_REC_BOOL),
    F("hoststate_age_s", hoststate_age_s, PC_REC_U32),
    F("owner_known", owner_known, PC_REC_BOOL),
    F("owner_pid", owner_pid, PC_REC_U32),
    F("owner_name", owner_name, PC_REC_STR),
    F("owner_path", owner_path, PC_REC_STR),
    F("owner_service", owner_service, PC_REC_STR),
    F("owner_user", owner_user, PC_REC_STR),
    F("owner_url", owner_url, PC_REC_STR),
    F("owner_queue", owner_queue, PC_REC_STR),
    F("owner_state", owner_state, PC_REC_U8),
    F("owner_kernel", owner_kernel, PC_REC_BOOL),
    F("owner_addr", owner_addr, PC_REC_ADDR),
    F("owner_sockopts", owner_sockopts, PC_REC_U32),
    F("owner_sockopts_known", owner_sockopts_known, PC_REC_U32),
    F("excluded", excluded, PC_REC_BOOL),
    F("excluded_start", excluded_start, PC_REC_U16),
    F("excluded_end", excluded_end, PC_REC_U16),
    F("excluded_administered", excluded_administered, PC_REC_BOOL),
    F("dynamic_known", dynamic_known, PC_REC_BOOL),
    F("dynamic_start", dynamic_start, PC_REC_U16),
    F("dynamic_end", dynamic_end, PC_REC_U16),
    F("in_dynamic", in_dynamic, PC_REC_BOOL),
    F("unprivileged_start_known", unprivileged_start_known, PC_REC_BOOL),
    F("unprivileged_start", unprivileged_start, PC_REC_U16),
    F("os", os, PC_REC_U8),
    F("netns_known", netns_known, PC_REC_BOOL),
    F("other_netns", other_netns, PC_REC_BOOL),
};

const pc_rec_field *pc_recording_fields(size_t *count) {
  *count = sizeof k_fields / sizeof k_fields[0];
  return k_fields;
}

static int bad(char *err, size_t cap, const char *origin, unsigned lineno, const char *what,
               const char *name) {
  if (cap) snprintf(err, cap, "%s:%u: %s%s%s", origin, lineno, what, name ? " " : "", name ? name : "");
  return PC_EPARSE;
}

static const uint64_t k_max[] = {[PC_REC_BOOL] = 1,
                                 [PC_REC_U8] = UINT8_MAX,
                                 [PC_REC_U16] = UINT16_MAX,
                                 [PC_REC_U32] = UINT32_MAX,
                                 [PC_REC_U64] = UINT64_MAX};

static int set_field(const pc_rec_field *fd, const pc_jv *v, pc_facts *out) {
  unsigned char *base = (unsigned char *)out + fd->off;
  switch (fd->type) {
    case PC_REC_BOOL:
      if (v->type != PC_JV_BOOL) return PC_EPARSE;
      *(bool *)base = v->b;
      return PC_OK;
    case PC_REC_U8:
    case PC_REC_U16:
    case PC_REC_U32:
    case PC_REC_U64: {
      if (v->type != PC_JV_NUMBER || !v->is_integer || v->negative || v->u > k_max[fd->type])
        return PC_EPARSE;
      if (fd->size == 1) *(uint8_t *)base = (uint8_t)v->u;
      if (fd->size == 2) *(uint16_t *)base = (uint16_t)v->u;
      if (fd->size == 4) *(uint32_t *)base = (uint32_t)v->u;
      if (fd->size == 8) *(uint64_t *)base = v->u;
      return PC_OK;
    }
    case PC_REC_I32:
    case PC_REC_TIME: {
      if (v->type != PC_JV_NUMBER || !v->is_integer) return PC_EPARSE;
      if (!v->negative && v->u > (uint64_t)INT64_MAX) return PC_EPARSE;
      int64_t x = v->negative ? v->i : (int64_t)v->u;
      if (fd->type == PC_REC_I32) {
        if (x < INT32_MIN || x > INT32_MAX) return PC_EPARSE;
        *(int32_t *)base = (int32_t)x;
      } else {
        *(int64_t *)base = x;
      }
      return PC_OK;
    }
    case PC_REC_STR: {
      if (v->type != PC_JV_STRING) return PC_EPARSE;
      size_t n = strlen(v->str);
      if (n >= fd->size) return PC_ELIMIT;
      memcpy(base, v->str, n + 1);
      return PC_OK;
    }
    case PC_REC_ADDR: {
      if (v->type != PC_JV_OBJECT) return PC_EPARSE;
      pc_addr a;
      memset(&a, 0, sizeof a);
      const pc_jv *ip = pc_jv_get(v, "ip");
      uint64_t port = 0, scope = 0;
      if (!ip || (ip->type != PC_JV_NULL && ip->type != PC_JV_STRING)) return PC_EPARSE;
      if (ip->type == PC_JV_STRING && pc_addr_parse_ip(ip->str, &a) != PC_OK) return PC_EPARSE;
      if (!pc_jv_get_u64(v, "port", &port) || port > UINT16_MAX) return PC_EPARSE;
      if (pc_jv_get(v, "scope") && (!pc_jv_get_u64(v, "scope", &scope) || scope > UINT32_MAX))
        return PC_EPARSE;
      a.port = (uint16_t)port;
      a.scope_id = (uint32_t)scope;
      memcpy(base, &a, sizeof a);
      return PC_OK;
    }
  }
  return PC_EPARSE;
}

int pc_recording_parse_line(const char *line, size_t len, const char *origin, unsigned lineno, pc_facts *out,
                            char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  if (len > PC_RECORDING_MAX_LINE) {
    if (errcap)
      snprintf(err, errcap, "%s:%u: line longer than %d bytes", origin, lineno, PC_RECORDING_MAX_LINE);
    return PC_ELIMIT;
  }
  char where[600];
  snprintf(where, sizeof where, "%s:%u", origin, lineno);
  pc_json_doc *doc;
  int rc = pc_json_parse(line, len, where, &doc, err, errcap);
  if (rc != PC_OK) return rc;
  const pc_jv *root = pc_json_root(doc);
  const pc_jv *att = pc_jv_get(root, "attempt"), *facts = pc_jv_get(root, "facts");
  if (!att || att->type != PC_JV_OBJECT || !facts || facts->type != PC_JV_OBJECT) {
    pc_json_doc_free(doc);
    return bad(err, errcap, origin, lineno,
               "not an attempt line: it needs the objects \"attempt\" and \"facts\"", NULL);
  }
  rc = PC_OK;
  for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0] && rc == PC_OK; i++) {
    const pc_rec_field *fd = &k_fields[i];
    const pc_jv *v = pc_jv_get(fd->in_attempt ? att : facts, fd->name);
    if (!v || (v->type == PC_JV_NULL && fd->type != PC_REC_ADDR)) continue;
    int frc = set_field(fd, v, out);
    if (frc != PC_OK)
      rc = bad(err, errcap, origin, lineno, "bad value (wrong type, out of range or too long) of", fd->name);
  }
  pc_json_doc_free(doc);
  return rc;
}

int pc_recording_check_header(const char *line, size_t len, const char *origin, char *err, size_t errcap) {
  pc_json_doc *doc;
  char where[600];
  snprintf(where, sizeof where, "%s:1", origin);
  int rc = pc_json_parse(line, len > PC_RECORDING_MAX_LINE ? PC_RECORDING_MAX_LINE : len, where, &doc, err,
                         errcap);
  if (rc != PC_OK) return rc == PC_ENOMEM ? rc : PC_EPARSE;
  const char *fmt = pc_jv_get_str(pc_json_root(doc), "format");
  rc = fmt && strcmp(fmt, PC_RECORDING_FORMAT) == 0 ? PC_OK : PC_EPARSE;
  if (rc != PC_OK && errcap)
    snprintf(err, errcap, "%s:1: not a portclash recording (the first line must say \"format\":\"%s\")",
             origin, PC_RECORDING_FORMAT);
  pc_json_doc_free(doc);
  return rc;
}

int pc_recording_read(const char *path, pc_recording *out, char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  char *text = NULL;
  size_t len = 0;
  int rc = pc_file_read(path, PC_RECORDING_MAX_BYTES, &text, &len);
  if (rc != PC_OK) {
    if (errcap) snprintf(err, errcap, "%s: %s", path, pc_strerror(rc));
    return rc;
  }
  pc_lines it;
  pc_lines_init(&it, text, len);
  const char *s;
  size_t n;
  size_t cap = 0;
  bool header = false;
  while (rc == PC_OK && pc_lines_next(&it, &s, &n)) {
    if (!header) {
      rc = pc_recording_check_header(s, n, path, err, errcap);
      header = true;
      continue;
    }
    if (n == 0) continue;
    rc = pc_vec_reserve((void **)&out->items, &cap, out->count + 1, sizeof *out->items,
                        PC_RECORDING_MAX_ATTEMPTS);
    if (rc != PC_OK) {
      if (errcap)
        snprintf(err, errcap, "%s:%u: more than %d attempts", path, it.no, PC_RECORDING_MAX_ATTEMPTS);
      break;
    }
    rc = pc_recording_parse_line(s, n, path, it.no, &out->items[out->count], err, errcap);
    if (rc == PC_OK) out->count++;
  }
  if (rc == PC_OK && !header) {
    if (errcap) snprintf(err, errcap, "%s: empty: not a portclash recording", path);
    rc = PC_EPARSE;
  }
  free(text);
  if (rc != PC_OK) pc_recording_free(out);
  return rc;
}

void pc_recording_free(pc_recording *r) {
  if (!r) return;
  free(r->items);
  r->items = NULL;
  r->count = 0;
}
