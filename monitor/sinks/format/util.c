/* util.c - the output cursor, the UTF-8 decoder and the one-line summary shared by
 * the formatters. Pure: no I/O, no allocation. */
#include <string.h>

#include "pc_format.h"

void pc_format_options_init(pc_format_options *o) {
  memset(o, 0, sizeof *o);
  o->app_name = PC_FORMAT_DEFAULT_APP_NAME;
  o->sd_id = PC_FORMAT_DEFAULT_SD_ID;
  o->facility = 1;
  o->now = PC_TIME_UNKNOWN;
}

void pc__out_u64(pc__out *o, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  pc__out_mem(o, tmp + sizeof tmp - n, n);
}

void pc__out_cp(pc__out *o, uint32_t cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | cp >> 6);
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | cp >> 12);
    b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | cp >> 18);
    b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  pc__out_mem(o, b, n);
}

size_t pc__out_finish(pc__out *o) {
  if (o->cap == 0) return o->len;
  if (o->len < o->cap) {
    o->buf[o->len] = '\0';
    return o->len;
  }
  /* Cut: back up over continuation bytes to the start of the last character, and drop it
   * unless it is complete, so that the prefix is valid UTF-8 whenever the input was. */
  size_t end = o->cap - 1;
  size_t i = end;
  while (i > 0 && ((unsigned char)o->buf[i - 1] & 0xC0) == 0x80) i--;
  if (i > 0) {
    unsigned char lead = (unsigned char)o->buf[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (end - (i - 1) < want) end = i - 1;
  }
  o->buf[end] = '\0';
  return o->len;
}

size_t pc__utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t need;
  uint32_t v;
  unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte (Unicode Table 3-7) */
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0; /* no overlongs */
    if (c == 0xED) hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    v = c & 0x07;
    if (c == 0xF0) lo = 0x90; /* no overlongs */
    if (c == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
  } else {
    *cp = 0xFFFD;
    return 1;
  }
  for (size_t i = 1; i <= need; i++) {
    if (i >= n || s[i] < lo || s[i] > hi) {
      *cp = 0xFFFD;
      return i;
    }
    lo = 0x80;
    hi = 0xBF;
    v = v << 6 | (s[i] & 0x3Fu);
  }
  *cp = v;
  return need + 1;
}

static void endpoint(pc__out *o, const pc_finding *f, pc__esc_fn esc) {
  if (f->proto) {
    esc(o, f->proto);
    pc__out_ch(o, ' ');
  }
  /* IPv6 literals are bracketed so that the port stays readable ("[::1]:80"). */
  bool v6 = f->address && strchr(f->address, ':');
  if (v6) pc__out_ch(o, '[');
  if (f->address)
    esc(o, f->address);
  else
    pc__out_ch(o, '*');
  if (v6) pc__out_ch(o, ']');
  pc__out_ch(o, ':');
  if (f->port_known)
    pc__out_u64(o, f->port);
  else
    pc__out_ch(o, '?');
}

static void who(pc__out *o, const pc_finding *f, pc__esc_fn esc) {
  if (f->process)
    esc(o, f->process);
  else
    pc__out_str(o, "unknown process");
  if (f->pid_known) {
    pc__out_str(o, " (pid ");
    pc__out_u64(o, f->pid);
    pc__out_ch(o, ')');
  }
}

void pc__summary(pc__out *o, const pc_finding *f, pc__esc_fn esc) {
  if (f->event && strcmp(f->event, "bind_failure") == 0) {
    who(o, f, esc);
    pc__out_str(o, " could not bind ");
    endpoint(o, f, esc);
    return;
  }
  if (f->event)
    esc(o, f->event);
  else
    pc__out_str(o, "event");
  bool has_who = f->process || f->pid_known;
  bool has_where = f->address || f->port_known;
  if (has_who) {
    pc__out_str(o, ": ");
    who(o, f, esc);
  }
  if (has_where) {
    pc__out_str(o, has_who ? " on " : ": ");
    endpoint(o, f, esc);
  }
}

unsigned pc__syslog_severity(const char *severity) {
  if (!severity) return 5;
  if (strcmp(severity, "error") == 0) return 3;
  if (strcmp(severity, "warning") == 0) return 4;
  if (strcmp(severity, "info") == 0) return 6;
  return 5;
}

static const char hexd[] = "0123456789abcdef";

/* The ASCII characters that need a backslash in each kind (besides controls). */
static const char *const specials[] = {
    [PC__ESC_TEXT] = "",       [PC__ESC_JSON] = "\"\\",   [PC__ESC_SD] = "\"\\]",      [PC__ESC_MSG] = "",
    [PC__ESC_CEF_HDR] = "\\|", [PC__ESC_CEF_EXT] = "\\=", [PC__ESC_CEF_LIST] = "\\=|",
};

size_t pc__esc_unit(const unsigned char *s, size_t n, pc__esc_kind kind, char unit[6], size_t *ulen) {
  unsigned c = s[0];
  uint32_t cp = c;
  size_t used = 1;
  if (c >= 0x80) used = pc__utf8_next(s, n, &cp);
  if (c >= 0x20 && c < 0x7F) {
    if (c != 0 && strchr(specials[kind], (int)c)) {
      unit[0] = '\\';
      unit[1] = (char)c;
      *ulen = 2;
    } else {
      unit[0] = (char)c;
      *ulen = 1;
    }
    return 1;
  }
  bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
  if (!control) {
    pc__out tmp;
    pc__out_init(&tmp, unit, 6);
    pc__out_cp(&tmp, cp);
    *ulen = tmp.len;
    return used;
  }
  switch (kind) {
    case PC__ESC_TEXT:
      if (cp >= 0x80) {
        memcpy(unit, "\\u00", 4);
        unit[4] = hexd[cp >> 4];
        unit[5] = hexd[cp & 15];
        *ulen = 6;
      } else {
        unit[0] = '\\';
        unit[1] = 'x';
        unit[2] = hexd[cp >> 4];
        unit[3] = hexd[cp & 15];
        *ulen = 4;
      }
      break;
    case PC__ESC_JSON:
      memcpy(unit, "\\u00", 4);
      unit[4] = hexd[cp >> 4];
      unit[5] = hexd[cp & 15];
      *ulen = 6;
      break;
    case PC__ESC_CEF_EXT:
    case PC__ESC_CEF_LIST:
      if (cp == '\n' || cp == '\r') {
        unit[0] = '\\';
        unit[1] = cp == '\n' ? 'n' : 'r';
        *ulen = 2;
        break;
      }
      /* fall through */
    default:
      unit[0] = ' ';
      *ulen = 1;
      break;
  }
  return used;
}

void pc__esc(pc__out *o, const char *str, pc__esc_kind kind) {
  const unsigned char *s = (const unsigned char *)str;
  const char *sp = specials[kind];
  size_t n = strlen(str), i = 0;
  while (i < n) {
    /* Runs of plain ASCII are copied in one go: the common case has nothing to escape. */
    size_t run = i;
    while (run < n && s[run] >= 0x20 && s[run] < 0x7F && !strchr(sp, s[run])) run++;
    if (run > i) {
      pc__out_mem(o, s + i, run - i);
      i = run;
      continue;
    }
    char unit[6];
    size_t ulen;
    i += pc__esc_unit(s + i, n - i, kind, unit, &ulen);
    pc__out_mem(o, unit, ulen);
  }
}

size_t pc_format_escape_text(const char *s, char *buf, size_t cap) {
  pc__out o;
  pc__out_init(&o, buf, cap);
  pc__esc(&o, s, PC__ESC_TEXT);
  return pc__out_finish(&o);
}
