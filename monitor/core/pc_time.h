/* pc_time.h - timestamps: 100-nanosecond ticks since 1601-01-01 UTC (Windows FILETIME).
 *
 * ETW and ETL give FILETIME natively; Linux sources convert. The correlator runs on these
 * event times only, never on the wall clock, so replay and live give the same answers. */
#ifndef PC_TIME_H
#define PC_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t pc_time;

#define PC_TIME_TICKS_PER_SEC INT64_C(10000000)
#define PC_TIME_TICKS_PER_MS INT64_C(10000)
#define PC_TIME_UNIX_EPOCH INT64_C(116444736000000000) /* 1970-01-01 in FILETIME ticks */
#define PC_TIME_UNKNOWN INT64_MIN

/* Formats t as RFC 3339 UTC with microseconds, "2026-11-21T23:50:00.123456Z", into buf
 * (at least 28 bytes). Returns the length written, or 0 when t is PC_TIME_UNKNOWN or out
 * of the year 1601..9999 range (buf then holds ""). */
size_t pc_time_format_rfc3339(pc_time t, char *buf, size_t cap);

/* Converts Unix seconds + nanoseconds to pc_time. */
pc_time pc_time_from_unix(int64_t sec, int64_t nsec);

#endif
