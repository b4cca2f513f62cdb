/* text.c - one finding as a console block for a person at a terminal: what failed,
 * why, and how to fix it. */
#include <string.h>

#include "pc_format.h"

#define INDENT "         " /* width of "  what:  ", so values line up */

static const char hex[] = "0123456789abcdef";

/* Writes untrusted text so that it cannot move the cursor, change colours or fake lines:
 * C0 controls and DEL as \xNN, C1 controls (which some terminals obey in UTF-8) as \u00NN,
 * invalid UTF-8 as U+FFFD. A newline is kept only when cont is given: it continues the
 * text on a new line indented by cont, so multi-line explanations stay inside the block. */
static void text_esc_cont(pc__out *o, const char *str, const char *cont) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), i = 0;
  while (i < n) {
    size_t run = pc__ascii_run(s + i, n - i);
    if (run > 0) {
      pc__out_mem(o, s + i, run);
      i += run;
      continue;
    }
    unsigned c = s[i];
    if (c == '\n' && cont) {
      pc__out_ch(o, '\n');
      pc__out_str(o, cont);
      i++;
    } else if (c < 0x20 || c == 0x7F) {
      char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      pc__out_mem(o, e, 4);
      i++;
    } else {
      uint32_t cp;
      i += pc__utf8_next(s + i, n - i, &cp);
      if (cp >= 0x80 && cp <= 0x9F) {
        char e[6] = {'\\', 'u', '0', '0', hex[cp >> 4], hex[cp & 15]};
        pc__out_mem(o, e, 6);
      } else {
        pc__out_cp(o, cp);
      }
    }
  }
}

static void text_esc(pc__out *o, const char *s) {
  text_esc_cont(o, s, NULL);
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
  if (f->severity)
    text_esc(&o, f->severity);
  else
    pc__out_ch(&o, '-');
  pc__out_str(&o, "] ");
  if (f->event)
    text_esc(&o, f->event);
  else
    pc__out_str(&o, "event");
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
    if (f->owner_process)
      text_esc(&o, f->owner_process);
    else
      pc__out_str(&o, "unknown process");
    if (f->owner_pid_known) {
      pc__out_str(&o, " (pid ");
      pc__out_u64(&o, f->owner_pid);
      pc__out_ch(&o, ')');
    }
  }

  pc__out_str(&o, "\n  why:   ");
  if (f->explanation)
    text_esc_cont(&o, f->explanation, INDENT);
  else
    pc__out_str(&o, "no rule matched");
  if (f->rule_id) {
    pc__out_str(&o, " (rule ");
    text_esc(&o, f->rule_id);
    pc__out_ch(&o, ')');
  }

  if (f->fixes) {
    for (size_t i = 0; i < f->fix_count; i++) {
      if (i == 0) {
        pc__out_str(&o, colour ? "\n  \x1b[32mfix:\x1b[0m   " : "\n  fix:   ");
      } else {
        pc__out_str(&o, "\n" INDENT);
      }
      pc__out_u64(&o, i + 1);
      pc__out_str(&o, ". ");
      text_esc_cont(&o, f->fixes[i] ? f->fixes[i] : "?", INDENT "   ");
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
    if (f->host)
      text_esc(&o, f->host);
    else
      pc__out_ch(&o, '?');
    if (f->os) {
      pc__out_str(&o, " (");
      text_esc(&o, f->os);
      pc__out_ch(&o, ')');
    }
    if (f->source) {
      pc__out_str(&o, ", source ");
      text_esc(&o, f->source);
    }
  }
  return pc__out_finish(&o);
}
