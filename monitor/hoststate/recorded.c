/* recorded.c - host state kept and replayed (pc_hoststate.h, "recordings"): the tee that hands
 * the facts of each live lookup to `portclash collect`, and the back end that answers
 * `portclash analyze DIR` from the Linux recording it wrote (pc_recording.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_recording.h"

/* ---- tee ---- */

typedef struct tee {
  pc__hoststate_ops ops; /* the inner handle's name, live flag (test binds follow it) and OS */
  pc_hoststate *inner;
  pc_hoststate_facts_fn fn;
  void *ud;
} tee;

static int tee_refresh(pc_hoststate *hs, void *impl) {
  (void)hs;
  return pc_hoststate_refresh(((tee *)impl)->inner);
}

static int tee_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  return pc_hoststate_process(((tee *)impl)->inner, pid, out);
}

static int tee_enrich(pc_hoststate *hs, void *impl, pc_facts *facts) {
  tee *t = impl;
  int rc = pc_hoststate_enrich(t->inner, facts);
  if (rc != PC_OK) pc__hoststate_fail(hs, rc, "%s", pc_hoststate_error(t->inner));
  t->fn(t->ud, facts);
  return rc;
}

/* The background refresh (Windows: netsh on a worker) is the inner handle's. */
static int tee_start_background(pc_hoststate *hs, void *impl, const pc_hoststate_bg_options *o) {
  (void)hs;
  return pc_hoststate_start_background(((tee *)impl)->inner, o);
}

static bool tee_pending(void *impl) {
  return pc_hoststate_update_pending(((tee *)impl)->inner);
}

static void tee_destroy(void *impl) {
  tee *t = impl;
  pc_hoststate_close(t->inner);
  free(t);
}

int pc_hoststate_open_tee(pc_hoststate *inner, pc_hoststate_facts_fn fn, void *ud, pc_hoststate **out,
                          char *err, size_t errcap) {
  *out = NULL;
  tee *t = calloc(1, sizeof *t);
  if (!t) {
    pc_hoststate_close(inner);
    if (errcap) snprintf(err, errcap, "%s", pc_strerror(PC_ENOMEM));
    return PC_ENOMEM;
  }
  t->inner = inner;
  t->fn = fn;
  t->ud = ud;
  t->ops.name = pc_hoststate_backend(inner);
  t->ops.live = pc_hoststate_is_live(inner);
  t->ops.os = pc_hoststate_os(inner);
  t->ops.refresh = tee_refresh;
  t->ops.process = tee_process;
  t->ops.destroy = tee_destroy;
  t->ops.enrich = tee_enrich;
  t->ops.start_background = tee_start_background;
  t->ops.pending = tee_pending;
  /* ops lives in t, which the handle owns: it outlives every use. */
  return pc__hoststate_create(&t->ops, t, out, err, errcap);
}

/* ---- replay ---- */

typedef struct replay {
  pc_recording rec;
  size_t cursor; /* where the last match was: attempts come back in file order */
} replay;

static bool same_attempt(const pc_bind_attempt *a, const pc_bind_attempt *b) {
  return a->ts_first == b->ts_first && a->pid == b->pid && a->pid_known == b->pid_known &&
         a->proto == b->proto && a->addr_known == b->addr_known && pc_addr_equal(&a->local, &b->local) &&
         a->local.port == b->local.port && a->error == b->error && a->stage == b->stage;
}

static int replay_enrich(pc_hoststate *hs, void *impl, pc_facts *facts) {
  (void)hs;
  replay *r = impl;
  for (size_t k = 0; k < r->rec.count; k++) {
    size_t i = (r->cursor + k) % r->rec.count;
    const pc_facts *got = &r->rec.items[i];
    if (!same_attempt(&got->attempt, &facts->attempt)) continue;
    r->cursor = i + 1;
    /* Everything the live lookups filled; what the caller set (the attempt itself, the
     * build, the count) stays. */
    pc_facts keep = *facts;
    *facts = *got;
    facts->attempt = keep.attempt;
    facts->os_build = keep.os_build;
    facts->repeat_count = keep.repeat_count;
    facts->hypothetical = keep.hypothetical;
    facts->event_kind = keep.event_kind;
    if (!facts->process_name[0])
      snprintf(facts->process_name, sizeof facts->process_name, "%s", keep.process_name);
    return PC_OK;
  }
  return PC_OK; /* not recorded: nothing known */
}

static void copy_info(pc_process_info *out, const char *name, const char *path, const char *user,
                      const char *service) {
  snprintf(out->name, sizeof out->name, "%s", name);
  snprintf(out->path, sizeof out->path, "%s", path);
  snprintf(out->user, sizeof out->user, "%s", user);
  snprintf(out->service, sizeof out->service, "%s", service);
}

static int replay_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  replay *r = impl;
  for (size_t i = 0; i < r->rec.count; i++) {
    const pc_facts *f = &r->rec.items[i];
    if (f->attempt.pid_known && f->attempt.pid == pid && (f->process_name[0] || f->process_path[0])) {
      copy_info(out, f->process_name, f->process_path, f->process_user, f->process_service);
      return PC_OK;
    }
    if (f->owner_known && f->owner_pid == pid && pid != 0 && (f->owner_name[0] || f->owner_path[0])) {
      copy_info(out, f->owner_name, f->owner_path, f->owner_user, f->owner_service);
      return PC_OK;
    }
  }
  return PC_ENOENT;
}

static void replay_destroy(void *impl) {
  replay *r = impl;
  pc_recording_free(&r->rec);
  free(r);
}

static const pc__hoststate_ops k_replay_ops = {
    .name = "recording",
    .live = false,
    .os = PC_OS_LINUX,
    .process = replay_process,
    .destroy = replay_destroy,
    .enrich = replay_enrich,
};

int pc_hoststate_open_recording(const char *path, pc_hoststate **out, char *err, size_t errcap) {
  *out = NULL;
  replay *r = calloc(1, sizeof *r);
  if (!r) return PC_ENOMEM;
  int rc = pc_recording_read(path, &r->rec, err, errcap);
  if (rc != PC_OK) {
    free(r);
    return rc;
  }
  return pc__hoststate_create(&k_replay_ops, r, out, err, errcap);
}
