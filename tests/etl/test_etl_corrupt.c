/* test_etl_corrupt.c - damaged and truncated files: the reader must deliver every good
 * record that comes before the damage, then return an error that names the byte offset,
 * and never crash or grow without bound (the suite runs under ASan and UBSan). */
#include <stdbool.h>

#include "etl_test_util.h"

static const pc_guid G = {0xAAAAAAAA, 0xBBBB, 0xCCCC, {9, 9, 9, 9, 9, 9, 9, 9}};

/* Writes a file (single CPU unless cpus > 1) and returns its image. */
static uint8_t *make_image(unsigned cpus, bool compress, int records, size_t *len) {
  const char *path = etl_tmp_path("corrupt");
  pc_etl_writer_opts o = {0};
  o.cpus = cpus;
  o.buffer_size = 1024;
  o.compress = compress;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) return NULL;
  uint8_t ud[40];
  for (size_t i = 0; i < sizeof ud; i++) ud[i] = (uint8_t)(i % 5);
  for (int i = 0; i < records; i++) {
    pc_record r = etl_rec(&G, (uint16_t)i, 0, (unsigned)i % cpus, ETL_T0 + i, ud, (uint32_t)(i % 41));
    if (i % 3 == 0) {
      r.ext_present = PC_RECORD_EXT_PROCESS_START_KEY;
      r.process_start_key = (uint64_t)i;
    }
    pc_etl_writer_add(w, &r);
  }
  pc_etl_writer_close(w);
  uint8_t *img = (uint8_t *)pc_test_read_file(path, len);
  remove(path);
  return img;
}

enum { MAXK = 512 };

/* Reads img fully; returns the final result. */
static int read_all(const uint8_t *img, size_t len, etl_key *keys, size_t *n, pc_etl_reader **keep) {
  pc_etl_reader *r;
  int rc = pc_etl_open_memory(img, len, &r, NULL, 0);
  *n = 0;
  if (rc != PC_OK) return rc;
  rc = etl_drain(r, keys, MAXK, n, img);
  if (keep)
    *keep = r;
  else
    pc_etl_close(r);
  return rc;
}

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xFFFF);
  put16(p + 2, v >> 16);
}

PC_TEST(truncated_at_every_offset_single_cpu) {
  size_t len;
  uint8_t *img = make_image(1, false, 60, &len);
  PC_CHECK(img != NULL);
  if (!img) return;
  static etl_key ref[MAXK], got[MAXK];
  size_t nref, n;
  PC_CHECK_INT(read_all(img, len, ref, &nref, NULL), 1);
  PC_CHECK_UINT(nref, 60);
  for (size_t cut = 0; cut < len && !pc__test_failed_now(); cut++) {
    pc_etl_reader *r = NULL;
    char err[256] = "";
    int rc = pc_etl_open_memory(img, cut, &r, err, sizeof err);
    if (rc != PC_OK) {
      /* Only a cut inside the header buffer's log-file header may fail the open. */
      PC_CHECK(rc == PC_ETRUNC || rc == PC_ECORRUPT);
      PC_CHECK(cut < 1024);
      PC_CHECK(strstr(err, "byte 0x") != NULL);
      continue;
    }
    rc = etl_drain(r, got, MAXK, &n, img);
    /* Every record whose bytes all lie before the cut is delivered, in order. */
    size_t want = 0;
    while (want < nref && ref[want].ud_end <= cut) want++;
    PC_CHECK_UINT(n, want);
    for (size_t i = 0; i < n && i < nref; i++) PC_CHECK(etl_key_eq(&got[i], &ref[i]));
    PC_CHECK_INT(rc, PC_ETRUNC);
    PC_CHECK(pc_etl_error_offset(r) <= cut);
    PC_CHECK(strncmp(pc_etl_error(r), "byte 0x", 7) == 0);
    pc_etl_close(r);
  }
  free(img);
}

