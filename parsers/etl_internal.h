/* etl_internal.h - declarations shared by the files of the ETL reader (pc__ prefix).
 *
 * etl_format.c  byte layouts: buffer header, log-file header, record markers, EVENT_HEADER
 * etl_clock.c   raw timestamps to pc_time
 * etl_input.c  sequential input from a FILE or from memory
 * etl_counts.c  events per (provider, id, version)
 * etl_reader.c  buffers, per-CPU streams, the time-ordered merge, errors */
#ifndef PC_ETL_INTERNAL_H
#define PC_ETL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_etl.h"

/* ---- etl_format.c ---------------------------------------------------------------- */

#define PC__ETL_BUFHDR_SIZE 0x48u

/* WMI_BUFFER_HEADER.BufferFlag bits. */
#define PC__ETL_BUF_FLAG_PROC_INDEX 0x0020u
#define PC__ETL_BUF_FLAG_COMPRESSED 0x0040u
/* WMI_BUFFER_HEADER.BufferType of the first buffer. */
#define PC__ETL_BUF_TYPE_HEADER 4u

/* The fields of a WMI_BUFFER_HEADER that the reader uses. */
typedef struct pc__etl_bufhdr {
  uint32_t buffer_size;  /* bytes of this buffer in the file */
  uint32_t saved_offset; /* bytes used, header included; uncompressed size if compressed */
  uint32_t offset;
  uint32_t state;
  int64_t timestamp;
  int64_t seq;
  uint16_t cpu; /* ProcessorIndex (u16) or ProcessorNumber (u8), per BufferFlag */
  uint16_t flags;
  uint16_t type;
} pc__etl_bufhdr;

/* Decodes the 0x48 bytes at p (the caller guarantees they exist). */
void pc__etl_parse_bufhdr(const uint8_t *p, pc__etl_bufhdr *h);

/* What a record is, from its first bytes. */
enum pc__etl_rec_kind {
  PC__ETL_REC_EVENT32 = 1, /* EVENT_HEADER, header type 0x12 */
  PC__ETL_REC_EVENT64,     /* EVENT_HEADER, header type 0x13 */
  PC__ETL_REC_OTHER,       /* any other trace header or WPP message: skip by size */
  PC__ETL_REC_PADDING,     /* 0xFFFFFFFF fill: the buffer's data ends here */
};

/* Classifies the record at p, of which avail bytes (>= 4) are inside the buffer.
 * Returns PC_OK with *kind and *size (the record's own size, not aligned; at least the
 * size of its fixed header), or PC_ECORRUPT with *why describing the marker. */
int pc__etl_record_size(const uint8_t *p, size_t avail, int *kind, uint32_t *size, const char **why);

/* Raw timestamp of the record at p of size bytes when its header type has one, else
 * false. Used to find where a buffer starts in time. */
bool pc__etl_record_time(const uint8_t *p, uint32_t size, int64_t *raw);

/* Fills rec from the EVENT_HEADER record at p (size bytes, kind from
 * pc__etl_record_size). rec->timestamp is left for the caller; *raw_ts receives the raw
 * one. user_data points into p. Returns PC_OK, or PC_ECORRUPT with *why and *bad_at (an
 * offset inside the record) when the extended items do not fit. */
int pc__etl_parse_event(const uint8_t *p, uint32_t size, int kind, pc_record *rec, int64_t *raw_ts,
                        const char **why, uint32_t *bad_at);

/* The first record of the header buffer: SYSTEM_TRACE_HEADER + TRACE_LOGFILE_HEADER.
 * Parses the record at p (size bytes available, from the buffer's data) into info and
 * returns the raw timestamp the header was written at in *anchor_raw. Returns PC_OK, or
 * PC_ECORRUPT with *why and *bad_at (offset inside the record). */
int pc__etl_parse_logheader(const uint8_t *p, size_t avail, pc_etl_info *info, int64_t *anchor_raw,
                            const char **why, uint32_t *bad_at);

/* ---- etl_clock.c ----------------------------------------------------------------- */

typedef struct pc__etl_clock {
  uint32_t type;      /* PC_ETL_CLOCK_* */
  int64_t freq;       /* raw ticks per second (QPC and CPU cycles) */
  int64_t anchor_raw; /* raw timestamp at which anchor_time was true */
  pc_time anchor_time;
} pc__etl_clock;

/* Builds the clock from the header facts. */
void pc__etl_clock_init(pc__etl_clock *c, const pc_etl_info *info, int64_t anchor_raw);

/* Raw timestamp to pc_time; PC_TIME_UNKNOWN when the clock cannot say (no frequency,
 * out of range). */
pc_time pc__etl_clock_convert(const pc__etl_clock *c, int64_t raw);

/* ---- etl_input.c ---------------------------------------------------------------- */

/* A sequential byte source: a FILE it owns, or borrowed memory. */
typedef struct pc__etl_source {
  FILE *file;
  const uint8_t *mem;
  size_t mem_len;
  uint64_t pos; /* bytes consumed so far */
  int io_error; /* errno-like value of the last failed read, 0 if none */
} pc__etl_source;

/* Opens path for reading. Returns PC_OK, PC_ENOENT or PC_EIO. */
int pc__etl_source_open_file(pc__etl_source *s, const char *path);
void pc__etl_source_open_memory(pc__etl_source *s, const uint8_t *data, size_t len);
void pc__etl_source_close(pc__etl_source *s);

/* Copies up to n bytes into dst; returns the number copied (less at end of input or on
 * an I/O error, which sets io_error). */
size_t pc__etl_source_read(pc__etl_source *s, void *dst, size_t n);

/* Memory sources only: returns a pointer to up to n bytes in place and their number in
 * *got, consuming them. NULL for file sources. */
const uint8_t *pc__etl_source_borrow(pc__etl_source *s, size_t n, size_t *got);

/* ---- etl_counts.c ---------------------------------------------------------------- */

typedef struct pc__etl_counts pc__etl_counts;

pc__etl_counts *pc__etl_counts_new(void);
void pc__etl_counts_free(pc__etl_counts *c);
/* Counts one event; returns false when the table is full (the caller counts it as
 * "other"). */
bool pc__etl_counts_add(pc__etl_counts *c, const pc_guid *provider, uint16_t id, uint8_t version);
/* Sorted snapshot owned by c, valid until the next add or free. */
const pc_etl_count *pc__etl_counts_sorted(pc__etl_counts *c, size_t *n);

#endif
