/* fuzz_format.c - arbitrary bytes as every string field of a finding, through every
 * formatter, with the invariants each format promises checked on the output:
 *   JSON     one line, parses as one object, no raw control characters, valid UTF-8;
 *   RFC 5424 length <= cap, header fields without spaces, a well-formed SD element
 *            (every '"', '\', ']' inside a value escaped), valid UTF-8, no controls;
 *   RFC 3164 length <= cap, no controls, valid UTF-8;
 *   CEF      no line breaks, 7 unescaped '|' in the header, every unescaped '=' in the
 *            extension follows a known key;
 *   text     no control character but the '\n' between lines, no C1 control, valid UTF-8,
 *            and exactly the lines the finding has (no value can forge a why:/fix: line);
 *   CEF      also: the fixes list cs5 has exactly fix_count - 1 unescaped '|' separators;
 *   all      no C1 control (U+0080..U+009F), snprintf-style length, and a cut prefix is
 *            still valid UTF-8.
 * Input layout: 8 bytes of numbers and flags, then the strings separated by NUL bytes. With
 * bit 7 of byte 3 set, string bytes below 0x10 become hostile tokens (newlines, ESC, C1 CSI
 * and NEL, the separators of every format), so the fuzzer reaches them at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_format.h"

#define NSTR 15

static void check(int ok, const char *what, const char *out) {
  if (!ok) {
    fprintf(stderr, "invariant broken: %s\noutput: %s\n", what, out);
    abort();
  }
}

static int valid_utf8(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t k = pc__utf8_next(u + i, n - i, &cp);
    if (cp == 0xFFFD && !(k == 3 && u[i] == 0xEF && u[i + 1] == 0xBF && u[i + 2] == 0xBD)) return 0;
    i += k;
  }
  return 1;
}

static int no_controls(const char *s, size_t n, int allow_nl) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && !(allow_nl && c == '\n')) || c == 0x7F) return 0;
    /* C1 controls, as UTF-8 (C2 80..C2 9F) */
    if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F)
      return 0;
  }
  return 1;
}

/* ---- a strict little JSON parser (RFC 8259 grammar, no depth beyond what we emit) ---- */
static const char *ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

static const char *jstring(const char *p) {
  if (*p++ != '"') return NULL;
  for (;;) {
    unsigned char c = (unsigned char)*p;
    if (c == '"') return p + 1;
    if (c < 0x20) return NULL;
    if (c == '\\') {
      p++;
      if (*p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL;
        p += 5;
      } else if (*p && strchr("\"\\/bfnrt", *p)) {
        p++;
      } else {
        return NULL;
      }
    } else {
      p++;
    }
  }
}

static const char *jvalue(const char *p, int depth);

static const char *jnumber(const char *p) {
  const char *s = p;
  if (*p == '-') p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (*p >= '0' && *p <= '9') p++;
  else
    return NULL;
  return p > s ? p : NULL;
}

static const char *jcontainer(const char *p, int depth, char open, char close) {
  if (*p++ != open || depth > 4) return NULL;
  p = ws(p);
  if (*p == close) return p + 1;
  for (;;) {
    if (open == '{') {
      p = jstring(ws(p));
      if (!p) return NULL;
      p = ws(p);
      if (*p++ != ':') return NULL;
    }
    p = jvalue(ws(p), depth + 1);
    if (!p) return NULL;
    p = ws(p);
    if (*p == close) return p + 1;
    if (*p++ != ',') return NULL;
  }
}

static const char *jvalue(const char *p, int depth) {
  if (*p == '"') return jstring(p);
  if (*p == '{') return jcontainer(p, depth, '{', '}');
  if (*p == '[') return jcontainer(p, depth, '[', ']');
  if (strncmp(p, "null", 4) == 0) return p + 4;
  return jnumber(p);
}

static void check_json(const char *out, size_t n) {
  check(no_controls(out, n, 0), "json: raw control character", out);
  check(valid_utf8(out, n), "json: invalid UTF-8", out);
  const char *end = jcontainer(out, 0, '{', '}');
  check(end && *end == '\0', "json: does not parse as one object", out);
}

