/* pc_etl.h - a portable, streaming reader for ETW .etl files.
 *
 * It delivers the file's EVENT_HEADER records (manifest and TraceLogging events, header
 * types 0x12 and 0x13) as pc_records in global time order, merging the per-CPU buffer
 * streams. Every other record type (kernel SYSTEM/PERFINFO/COMPACT records, classic MOF
 * events, WPP messages) is skipped by its size. XPRESS-compressed files are decompressed
 * buffer by buffer. Memory stays flat in the file size: the reader holds one current
 * buffer per CPU plus a bounded lookahead (PC_ETL_LOOKAHEAD_BYTES).
 *
 * The on-disk layout is undocumented by Microsoft; what this reader relies on, and what
 * was inferred rather than documented, is written next to the code in etl_format.c and
 * in shared/reference/etw-facts.md section 8.
 *
 * Errors: a corrupt or truncated file ends the stream with an error whose message names
 * the byte offset and what was wrong. Reading stops at the damage; every good record
 * read before it (all records stored before it in the file, in time order, plus those of
 * buffers already read ahead) is delivered first. Nothing crashes and nothing grows
 * without bound. */
#ifndef PC_ETL_H
#define PC_ETL_H

#include <stddef.h>
#include <stdint.h>

#include "pc_record.h"
#include "pc_time.h"

/* Limits. A buffer larger than PC_ETL_MAX_BUFFER (stored or decompressed) is treated as
 * corrupt; ETW itself never writes buffers larger than a few MiB. */
#define PC_ETL_MAX_BUFFER (64u * 1024u * 1024u)
#define PC_ETL_MIN_BUFFER 0x48u /* one WMI_BUFFER_HEADER */
/* Bytes of buffers read ahead of the merge point. When the per-CPU streams are further
 * apart in the file than this, the merge proceeds anyway and counts late events. */
#define PC_ETL_LOOKAHEAD_BYTES (32u * 1024u * 1024u)
/* Decompression bombs. A compressed buffer may expand to PC_ETL_XPRESS_BUFFER_FLOOR bytes
 * (every real ETW buffer: they are at most a few MiB), or to more only up to
 * PC_ETL_XPRESS_MAX_RATIO times its compressed size; and a whole file expands to at most
 * PC_ETL_XPRESS_FILE_FLOOR + PC_ETL_XPRESS_MAX_RATIO times the file bytes read so far.
 * Real captures compress ETW buffers about 3 to 20 times; XPRESS can reach millions. A
 * buffer past either cap stops the reading with PC_ELIMIT and a message naming it. */
#define PC_ETL_XPRESS_MAX_RATIO 128u
#define PC_ETL_XPRESS_BUFFER_FLOOR (1u * 1024u * 1024u)
#define PC_ETL_XPRESS_FILE_FLOOR (16u * 1024u * 1024u)
/* Distinct (provider, id, version) triples counted; more are summed in other_events. */
#define PC_ETL_MAX_COUNTED 4096u

/* TRACE_LOGFILE_HEADER.ReservedFlags: the clock of the raw timestamps. */
#define PC_ETL_CLOCK_QPC 1
#define PC_ETL_CLOCK_SYSTEM_TIME 2
#define PC_ETL_CLOCK_CPU_CYCLES 3

/* EVENT_TRACE_COMPRESSED_MODE in LogFileMode. */
#define PC_ETL_MODE_COMPRESSED 0x04000000u

typedef struct pc_etl_reader pc_etl_reader;

/* Facts from the file's header buffer (WMI_BUFFER_HEADER + SYSTEM_TRACE_HEADER +
 * TRACE_LOGFILE_HEADER), plus running totals updated while records are read. */
