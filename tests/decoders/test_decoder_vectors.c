/* Decodes the payloads tests/decoders/manifests.py built from the manifest field lists (not
 * from our schema text), for both pointer sizes, and checks every field the walker finds;
 * then checks that truncated, oversized and bad-length variants are rejected cleanly.
 * The vector file path is argv-free: $PC_VECTORS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_decode.h"
#include "pc_error.h"
#include "pc_schema.h"
#include "pc_test.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  if (strcmp(s, "-") == 0) return 0;
  for (; s[0] && s[1] && n < cap; s += 2) {
    unsigned v;
    sscanf(s, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

static int find_prop(const pc_schema_event *ev, const char *name) {
  for (unsigned i = 0; i < ev->prop_count; i++)
    if (strcmp(ev->props[i].name, name) == 0 ||
        (strcmp(name, "ProcessSequenceNumber") == 0 && strcmp(ev->props[i].name, "ProcessStartKey") == 0))
      return (int)i;
  return -1;
}

PC_TEST(manifest_vectors_decode_field_by_field) {
  const char *path = getenv("PC_VECTORS");
  FILE *f = path ? fopen(path, "r") : NULL;
  if (!f) PC_SKIP("no vector file (PC_VECTORS): the manifests in ../shared are needed to build it");
  pc_schema_set *set;
  PC_CHECK_INT(pc_schema_builtin_load(&set), PC_OK);
  pc_decoder *dec;
  pc_schema_set *set2;
  PC_CHECK_INT(pc_schema_builtin_load(&set2), PC_OK);
  PC_CHECK_INT(pc_decoder_new(set2, &dec), PC_OK);
  char line[8192];
  int vectors = 0, fields = 0;
  while (fgets(line, sizeof line, f)) {
    char guid[64], hex[4096];
    unsigned id, ver, ptr;
    int off = 0;
    if (sscanf(line, "%63s %u %u %u %4095s %n", guid, &id, &ver, &ptr, hex, &off) != 5) continue;
    pc_record r = {0};
    PC_CHECK_INT(pc_guid_parse(guid, strlen(guid), &r.provider), PC_OK);
    r.id = (uint16_t)id;
    r.version = (uint8_t)ver;
    r.flags = ptr == 8 ? PC_RECORD_FLAG_64BIT_HEADER : PC_RECORD_FLAG_32BIT_HEADER;
    uint8_t payload[2048 + 1];
    size_t len = unhex(hex, payload, sizeof payload - 1);
    r.user_data = payload;
    r.user_data_len = (uint32_t)len;
    const pc_schema_event *sch = pc_schema_set_find(set, &r.provider, r.id, r.version);
    if (!sch) {
      pc__test_fail(__FILE__, __LINE__, "%s %u v%u: no built-in schema", guid, id, ver);
      continue;
    }
    pc_field fl[PC_SCHEMA_MAX_PROPS];
    int rc = pc_schema_walk(sch, payload, len, ptr, fl);
    if (rc != PC_OK) {
      pc__test_fail(__FILE__, __LINE__, "%u v%u ptr%u: walk failed: %s", id, ver, ptr, pc_strerror(rc));
      continue;
    }
    /* Every manifest field must read back the value the generator wrote. */
    char *save = line + off, *tok;
    while ((tok = strtok(save, " \n"))) {
      save = NULL;
      char *eq = strchr(tok, '=');
      if (!eq) continue;
      *eq = '\0';
      int i = find_prop(sch, tok);
      if (i < 0) {
        pc__test_fail(__FILE__, __LINE__, "%u v%u: manifest field %s not in schema", id, ver, tok);
        continue;
      }
      if (strncmp(eq + 1, "hex:", 4) == 0) {
        uint8_t want[512];
        size_t wn = unhex(eq + 5, want, sizeof want);
        if (fl[i].length != wn || memcmp(payload + fl[i].offset, want, wn) != 0)
          pc__test_fail(__FILE__, __LINE__, "%u v%u ptr%u: %s blob differs", id, ver, ptr, tok);
      } else {
        unsigned long long want = strtoull(eq + 1, NULL, 10);
        if (pc_field_uint(payload, &fl[i]) != want)
          pc__test_fail(__FILE__, __LINE__, "%u v%u ptr%u: %s = %llu, want %llu", id, ver, ptr, tok,
                        (unsigned long long)pc_field_uint(payload, &fl[i]), want);
      }
      fields++;
    }
    /* The decoder accepts the whole payload. */
    pc_event ev;
    rc = pc_decoder_decode(dec, &r, &ev);
    if (rc != PC_OK)
      pc__test_fail(__FILE__, __LINE__, "%u v%u ptr%u: decode: %s", id, ver, ptr, pc_strerror(rc));
    /* Truncated by one byte: rejected, never read past the end (ASan watches). */
    if (len > 0) {
      uint8_t *cut = malloc(len - 1 ? len - 1 : 1);
      memcpy(cut, payload, len - 1);
      r.user_data = cut;
      r.user_data_len = (uint32_t)(len - 1);
      rc = pc_decoder_decode(dec, &r, &ev);
      if (rc != PC_ETRUNC && rc != PC_EPARSE)
        pc__test_fail(__FILE__, __LINE__, "%u v%u ptr%u: truncated payload gave %s", id, ver, ptr,
                      pc_errname(rc));
      free(cut);
    }
    /* One byte too many: a layout we do not know, rejected. */
    payload[len] = 0xEE;
    r.user_data = payload;
    r.user_data_len = (uint32_t)(len + 1);
    rc = pc_decoder_decode(dec, &r, &ev);
    if (rc != PC_ETRAILING)
      pc__test_fail(__FILE__, __LINE__, "%u v%u: oversized payload gave %s", id, ver, pc_errname(rc));
    /* A length property claiming more bytes than exist. */
    for (unsigned i = 0; i < sch->prop_count; i++) {
      uint8_t lp = sch->props[i].length_prop;
      if (lp == PC_SCHEMA_NO_LENGTH_PROP) continue;
      uint8_t bad[2049];
      memcpy(bad, payload, len);
      uint32_t huge = (uint32_t)len + 100;
      memcpy(bad + fl[lp].offset, &huge, fl[lp].length < 4 ? fl[lp].length : 4);
      r.user_data = bad;
      r.user_data_len = (uint32_t)len;
      rc = pc_decoder_decode(dec, &r, &ev);
      if (rc != PC_EPARSE)
        pc__test_fail(__FILE__, __LINE__, "%u v%u: bad length gave %s", id, ver, pc_errname(rc));
    }
    /* No pointer size in the header: refused, not guessed. */
    bool has_ptr = false;
    for (unsigned i = 0; i < sch->prop_count; i++) has_ptr |= sch->props[i].intype == PC_IN_POINTER;
    if (has_ptr) {
      r.user_data = payload;
      r.user_data_len = (uint32_t)len;
      r.flags = 0;
      rc = pc_decoder_decode(dec, &r, &ev);
      if (rc != PC_EINVAL)
        pc__test_fail(__FILE__, __LINE__, "%u v%u: no pointer size gave %s", id, ver, pc_errname(rc));
    }
    vectors++;
  }
  fclose(f);
  printf("  %d vectors, %d fields checked\n", vectors, fields);
  PC_CHECK(vectors >= 2 * 76);
  pc_decoder_stats st;
  pc_decoder_get_stats(dec, &st);
  PC_CHECK_UINT(st.decoded, (uint64_t)vectors);
  PC_CHECK(st.malformed > 0);
  pc_decoder_free(dec);
  pc_schema_set_free(set);
}
