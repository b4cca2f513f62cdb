/* quote_check.h - the quoting rules of the shells portclash's fix contexts target, as
 * parsers: given a rendered command, recover the argument a shell would pass. Shared by
 * test_rules_quoting.c and the template fuzz target (static functions, test code only).
 * PowerShell and cmd.exe do not run here, so their rules are written out from their
 * documentation; sh is also checked for real by the test, with /bin/sh. */
#ifndef PC_QUOTE_CHECK_H
#define PC_QUOTE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* POSIX sh, for the forms portclash writes: one word made of bare characters (letters,
 * digits, _ @ % + = : , . / -), '...' strings (every byte literal) and \x escapes; anything
 * else unquoted (a $, `, ", ;, space inside, control) fails. Returns 0 and the word in arg,
 * *rest after it. */
static int sh_word(const char *s, char *arg, size_t cap, const char **rest) {
  size_t n = 0;
  const char *p = s;
  while (*p && *p != ' ') {
    if (*p == '\'') {
      const char *q = strchr(p + 1, '\'');
      if (!q) return -1;
      if (n + (size_t)(q - p - 1) >= cap) return -1;
      memcpy(arg + n, p + 1, (size_t)(q - p - 1));
      n += (size_t)(q - p - 1);
      p = q + 1;
    } else if (*p == '\\') {
      if (!p[1] || n + 1 >= cap) return -1;
      arg[n++] = p[1];
      p += 2;
    } else {
      unsigned char c = (unsigned char)*p;
      bool bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c && strchr("_@%+=:,./-", c));
      if (!bare || n + 1 >= cap) return -1;
      arg[n++] = *p++;
    }
  }
  if (p == s) return -1;
  arg[n] = '\0';
  *rest = p;
  return 0;
}

/* PowerShell: after the prefix comes one argument; a single-quoted string ends at a quote
 * (' or U+2018..U+201B) that is not doubled, and a bare word ends at whitespace. Returns the
 * argument and sets *rest to what follows it. */
static int ps_arg(const char *s, char *arg, size_t cap, const char **rest) {
  size_t n = 0;
  const unsigned char *p = (const unsigned char *)s;
#define PS_QUOTE(q) \
  ((q)[0] == '\'' ? 1 : ((q)[0] == 0xE2 && (q)[1] == 0x80 && (q)[2] >= 0x98 && (q)[2] <= 0x9B) ? 3 : 0)
  if (PS_QUOTE(p)) {
    p += PS_QUOTE(p);
    for (;;) {
      if (!*p) return -1; /* unterminated */
      size_t q = PS_QUOTE(p);
      if (q) {
        size_t q2 = PS_QUOTE(p + q);
        if (!q2) {
          p += q;
          break;
        }
        if (n + q >= cap) return -1;
        memcpy(arg + n, p, q); /* a doubled quote stands for the first of the two */
        n += q;
        p += q + q2;
        continue;
      }
      if (n + 1 >= cap) return -1;
      arg[n++] = (char)*p++;
    }
  } else {
    /* A bare word may not hold anything PowerShell would interpret. */
    while (*p && *p != ' ') {
      if (strchr("$`'\"(){};,|&<>@#", *p) || *p < 0x20) return -1;
      arg[n++] = (char)*p++;
    }
    if (n == 0 || arg[0] == '-') return -1;
  }
#undef PS_QUOTE
  arg[n] = '\0';
  *rest = (const char *)p;
  return 0;
}

/* cmd.exe, phase 2 of its parser: outside quotes ^ escapes the next character and the
 * characters & | < > ( ) end or redirect the command; " toggles the quoted state, inside
 * which everything is literal. An interactive prompt expands %NAME% where NAME is a
 * defined variable: any unescaped % must therefore be followed by a caret. Returns the line
 * the program gets, or -1 when cmd would act on something. Then CommandLineToArgvW splits
 * it: 2n backslashes + " give n backslashes and a quote toggle, 2n+1 give n and a literal
 * quote, other backslashes are literal. */
static int cmd_line(const char *s, char *out, size_t cap) {
  size_t n = 0;
  bool quoted = false;
  for (const char *p = s; *p; p++) {
    if (n + 2 >= cap) return -1;
    if (quoted) {
      if (*p == '%' || (unsigned char)*p < 0x20) return -1;
      if (*p == '"') quoted = false;
      out[n++] = *p;
      continue;
    }
    if (*p == '^') {
      if (!p[1]) return -1;
      out[n++] = *++p;
      continue;
    }
    if (strchr("&|<>()%!", *p) || (unsigned char)*p < 0x20) return -1;
    if (*p == '"') quoted = true;
    out[n++] = *p;
  }
  out[n] = '\0';
  return quoted ? -1 : 0;
}

static int argv_split(const char *s, char args[][1024], int max) {
  int argc = 0;
  const char *p = s;
  while (*p) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    if (argc == max) return -1;
    size_t n = 0;
    bool q = false;
    while (*p && (q || (*p != ' ' && *p != '\t'))) {
      size_t bs = 0;
      while (p[bs] == '\\') bs++;
      if (p[bs] == '"') {
        for (size_t k = 0; k < bs / 2; k++) args[argc][n++] = '\\';
        if (bs % 2)
          args[argc][n++] = '"';
        else
          q = !q;
        p += bs + 1;
      } else if (bs) {
        for (size_t k = 0; k < bs; k++) args[argc][n++] = '\\';
        p += bs;
      } else {
        args[argc][n++] = *p++;
      }
      if (n > 1000) return -1;
    }
    args[argc][n] = '\0';
    argc++;
  }
  return argc;
}

#endif
