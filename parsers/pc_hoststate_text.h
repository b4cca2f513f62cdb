/* pc_hoststate_text.h - parsers for the raw text of Windows host-state tools.
 *
 * Inputs are the bytes an operator saved on the customer's machine:
 *   netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp   -> pc_netsh_parse_excluded
 *   netsh int ipv4|ipv6 show dynamicport tcp|udp                  -> pc_netsh_parse_dynamic
 *   netstat -ano (also -anoq)                                      -> pc_netstat_parse
 *   tasklist /fo csv [/nh] [/svc | /v]                             -> pc_tasklist_parse
 *   netsh http show servicestate view=requestq verbose=no          -> pc_netsh_http_parse
 *   netsh http show urlacl                                         -> pc_netsh_http_parse
 *
 * Headers and state words are localized on non-English Windows, so the parsers read data
 * rows by shape (digits, addresses, CSV fields), never by header text. Every parser accepts
 * UTF-8 (with or without BOM), UTF-16LE/BE with BOM (PowerShell's ">" writes UTF-16LE), CRLF
 * or LF line ends and trailing blanks. Bytes that are not valid UTF-8 (an OEM code page such
 * as CP850 "ABH\x99REN") are replaced by '?', so every string produced is valid UTF-8.
 *
 * Limits keep hostile input bounded: PC_HOSTTEXT_MAX_BYTES of input, PC_HOSTTEXT_MAX_LINE
 * bytes per line and PC_HOSTTEXT_MAX_ROWS rows; exceeding one gives PC_ELIMIT. Malformed data
 * gives PC_EPARSE. In both cases err receives "origin:line: message" (origin names the input,
 * usually the file path). Output arrays are heap-allocated and owned by the caller (free()). */
#ifndef PC_HOSTSTATE_TEXT_H
#define PC_HOSTSTATE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_addr.h"
#include "pc_attempt.h"
#include "pc_facts.h"

#define PC_HOSTTEXT_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define PC_HOSTTEXT_MAX_LINE 4096
#define PC_HOSTTEXT_MAX_ROWS ((size_t)1000000)
/* Capacity of the error buffers the parsers fill (callers may pass any size). */
#define PC_HOSTTEXT_ERR_MAX 512

/* ---- common text input ---------------------------------------------------------------- */

/* Converts data[0..len) to NUL-terminated UTF-8 in a new buffer (*out, caller frees):
 * strips a UTF-8 BOM, decodes UTF-16LE/BE when a BOM says so (or when the text is plainly
 * UTF-16LE without BOM: every odd byte of the first line is zero), and replaces invalid
 * UTF-8 sequences and NUL bytes by '?'. Line ends are left as they are. Returns PC_OK,
 * PC_ENOMEM, or PC_ELIMIT when len exceeds PC_HOSTTEXT_MAX_BYTES. */
int pc_text_to_utf8(const void *data, size_t len, char **out, size_t *out_len);

/* ---- netsh excludedportrange / dynamicport -------------------------------------------- */

/* One excluded (reserved) port range; start..end inclusive. proto is a pc_proto and family
 * a pc_family; 0 (unknown) means the range applies to every protocol / family. */
typedef struct pc_port_range {
  uint16_t start, end;
  bool administered; /* netsh marks it '*': added by an administrator, persistent */
  uint8_t proto;
  uint8_t family;
} pc_port_range;

/* The dynamic (ephemeral) port range: count ports from start. proto/family as above. */
typedef struct pc_dynamic_range {
  uint16_t start;
  uint32_t count; /* 1..65536; start + count - 1 <= 65535 */
  uint8_t proto;
  uint8_t family;
} pc_dynamic_range;

/* Parses `netsh int ipvX show excludedportrange protocol=P` output. Data rows are two
 * decimal numbers and an optional '*' ("     55679       55679     *"); every other line
 * (title, localized column names, dashes, the "* - Administered ..." footer) is skipped.
 * The protocol is read from the title, where netsh inserts the untranslated word "tcp" or
 * "udp" even in localized output; several outputs concatenated in one file are read as
 * sections. proto_hint / family_hint (0 = none) come from the caller; a proto_hint that
 * contradicts the title is an error, and family only ever comes from the hint (netsh does
 * not print it). A file with no data row must still show netsh's "----" separator line,
 * otherwise it is rejected as not being netsh output. On success *out (may be NULL when
 * *n == 0) holds *n ranges. */
int pc_netsh_parse_excluded(const void *data, size_t len, const char *origin, uint8_t proto_hint,
                            uint8_t family_hint, pc_port_range **out, size_t *n, char *err, size_t errcap);

/* Parses `netsh int ipvX show dynamicport P` output: in each section (a title naming tcp or
 * udp starts one) the first "label : number" line is the start port and the second the number
 * of ports, whatever the labels say. Hints as for pc_netsh_parse_excluded. At least one
 * complete section is required. */
int pc_netsh_parse_dynamic(const void *data, size_t len, const char *origin, uint8_t proto_hint,
                           uint8_t family_hint, pc_dynamic_range **out, size_t *n, char *err, size_t errcap);