/* "<PRI>1 TS HOST APP PROCID MSGID SD[ SP BOM MSG]" */
static void check_5424(const char *out, size_t n, size_t cap) {
  check(n <= cap, "5424: longer than the cap", out);
  check(no_controls(out, n, 0), "5424: control character", out);
  check(valid_utf8(out, n), "5424: invalid UTF-8", out);
  const char *p = out;
  for (int field = 0; field < 6; field++) {
    const char *sp = strchr(p, ' ');
    check(sp != NULL, "5424: missing header field", out);
    for (const char *q = p; q < sp; q++)
      check((unsigned char)*q >= 33 && (unsigned char)*q <= 126, "5424: header not PRINTUSASCII", out);
    p = sp + 1;
  }
  if (*p == '-') {
    p++;
  } else {
    check(*p == '[', "5424: SD does not start with [", out);
    p++;
    while (*p && *p != ' ' && *p != ']') p++; /* SD-ID */
    while (*p == ' ') {
      p++;
      while (*p && *p != '=' && *p != ' ' && *p != ']' && *p != '"') p++;
      check(p[0] == '=' && p[1] == '"', "5424: SD-PARAM without =\"", out);
      p += 2;
      for (;;) {
        check(*p != '\0', "5424: unterminated PARAM-VALUE", out);
        if (*p == '\\') {
          check(p[1] == '"' || p[1] == '\\' || p[1] == ']', "5424: stray backslash", out);
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          check(*p != ']', "5424: unescaped ] in PARAM-VALUE", out);
          p++;
        }
      }
    }
    check(*p == ']', "5424: SD element not closed", out);
    p++;
  }
  check(*p == '\0' || strncmp(p, " \xEF\xBB\xBF", 4) == 0, "5424: MSG without SP BOM", out);
}

static const char *const cef_keys[] = {
    "rt",       "start",    "end",      "dvchost", "cat",      "proto", "dpt",      "dpid", "dproc",
    "cs1Label", "cs1",      "cn1Label", "cn1",     "cs2Label", "cs2",   "cn2Label", "cn2",  "cs3Label",
    "cs3",      "cs4Label", "cs4",      "msg",     "cs5Label", "cs5",   "cs6Label", "cs6",  "deviceFacility",
    "cnt"};

static void check_cef(const char *out, size_t n) {
  check(no_controls(out, n, 0), "cef: control character or line break", out);
  check(valid_utf8(out, n), "cef: invalid UTF-8", out);
  const char *p = out;
  int pipes = 0;
  while (*p && pipes < 7) {
    if (*p == '\\') {
      check(p[1] == '\\' || p[1] == '|', "cef: bad header escape", out);
      p += 2;
      continue;
    }
    if (*p == '|') pipes++;
    p++;
  }
  check(pipes == 7, "cef: header does not have 7 fields", out);
  const char *ext = p;
  for (; *p; p++) {
    if (*p == '\\') {
      check(p[1] == '\\' || p[1] == '=' || p[1] == 'n' || p[1] == 'r' || p[1] == '|', "cef: bad ext escape",
            out);
      p++;
      continue;
    }
    if (*p != '=') continue;
    const char *k = p;
    while (k > ext && k[-1] != ' ') k--;
    size_t kl = (size_t)(p - k);
    int known = 0;
    for (size_t i = 0; i < sizeof cef_keys / sizeof cef_keys[0]; i++)
      if (strlen(cef_keys[i]) == kl && strncmp(cef_keys[i], k, kl) == 0) known = 1;
    check(known, "cef: unescaped '=' not after a known key", out);
  }
}

/* The cs5 value (fixes joined by " | ") holds exactly fixes - 1 unescaped '|'. The keys
 * after cs5 start with an unescaped '=', which no value can hold, so they end it. */
static void check_cef_list(const char *out, size_t fixes) {
  const char *ext = out; /* after the 7th unescaped '|': the header may hold " cs5=" */
  for (int pipes = 0; *ext && pipes < 7; ext++) {
    if (*ext == '\\' && ext[1]) {
      ext++;
      continue;
    }
    pipes += *ext == '|';
  }
  const char *v = strstr(ext, " cs5=");
  if (!v && strncmp(ext, "cs5=", 4) == 0) v = ext - 1;
  check((v != NULL) == (fixes > 0), "cef: cs5 present iff there are fixes", out);
  if (!v) return;
  v += 5;
  const char *end = v + strlen(v);
  static const char *const after[] = {" cs6Label=", " deviceFacility=", " cnt="};
  for (size_t i = 0; i < 3; i++) {
    const char *e = strstr(v, after[i]);
    if (e && e < end) end = e;
  }
  size_t seps = 0;
  for (const char *p = v; p < end; p++) {
    if (*p == '\\') {
      p++;
      continue;
    }
    if (*p == '|') seps++;
  }
  check(seps == fixes - 1, "cef: a fix forged a list separator in cs5", out);
}

/* The lines a finding's text block has: header, what, error?, owner?, why, one per fix,
 * count?, host?. A value that could add a line would be caught here. */
static size_t text_lines(const pc_finding *f) {
  size_t n = 3;
  n += (f->error_name || f->error_known) ? 1 : 0;
  n += (f->owner_process || f->owner_pid_known) ? 1 : 0;
  n += f->fixes ? f->fix_count : 0;
  n += f->count > 1 ? 1 : 0;
  n += (f->host || f->os || f->source) ? 1 : 0;
  return n;
}

