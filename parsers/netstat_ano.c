/* `netstat -ano` output (Windows) to socket rows.
 *
 * Columns are found by position: protocol, local address, foreign address, then the PID as
 * the last field; whatever sits between the foreign address and the PID is the TCP state,
 * which may be translated and may contain blanks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate_text.h"
#include "pc_text_input.h"

#define MAX_TOKENS 12

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
static char upper(char c) {
  return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

typedef struct token {
  const char *s;
  size_t len;
} token;

static bool token_ieq(token t, const char *word) {
  size_t n = strlen(word);
  if (t.len != n) return false;
  for (size_t i = 0; i < n; i++)
    if (upper(t.s[i]) != upper(word[i])) return false;
  return true;
}

/* Parses a decimal number of at most max_digits digits filling the whole token. */
static bool token_number(token t, size_t max_digits, uint64_t *v) {
  if (t.len == 0 || t.len > max_digits) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < t.len; i++) {
    if (!is_digit(t.s[i])) return false;
    x = x * 10 + (uint64_t)(t.s[i] - '0');
  }
  *v = x;
  return true;
}

/* Parses "1.2.3.4:80", "[::]:445", "[fe80::1%12]:5353" and "*:*" (family unknown, port 0). */
static bool parse_endpoint(token t, pc_addr *out) {
  memset(out, 0, sizeof *out);
  const char *colon = NULL;
  for (size_t i = t.len; i > 0; i--)
    if (t.s[i - 1] == ':') {
      colon = t.s + i - 1;
      break;
    }
  if (!colon) return false;
  token host = {t.s, (size_t)(colon - t.s)};
  token port = {colon + 1, t.len - host.len - 1};
  uint64_t pv = 0;
  if (!(port.len == 1 && port.s[0] == '*') && (!token_number(port, 5, &pv) || pv > 65535)) return false;
  if (host.len == 1 && host.s[0] == '*') {
    out->port = (uint16_t)pv;
    return true;
  }
  uint32_t scope = 0;
  char buf[64];
  if (host.len >= 2 && host.s[0] == '[') {
    if (host.s[host.len - 1] != ']') return false;
    host.s++;
    host.len -= 2;
    const char *pct = memchr(host.s, '%', host.len);
    if (pct) {
      token sc = {pct + 1, host.len - (size_t)(pct - host.s) - 1};
      uint64_t sv;
      if (!token_number(sc, 10, &sv) || sv > UINT32_MAX) return false;
      scope = (uint32_t)sv;
      host.len = (size_t)(pct - host.s);
    }
  }
  if (host.len == 0 || host.len >= sizeof buf) return false;
  memcpy(buf, host.s, host.len);
  buf[host.len] = '\0';
  if (pc_addr_parse_ip(buf, out) != PC_OK) return false;
  out->port = (uint16_t)pv;
  out->scope_id = scope;
  return true;
}

typedef struct state_word {
  const char *word;
  uint8_t state;
} state_word;

/* English words, then translations seen in public netstat output. "ABH?REN" is the German
 * word read from an OEM code page (CP850 0x99 for Ö), after invalid UTF-8 became '?'. */
static const state_word k_states[] = {
    {"LISTENING", PC_OWNER_STATE_LISTEN},
    {"LISTEN", PC_OWNER_STATE_LISTEN},
    {"ESTABLISHED", PC_OWNER_STATE_ESTABLISHED},
    {"TIME_WAIT", PC_OWNER_STATE_TIME_WAIT},
    {"CLOSE_WAIT", PC_OWNER_STATE_CLOSE_WAIT},
    {"BOUND", PC_OWNER_STATE_BOUND},
    {"SYN_SENT", PC_OWNER_STATE_OTHER},
    {"SYN_RECEIVED", PC_OWNER_STATE_OTHER},
    {"FIN_WAIT_1", PC_OWNER_STATE_OTHER},
    {"FIN_WAIT_2", PC_OWNER_STATE_OTHER},
    {"LAST_ACK", PC_OWNER_STATE_OTHER},
    {"CLOSING", PC_OWNER_STATE_OTHER},
    {"CLOSED", PC_OWNER_STATE_OTHER},
    {"DELETE_TCB", PC_OWNER_STATE_OTHER},
    {"ABH\xC3\x96REN", PC_OWNER_STATE_LISTEN},
    {"ABH?REN", PC_OWNER_STATE_LISTEN},
    {"HERGESTELLT", PC_OWNER_STATE_ESTABLISHED},
    {"WARTEND", PC_OWNER_STATE_TIME_WAIT},
    {"SCHLIESSEN_WARTEN", PC_OWNER_STATE_CLOSE_WAIT},
    {"ESCUCHANDO", PC_OWNER_STATE_LISTEN},
    {"ESTABLECIDO", PC_OWNER_STATE_ESTABLISHED},
};

