/* source.c - the dispatch of pc_source.h: one handle, one contract, whatever the back end. */
#include <stdlib.h>

#include "pc_source.h"

struct pc_source {
  const pc_source_ops *ops;
  void *self;
  volatile int stopped; /* pc_source_stop ran (possibly in a signal handler) */
};

int pc_source_new(const pc_source_ops *ops, void *self, pc_source **out) {
  *out = NULL;
  pc_source *s = calloc(1, sizeof *s);
  if (!s) {
    ops->close(self);
    return PC_ENOMEM;
  }
  s->ops = ops;
  s->self = self;
  *out = s;
  return PC_OK;
}

int pc_source_next(pc_source *s, pc_source_item *item, unsigned timeout_ms) {
  item->extra = NULL;
  return s->ops->next(s->self, item, timeout_ms);
}

void pc_source_get_stats(pc_source *s, pc_source_stats *st) {
  st->items = st->lost = 0;
  st->detail[0] = '\0';
  s->ops->stats(s->self, st);
}

void pc_source_get_info(pc_source *s, pc_source_info *info) {
  info->name = "unknown";
  info->os = "unknown";
  info->os_build = 0;
  info->events_lost = 0;
  info->attached = "";
  s->ops->info(s->self, info);
}

void pc_source_stop(pc_source *s) {
  if (!s) return;
  s->stopped = 1;
  if (s->ops->stop) s->ops->stop(s->self);
}

bool pc_source_stop_requested(const pc_source *s) {
  return s && (s->stopped || (s->ops->stop_requested && s->ops->stop_requested(s->self)));
}

const char *pc_source_error(const pc_source *s) {
  return s ? s->ops->error(s->self) : "";
}

void pc_source_close(pc_source *s) {
  if (!s) return;
  s->ops->close(s->self);
  free(s);
}