PC_TEST(truncated_multi_cpu_and_compressed) {
  for (int compress = 0; compress < 2; compress++) {
    size_t len;
    uint8_t *img = make_image(3, compress, 90, &len);
    PC_CHECK(img != NULL);
    if (!img) return;
    static etl_key ref[MAXK], got[MAXK];
    size_t nref, n;
    PC_CHECK_INT(read_all(img, len, ref, &nref, NULL), 1);
    PC_CHECK_UINT(nref, 90);
    for (size_t cut = 0; cut < len; cut += compress ? 1 : 3) {
      int rc = read_all(img, cut, got, &n, NULL);
      PC_CHECK(rc == PC_ETRUNC || (n == 0 && rc == PC_ECORRUPT));
      /* Delivered records come in time order and each is one of the file's records
       * (ids are unique; reference order is time order). */
      size_t j = 0;
      for (size_t i = 0; i < n; i++) {
        while (j < nref && ref[j].id != got[i].id) j++;
        PC_CHECK(j < nref && etl_key_eq(&got[i], &ref[j]));
      }
      if (!compress) {
        /* Uncompressed: exactly the records whose bytes all precede the cut. */
        size_t want = 0;
        for (size_t i = 0; i < nref; i++) want += ref[i].ud_end <= cut;
        PC_CHECK_UINT(n, want);
        for (size_t i = 0; i < n; i++) PC_CHECK(got[i].ud_end <= cut);
      }
      if (pc__test_failed_now()) {
        fprintf(stderr, "  compress=%d cut=%zu\n", compress, cut);
        break;
      }
    }
    free(img);
  }
}

/* Finds the file offset of the k-th delivered record (uncompressed images only). */
static size_t record_offset(const uint8_t *img, size_t len, size_t k) {
  static etl_key keys[MAXK];
  size_t n;
  read_all(img, len, keys, &n, NULL);
  /* ud_end - ud_len is where the user data starts; walk back over the header and ext. */
  size_t ud = keys[k].ud_end - keys[k].ud_len;
  return keys[k].psk || (k % 3 == 0) ? ud - 0x50 - 16 : ud - 0x50;
}

PC_TEST(record_size_zero) {
  size_t len;
  uint8_t *img = make_image(1, false, 60, &len);
  if (!img) return;
  size_t at = record_offset(img, len, 25);
  put16(img + at, 0);
  static etl_key got[MAXK];
  size_t n;
  pc_etl_reader *r = NULL;
  int rc = read_all(img, len, got, &n, &r);
  PC_CHECK_INT(rc, PC_ECORRUPT);
  PC_CHECK_UINT(n, 25);
  PC_CHECK_UINT(pc_etl_error_offset(r), at);
  char want[128];
  size_t buf_at = at - (at % 1024);
  snprintf(want, sizeof want, "byte 0x%zx: record size 0 in buffer at 0x%zx", at, buf_at);
  PC_CHECK_STR(pc_etl_error(r), want);
  pc_record rec;
  PC_CHECK_INT(pc_etl_next(r, &rec), PC_ECORRUPT); /* sticky */
  pc_etl_close(r);
  free(img);
}

PC_TEST(record_size_past_buffer_end_and_too_small) {
  static const uint32_t sizes[] = {0xFFF8, 0x0400, 0x20, 0x4F};
  for (size_t k = 0; k < 4; k++) {
    size_t len;
    uint8_t *img = make_image(1, false, 60, &len);
    if (!img) return;
    size_t at = record_offset(img, len, 10);
    put16(img + at, sizes[k]);
    static etl_key got[MAXK];
    size_t n;
    pc_etl_reader *r = NULL;
    PC_CHECK_INT(read_all(img, len, got, &n, &r), PC_ECORRUPT);
    PC_CHECK_UINT(n, 10);
    PC_CHECK_UINT(pc_etl_error_offset(r), at);
    PC_CHECK(strstr(pc_etl_error(r), k < 2 ? "runs past the data end" : "smaller than its header") != NULL);
    pc_etl_close(r);
    free(img);
  }
}

PC_TEST(bad_marker_and_extended_item) {
  size_t len;
  uint8_t *img = make_image(1, false, 60, &len);
  if (!img) return;
  size_t at = record_offset(img, len, 12); /* 12 % 3 == 0: has the start-key item */
  uint8_t saved[4];
  memcpy(saved, img + at, 4);
  img[at + 3] = 0x40; /* marker without TRACE_HEADER_FLAG */
  static etl_key got[MAXK];
  size_t n;
  pc_etl_reader *r = NULL;
  PC_CHECK_INT(read_all(img, len, got, &n, &r), PC_ECORRUPT);
  PC_CHECK_UINT(n, 12);
  PC_CHECK(strstr(pc_etl_error(r), "not a trace header") != NULL);
  pc_etl_close(r);
  memcpy(img + at, saved, 4);
  put16(img + at + 0x50 + 6, 0x7000); /* the item's data_size runs past the record */
  PC_CHECK_INT(read_all(img, len, got, &n, &r), PC_ECORRUPT);
  PC_CHECK_UINT(n, 12);
  PC_CHECK_UINT(pc_etl_error_offset(r), at + 0x50);
  PC_CHECK(strstr(pc_etl_error(r), "extended data item") != NULL);
  pc_etl_close(r);
  free(img);
}

