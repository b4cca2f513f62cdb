/* pc_format.h - pure, byte-exact formatters for findings: text, JSON, syslog, CEF.
 *
 * A formatter turns one pc_finding into bytes in a caller buffer and does no I/O, no
 * allocation and no clock or environment lookups, so the same input always gives the same
 * bytes on every OS. Every output is one record WITHOUT a trailing newline; the transport
 * adds its framing (a newline in files and on the console, a datagram on UDP, RFC 6587
 * octet counting on TCP).
 *
 * Return value (all formatters): the length of the record, not counting the NUL, with
 * snprintf semantics. When the result is >= cap the record did not fit: buf holds a
 * NUL-terminated prefix cut at a UTF-8 boundary, and the caller may retry with a buffer of
 * (result + 1) bytes. The syslog formatters are different on purpose: they shorten the
 * record themselves to fit min(max_bytes, cap - 1), so their result is always < cap (0 if
 * not even the header fits, which cannot happen with cap > PC_SYSLOG_MIN_BYTES).
 *
 * Untrusted text (every string of a finding) can never break or inject into a format:
 * invalid UTF-8 becomes U+FFFD, and control characters, quotes, `]`, `\`, `|`, `=` and
 * newlines are escaped or replaced as each format requires (see each function). */
#ifndef PC_FORMAT_H
#define PC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc_finding.h"

#define PC_FORMAT_DEFAULT_APP_NAME "portclash"
#define PC_FORMAT_DEFAULT_SD_ID "portclash@32473"
#define PC_SYSLOG_DEFAULT_MAX_BYTES 2048u     /* RFC 5424 §6.1: receivers SHOULD take 2048 */
#define PC_SYSLOG3164_DEFAULT_MAX_BYTES 1024u /* RFC 3164 §4.1: the packet MUST be <= 1024 */
#define PC_SYSLOG_MIN_BYTES 480u              /* RFC 5424 §6.1: receivers MUST take 480 */

typedef struct pc_format_options {
  bool color;           /* text: ANSI colours (the caller decides: tty, NO_COLOR, --no-color) */
  const char *app_name; /* syslog APP-NAME / RFC 3164 TAG; NULL = "portclash" */
  const char *sd_id;    /* RFC 5424 SD-ID; NULL or invalid SD-NAME = "portclash@32473" */
  unsigned facility;    /* syslog facility 0..23 (default 1, user-level); larger = 1 */
  uint32_t procid;      /* syslog PROCID / TAG[PID] (the sender's pid); 0 = NILVALUE "-" */
  size_t max_bytes;     /* syslog record cap; 0 = the RFC default; < 480 is raised to 480 */
  const char *version;  /* CEF Device Version; NULL = "0" */
  bool cef_body;        /* RFC 3164 only: MSG is the CEF record (CEF over syslog) */
  pc_time now;          /* RFC 3164 only: TIMESTAMP when f->ts is unknown; PC_TIME_UNKNOWN
                           gives "Jan  1 00:00:00" */
} pc_format_options;

/* Fills o with the defaults above (no colour, facility 1, procid 0, now unknown). */
void pc_format_options_init(pc_format_options *o);

/* Console block, several lines joined by '\n' (no trailing newline):
 *
 *   [error] bind_failure 2026-11-21T23:50:00.123456Z
 *     what:  nginx.exe (pid 1234) could not bind tcp 0.0.0.0:8080
 *     error: WSAEADDRINUSE (10048)
 *     owner: System (pid 4)
 *     why:   Port 8080 is held by another process. (rule C12)
 *     fix:   1. Stop the other process.
 *            2. Use another port.
 *     count: 3, first 2026-..., last 2026-...
 *     host:  WIN01 (windows), source etw
 *
 * Lines whose values are all unknown are left out (why: says "no rule matched"); count:
 * only when count > 1. Untrusted text never adds a line: every C0 control (a newline
 * included) and DEL is shown as \xNN and C1 controls as \u00NN, so that no value can
 * forge a why:/fix: line and no terminal escape sequence can get through. With o->color the first line is
 * coloured by severity (error red, warning yellow, other cyan) and "fix:" is green. */
size_t pc_format_text(const pc_finding *f, const pc_format_options *o, char *buf, size_t cap);