typedef struct pc_etl_info {
  /* From TRACE_LOGFILE_HEADER. */
  uint8_t os_major, os_minor, os_sp_major, os_sp_minor; /* Version bytes */
  uint32_t os_build;                                    /* ProviderVersion */
  uint32_t pointer_size;                                /* 4 or 8 */
  uint32_t cpu_count;                                   /* NumberOfProcessors */
  uint32_t cpu_speed_mhz;
  uint32_t clock_type;       /* PC_ETL_CLOCK_*, as stored (0 is read as QPC) */
  int64_t perf_freq;         /* ticks per second of the raw clock */
  pc_time start_time;        /* StartTime */
  pc_time end_time;          /* EndTime; 0 in a file whose session was still running */
  pc_time boot_time;         /* BootTime */
  uint32_t timer_resolution; /* 100-ns units */
  uint32_t buffer_size;      /* BufferSize: the session's buffer size */
  uint32_t buffers_written;  /* BuffersWritten, the header buffer included */
  uint32_t events_lost;
  uint32_t buffers_lost;
  uint32_t log_file_mode;
  uint32_t max_file_size_mb;
  uint32_t compression;    /* PC_COMPRESSION_* (pc_xpress.h); NONE unless COMPRESSED_MODE */
  char logger_name[128];   /* UTF-8, "" when absent */
  char log_file_name[264]; /* UTF-8, "" when absent */

  /* Running totals, final once pc_etl_next has returned 1 or an error. */
  uint64_t buffers_read;     /* buffers read from the file, the header buffer included */
  uint64_t bytes_read;       /* file bytes consumed */
  uint64_t bytes_inflated;   /* bytes produced by decompressing buffers */
  uint64_t records_seen;     /* records of every type walked */
  uint64_t records_skipped;  /* records that were not EVENT_HEADER records */
  uint64_t events_delivered; /* EVENT_HEADER records handed out */
  uint64_t events_late;      /* delivered with an earlier time than one before them */
  uint64_t other_events;     /* delivered beyond PC_ETL_MAX_COUNTED distinct triples */
  pc_time first_event;       /* earliest delivered event time, PC_TIME_UNKNOWN if none */
  pc_time last_event;        /* latest delivered event time, PC_TIME_UNKNOWN if none */
} pc_etl_info;

/* Events counted for one (provider, id, version). */
typedef struct pc_etl_count {
  pc_guid provider;
  uint16_t id;
  uint8_t version;
  uint64_t events;
} pc_etl_count;

/* Opens the file at path and reads its header buffer. On success returns PC_OK and
 * stores a reader in *out (free it with pc_etl_close). On failure returns a negative
 * pc_err (PC_ENOENT, PC_EIO, PC_ECORRUPT, PC_ETRUNC, PC_ENOTSUP, PC_ENOMEM), leaves *out
 * NULL and writes a message naming the byte offset into errbuf (may be NULL). */
int pc_etl_open(const char *path, pc_etl_reader **out, char *errbuf, size_t errcap);

/* The same on a file image in memory. data is borrowed: it must stay valid and
 * unchanged until pc_etl_close. Uncompressed buffers are read in place (no copy). */
int pc_etl_open_memory(const uint8_t *data, size_t len, pc_etl_reader **out, char *errbuf, size_t errcap);

/* Header facts and running totals; never NULL for an open reader. Valid until close. */
const pc_etl_info *pc_etl_get_info(const pc_etl_reader *r);

/* Delivers the next EVENT_HEADER record in time order.
 * Returns PC_OK with *out filled (out->user_data is borrowed and valid until the next
 * call to pc_etl_next or pc_etl_close), 1 at the clean end of the file, or a negative
 * pc_err (PC_ECORRUPT, PC_ETRUNC, PC_ENOTSUP, PC_EIO, PC_ENOMEM, PC_ELIMIT) whose message
 * pc_etl_error gives. Errors are sticky: later calls return the same error. */
int pc_etl_next(pc_etl_reader *r, pc_record *out);

/* The message of the error pc_etl_next returned ("" when none), e.g.
 * "byte 0x2040: record size 0 in buffer at 0x2000". Valid until close. */
const char *pc_etl_error(const pc_etl_reader *r);

/* The file offset the error refers to, or UINT64_MAX when there was none. */
uint64_t pc_etl_error_offset(const pc_etl_reader *r);

/* Event counts per (provider, id, version) of the records delivered so far, sorted by
 * provider GUID, then id, then version. *n receives the count. The array is owned by the
 * reader and valid until the next pc_etl_next or pc_etl_close. */
const pc_etl_count *pc_etl_counts(pc_etl_reader *r, size_t *n);

/* Frees the reader and closes its file. NULL-safe. */
void pc_etl_close(pc_etl_reader *r);

/* Returns a static name for a clock type ("QPC", "system time", "CPU cycles",
 * "unknown"); never NULL. */
const char *pc_etl_clock_name(uint32_t clock_type);

#endif
