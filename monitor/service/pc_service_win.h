/* pc_service_win.h - the parts of the Windows service (service-win.c, service_acl-win.c) that
 * tests drive through function tables: Wine runs the service manager but neither ETW nor ACL
 * checks, so the decisions are tested with the OS calls replaced.
 *
 * Module-internal (pc__ prefix): only service-win.c, service_acl-win.c and their tests use it. */
#ifndef PC_SERVICE_WIN_H
#define PC_SERVICE_WIN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The supervisor: the monitor child, its restarts, its session ---- */

/* What the supervisor does to the outside world. ctx is passed back to every member. */
typedef struct pc__svc_ops {
  void *ctx;
  /* Starts "<exe> monitor ...": the process handle, or NULL (GetLastError says why). *job may
   * receive a job object handle (closed with close_handle). */
  HANDLE (*start_monitor)(void *ctx, HANDLE *job);
  /* WaitForMultipleObjects(n, h, FALSE, ms). */
  DWORD (*wait)(void *ctx, DWORD n, const HANDLE *h, DWORD ms);
  BOOL (*exit_code)(void *ctx, HANDLE process, DWORD *code);
  BOOL (*terminate)(void *ctx, HANDLE process, UINT code);
  void (*close_handle)(void *ctx, HANDLE h);
  /* Stops the monitor's ETW session by name (logman stop NAME -ets); idempotent. */
  void (*stop_session)(void *ctx);
  /* A monotonic clock in milliseconds (GetTickCount64). */
  ULONGLONG (*now_ms)(void *ctx);
  /* Reports the service state (SERVICE_RUNNING, SERVICE_STOP_PENDING). */
  void (*set_state)(void *ctx, DWORD state);
  /* One line for the service's log (no line end). */
  void (*log)(void *ctx, const char *line);
} pc__svc_ops;

/* Restart delays: the first restart after RESTART_MIN_MS, doubling to RESTART_MAX_MS; a
 * monitor that ran for RESTART_RESET_MS or longer starts the sequence again. */
#define PC_SVC_RESTART_MIN_MS 1000u
#define PC_SVC_RESTART_MAX_MS 60000u
#define PC_SVC_RESTART_RESET_MS 300000u

/* Runs the monitor until stop_event is set: when it ends by itself (its ETW session was stopped
 * from outside, ProcessTrace failed, it crashed) its session is stopped (a dead monitor never
 * leaks one) and it is started again after the backoff above, each restart logged. Exit
 * statuses 2 (bad usage) and 3 (missing privilege) are not retried: a restart cannot fix them;
 * the supervisor then returns that status (the service reports it, and the service manager's
 * failure actions apply). On a stop request the session is stopped (which ends the monitor
 * like Ctrl+C), every 500 ms again, and the monitor is terminated after kill_after_ms.
 * Returns the status to report: 0 after a requested stop, else the monitor's status, or 1 when
 * it could not be started. *restarts receives the number of restarts. */
DWORD pc__service_supervise(const pc__svc_ops *ops, HANDLE stop_event, DWORD kill_after_ms,
                            unsigned *restarts);

/* ---- Who may write: %ProgramData%\portclash and the files the service trusts ---- */

/* The DACL given to %ProgramData%\portclash at install: protected (nothing inherited from
 * ProgramData, where every user may create files), SYSTEM and Administrators full control,
 * Users read and execute; inherited by files and folders created inside. */
#define PC_SVC_DATA_DIR_SDDL L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FRFX;;;BU)"

/* The OS calls of the checks. */
typedef struct pc__acl_ops {
  void *ctx;
  /* CreateDirectoryW(path, sa). */
  BOOL (*create_directory)(void *ctx, const wchar_t *path, SECURITY_ATTRIBUTES *sa);
  /* CreateFileW for reading the security of path, with FILE_FLAG_OPEN_REPARSE_POINT and
   * FILE_FLAG_BACKUP_SEMANTICS (folders too): INVALID_HANDLE_VALUE on failure. */
  HANDLE (*open_no_follow)(void *ctx, const wchar_t *path);
  /* GetFileInformationByHandle's dwFileAttributes; false on failure. */
  bool (*attributes)(void *ctx, HANDLE h, DWORD *attrs);
  /* GetSecurityInfo(h, SE_FILE_OBJECT, OWNER|DACL): owner, dacl and the descriptor to LocalFree. */
  DWORD (*get_security)(void *ctx, HANDLE h, PSID *owner, PACL *dacl, PSECURITY_DESCRIPTOR *sd);
  /* SetNamedSecurityInfoW(path, SE_FILE_OBJECT, OWNER|DACL|PROTECTED_DACL, owner, NULL, dacl, NULL). */
  DWORD (*set_security)(void *ctx, const wchar_t *path, PSID owner, PACL dacl);
  void (*close_handle)(void *ctx, HANDLE h);
} pc__acl_ops;

/* The real functions. */
extern const pc__acl_ops pc__acl_ops_system;

/* The table the service and the service's monitor (--service-child) use; NULL restores the
 * real one. For tests. */
void pc__service_set_acl_ops(const pc__acl_ops *ops);
const pc__acl_ops *pc__service_acl_ops(void);

/* True when sid is one that only administrators control: LocalSystem, the Administrators
 * group, TrustedInstaller (NT SERVICE\TrustedInstaller), or the account of this process when
 * it is LocalSystem or an administrator (the service; the administrator running install). */
bool pc__sid_is_admin(PSID sid);

/* True when dacl (NULL = no DACL: everyone full control) grants a SID that is not admin-only
 * (pc__sid_is_admin; CREATOR OWNER counts as not admin-only) any right that changes the object
 * or what is inside: write data, append / add subfolder, delete, delete child, write
 * attributes, write DAC, take ownership, generic write/all. Deny ACEs are ignored (allowing is
 * what matters; a deny before an allow does not make the folder writable, but the check stays
 * conservative). */
bool pc__dacl_lets_others_write(PACL dacl);

/* Outcome of a check; message says what was found and what was done (for the log). */
typedef enum pc__trust {
  PC_TRUST_OK = 0,   /* owner and DACL admin-only */
  PC_TRUST_REPAIRED, /* folder: owner admin, DACL too open: replaced by the protected one */
  PC_TRUST_MISSING,  /* does not exist */
  PC_TRUST_REFUSED,  /* a non-admin owns it, or can write it, or it is a reparse point */
  PC_TRUST_ERROR     /* the security could not be read */
} pc__trust;

/* Creates dir with PC_SVC_DATA_DIR_SDDL (ConvertStringSecurityDescriptorToSecurityDescriptorW)
 * or, when it exists, checks it: owned by a non-admin or a reparse point (a junction planted
 * by a user) is refused; owned by an admin but writable by others is repaired (protected DACL
 * set again, owner Administrators). */
pc__trust pc__data_dir_secure(const pc__acl_ops *ops, const wchar_t *dir, char *message, size_t cap);

/* Checks a file or folder the service is about to trust (its configuration, a rules folder, the
 * folder of its log): not a reparse point, owned by an admin SID, no write for others. Opened
 * with FILE_FLAG_OPEN_REPARSE_POINT, so a link is judged, never followed. */
pc__trust pc__path_trusted(const pc__acl_ops *ops, const wchar_t *path, char *message, size_t cap);

#endif