/* One JSON object (RFC 8259), no spaces, keys in this order: ts, host, os, event, error,
 * error_name, proto, address, port, pid, process, owner_pid, owner_process, rule_id,
 * severity, explanation, fixes, count, ts_last, source. Unknown values are null (fixes is
 * null when f->fixes is NULL, else an array). ts_last is the last occurrence after
 * aggregation (equal to ts when count is 1). Strings: `"` and `\` are backslash-escaped,
 * U+0000..U+001F, U+007F and the C1 controls U+0080..U+009F become \u00xx (lower-case
 * hex), invalid UTF-8 becomes U+FFFD;
 * everything else is copied as UTF-8. o may be NULL. */
size_t pc_format_json(const pc_finding *f, const pc_format_options *o, char *buf, size_t cap);

/* The JSON string escaper of pc_format_json, for other JSON writers: writes s as one JSON
 * string, quotes included, escaped exactly as pc_format_json escapes its strings (so invalid
 * UTF-8 becomes U+FFFD and the result is always valid JSON). Returns the length with the
 * snprintf semantics of the formatters above. s must not be NULL. */
size_t pc_json_escape(const char *s, char *buf, size_t cap);

/* The same written to out, and `null` when s is NULL: the string writer of the JSON writer
 * below (which, with it, is the only I/O of this header). Writes `null` too when a string
 * too long for the stack cannot get a heap buffer. */
void pc_json_write_string(FILE *out, const char *s);

/* An untrusted string for a person at a console (the escaping of pc_format_text: controls
 * and newlines as visible \xNN / \u00NN, invalid UTF-8 as U+FFFD), for the commands that
 * print such strings themselves (`monitor --attempts`). Returns the length with the
 * snprintf semantics of the formatters above. s must not be NULL. */
size_t pc_format_escape_text(const char *s, char *buf, size_t cap);

/* ---- The JSON writer: every JSON document portclash prints (json_writer.c) ----
 *
 * A streaming writer to a stdio stream for the commands' documents (explain, ranges,
 * ranges --diff, etl info): it places the commas and colons, writes every string through
 * pc_json_escape (so keys and values are escaped exactly as findings are), numbers as
 * numbers and NULL strings as `null`. The caller opens and closes objects and arrays in the
 * right order; nesting deeper than PC_JSON_MAX_DEPTH is a programming error (ignored). No
 * whitespace is written; pc_json_end_document adds the final newline. */
#define PC_JSON_MAX_DEPTH 32

typedef struct pc_json_writer {
  FILE *out;
  unsigned depth;
  uint32_t has_items; /* bit d: the container at depth d already holds a member/element */
  bool after_key;     /* a key was written; its value comes next (no comma) */
} pc_json_writer;

void pc_json_init(pc_json_writer *w, FILE *out);
void pc_json_begin_object(pc_json_writer *w);
void pc_json_end_object(pc_json_writer *w);
void pc_json_begin_array(pc_json_writer *w);
void pc_json_end_array(pc_json_writer *w);
/* A member's key inside an object; the next call writes its value. */
void pc_json_key(pc_json_writer *w, const char *key);
/* Values: a string (NULL = null), numbers, booleans, null, and an RFC 3339 UTC time
 * (PC_TIME_UNKNOWN = null). */
void pc_json_str(pc_json_writer *w, const char *s);
void pc_json_u64(pc_json_writer *w, uint64_t v);
void pc_json_i64(pc_json_writer *w, int64_t v);
void pc_json_bool(pc_json_writer *w, bool v);
void pc_json_null(pc_json_writer *w);
void pc_json_time(pc_json_writer *w, pc_time t);
/* Key and value in one call. */
void pc_json_key_str(pc_json_writer *w, const char *key, const char *s);
void pc_json_key_u64(pc_json_writer *w, const char *key, uint64_t v);
void pc_json_key_i64(pc_json_writer *w, const char *key, int64_t v);
void pc_json_key_bool(pc_json_writer *w, const char *key, bool v);
void pc_json_key_null(pc_json_writer *w, const char *key);
/* v when known, else null (a PID of 0, a value the host state could not read). */
void pc_json_key_u64_or_null(pc_json_writer *w, const char *key, bool known, uint64_t v);
/* The members of a finding (the keys and values of pc_format_json, in its order) into the
 * object being written, so that a document can extend the finding contract. */