PC_TEST(buffer_size_absurd_or_inconsistent) {
  static const uint32_t sizes[] = {0x7FFFFFFF, 0x10, 0x47, 0, 64u * 1024u * 1024u + 8u};
  for (size_t k = 0; k < 5; k++) {
    size_t len;
    uint8_t *img = make_image(1, false, 60, &len);
    if (!img) return;
    /* Buffers are 1 KiB: header at 0, data at 0x400, 0x800, ... Break the third. */
    put32(img + 0xC00, sizes[k]);
    static etl_key ref[MAXK], got[MAXK];
    size_t n;
    pc_etl_reader *r = NULL;
    PC_CHECK_INT(read_all(img, len, got, &n, &r), PC_ECORRUPT);
    PC_CHECK_UINT(pc_etl_error_offset(r), 0xC00);
    PC_CHECK(strstr(pc_etl_error(r), "byte 0xc00: buffer size") != NULL);
    /* Everything in the two intact data buffers was delivered. */
    size_t nref;
    uint8_t *good = make_image(1, false, 60, &len);
    read_all(good, len, ref, &nref, NULL);
    size_t want = 0;
    while (want < nref && ref[want].ud_end <= 0xC00) want++;
    PC_CHECK_UINT(n, want);
    PC_CHECK(want > 5);
    free(good);
    pc_etl_close(r);
    free(img);
  }
  /* SavedOffset beyond BufferSize. */
  size_t len;
  uint8_t *img = make_image(1, false, 60, &len);
  if (!img) return;
  put32(img + 0x800 + 4, 0x500);
  static etl_key got[MAXK];
  size_t n;
  pc_etl_reader *r = NULL;
  PC_CHECK_INT(read_all(img, len, got, &n, &r), PC_ECORRUPT);
  PC_CHECK_UINT(pc_etl_error_offset(r), 0x804);
  pc_etl_close(r);
  free(img);
}

PC_TEST(header_damage_fails_open) {
  size_t len;
  uint8_t *img = make_image(1, false, 5, &len);
  if (!img) return;
  pc_etl_reader *r = NULL;
  char err[256];
  img[0x48 + 2] = 0x13; /* first record claims to be an EVENT_HEADER */
  PC_CHECK_INT(pc_etl_open_memory(img, len, &r, err, sizeof err), PC_ECORRUPT);
  PC_CHECK(r == NULL);
  PC_CHECK(strstr(err, "byte 0x48: first record is not a SYSTEM_TRACE_HEADER") != NULL);
  img[0x48 + 2] = 0x02;
  put16(img + 0x48 + 4, 0x30); /* header record too short for TRACE_LOGFILE_HEADER */
  PC_CHECK_INT(pc_etl_open_memory(img, len, &r, err, sizeof err), PC_ECORRUPT);
  PC_CHECK(strstr(err, "byte 0x4c:") != NULL);
  free(img);
}