static uint8_t map_state(token word, const pc_addr *remote) {
  for (size_t i = 0; i < sizeof k_states / sizeof k_states[0]; i++)
    if (token_ieq(word, k_states[i].word)) return k_states[i].state;
  /* A listener's foreign address is always the unspecified address with port 0, in any
   * language; connections always have a real peer. */
  if (remote->family != PC_AF_UNKNOWN && remote->port == 0 && pc_addr_is_wildcard(remote))
    return PC_OWNER_STATE_LISTEN;
  return PC_OWNER_STATE_OTHER;
}

/* Splits s into blank-separated tokens; returns the count (capped at MAX_TOKENS + 1 to tell
 * "too many" apart). */
static size_t tokenize(const char *s, size_t len, token *tok) {
  size_t n = 0, i = 0;
  while (i < len) {
    while (i < len && is_blank(s[i])) i++;
    if (i == len) break;
    size_t start = i;
    while (i < len && !is_blank(s[i])) i++;
    if (n == MAX_TOKENS) return MAX_TOKENS + 1;
    tok[n++] = (token){s + start, i - start};
  }
  return n;
}

int pc_netstat_parse(const void *data, size_t len, const char *origin, pc_owner_row **out, size_t *n,
                     char *err, size_t errcap) {
  pc__hosttext h;
  int rc = pc__hosttext_open(&h, data, len, origin, sizeof **out, PC_HOSTTEXT_MAX_ROWS, "rows", err, errcap);
  if (rc != PC_OK) return pc__hosttext_close(&h, rc, out, n);
  pc__lines it;
  pc__hosttext_lines(&h, &it);
  const char *s;
  size_t sl;
  while (pc__lines_next(&it, &s, &sl)) {
    token tok[MAX_TOKENS];
    size_t nt = tokenize(s, sl, tok);
    if (nt == 0) continue;
    uint8_t proto = 0;
    if (token_ieq(tok[0], "TCP") || token_ieq(tok[0], "TCPv6")) proto = PC_PROTO_TCP;
    if (token_ieq(tok[0], "UDP") || token_ieq(tok[0], "UDPv6")) proto = PC_PROTO_UDP;
    if (!proto) continue; /* headers, blank lines, `-b` image lines */
    pc_owner_row row = {.proto = proto};
    uint64_t pid;
    const char *what = NULL;
    if (nt > MAX_TOKENS || nt < 4 || (proto == PC_PROTO_TCP && nt < 5)) {
      what = proto == PC_PROTO_TCP ? "expected \"TCP local foreign state PID\""
                                   : "expected \"UDP local foreign PID\"";
    } else if (!parse_endpoint(tok[1], &row.local) || row.local.family == PC_AF_UNKNOWN) {
      what = "bad local address";
    } else if (!parse_endpoint(tok[2], &row.remote)) {
      what = "bad foreign address";
    } else if (!token_number(tok[nt - 1], 10, &pid) || pid > UINT32_MAX) {
      what = "the last field is not a PID";
    }
    if (what) {
      rc = pc__hosttext_bad(&h, it.no, "%s", what);
      goto fail;
    }
    row.pid = (uint32_t)pid;
    if (proto == PC_PROTO_UDP) {
      row.state = PC_OWNER_STATE_UDP;
    } else {
      /* Rejoin multi-word states ("À L'ÉCOUTE") into one token: they are adjacent in s. */
      token st = {tok[3].s, (size_t)(tok[nt - 2].s + tok[nt - 2].len - tok[3].s)};
      row.state = map_state(st, &row.remote);
    }
    pc_owner_row *slot = pc__hosttext_push(&h, it.no, &rc);
    if (!slot) goto fail;
    *slot = row;
  }
  if (it.rc != PC_OK) {
    rc = it.rc;
    goto fail;
  }
  if (h.count == 0) rc = pc__hosttext_bad(&h, it.no, "no TCP/UDP rows: not `netstat -ano` output");
fail:
  return pc__hosttext_close(&h, rc, out, n);
}
