/* eventlog_win.h - the Windows side of the Event Log sink (eventlog-win.c): the
 * advapi32 calls behind a function table (tests inject fakes: Wine's ReportEventW records
 * nothing), the registration of the event source (MSI and `portclash service install`), and
 * the service's own start/stop/restart events.
 *
 * Registration: HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<source> with
 * EventMessageFile (REG_EXPAND_SZ, the exe holding the message table) and TypesSupported
 * (REG_DWORD 7: error, warning, information). Needs an elevated process. */
#ifndef PC_SINKS_EVENTLOG_WIN_H
#define PC_SINKS_EVENTLOG_WIN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stddef.h>
#include <stdint.h>

#include "pc_error.h"

typedef struct pc_eventlog_api {
  HANDLE(WINAPI *register_source)(LPCWSTR server, LPCWSTR source);
  BOOL(WINAPI *report)
  (HANDLE log, WORD type, WORD category, DWORD id, PSID user, WORD nstrings, DWORD data_size,
   LPCWSTR *strings, LPVOID data);
  BOOL(WINAPI *deregister_source)(HANDLE log);
} pc_eventlog_api;

/* The real advapi32 functions. */
extern const pc_eventlog_api pc_eventlog_api_system;

#define PC_EVENTLOG_REG_PARENT L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application"

/* Creates or updates the registry key of event source `source` (UTF-16) with exe as its
 * EventMessageFile. Returns ERROR_SUCCESS or the Win32 error (ERROR_ACCESS_DENIED when not
 * elevated). */
DWORD pc_eventlog_register_source(const wchar_t *source, const wchar_t *exe);

/* Deletes the key of event source `source`; ERROR_SUCCESS also when it did not exist. */
DWORD pc_eventlog_unregister_source(const wchar_t *source);

/* true when the key of event source `source` exists (events then have their text). */
int pc_eventlog_source_registered(const wchar_t *source);

/* Reports one event synchronously through api (NULL = the system's), source "portclash":
 * for the service's start/stop/restart, which are rare and must not be queued behind a
 * process that is about to end. strings are UTF-8. Returns ERROR_SUCCESS or the Win32 error. */
DWORD pc_eventlog_report_now(const pc_eventlog_api *api, uint32_t id, uint16_t type, size_t n,
                             const char *const *strings);

#endif
