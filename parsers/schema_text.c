/* The schema text form: parse, write, compare. See schemas/FORMAT.md. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pc_compiler.h"
#include "pc_error.h"
#include "pc_vec.h"
#include "pc_schema.h"
#include "pc_text.h"

#define PC_SCHEMA_MAX_EVENTS 4096

static const char *const intype_names[] = {
    "NULL",    "UnicodeString", "AnsiString", "Int8",  "UInt8",    "Int16",   "UInt16", "Int32",
    "UInt32",  "Int64",         "UInt64",     "Float", "Double",   "Boolean", "Binary", "GUID",
    "Pointer", "FILETIME",      "SYSTEMTIME", "SID",   "HexInt32", "HexInt64"};

const char *pc_intype_name(uint8_t intype) {
  return intype < sizeof intype_names / sizeof intype_names[0] ? intype_names[intype] : "?";
}

int pc_intype_from_name(const char *name, size_t len) {
  if (len > 4 && strncmp(name, "win:", 4) == 0) {
    name += 4;
    len -= 4;
  }
  for (size_t i = 1; i < sizeof intype_names / sizeof intype_names[0]; i++)
    if (strlen(intype_names[i]) == len && strncmp(intype_names[i], name, len) == 0) return (int)i;
  return -1;
}

const char *pc_provider_name(const pc_guid *g) {
  if (pc_guid_equal(g, &PC_GUID_AFD)) return "Microsoft-Windows-Winsock-AFD";
  if (pc_guid_equal(g, &PC_GUID_TCPIP)) return "Microsoft-Windows-TCPIP";
  if (pc_guid_equal(g, &PC_GUID_WINSOCK_SOCKETS)) return "Microsoft-Windows-Winsock-Sockets";
  return NULL;
}

void pc_schema_set_free(pc_schema_set *set) {
  if (!set) return;
  free(set->events);
  free(set);
}

const pc_schema_event *pc_schema_set_find(const pc_schema_set *set, const pc_guid *provider, uint16_t id,
                                          uint8_t version) {
  for (size_t i = 0; i < set->count; i++) {
    const pc_schema_event *e = &set->events[i];
    if (e->id == id && e->version == version && pc_guid_equal(&e->provider, provider)) return e;
  }
  return NULL;
}

int pc_schema_set_put(pc_schema_set *set, const pc_schema_event *ev) {
  pc_schema_event *old = (pc_schema_event *)pc_schema_set_find(set, &ev->provider, ev->id, ev->version);
  if (old) {
    *old = *ev;
    return PC_OK;
  }
  int rc = pc_vec_reserve((void **)&set->events, &set->cap, set->count + 1, sizeof *set->events,
                          PC_SCHEMA_MAX_EVENTS);
  if (rc != PC_OK) return rc;
  set->events[set->count++] = *ev;
  return PC_OK;
}

/* A line cursor over the text: tokens are runs of non-blank characters. */
typedef struct cursor {
  const char *p, *end;
} cursor;

static bool next_token(cursor *c, const char **tok, size_t *len) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
  if (c->p >= c->end) return false;
  *tok = c->p;
  while (c->p < c->end && *c->p != ' ' && *c->p != '\t') c->p++;
  *len = (size_t)(c->p - *tok);
  return true;
}

static bool token_is(const char *tok, size_t len, const char *word) {
  return strlen(word) == len && memcmp(tok, word, len) == 0;
}