static void check_text(const char *out, size_t n) {
  check(no_controls(out, n, 1), "text: control character", out);
  check(valid_utf8(out, n), "text: invalid UTF-8", out);
  check(strstr(out, "\xC2\x80") == NULL && strstr(out, "\xC2\x9B") == NULL, "text: C1", out);
  for (size_t i = 0; i + 1 < n; i++)
    check(!((unsigned char)out[i] == 0xC2 && (unsigned char)out[i + 1] >= 0x80 &&
            (unsigned char)out[i + 1] <= 0x9F),
          "text: C1 control", out);
}

static char out[1 << 17];
static char small[97];

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size < 8 || size > 60000) return 0;
  static const char *const tokens[16] = {
      "\n", "\r", "\x1b[2J", "\xc2\x9b", "\xc2\x85",       "\xc2\x80", " | ", "|",
      "=",  "\"", "\\",      "]",        "\n  fix:   1. ", "\x7f",     "\t",  "\xc2\x9f"};
  size_t len = size - 8;
  char *copy = malloc(len * 16 + 1);
  if (data[3] & 0x80) {
    /* NUL stays the string separator; other small bytes become hostile tokens. */
    size_t k = 0;
    for (size_t i = 0; i < size - 8; i++) {
      unsigned char b = data[8 + i];
      if (b > 0 && b < 16) {
        size_t tl = strlen(tokens[b]);
        memcpy(copy + k, tokens[b], tl);
        k += tl;
      } else {
        copy[k++] = (char)b;
      }
    }
    len = k;
  } else {
    memcpy(copy, data + 8, len);
  }
  copy[len] = '\0';
  const char *s[NSTR];
  char *p = copy;
  for (int i = 0; i < NSTR; i++) {
    s[i] = p; /* strings end at NUL bytes of the input; missing ones are NULL */
    if (p < copy + len) {
      p += strlen(p) + 1;
    } else {
      s[i] = NULL;
    }
  }
  unsigned flags = data[0];
  const char *fixes[3] = {s[12], s[13], s[14]};
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = (flags & 1) ? PC_TIME_UNKNOWN : pc_time_from_unix(1795305000 + data[1] * 86400 * 7, 0);
  f.ts_last = f.ts + data[2];
  f.host = s[0];
  f.os = s[1];
  f.event = s[2];
  f.error_known = flags & 2;
  f.error = (uint32_t)data[3] << 8 | data[4];
  f.error_name = s[3];
  f.proto = s[4];
  f.address = s[5];
  f.port_known = flags & 4;
  f.port = (uint16_t)(data[5] << 8 | data[6]);
  f.pid_known = flags & 8;
  f.pid = data[7];
  f.process = s[6];
  f.owner_pid_known = flags & 16;
  f.owner_pid = data[7];
  f.owner_process = s[7];
  f.rule_id = s[8];
  f.severity = s[9];
  f.explanation = s[10];
  f.fixes = (flags & 32) ? fixes : NULL;
  f.fix_count = 3;
  f.count = data[2] + 1u;
  f.source = s[11];

  pc_format_options o;
  pc_format_options_init(&o);
  o.color = flags & 64;
  o.procid = data[7];
  o.max_bytes = 480 + (size_t)data[4] * 8;
  if (flags & 128) o.sd_id = s[1];
  if (flags & 128) o.app_name = s[2];
  o.version = s[3];

  size_t n = pc_format_json(&f, &o, out, sizeof out);
  check(n < sizeof out && n == strlen(out), "json: length", out);
  check_json(out, n);
  size_t m = pc_format_json(&f, &o, small, sizeof small);
  check(m == n && strlen(small) < sizeof small && valid_utf8(small, strlen(small)), "json: cut", small);

  n = pc_format_syslog(&f, &o, out, sizeof out);
  check(n == strlen(out), "5424: length", out);
  check_5424(out, n, o.max_bytes);

  o.cef_body = flags & 16;
  n = pc_format_syslog3164(&f, &o, out, sizeof out);
  check(n == strlen(out) && n <= o.max_bytes, "3164: length", out);
  check(no_controls(out, n, 0) && valid_utf8(out, n), "3164: controls or UTF-8", out);

  n = pc_format_cef(&f, &o, out, sizeof out);
  check(n < sizeof out && n == strlen(out), "cef: length", out);
  check_cef(out, n);
  check_cef_list(out, f.fixes ? f.fix_count : 0);

  n = pc_format_text(&f, &o, out, sizeof out);
  check(n < sizeof out && n == strlen(out), "text: length", out);
  if (!o.color) check_text(out, n);
  size_t lines = 1;
  for (size_t i = 0; i < n; i++) lines += out[i] == '\n';
  check(lines == text_lines(&f), "text: a value added or removed a line", out);
  m = pc_format_text(&f, &o, small, sizeof small);
  check(m == n && valid_utf8(small, strlen(small)), "text: cut", small);

  free(copy);
  return 0;
}
