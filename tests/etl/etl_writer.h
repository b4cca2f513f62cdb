/* etl_writer.h - writes small, valid ETL files for tests (never used by the program).
 *
 * The files have the layout pc_etl reads and real Windows captures have: a header buffer
 * (WMI_BUFFER_HEADER type 4 + SYSTEM_TRACE_HEADER + TRACE_LOGFILE_HEADER + logger and
 * file names), then data buffers, one CPU each, numbered in the order they were started
 * and written in the order they fill up. Records are EVENT_HEADER32/64 with an optional
 * PROCESS_START_KEY extended item; raw records of other types can be added too.
 *
 * Typical use:
 *   pc_etl_writer *w = pc_etl_writer_open("/tmp/x.etl", NULL);
 *   pc_record r = {...}; r.processor = 1; r.timestamp = ...;
 *   pc_etl_writer_add(w, &r);
 *   pc_etl_writer_close(w);   // finishes the header (BuffersWritten, EndTime) */
#ifndef PC_ETL_WRITER_H
#define PC_ETL_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_record.h"

typedef struct pc_etl_writer_opts {
  unsigned pointer_size;   /* 4 or 8 (default): the header record type and layout */
  unsigned cpus;           /* NumberOfProcessors (default 4) */
  uint32_t buffer_size;    /* bytes per buffer (default 64 KiB, at least 1 KiB) */
  pc_time start_time;      /* StartTime (default 2026-01-01T00:00:00Z); moved back to the
                              earliest record when one is older, as a real session starts
                              before its first event */
  int64_t perf_freq;       /* PerfFreq (default 10 MHz, which makes times exact) */
  uint32_t clock_type;     /* ReservedFlags (default 1 = QPC; 2 = system time) */
  int64_t start_raw;       /* raw clock at StartTime (default 1e9) */
  uint32_t os_build;       /* default 19041, OS 10.0 */
  const char *logger_name; /* default "portclash-test" */
  uint32_t events_lost, buffers_lost;
  bool compress;          /* XPRESS-compress the data buffers (COMPRESSED_MODE) */
  uint16_t dummy_ext_len; /* when > 0, records with extended data get a leading
                             EVENT_SCHEMA_TL item of this many bytes */
} pc_etl_writer_opts;

typedef struct pc_etl_writer pc_etl_writer;

/* Creates path and writes a provisional header buffer. opts may be NULL (defaults).
 * Returns NULL on failure (errno tells why). Free with pc_etl_writer_close. */
pc_etl_writer *pc_etl_writer_open(const char *path, const pc_etl_writer_opts *opts);

/* Appends rec to the buffer of CPU rec->processor (which must be < 1024). The header type
 * is EVENT_HEADER32 when rec->flags has PC_RECORD_FLAG_32BIT_HEADER, else EVENT_HEADER64;
 * those two flag bits are not stored (Windows does not store them either). An extended
 * PROCESS_START_KEY item is written when rec->ext_present says so. The timestamp is
 * converted to the raw clock. Returns PC_OK, PC_EINVAL (record too large for a buffer) or
 * PC_EIO. */
int pc_etl_writer_add(pc_etl_writer *w, const pc_record *rec);

/* Appends raw record bytes (any header type; len <= 0xFFFF) to CPU cpu's buffer, padded
 * to 8 bytes. For tests of records the reader must skip. */
int pc_etl_writer_add_raw(pc_etl_writer *w, unsigned cpu, const void *bytes, size_t len);

/* Writes out CPU cpu's partly filled buffer now (tests use it to control file order). */
int pc_etl_writer_flush_cpu(pc_etl_writer *w, unsigned cpu);

/* Flushes every partly filled buffer (in CPU order), rewrites the header buffer with the
 * final BuffersWritten and EndTime, closes the file and frees w. NULL-safe. Returns
 * PC_OK or PC_EIO. */
int pc_etl_writer_close(pc_etl_writer *w);

/* The raw timestamp a pc_time becomes under opts (defaults applied). */
int64_t pc_etl_writer_raw_time(const pc_etl_writer_opts *opts, pc_time t);

/* Compresses in[0..len) as an XPRESS (plain LZ77) stream with a greedy matcher.
 * Returns a malloc'd stream and its length in *out_len, or NULL. */
uint8_t *pc_etl_test_xpress_compress(const uint8_t *in, size_t len, size_t *out_len);

#endif
