/* `netsh http show servicestate view=requestq verbose=no` and `netsh http show urlacl` (Windows)
 * to HTTP.sys registrations: which URL (and so which port) a request queue serves, and which
 * processes are attached to that queue; or which URL is reserved for which account.
 *
 * Every label is translated on non-English Windows ("Request queue name", "Registered URLs",
 * "Reserved URL", "User"; German "Name der Anforderungswarteschlange", "Reservierte URL",
 * "Benutzer"), so lines are read by shape only:
 *   - a line that is only a URL (after the indent) is a URL registered on the current queue;
 *   - a line "label : URL" is a URL reservation (urlacl); the next "label: value" line names
 *     the account it is reserved for;
 *   - a line "label: NUMBER, label: IMAGE" inside a queue is an attached process;
 *   - a line starting in column 0 with "label: value" starts a new request queue named value
 *     (netsh prints a sentence ending in '.' for an unnamed queue: that is taken as no name);
 *   - a line of dashes is netsh's underline of its title (every output has one).
 * URLs keep netsh's spelling; the port comes from the URL (80 / 443 by scheme when absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate_text.h"
#include "pc_text_input.h"

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool starts_ci(const char *s, size_t len, const char *word) {
  size_t n = strlen(word);
  if (len < n) return false;
  for (size_t i = 0; i < n; i++)
    if (lower(s[i]) != word[i]) return false;
  return true;
}

static void trim(const char **s, size_t *len) {
  while (*len && is_blank(**s)) (*s)++, (*len)--;
  while (*len && is_blank((*s)[*len - 1])) (*len)--;
}

static void copy_cut(char *dst, size_t cap, const char *s, size_t len) {
  if (len >= cap) len = cap - 1;
  memcpy(dst, s, len);
  dst[len] = '\0';
}

/* Position of "http://" or "https://" in s[0..len), or NULL. */
static const char *find_url(const char *s, size_t len) {
  for (size_t i = 0; i + 7 <= len; i++) {
    if (lower(s[i]) != 'h') continue;
    if (starts_ci(s + i, len - i, "http://") || starts_ci(s + i, len - i, "https://")) return s + i;
  }
  return NULL;
}

/* The port of a URL as HTTP.sys writes them: scheme://host[:port]/path, host "+", "*", a name,
 * an IPv4 address or "[v6]". Returns false when the port is not a number in 1..65535. */
static bool url_port(const char *u, size_t len, uint16_t *port) {
  bool https = starts_ci(u, len, "https://");
  size_t i = https ? 8 : 7;
  if (i < len && u[i] == '[') {
    while (i < len && u[i] != ']') i++;
    if (i == len) return false;
    i++;
  } else {
    while (i < len && u[i] != ':' && u[i] != '/') i++;
  }
  if (i >= len || u[i] != ':') {
    *port = https ? 443 : 80;
    return true;
  }
  i++;
  uint32_t v = 0;
  size_t digits = 0;
  while (i < len && u[i] >= '0' && u[i] <= '9' && digits < 6) v = v * 10 + (uint32_t)(u[i++] - '0'), digits++;
  if (digits == 0 || v == 0 || v > 65535 || (i < len && u[i] != '/')) return false;
  *port = (uint16_t)v;
  return true;
}

/* "label: value" with a non-empty value: the value, or NULL. The label must not itself hold a
 * URL (a URL has "://"). */
static const char *label_value(const char *s, size_t len, size_t *vlen) {
  const char *colon = memchr(s, ':', len);
  if (!colon || (colon + 2 < s + len && colon[1] == '/' && colon[2] == '/')) return NULL;
  const char *v = colon + 1;
  size_t n = len - (size_t)(v - s);
  trim(&v, &n);
  if (n == 0) return NULL;
  *vlen = n;
  return v;
}

/* "ID: 3592, image: C:\Windows\System32\svchost.exe" in any language: a number right after the
 * first colon, a comma after it, and the image after the next colon. */
