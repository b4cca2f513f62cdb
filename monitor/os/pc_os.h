/* pc_os.h - the one OS layer: threads, clocks, files, the state directory, the host name and
 * sockets, with one POSIX (os-posix.c, state_dir-posix.c, socket-posix.c) and one Windows
 * implementation (os-win.c, state_dir-win.c, socket-win.c) chosen by CMake. The portable
 * code above this layer has no #ifdef for the platform.
 *
 * OS errors: functions that return pc_err translate errno / Win32 / Winsock codes in their
 * own platform file; functions that return an OS code (sockets) say so, and the system's
 * text for it comes from pc_os_sock_strerror / pc_os_error_text. */
#ifndef PC_OS_H
#define PC_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_addr.h"
#include "pc_error.h"
#include "pc_time.h"

/* ---- threads and clocks ---- */
typedef struct pc_os_mutex pc_os_mutex;
typedef struct pc_os_cond pc_os_cond;
typedef struct pc_os_thread pc_os_thread;
pc_os_mutex *pc_os_mutex_new(void);
void pc_os_mutex_free(pc_os_mutex *m);
void pc_os_mutex_lock(pc_os_mutex *m);
void pc_os_mutex_unlock(pc_os_mutex *m);
pc_os_cond *pc_os_cond_new(void);
void pc_os_cond_free(pc_os_cond *c);
void pc_os_cond_wait_ms(pc_os_cond *c, pc_os_mutex *m, uint64_t ms); /* may wake early */
void pc_os_cond_broadcast(pc_os_cond *c);
pc_err pc_os_thread_start(pc_os_thread **t, void (*fn)(void *), void *arg);
void pc_os_thread_join(pc_os_thread *t);
uint64_t pc_os_clock_ms(void); /* monotonic */
pc_time pc_os_clock_now(void); /* wall clock */
uint32_t pc_os_self_pid(void);
bool pc_os_is_terminal(FILE *f);
void pc_os_error_text(char *buf, size_t cap); /* text of the last OS error */

typedef struct pc_os_file pc_os_file;
/* Opens path for appending (creating it 0640); *size is its current size. */
pc_err pc_os_file_open(const char *path, pc_os_file **out, uint64_t *size);
/* Appends the n bytes with one write. A short write (disk full) is undone by truncating
 * back, so the file never holds a torn line. PC_EIO with the OS error text available. */
pc_err pc_os_file_append(pc_os_file *f, const void *p, size_t n);
/* false when path no longer names this open file (deleted, moved, directory gone). */
bool pc_os_file_is_current(pc_os_file *f, const char *path);
bool pc_os_file_is_regular(pc_os_file *f);
void pc_os_file_close(pc_os_file *f);
pc_err pc_os_file_rename(const char *from, const char *to); /* PC_ENOENT when from is absent */

/* This machine's name (the "host" of findings and syslog records) into buf, "" when it
 * cannot be found. */
void pc_host_name(char *buf, size_t cap);

/* ---- the state directory ----
 * Where portclash keeps what it remembers between runs (learned ports, the last range
 * snapshot), and how a state file is read and replaced.
 *
 * The directory is $PC_STATE_DIR when set, else the platform default: on Linux and other
 * POSIX systems the first path of $STATE_DIRECTORY (set by systemd for StateDirectory=; it
 * may list several, separated by ':'), else $XDG_STATE_HOME/portclash, else
 * ~/.local/state/portclash (state_dir-posix.c);
 * on Windows %ProgramData%\portclash (state_dir-win.c). State files are small text files
 * written whole: a temporary file next to the target, flushed to disk, then renamed over it,
 * so a crash leaves either the old or the new file, never half of one. */

/* Largest state file read back (a bound on hostile or runaway files). */
#define PC_STATE_FILE_MAX ((size_t)4 * 1024 * 1024)

/* Writes the default state directory into buf. PC_OK, PC_ENOENT when no variable the
 * platform relies on is set (buf ""), PC_EOVERFLOW when it does not fit cap. */
int pc_state_dir_default(char *buf, size_t cap);

/* The policy above with the environment passed in (NULL = unset; "" counts as unset), for
 * tests and for callers with their own environment: pc_state_dir, then xdg_state_home +
 * "/portclash", then home + "/.local/state/portclash" (POSIX); pc_state_dir, then
 * program_data + "\portclash" (Windows: program_data given, xdg/home ignored). */
int pc_state_dir_resolve(const char *pc_state_dir, const char *xdg_state_home, const char *home,
                         const char *program_data, char *buf, size_t cap);

/* Reads dir/name whole into a NUL-terminated heap buffer (*out, caller frees). PC_OK,
 * PC_ENOENT (no such file: the normal first run), PC_ELIMIT (larger than PC_STATE_FILE_MAX),
 * PC_EIO, PC_ENOMEM. */
int pc_state_read(const char *dir, const char *name, char **out, size_t *len);

/* Replaces dir/name with data[0..len) atomically (see above), creating dir (and its parents)
 * when missing. PC_OK, or PC_EIO / PC_EPRIV / PC_ENOMEM with err set to a sentence naming the
 * path. */
int pc_state_write(const char *dir, const char *name, const char *data, size_t len, char *err, size_t errcap);