PC_TEST(compressed_stream_damage) {
  size_t len;
  uint8_t *img = make_image(1, true, 60, &len);
  if (!img) return;
  static etl_key ref[MAXK], got[MAXK];
  size_t nref, n;
  PC_CHECK_INT(read_all(img, len, ref, &nref, NULL), 1);
  /* The first compressed buffer starts at 0x400; find the second one from its size. */
  size_t b1 = 0x400, b2 = b1 + (get16(img + b1) | (size_t)get16(img + b1 + 2) << 16);
  PC_CHECK(b2 < len);
  /* 1: garbage flag words and match tokens in the second buffer's stream. */
  uint8_t *bad = malloc(len);
  memcpy(bad, img, len);
  memset(bad + b2 + 0x48, 0xFF, 8);
  pc_etl_reader *r = NULL;
  PC_CHECK_INT(read_all(bad, len, got, &n, &r), PC_ECORRUPT);
  PC_CHECK(strstr(pc_etl_error(r), "XPRESS data of the buffer at") != NULL);
  PC_CHECK(pc_etl_error_offset(r) >= b2 + 0x48);
  /* Everything from the first buffer came out first. */
  size_t first_buffer_records = 0;
  for (size_t i = 0; i < n; i++)
    if (etl_key_eq(&got[i], &ref[i])) first_buffer_records++;
  PC_CHECK_UINT(first_buffer_records, n);
  PC_CHECK(n > 0);
  pc_etl_close(r);
  /* 2: SavedOffset larger than what the stream decompresses to. */
  memcpy(bad, img, len);
  put32(bad + b2 + 4, (uint32_t)(get16(img + b2 + 4) + 8));
  PC_CHECK_INT(read_all(bad, len, got, &n, &r), PC_ECORRUPT);
  PC_CHECK(strstr(pc_etl_error(r), "decompresses to") != NULL);
  pc_etl_close(r);
  /* 3: SavedOffset beyond the session's buffer size. */
  memcpy(bad, img, len);
  put32(bad + b2 + 4, 0x100000);
  PC_CHECK_INT(read_all(bad, len, got, &n, &r), PC_ECORRUPT);
  PC_CHECK_UINT(pc_etl_error_offset(r), b2 + 4);
  pc_etl_close(r);
  /* 4: unsupported formats are named. The header buffer's State holds the format. */
  static const struct {
    uint32_t format;
    const char *name;
  } unsup[] = {{2, "LZNT1"}, {4, "XPRESS_HUFF"}, {9, "unknown"}};
  for (size_t k = 0; k < 3; k++) {
    memcpy(bad, img, len);
    put32(bad + 0x2C, unsup[k].format);
    PC_CHECK_INT(read_all(bad, len, got, &n, &r), PC_ENOTSUP);
    PC_CHECK_UINT(n, 0);
    PC_CHECK(strstr(pc_etl_error(r), unsup[k].name) != NULL);
    PC_CHECK_UINT(pc_etl_error_offset(r), 0x400);
    pc_etl_close(r);
  }
  free(bad);
  free(img);
}

PC_TEST(random_mutations_never_crash) {
  for (int compress = 0; compress < 2; compress++) {
    size_t len;
    uint8_t *img = make_image(3, compress, 80, &len);
    if (!img) return;
    uint8_t *m = malloc(len);
    uint32_t s = 0x2545F491u + (uint32_t)compress;
    for (int iter = 0; iter < 1500; iter++) {
      memcpy(m, img, len);
      int flips = 1 + iter % 8;
      for (int f = 0; f < flips; f++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        size_t at = s % len;
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        m[at] = (uint8_t)(iter % 3 == 0 ? 0 : iter % 3 == 1 ? 0xFF : s);
      }
      static etl_key got[MAXK];
      size_t n;
      int rc = read_all(m, len, got, &n, NULL);
      PC_CHECK(rc == 1 || rc < 0);
    }
    free(m);
    free(img);
  }
}

PC_TEST(extreme_sequence_numbers) {
  /* Sequence numbers are file data: the horizon arithmetic must survive the extremes
   * (UBSan checks the overflow) and still deliver every record. */
  static const uint64_t hdr_seq[] = {UINT64_C(0x7FFFFFFFFFFFFFFF), UINT64_C(0x8000000000000000), 0};
  static const uint64_t data_seq[] = {UINT64_C(0x8000000000000000), UINT64_C(0x7FFFFFFFFFFFFFFF),
                                      UINT64_C(0x7FFFFFFFFFFFFFFE)};
  for (size_t k = 0; k < 3; k++) {
    size_t len;
    uint8_t *img = make_image(3, false, 60, &len);
    if (!img) return;
    put32(img + 0x18, (uint32_t)hdr_seq[k]);
    put32(img + 0x1C, (uint32_t)(hdr_seq[k] >> 32));
    for (size_t b = 0x400; b + 0x48 <= len; b += 0x400) {
      uint64_t s = data_seq[k] + (k == 2 ? (b / 0x400) % 2 : 0);
      put32(img + b + 0x18, (uint32_t)s);
      put32(img + b + 0x1C, (uint32_t)(s >> 32));
    }
    static etl_key got[MAXK];
    size_t n;
    PC_CHECK_INT(read_all(img, len, got, &n, NULL), 1);
    PC_CHECK_UINT(n, 60);
    free(img);
  }
}