static bool process_line(const char *s, size_t len, uint32_t *pid, const char **img, size_t *img_len) {
  const char *colon = memchr(s, ':', len);
  if (!colon) return false;
  size_t i = (size_t)(colon - s) + 1;
  while (i < len && is_blank(s[i])) i++;
  uint64_t v = 0;
  size_t digits = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 10)
    v = v * 10 + (uint64_t)(s[i++] - '0'), digits++;
  if (digits == 0 || v > UINT32_MAX || i >= len || s[i] != ',') return false;
  *pid = (uint32_t)v;
  const char *c2 = memchr(s + i, ':', len - i);
  *img = NULL;
  *img_len = 0;
  if (c2) {
    /* The image path has its own drive colon ("C:\"): the label's colon is the first one
     * followed by a blank. */
    while (c2 && c2 + 1 < s + len && !is_blank(c2[1])) c2 = memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - s));
    if (c2) {
      const char *p = c2 + 1;
      size_t n = len - (size_t)(p - s);
      trim(&p, &n);
      *img = p;
      *img_len = n;
    }
  }
  return true;
}

int pc_netsh_http_parse(const void *data, size_t len, const char *origin, pc_http_reg **out, size_t *n,
                        char *err, size_t errcap) {
  pc__hosttext h;
  int rc = pc__hosttext_open(&h, data, len, origin, sizeof **out, PC_HOSTTEXT_MAX_ROWS, "registrations", err,
                             errcap);
  if (rc != PC_OK) return pc__hosttext_close(&h, rc, out, n);
  pc_http_reg *regs = NULL; /* h.rows: the registrations so far, h.count of them */
  /* The current queue: its name and processes, applied to the URLs listed under it. */
  char queue[PC_NAME_MAX] = "";
  uint32_t pids[PC_HTTP_MAX_PIDS];
  uint8_t n_pids = 0;
  char image[PC_PATH_MAX] = "";
  size_t queue_first = 0; /* index of the first registration of the current queue */
  bool seen_dashes = false, want_user = false;

  pc__lines it;
  pc__hosttext_lines(&h, &it);
  const char *s;
  size_t l;
  while (rc == PC_OK && pc__lines_next(&it, &s, &l)) {
    bool indented = l > 0 && is_blank(s[0]);
    const char *t = s;
    size_t tl = l;
    trim(&t, &tl);
    if (tl == 0) continue;
    if (pc__hosttext_is_dashes(t, tl)) {
      seen_dashes = true;
      continue;
    }
    const char *u = find_url(t, tl);
    if (u) {
      size_t ul = 0;
      while (u + ul < t + tl && !is_blank(u[ul])) ul++;
      uint16_t port;
      if (!url_port(u, ul, &port)) {
        rc = pc__hosttext_bad(&h, it.no, "a URL without a valid port: %.*s", (int)(ul > 200 ? 200 : ul), u);
        break;
      }
      pc_http_reg *r = pc__hosttext_push(&h, it.no, &rc);
      if (!r) break;
      regs = h.rows;
      copy_cut(r->url, sizeof r->url, u, ul);
      r->port = port;
      if (u == t) {
        /* A registered URL of the current queue (servicestate). */
        snprintf(r->queue, sizeof r->queue, "%s", queue);
        memcpy(r->pids, pids, n_pids * sizeof pids[0]);
        r->n_pids = n_pids;
        snprintf(r->image, sizeof r->image, "%s", image);
        want_user = false;
      } else {
        r->reservation = true; /* "Reserved URL : http://..." (urlacl) */
        want_user = true;
      }
      continue;
    }
    size_t vl = 0;
    const char *v = label_value(t, tl, &vl);
    uint32_t pid;
    const char *img;
    size_t il;
    if (want_user && v && h.count > 0) {
      copy_cut(regs[h.count - 1].user, sizeof regs[h.count - 1].user, v, vl);
      want_user = false;
      continue;
    }
    if (indented && process_line(t, tl, &pid, &img, &il)) {
      if (n_pids < PC_HTTP_MAX_PIDS) pids[n_pids++] = pid;
      if (!image[0] && img) copy_cut(image, sizeof image, img, il);
      /* Processes listed after URLs (other netsh layouts) still belong to the queue. */
      for (size_t k = queue_first; k < h.count; k++) {
        pc_http_reg *r = &regs[k];
        if (r->reservation) continue;
        if (r->n_pids < PC_HTTP_MAX_PIDS) r->pids[r->n_pids++] = pid;
        if (!r->image[0]) snprintf(r->image, sizeof r->image, "%s", image);
      }
      continue;
    }
    if (!indented && v) {
      /* A new request queue. An unnamed one is described by a sentence. */
      bool sentence = memchr(v, ' ', vl) != NULL && v[vl - 1] == '.';
      if (sentence)
        queue[0] = '\0';
      else
        copy_cut(queue, sizeof queue, v, vl);
      n_pids = 0;
      image[0] = '\0';
      queue_first = h.count;
      want_user = false;
    }
  }
  if (rc == PC_OK && it.rc != PC_OK) rc = it.rc;
  if (rc == PC_OK && !seen_dashes && h.count == 0)
    rc = pc__hosttext_bad(
        &h, it.no, "not the output of netsh http show servicestate / urlacl (no URL, no title underline)");
  return pc__hosttext_close(&h, rc, out, n);
}