static bool parse_uint(const char *tok, size_t len, unsigned long max, unsigned long *out) {
  if (len == 0 || len > 10) return false;
  unsigned long v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)tok[i])) return false;
    v = v * 10 + (unsigned long)(tok[i] - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

static bool valid_name(const char *tok, size_t len) {
  if (len == 0 || len >= PC_SCHEMA_NAME_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (!(isalnum((unsigned char)tok[i]) || tok[i] == '_' || tok[i] == '-' || tok[i] == '.')) return false;
  return true;
}

static int fail(char *err, size_t errcap, const char *origin, unsigned line, const char *fmt, ...)
    PC_PRINTF(5, 6);
static int fail(char *err, size_t errcap, const char *origin, unsigned line, const char *fmt, ...) {
  if (errcap) {
    int n = snprintf(err, errcap, "%s:%u: ", origin, line);
    if (n > 0 && (size_t)n < errcap) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return PC_EPARSE;
}

/* Parses one property line into ev. */
static int parse_prop(cursor *c, pc_schema_event *ev, const char *origin, unsigned line, char *err,
                      size_t errcap) {
  const char *tok = NULL, *typ = NULL;
  size_t len = 0, tlen = 0;
  if (!next_token(c, &tok, &len) || !valid_name(tok, len))
    return fail(err, errcap, origin, line, "bad property name");
  if (ev->prop_count >= PC_SCHEMA_MAX_PROPS)
    return fail(err, errcap, origin, line, "more than %d properties", PC_SCHEMA_MAX_PROPS);
  for (unsigned i = 0; i < ev->prop_count; i++)
    if (token_is(tok, len, ev->props[i].name))
      return fail(err, errcap, origin, line, "duplicate property '%.*s'", (int)len, tok);
  if (!next_token(c, &typ, &tlen)) return fail(err, errcap, origin, line, "property without a type");
  int it = pc_intype_from_name(typ, tlen);
  if (it < 0) return fail(err, errcap, origin, line, "unknown type '%.*s'", (int)tlen, typ);
  pc_schema_prop *p = &ev->props[ev->prop_count];
  memset(p, 0, sizeof *p);
  memcpy(p->name, tok, len);
  p->intype = (uint8_t)it;
  p->length_prop = PC_SCHEMA_NO_LENGTH_PROP;
  if (next_token(c, &tok, &len)) {
    if (len <= 7 || memcmp(tok, "length=", 7) != 0)
      return fail(err, errcap, origin, line, "expected length=PROP or length=N");
    const char *v = tok + 7;
    size_t vlen = len - 7;
    unsigned long n;
    if (parse_uint(v, vlen, 65535, &n)) {
      p->length = (uint16_t)n;
    } else {
      unsigned i;
      for (i = 0; i < ev->prop_count; i++)
        if (token_is(v, vlen, ev->props[i].name)) break;
      if (i == ev->prop_count)
        return fail(err, errcap, origin, line, "length refers to '%.*s', which is not an earlier property",
                    (int)vlen, v);
      uint8_t lt = ev->props[i].intype;
      if (lt != PC_IN_UINT8 && lt != PC_IN_UINT16 && lt != PC_IN_UINT32 && lt != PC_IN_HEXINT32)
        return fail(err, errcap, origin, line, "length property '%s' is not an unsigned integer",
                    ev->props[i].name);
      p->length_prop = (uint8_t)i;
    }
    if (p->intype != PC_IN_BINARY) return fail(err, errcap, origin, line, "only Binary takes a length");
    if (next_token(c, &tok, &len)) return fail(err, errcap, origin, line, "unexpected '%.*s'", (int)len, tok);
  } else if (p->intype == PC_IN_BINARY) {
    return fail(err, errcap, origin, line, "Binary needs length=PROP or length=N");
  }
  ev->prop_count++;
  return PC_OK;
}

int pc_schema_set_parse(const char *text, size_t len, const char *origin, pc_schema_set **out, char *err,
                        size_t errcap) {
  *out = NULL;
  pc_schema_set *set = calloc(1, sizeof *set);
  if (!set) return PC_ENOMEM;
  pc_guid provider;
  bool have_provider = false, have_event = false;
  pc_schema_event ev;
  unsigned line = 0;
  int rc = PC_OK;
  pc_lines it;
  pc_lines_init(&it, text, len);
  const char *p;
  size_t ll;
  while (rc == PC_OK && pc_lines_next(&it, &p, &ll)) {
    line = it.no;
    cursor c = {p, p + ll};
    bool indented = ll > 0 && (*p == ' ' || *p == '\t');
    const char *tok;
    size_t tlen;
    if (!next_token(&c, &tok, &tlen) || tok[0] == '#') continue;
    if (indented) {
      if (!have_event) {
        rc = fail(err, errcap, origin, line, "property outside an event");
        break;
      }
      c.p = tok;
      rc = parse_prop(&c, &ev, origin, line, err, errcap);
      continue;
    }
    /* A new top-level line ends the current event. */
    if (have_event) {
      rc = pc_schema_set_put(set, &ev);
      have_event = false;
      if (rc != PC_OK) break;
    }
    if (token_is(tok, tlen, "os-build")) {
      unsigned long b;
      if (!next_token(&c, &tok, &tlen) || !parse_uint(tok, tlen, 0xFFFFFFFFul, &b)) {
        rc = fail(err, errcap, origin, line, "os-build needs a number");
        break;
      }
      set->os_build = (uint32_t)b;
    } else if (token_is(tok, tlen, "provider")) {
      const char *name, *guid;
      size_t nlen, glen;
      if (!next_token(&c, &name, &nlen) || !next_token(&c, &guid, &glen) ||
          pc_guid_parse(guid, glen, &provider) != PC_OK) {
        rc = fail(err, errcap, origin, line, "expected: provider NAME {GUID}");
        break;
      }
      have_provider = true;
    } else if (token_is(tok, tlen, "event")) {
      const char *id, *ver, *name;
      size_t il, vl, nl;
      unsigned long idv, verv;
      if (!have_provider) {
        rc = fail(err, errcap, origin, line, "event before any provider line");
        break;
      }
      if (!next_token(&c, &id, &il) || !parse_uint(id, il, 65535, &idv) || !next_token(&c, &ver, &vl) ||
          vl < 2 || ver[0] != 'v' || !parse_uint(ver + 1, vl - 1, 255, &verv) ||
          !next_token(&c, &name, &nl) || !valid_name(name, nl)) {
        rc = fail(err, errcap, origin, line, "expected: event ID vVERSION NAME");
        break;
      }
      if (pc_schema_set_find(set, &provider, (uint16_t)idv, (uint8_t)verv)) {
        rc = fail(err, errcap, origin, line, "event %lu v%lu is defined twice", idv, verv);
        break;
      }
      memset(&ev, 0, sizeof ev);
      ev.provider = provider;
      ev.id = (uint16_t)idv;
      ev.version = (uint8_t)verv;
      memcpy(ev.name, name, nl);
      have_event = true;
    } else {
      rc = fail(err, errcap, origin, line, "unknown keyword '%.*s'", (int)(tlen > 40 ? 40 : tlen), tok);
    }
  }
  if (rc == PC_OK && have_event) rc = pc_schema_set_put(set, &ev);
  if (rc == PC_ELIMIT) rc = fail(err, errcap, origin, line, "too many events");
  if (rc != PC_OK) {
    pc_schema_set_free(set);
    return rc;
  }
  *out = set;
  return PC_OK;
}

void pc_schema_set_write(const pc_schema_set *set, FILE *out) {
  if (set->os_build) fprintf(out, "os-build %u\n", (unsigned)set->os_build);
  /* Group by provider in first-seen order so that dumps diff cleanly. */
  for (size_t i = 0; i < set->count; i++) {
    const pc_guid *g = &set->events[i].provider;
    size_t j;
    for (j = 0; j < i; j++)
      if (pc_guid_equal(&set->events[j].provider, g)) break;
    if (j < i) continue;
    char gs[39];
    pc_guid_format(g, gs);
    const char *name = pc_provider_name(g);
    fprintf(out, "\nprovider %s %s\n", name ? name : "unknown", gs);
    for (size_t k = i; k < set->count; k++) {
      const pc_schema_event *e = &set->events[k];
      if (!pc_guid_equal(&e->provider, g)) continue;
      fprintf(out, "event %u v%u %s\n", e->id, e->version, e->name);
      for (unsigned p = 0; p < e->prop_count; p++) {
        const pc_schema_prop *pr = &e->props[p];
        fprintf(out, "  %s %s", pr->name, pc_intype_name(pr->intype));
        if (pr->length_prop != PC_SCHEMA_NO_LENGTH_PROP)
          fprintf(out, " length=%s", e->props[pr->length_prop].name);
        else if (pr->intype == PC_IN_BINARY)
          fprintf(out, " length=%u", pr->length);
        fputc('\n', out);
      }
    }
  }
}

static void describe_prop(const pc_schema_event *e, unsigned i, char *buf, size_t cap) {
  const pc_schema_prop *p = &e->props[i];
  if (p->length_prop != PC_SCHEMA_NO_LENGTH_PROP)
    snprintf(buf, cap, "%s %s length=%s", p->name, pc_intype_name(p->intype), e->props[p->length_prop].name);
  else if (p->intype == PC_IN_BINARY)
    snprintf(buf, cap, "%s %s length=%u", p->name, pc_intype_name(p->intype), p->length);
  else
    snprintf(buf, cap, "%s %s", p->name, pc_intype_name(p->intype));
}

bool pc_schema_event_same(const pc_schema_event *a, const pc_schema_event *b, char *diff, size_t diffcap) {
  unsigned n = a->prop_count < b->prop_count ? a->prop_count : b->prop_count;
  char da[160], db[160];
  for (unsigned i = 0; i < n; i++) {
    describe_prop(a, i, da, sizeof da);
    describe_prop(b, i, db, sizeof db);
    if (strcmp(da, db) != 0) {
      snprintf(diff, diffcap, "property %u: built in '%s', here '%s'", i + 1, da, db);
      return false;
    }
  }
  if (a->prop_count != b->prop_count) {
    const pc_schema_event *longer = a->prop_count > b->prop_count ? a : b;
    describe_prop(longer, n, da, sizeof da);
    snprintf(diff, diffcap, "built in %u properties, here %u (%s '%s')", a->prop_count, b->prop_count,
             longer == b ? "added" : "missing", da);
    return false;
  }
  if (diffcap) diff[0] = '\0';
  return true;
}
