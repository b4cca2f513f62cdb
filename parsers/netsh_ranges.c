/* netsh excludedportrange / dynamicport output.
 *
 * netsh output is localized, so rows are recognized by shape: an excluded range is "digits
 * blanks digits [*]", a dynamic-range value is the number after the last colon of a line. The
 * protocol comes from the title, where netsh substitutes the untranslated "tcp"/"udp". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate_text.h"
#include "pc_text_input.h"

/* ---- netsh-specific helpers ------------------------------------------------------------- */

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
static bool is_alnum_ascii(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Finds "tcp" or "udp" as a whole ASCII word in a non-data line (the title). Returns the
 * pc_proto, or 0 when neither appears (or both do, which no title does). */
static uint8_t proto_word(const char *s, size_t len) {
  uint8_t found = 0;
  for (size_t i = 0; i + 3 <= len; i++) {
    if (i > 0 && is_alnum_ascii(s[i - 1])) continue;
    if (i + 3 < len && is_alnum_ascii(s[i + 3])) continue;
    char w[3] = {lower(s[i]), lower(s[i + 1]), lower(s[i + 2])};
    uint8_t p = 0;
    if (memcmp(w, "tcp", 3) == 0) p = PC_PROTO_TCP;
    if (memcmp(w, "udp", 3) == 0) p = PC_PROTO_UDP;
    if (p && found && p != found) return 0;
    if (p) found = p;
  }
  return found;
}

/* Parses 1..6 decimal digits at s[*i] into *v. */
static bool take_number(const char *s, size_t len, size_t *i, uint32_t *v) {
  size_t start = *i;
  uint32_t x = 0;
  while (*i < len && is_digit(s[*i])) {
    if (*i - start >= 6) return false;
    x = x * 10 + (uint32_t)(s[*i] - '0');
    (*i)++;
  }
  if (*i == start) return false;
  *v = x;
  return true;
}

/* If the line ends with "<colon> blanks digits" (ASCII ':' or the full-width U+FF1A some East
 * Asian translations use), stores the number and returns true. */
static bool label_number(const char *s, size_t len, uint32_t *v, bool *too_long) {
  size_t i = len;
  while (i > 0 && is_digit(s[i - 1])) i--;
  *too_long = false;
  if (i == len) return false;
  size_t digits_at = i;
  while (i > 0 && is_blank(s[i - 1])) i--;
  bool colon = (i > 0 && s[i - 1] == ':') || (i >= 3 && (uint8_t)s[i - 3] == 0xEF &&
                                              (uint8_t)s[i - 2] == 0xBC && (uint8_t)s[i - 1] == 0x9A);
  if (!colon) return false;
  size_t j = digits_at;
  if (!take_number(s, len, &j, v) || j != len) {
    *too_long = true;
    return true;
  }
  return true;
}

static size_t skip_blanks(const char *s, size_t len, size_t i) {
  while (i < len && is_blank(s[i])) i++;
  return i;
}

/* Steps it to the next line that is not blank: *s and *sl are the line, *i its first
 * non-blank character. False at the end of the text, or at an over-long line (it->rc). */
static bool next_nonblank(pc__lines *it, const char **s, size_t *sl, size_t *i) {
  while (pc__lines_next(it, s, sl)) {
    *i = skip_blanks(*s, *sl, 0);
    if (*i < *sl) return true;
  }
  return false;
}

/* Applies the caller's hint to a protocol read from a title; a contradiction is an error. */
static int check_proto(const pc__hosttext *h, uint8_t from_text, uint8_t hint, unsigned line) {
  if (from_text && hint && from_text != hint)
    return pc__hosttext_bad(h, line, "the title says %s but the file was given as %s",
                            from_text == PC_PROTO_TCP ? "tcp" : "udp", hint == PC_PROTO_TCP ? "tcp" : "udp");
  return PC_OK;
}

/* ---- excludedportrange ------------------------------------------------------------------ */

int pc_netsh_parse_excluded(const void *data, size_t len, const char *origin, uint8_t proto_hint,
                            uint8_t family_hint, pc_port_range **out, size_t *n, char *err, size_t errcap) {
  pc__hosttext h;
  int rc = pc__hosttext_open(&h, data, len, origin, sizeof **out, PC_HOSTTEXT_MAX_ROWS, "rows", err, errcap);
  if (rc != PC_OK) return pc__hosttext_close(&h, rc, out, n);
  uint8_t proto = proto_hint;
  bool seen_separator = false;
  pc__lines it;
  pc__hosttext_lines(&h, &it);
  const char *s;
  size_t sl, i;
  while (next_nonblank(&it, &s, &sl, &i)) {
    if (!is_digit(s[i])) {
      uint32_t v;
      bool bad;
      if (pc__hosttext_is_dashes(s, sl)) {
        seen_separator = true;
      } else if (label_number(s, sl, &v, &bad)) {
        rc = pc__hosttext_bad(&h, it.no,
                              "\"label : number\" line: this looks like `netsh ... show dynamicport` output "
                              "(use --netsh-dynamic), not excludedportrange");
        goto fail;
      } else {
        uint8_t p = proto_word(s, sl);
        if (p) {
          if ((rc = check_proto(&h, p, proto_hint, it.no)) != PC_OK) goto fail;
          proto = p;
        }
      }
      continue;
    }
    uint32_t a, b;
    bool admin = false;
    if (!take_number(s, sl, &i, &a) || i == sl || !is_blank(s[i])) goto bad_row;
    i = skip_blanks(s, sl, i);
    if (!take_number(s, sl, &i, &b)) goto bad_row;
    i = skip_blanks(s, sl, i);
    if (i < sl && s[i] == '*') {
      admin = true;
      i = skip_blanks(s, sl, i + 1);
    }
    if (i != sl) goto bad_row;
    if (a > 65535 || b > 65535 || a > b) {
      rc = pc__hosttext_bad(&h, it.no, "range %u-%u is not a valid port range (0..65535, start <= end)",
                            (unsigned)a, (unsigned)b);
      goto fail;
    }
    pc_port_range *row = pc__hosttext_push(&h, it.no, &rc);
    if (!row) goto fail;
    *row = (pc_port_range){.start = (uint16_t)a,
                           .end = (uint16_t)b,
                           .administered = admin,
                           .proto = proto,
                           .family = family_hint};
    continue;
  bad_row:
    rc = pc__hosttext_bad(&h, it.no, "expected an excluded range row \"START END [*]\" (two port numbers)");
    goto fail;
  }
  if (it.rc != PC_OK) {
    rc = it.rc;
    goto fail;
  }
  if (h.count == 0 && !seen_separator)
    rc = pc__hosttext_bad(
        &h, it.no, "no range rows and no \"----\" separator: not `netsh ... show excludedportrange` output");
fail:
  return pc__hosttext_close(&h, rc, out, n);
}

/* ---- dynamicport ------------------------------------------------------------------------ */

int pc_netsh_parse_dynamic(const void *data, size_t len, const char *origin, uint8_t proto_hint,
                           uint8_t family_hint, pc_dynamic_range **out, size_t *n, char *err, size_t errcap) {
  pc__hosttext h;
  int rc =
      pc__hosttext_open(&h, data, len, origin, sizeof **out, PC_HOSTTEXT_MAX_ROWS, "sections", err, errcap);
  if (rc != PC_OK) return pc__hosttext_close(&h, rc, out, n);
  uint8_t proto = proto_hint;
  int have = 0; /* values seen in the current section: 0, 1 (start) */
  uint32_t start = 0;
  unsigned start_line = 0;
  pc__lines it;
  pc__hosttext_lines(&h, &it);
  const char *s;
  size_t sl, i;
  while (next_nonblank(&it, &s, &sl, &i)) {
    if (pc__hosttext_is_dashes(s, sl)) continue;
    uint32_t v;
    bool too_long;
    if (label_number(s, sl, &v, &too_long)) {
      if (too_long) {
        rc = pc__hosttext_bad(&h, it.no, "number too long");
        goto fail;
      }
      if (have == 0) {
        if (v == 0 || v > 65535) {
          rc = pc__hosttext_bad(&h, it.no, "start port %u is not in 1..65535", (unsigned)v);
          goto fail;
        }
        start = v;
        start_line = it.no;
        have = 1;
        continue;
      }
      if (v == 0 || start + v - 1 > 65535) {
        rc = pc__hosttext_bad(&h, it.no, "number of ports %u does not fit after start port %u", (unsigned)v,
                              (unsigned)start);
        goto fail;
      }
      pc_dynamic_range *row = pc__hosttext_push(&h, it.no, &rc);
      if (!row) goto fail;
      *row = (pc_dynamic_range){.start = (uint16_t)start, .count = v, .proto = proto, .family = family_hint};
      have = 0;
      continue;
    }
    if (is_digit(s[i])) {
      rc = pc__hosttext_bad(
          &h, it.no,
          "a row of numbers: this looks like `show excludedportrange` output (use --netsh-excluded)");
      goto fail;
    }
    uint8_t p = proto_word(s, sl);
    if (p) {
      /* A new title: the previous section must be complete. */
      if (have) {
        rc = pc__hosttext_bad(&h, start_line, "start port without a following \"number of ports\" line");
        goto fail;
      }
      if ((rc = check_proto(&h, p, proto_hint, it.no)) != PC_OK) goto fail;
      proto = p;
    }
  }
  if (it.rc != PC_OK) {
    rc = it.rc;
    goto fail;
  }
  if (have) {
    rc = pc__hosttext_bad(&h, start_line, "start port without a following \"number of ports\" line");
    goto fail;
  }
  if (h.count == 0)
    rc = pc__hosttext_bad(
        &h, it.no,
        "no \"Start Port : N\" / \"Number of Ports : N\" lines: not `netsh ... show dynamicport` output");
fail:
  return pc__hosttext_close(&h, rc, out, n);
}