/* Known owners of HTTP.sys URLs, by image name or a piece of the URL (case-insensitive):
 * shared/reference/causes-and-peers.md C07-C10. */
static const struct {
  const char *image; /* file name of the queue's process; NULL = match by URL */
  const char *url;   /* a piece of the URL; NULL = match by image */
  const char *service;
} k_known[] = {
    {"w3wp.exe", NULL, "W3SVC"},
    {"reportingservicesservice.exe", NULL, "SQLServerReportingServices"},
    {"rshost.exe", NULL, "SQLServerReportingServices"},
    {"msdepsvc.exe", NULL, "MsDepSvc"},
    {NULL, "/reportserver", "ReportServer"},
    {NULL, "/reports", "ReportServer"},
    {NULL, "/msdeployagentservice", "MsDepSvc"},
    {NULL, "/116b50eb-ece2-41ac-8429-9f9e963361b7", "PeerDistSvc"}, /* BranchCache MS-PCCRR */
    {NULL, "/0131501b-d67f-491b-9a40-c4bf27bcb4d4", "PeerDistSvc"}, /* BranchCache MS-PCHC */
};

static bool contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle), h = strlen(hay);
  for (size_t i = 0; i + n <= h; i++)
    if (starts_ci(hay + i, h - i, needle)) return true;
  return false;
}

const char *pc_http_reg_known_service(const pc_http_reg *r) {
  const char *base = r->image;
  for (const char *p = r->image; *p; p++)
    if (*p == '\\' || *p == '/') base = p + 1;
  for (size_t i = 0; i < sizeof k_known / sizeof k_known[0]; i++) {
    if (k_known[i].image && base[0] && strlen(base) == strlen(k_known[i].image) &&
        starts_ci(base, strlen(base), k_known[i].image))
      return k_known[i].service;
    if (k_known[i].url && contains_ci(r->url, k_known[i].url)) return k_known[i].service;
  }
  return NULL;
}

const pc_http_reg *pc_http_reg_find(const pc_http_reg *regs, size_t n, uint16_t port) {
  /* A live registration with a process beats one without, which beats a reservation. */
  const pc_http_reg *best = NULL;
  int best_rank = -1;
  for (size_t i = 0; i < n; i++) {
    if (regs[i].port != port) continue;
    int rank = regs[i].reservation ? 0 : regs[i].n_pids ? 2 : 1;
    if (rank > best_rank) best = &regs[i], best_rank = rank;
  }
  return best;
}
