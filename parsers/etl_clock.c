/* etl_clock.c - raw ETL timestamps to pc_time.
 *
 * What the conversion relies on [INF, checked on the samples]:
 *  - TRACE_LOGFILE_HEADER.ReservedFlags names the clock of every raw timestamp in the
 *    file: 1 = QPC, 2 = system time (already FILETIME), 3 = CPU cycles.
 *  - For QPC and CPU cycles, the SystemTime of the log-file header record (the first
 *    SYSTEM_TRACE_HEADER) is the raw clock value at the moment the header's StartTime
 *    (FILETIME) was taken. snail-server uses the same pair; on lxcore_kernel.etl it puts
 *    the last buffer's flush 12.1426 s after StartTime where EndTime says 12.1430 s.
 *  - The QPC frequency is PerfFreq; the CPU-cycle frequency is CpuSpeedInMHz * 10^6.
 *  - Clock type 0 does not occur in the samples; it is read as QPC because QPC is the
 *    ETW default. */
#include "etl_internal.h"

void pc__etl_clock_init(pc__etl_clock *c, const pc_etl_info *info, int64_t anchor_raw) {
  c->type = info->clock_type == 0 ? PC_ETL_CLOCK_QPC : info->clock_type;
  c->freq = c->type == PC_ETL_CLOCK_CPU_CYCLES ? (int64_t)info->cpu_speed_mhz * 1000000 : info->perf_freq;
  c->anchor_raw = anchor_raw;
  c->anchor_time = info->start_time;
}

pc_time pc__etl_clock_convert(const pc__etl_clock *c, int64_t raw) {
  if (c->type == PC_ETL_CLOCK_SYSTEM_TIME) return raw;
  if (c->type != PC_ETL_CLOCK_QPC && c->type != PC_ETL_CLOCK_CPU_CYCLES) return PC_TIME_UNKNOWN;
  /* rem * 10^7 must fit in int64: frequencies above ~9e11 Hz do not exist. */
  if (c->freq <= 0 || c->freq > INT64_C(900000000000)) return PC_TIME_UNKNOWN;
  /* The delta is computed in unsigned arithmetic so that garbage timestamps cannot
   * overflow a signed subtraction; results outside +-2^62 are unknown. */
  uint64_t du = (uint64_t)raw - (uint64_t)c->anchor_raw;
  int64_t delta;
  if (du <= (uint64_t)INT64_MAX / 2)
    delta = (int64_t)du;
  else if (du >= (uint64_t)0 - (uint64_t)INT64_MAX / 2)
    delta = -(int64_t)((uint64_t)0 - du);
  else
    return PC_TIME_UNKNOWN;
  /* A 10 MHz clock (QPC on most Windows 10+ machines, and the test writer) counts in our own
   * 100 ns ticks: no division per event. */
  if (c->freq == PC_TIME_TICKS_PER_SEC) {
    if ((delta > 0 && c->anchor_time > INT64_MAX - delta) ||
        (delta < 0 && c->anchor_time < INT64_MIN + 1 - delta))
      return PC_TIME_UNKNOWN;
    return c->anchor_time + delta;
  }
  int64_t q = delta / c->freq, r = delta % c->freq;
  if (q > INT64_MAX / PC_TIME_TICKS_PER_SEC / 4 || q < -(INT64_MAX / PC_TIME_TICKS_PER_SEC / 4))
    return PC_TIME_UNKNOWN;
  int64_t ticks = q * PC_TIME_TICKS_PER_SEC + r * PC_TIME_TICKS_PER_SEC / c->freq;
  if ((ticks > 0 && c->anchor_time > INT64_MAX - ticks) ||
      (ticks < 0 && c->anchor_time < INT64_MIN + 1 - ticks))
    return PC_TIME_UNKNOWN;
  return c->anchor_time + ticks;
}