/* For loaders: pc_state_read, with origin (origin_cap bytes) set to the path "dir<sep>name"
 * for the parser's messages. PC_ENOENT as pc_state_read, err untouched; any other failure
 * sets err to "cannot read ORIGIN (REASON); THEN" and is returned, PC_ELIMIT as PC_ECORRUPT
 * (the file is damaged, not the program). */
int pc_state_load(const char *dir, const char *name, const char *then, char *origin, size_t origin_cap,
                  char **text, size_t *len, char *err, size_t errcap);

/* For savers: writes text[0..len), made by a formatter that returned format_rc, to dir/name
 * (pc_state_write) and frees it. When the formatter failed (text not set) err says "out of
 * memory" and format_rc is returned. */
int pc_state_save(const char *dir, const char *name, int format_rc, char *text, size_t len, char *err,
                  size_t errcap);

/* ---- sockets (BSD sockets on POSIX, Winsock on Windows) ----
 * Errors are the OS's own codes (errno values, Winsock codes), so that their texts are the
 * system's; 0 means no error. */
/* A socket: a file descriptor on POSIX, a SOCKET on Windows. */
typedef uintptr_t pc_os_sock;
#define PC_OS_NO_SOCK ((pc_os_sock)-1) /* -1 and INVALID_SOCKET */

/* Resolves host and port (every time, so a collector that moved to a new address is found
 * again) and connects a TCP (tcp) or UDP socket, a TCP connect with a timeout. Returns the
 * socket, or PC_OS_NO_SOCK with the OS error in *os_err. */
pc_os_sock pc_os_sock_connect(const char *host, const char *port, bool tcp, int *os_err);

/* A syslog collector never talks back: a readable TCP socket means it closed or reset.
 * Returns 0 while the connection looks alive, else the OS error to report (reset). */
int pc_os_sock_peer_closed(pc_os_sock fd);

/* One send of up to n bytes (a datagram goes whole). PC_OK with *sent bytes; otherwise the OS
 * error in *os_err and PC_EAGAIN when the call was interrupted (worth repeating at once),
 * PC_ELIMIT when the message is too long for the socket (a datagram that can never fit), else
 * PC_ENET. */
pc_err pc_os_sock_send(pc_os_sock fd, const char *p, size_t n, size_t *sent, int *os_err);

/* Binds (and, for TCP, listens on) a throw-away socket at addr to see whether a bind would
 * succeed now, with SO_REUSEADDR when reuseaddr. PC_OK with *os_error the OS's error (0 =
 * the bind worked; errno on POSIX, the WSA code on Windows) and *stage the call that gave it
 * ("socket", "bind", "listen"); PC_EINVAL for an address without a family. */
int pc_os_test_bind(uint8_t proto, const pc_addr *addr, bool reuseaddr, int *os_error, const char **stage);

/* Writes the platform's socket address for a (port included) into ss, a struct
 * sockaddr_storage of cap bytes. Returns its length: 0 for an address without a family or a
 * buffer smaller than sockaddr_storage. */
size_t pc_os_sockaddr(const pc_addr *a, void *ss, size_t cap);

/* Closes fd; PC_OS_NO_SOCK is ignored. */
void pc_os_sock_close(pc_os_sock fd);

/* The system's text for the OS error os_err. */
void pc_os_sock_strerror(int os_err, char *buf, size_t cap);

/* ---- running a program (spawn-posix.c / spawn-win.c) ----
 * One way to run an external tool (netsh, netstat, ss, ...) and keep what it printed. */

/* What a run gave. output holds standard output and standard error interleaved as written,
 * NUL-terminated (heap; free with pc_os_run_result_free). */
typedef struct pc_os_run_result {
  int exit_code;  /* the program's exit status; -1 when it did not exit by itself */
  bool timed_out; /* killed after timeout_ms */
  bool truncated; /* it printed more than max_bytes: the rest was discarded and it was killed */
  char *output;
  size_t len;
} pc_os_run_result;

/* Runs argv[0] with the arguments argv[1..] (argv ends with NULL), standard input from the
 * null device, standard output and error captured together, and waits at most timeout_ms
 * for it to end (then it is killed). argv[0] without a path separator is looked up where
 * the system keeps its tools: POSIX: $PATH, else /usr/sbin:/usr/bin:/sbin:/bin; Windows:
 * the System32 folder only (never the current directory). Returns PC_OK when the program
 * ran (whatever its exit status: see res); PC_ENOENT when it does not exist, PC_ENOMEM,
 * PC_EIO when it could not be started (pc_os_error_text says why). res->output is NULL
 * unless PC_OK. */
pc_err pc_os_run(const char *const *argv, uint32_t timeout_ms, size_t max_bytes, pc_os_run_result *res);
void pc_os_run_result_free(pc_os_run_result *res);

/* Creates the folder path (its parent must exist; mode 0750 on POSIX). PC_OK when it was
 * created or is an empty folder already; PC_EEXIST when it is a folder with something in it;
 * PC_ENOTFILE when path is something else; PC_ENOENT / PC_EPRIV / PC_EIO otherwise. */
pc_err pc_os_dir_create(const char *path);

/* True when path is a folder (links followed). */
bool pc_os_is_dir(const char *path);

#endif