/* ---- netstat -ano --------------------------------------------------------------------- */

/* One socket row. For UDP, remote is "*:*" (family PC_AF_UNKNOWN) and state is
 * PC_OWNER_STATE_UDP. */
typedef struct pc_owner_row {
  uint8_t proto; /* pc_proto */
  pc_addr local;
  pc_addr remote;
  uint8_t state; /* pc_owner_state */
  uint32_t pid;
} pc_owner_row;

/* Parses `netstat -ano` output. Rows start with TCP or UDP (never translated); the PID is the
 * last field and the state (possibly several words) sits between the foreign address and the
 * PID. English state words map to pc_owner_state; a few well-known translations too. A TCP
 * row whose word is not recognized is LISTEN when its foreign address is 0.0.0.0:0 or [::]:0
 * (the locale-independent mark of a listener), else OTHER. Lines not starting with TCP/UDP are
 * skipped (headers, `-b` image lines). A TCP/UDP line that does not parse is an error; a file
 * without any row is an error too (Windows always has listeners). */
int pc_netstat_parse(const void *data, size_t len, const char *origin, pc_owner_row **out, size_t *n,
                     char *err, size_t errcap);

/* ---- tasklist /fo csv ----------------------------------------------------------------- */

#define PC_SERVICES_MAX 256
/* Process rows are large (~600 bytes); a machine has a few thousand processes, so the row cap
 * is lower than for the other parsers to keep memory bounded (~40 MB at most). */
#define PC_TASKLIST_MAX_ROWS ((size_t)65536)

/* One process. Which fields are filled depends on the tasklist variant (the number of CSV
 * fields tells them apart): 5 fields = plain (image, PID, session name, session#, memory),
 * 3 = /svc (image, PID, services), 9 = /v (plain + status, user, CPU time, window title). */
typedef struct pc_process_row {
  uint32_t pid;
  char name[PC_NAME_MAX];
  char session_name[64];
  uint32_t session;
  bool session_known;
  uint64_t mem_kb; /* "12,345 K" -> 12345; 0 with mem_known false when absent or unreadable */
  bool mem_known;
  char services[PC_SERVICES_MAX]; /* "RpcEptMapper,RpcSs"; "" for N/A or unknown */
  bool services_known;            /* the row came from tasklist /svc */
  char user[PC_NAME_MAX];         /* tasklist /v only; "" otherwise or for N/A */
} pc_process_row;

/* Parses tasklist CSV output (RFC 4180: quoted fields, "" inside quotes, commas and line breaks
 * inside quotes). A first record whose PID field is not a number is taken as the (localized)
 * header of a run without /nh and skipped; later ones are errors. */
int pc_tasklist_parse(const void *data, size_t len, const char *origin, pc_process_row **out, size_t *n,
                      char *err, size_t errcap);

/* ---- netsh http show servicestate / urlacl (HTTP.sys) ---------------------------------- */

#define PC_HTTP_MAX_PIDS 4

/* One HTTP.sys URL: registered by a request queue (servicestate) or reserved for an account
 * (urlacl). Strings are "" when unknown. */
typedef struct pc_http_reg {
  char url[256];           /* as netsh prints it: "HTTP://+:80/Reports/" */
  uint16_t port;           /* from the URL; 80 / 443 by scheme when it has none */
  bool reservation;        /* from urlacl: reserved, not necessarily served now */
  char queue[PC_NAME_MAX]; /* request queue name (servicestate; "" for an unnamed queue) */
  uint32_t pids[PC_HTTP_MAX_PIDS];
  uint8_t n_pids;          /* processes attached to the queue */
  char image[PC_PATH_MAX]; /* the first process's image path */
  char user[PC_NAME_MAX];  /* urlacl: the account ("NT SERVICE\WinRM", "\Everyone") */
} pc_http_reg;

/* Parses the output of `netsh http show servicestate view=requestq verbose=no` and/or
 * `netsh http show urlacl` (both may be concatenated in one file), in any Windows language:
 * lines are read by shape (URL lines, "label: NUMBER, label: IMAGE" process lines, queue
 * titles in column 0), never by label words. A URL whose port is not a number is an error;
 * so is a text with neither a URL nor netsh's title underline. *out may be NULL when *n == 0. */
int pc_netsh_http_parse(const void *data, size_t len, const char *origin, pc_http_reg **out, size_t *n,
                        char *err, size_t errcap);

/* The registration that explains port best: a live one with processes, then a live one without,
 * then a reservation. NULL when none is on port. */
const pc_http_reg *pc_http_reg_find(const pc_http_reg *regs, size_t n, uint16_t port);

/* The Windows service known to own such a URL, from the queue's image file name (w3wp.exe ->
 * W3SVC, ReportingServicesService.exe -> SQLServerReportingServices, MsDepSvc.exe -> MsDepSvc)
 * or from the URL (/ReportServer, /MsDeployAgentService, the BranchCache GUIDs); NULL when
 * neither says. (shared/reference/causes-and-peers.md C07-C10.) */
const char *pc_http_reg_known_service(const pc_http_reg *r);

#endif