void pc_json_finding_members(pc_json_writer *w, const pc_finding *f);
/* Ends the document with a newline (after the outermost value). */
void pc_json_end_document(pc_json_writer *w);

/* RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID k="v" ...] BOM MSG".
 * PRI = facility * 8 + severity (error 3, warning 4, info 6, otherwise 5 notice).
 * TIMESTAMP is f->ts as RFC 3339 UTC with microseconds, or "-". HOSTNAME, APP-NAME and
 * MSGID keep only PRINTUSASCII (others become '_') and are cut to 255/48/32 octets; empty
 * or unknown is "-". MSGID comes from the event: bind_failure BINDFAIL, bind_success
 * BINDOK, port_at_risk PORTRISK, events_lost EVLOST, output_dropped DROPS, limit_hit
 * LIMITHIT, anything else
 * its letters and digits upper-cased. The SD element holds the known key fields (event,
 * error, error_name, proto, address, port, pid, process, owner_pid, owner_process, rule_id,
 * severity, count, ts_last when count > 1 and it differs from ts, source) with `"`, `\` and `]` escaped per
 * §6.3.3; unknown fields are left out. MSG is the UTF-8 BOM and a one-line summary:
 * "P (pid N) could not bind tcp A:PORT: ERROR_NAME (ERROR) - EXPLANATION - fix: F1 | F2
 * (N times)", each part only when known ("(N times)" when count > 1, except for
 * output_dropped, events_lost and limit_hit, whose count is of what was lost or stopped).
 * Control characters (C0, DEL and C1) in SD values and MSG become spaces. The record is cut to
 * min(o->max_bytes, cap - 1): first MSG is shortened at a UTF-8 boundary (and dropped
 * with its BOM if nothing of it fits), then the longest SD values are shortened, never
 * inside an escape pair or a character; the SD element always stays well-formed. */
size_t pc_format_syslog(const pc_finding *f, const pc_format_options *o, char *buf, size_t cap);

/* True when s is a valid RFC 5424 SD-NAME (1..32 PRINTUSASCII except '=', ' ', ']' and
 * '"'): the check pc_format_syslog makes on o->sd_id, for callers that reject a bad one
 * up front. */
bool pc_format_sd_name_valid(const char *s);

/* RFC 3164: "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG" (UTC, day space-padded; no
 * "[PID]" when o->procid is 0). HOSTNAME keeps PRINTUSASCII only; TAG keeps letters,
 * digits, '-', '_' and '.', at most 32. MSG is the same summary as RFC 5424 (no BOM), or
 * the CEF record when o->cef_body. Shortened to min(o->max_bytes (default 1024), cap - 1)
 * at a UTF-8 boundary. */
size_t pc_format_syslog3164(const pc_finding *f, const pc_format_options *o, char *buf, size_t cap);

/* CEF:0|portclash|portclash|VERSION|SIGNATURE|NAME|SEVERITY|EXTENSION
 * SIGNATURE is the rule id, else the event; NAME is "event error_name"; SEVERITY is
 * error 7, warning 5, info 3, otherwise 5. Header fields escape `\` and `|`; extension
 * values escape `\`, `=`, CR and LF (as \r, \n). Other control characters (C0, DEL, C1)
 * become spaces.
 * Extension keys, in order, each only when known: rt start end (ms since 1970, start/end
 * only when count > 1) dvchost cat proto dpt dpid dproc cs1Label cs1 (bind address)
 * cn1Label cn1 (error) cs2Label cs2 (error name) cn2Label cn2 (owner pid) cs3Label cs3
 * (owner process) cs4Label cs4 (rule id) msg (explanation) cs5Label cs5 (fixes joined
 * by " | ", a '|' inside a fix escaped as \|) cs6Label cs6 (os) deviceFacility (source)
 * cnt. */
size_t pc_format_cef(const pc_finding *f, const pc_format_options *o, char *buf, size_t cap);

/* ---- Module-shared helpers (pc__), used by the format_*.c files only. ---- */

/* An output cursor with snprintf semantics: len counts every byte asked for, bytes are
 * stored only while they fit before the last byte of cap (kept for the NUL). */
typedef struct pc__out {
  char *buf;
  size_t cap;
  size_t len;
} pc__out;

