#include <stdio.h>

#include "pc_time.h"

/* Days from 1970-01-01 to civil date, and back (Howard Hinnant's algorithms); used
 * instead of gmtime_r so that formatting is portable, thread-safe and locale-free. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

size_t pc_time_format_rfc3339(pc_time t, char *buf, size_t cap) {
  if (cap) buf[0] = '\0';
  if (t == PC_TIME_UNKNOWN || t < 0 || cap < 28) return 0;
  int64_t unix_ticks = t - PC_TIME_UNIX_EPOCH;
  int64_t secs = unix_ticks / PC_TIME_TICKS_PER_SEC;
  int64_t frac = unix_ticks % PC_TIME_TICKS_PER_SEC;
  if (frac < 0) {
    frac += PC_TIME_TICKS_PER_SEC;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 1601 || y > 9999) return 0;
  int n = snprintf(buf, cap, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", (int)y, m, d, (int)(rem / 3600),
                   (int)(rem / 60 % 60), (int)(rem % 60), (int)(frac / 10));
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

pc_time pc_time_from_unix(int64_t sec, int64_t nsec) {
  return PC_TIME_UNIX_EPOCH + sec * PC_TIME_TICKS_PER_SEC + nsec / 100;
}
