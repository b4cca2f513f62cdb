/* text.c - one finding as a console block for a person at a terminal: what failed,
 * why, and how to fix it. */
#include <string.h>

#include "pc_format.h"

#define INDENT "         " /* width of "  what:  ", so values line up */

/* Untrusted text cannot move the cursor, change colours or fake lines: every control,
 * a newline included, is shown as a visible escape (pc__esc, PC__ESC_TEXT). */
static void text_esc(pc__out *o, const char *s) {
  pc__esc(o, s, PC__ESC_TEXT);
}

/* s escaped, or the fallback (trusted) when s is unknown. */
static void text_or(pc__out *o, const char *s, const char *fallback) {
  if (s)
    text_esc(o, s);
  else
    pc__out_str(o, fallback);
}

/* " (LABEL VALUE)": prefix, s escaped, then ")". */
static void paren(pc__out *o, const char *prefix, const char *s) {
  pc__out_str(o, prefix);
  text_esc(o, s);
  pc__out_ch(o, ')');
}

static void time_text(pc__out *o, pc_time t) {
  char ts[40];
  size_t n = pc_time_format_rfc3339(t, ts, sizeof ts);
  pc__out_mem(o, n ? ts : "?", n ? n : 1);
}

static const char *severity_colour(const char *sev) {
  if (sev && strcmp(sev, "error") == 0) return "\x1b[1;31m";
  if (sev && strcmp(sev, "warning") == 0) return "\x1b[1;33m";
  return "\x1b[1;36m";
}

size_t pc_format_text(const pc_finding *f, const pc_format_options *opt, char *buf, size_t cap) {
  bool colour = opt && opt->color;
  pc__out o;
  pc__out_init(&o, buf, cap);

  if (colour) pc__out_str(&o, severity_colour(f->severity));
  pc__out_ch(&o, '[');
  text_or(&o, f->severity, "-");
  pc__out_str(&o, "] ");
  text_or(&o, f->event, "event");
  if (pc_time_format_rfc3339(f->ts, (char[40]){0}, 40)) {
    pc__out_ch(&o, ' ');
    time_text(&o, f->ts);
  }
  if (colour) pc__out_str(&o, "\x1b[0m");

  pc__out_str(&o, "\n  what:  ");
  pc__summary(&o, f, text_esc);

  if (f->error_name || f->error_known) {
    pc__out_str(&o, "\n  error: ");
    if (f->error_name) text_esc(&o, f->error_name);
    if (f->error_name && f->error_known) pc__out_str(&o, " (");
    if (f->error_known) pc__out_u64(&o, f->error);
    if (f->error_name && f->error_known) pc__out_ch(&o, ')');
  }

  if (f->owner_process || f->owner_pid_known) {
    pc__out_str(&o, "\n  owner: ");
    text_or(&o, f->owner_process, "unknown process");
    if (f->owner_pid_known) {
      pc__out_str(&o, " (pid ");
      pc__out_u64(&o, f->owner_pid);
      pc__out_ch(&o, ')');
    }
  }

  pc__out_str(&o, "\n  why:   ");
  text_or(&o, f->explanation, "no rule matched");
  if (f->rule_id) paren(&o, " (rule ", f->rule_id);

  if (f->fixes) {
    for (size_t i = 0; i < f->fix_count; i++) {
      if (i == 0) {
        pc__out_str(&o, colour ? "\n  \x1b[32mfix:\x1b[0m   " : "\n  fix:   ");
      } else {
        pc__out_str(&o, "\n" INDENT);
      }
      pc__out_u64(&o, i + 1);
      pc__out_str(&o, ". ");
      text_esc(&o, f->fixes[i] ? f->fixes[i] : "?");
    }
  }

  if (f->count > 1) {
    pc__out_str(&o, "\n  count: ");
    pc__out_u64(&o, f->count);
    pc__out_str(&o, ", first ");
    time_text(&o, f->ts);
    pc__out_str(&o, ", last ");
    time_text(&o, f->ts_last);
  }

  if (f->host || f->os || f->source) {
    pc__out_str(&o, "\n  host:  ");
    text_or(&o, f->host, "?");
    if (f->os) paren(&o, " (", f->os);
    if (f->source) {
      pc__out_str(&o, ", source ");
      text_esc(&o, f->source);
    }
  }
  return pc__out_finish(&o);
}
