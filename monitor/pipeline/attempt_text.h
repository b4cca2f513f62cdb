/* attempt_text.h - one readable line per bind attempt (test oracle and plain output). */
#ifndef PC_ATTEMPT_TEXT_H
#define PC_ATTEMPT_TEXT_H

#include <stddef.h>

#include "pc_attempt.h"

/* Formats a like
 *   2026-01-01T00:00:01.000000Z FAIL pid=1234 tcp 0.0.0.0:8080 WSAEADDRINUSE(10048)
 *   status=STATUS_SHARING_VIOLATION(0xc0000043) stage=bind seen=afd+tcpip opts=reuseaddr
 * on one line (no newline). Unknown values print as '?'. Returns the length, truncating
 * to cap-1. */
size_t pc_attempt_format_line(const pc_bind_attempt *a, char *buf, size_t cap);

#endif