/* Inline: a JSON line is a few hundred of these calls, and a call each costs more than
 * the copy it does. */
static inline void pc__out_init(pc__out *o, char *buf, size_t cap) {
  o->buf = buf;
  o->cap = cap;
  o->len = 0;
}
static inline void pc__out_mem(pc__out *o, const void *p, size_t n) {
  if (o->len + n < o->cap) {
    memcpy(o->buf + o->len, p, n);
  } else if (o->len < o->cap) {
    memcpy(o->buf + o->len, p, o->cap - 1 - o->len); /* the last byte is for the NUL */
  }
  o->len += n;
}
static inline void pc__out_str(pc__out *o, const char *s) {
  pc__out_mem(o, s, strlen(s));
}
static inline void pc__out_ch(pc__out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}
void pc__out_u64(pc__out *o, uint64_t v);
void pc__out_cp(pc__out *o, uint32_t cp); /* one code point as UTF-8 */
/* NUL-terminates; when the output was cut, the stored prefix is cut back to a UTF-8
 * boundary. Returns o->len. */
size_t pc__out_finish(pc__out *o);

/* Decodes one UTF-8 character from s[0..n) (n >= 1): stores the code point, or U+FFFD for
 * an ill-formed sequence, and returns the bytes consumed (the maximal ill-formed subpart,
 * as Unicode §3.9 recommends, so that one bad byte never eats a good character). */
size_t pc__utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* The length of the run of printable ASCII (0x20..0x7E) at the start of s[0..n): the bytes
 * every escaper copies as they are, in one go. */
static inline size_t pc__ascii_run(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n && s[i] >= 0x20 && s[i] < 0x7F) i++;
  return i;
}

/* The one escaper of every untrusted string in every format. Each kind says how the
 * characters that could break or forge a record are written; everything else is copied as
 * UTF-8, and invalid UTF-8 becomes U+FFFD in all kinds. "Controls" are C0 (U+0000..U+001F),
 * DEL and C1 (U+0080..U+009F, which some terminals obey: U+009B is CSI).
 *   TEXT      console: controls as \xNN (C0, DEL) and \u00NN (C1), a newline included, so
 *             a value can neither start a line nor send a terminal sequence.
 *   JSON      RFC 8259: `"` and `\` backslash-escaped, controls as \u00xx (lower-case hex).
 *   SD        RFC 5424 SD-PARAM value: `"`, `\` and `]` backslash-escaped, controls as spaces.
 *   MSG       syslog MSG: controls as spaces.
 *   CEF_HDR   CEF header field: `\` and `|` backslash-escaped, controls as spaces.
 *   CEF_EXT   CEF extension value: `\` and `=` backslash-escaped, CR and LF as \r and \n,
 *             other controls as spaces.
 *   CEF_LIST  an item of a CEF list joined by " | ": as CEF_EXT, and `|` as \| so that an
 *             item cannot forge a separator. */
typedef enum pc__esc_kind {
  PC__ESC_TEXT,
  PC__ESC_JSON,
  PC__ESC_SD,
  PC__ESC_MSG,
  PC__ESC_CEF_HDR,
  PC__ESC_CEF_EXT,
  PC__ESC_CEF_LIST
} pc__esc_kind;

/* Writes s escaped for kind. */
void pc__esc(pc__out *o, const char *s, pc__esc_kind kind);

/* One unit of that escaping: the escaped form of the character at s[0..n) (n >= 1) goes to
 * unit (at most 6 bytes) and *ulen; returns the input bytes consumed. For callers that
 * must cut between units (the syslog size cap). */
size_t pc__esc_unit(const unsigned char *s, size_t n, pc__esc_kind kind, char unit[6], size_t *ulen);

/* Writes "P (pid N) could not bind tcp A:PORT" (or "EVENT: ..." for other events),
 * passing every untrusted string through esc. The shared one-line summary of text,
 * syslog and CEF. */
typedef void (*pc__esc_fn)(pc__out *o, const char *s);
void pc__summary(pc__out *o, const pc_finding *f, pc__esc_fn esc);

/* Maps a finding's severity to syslog severity (error 3, warning 4, info 6, else 5). */
unsigned pc__syslog_severity(const char *severity);

#endif
