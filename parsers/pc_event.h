/* pc_event.h - a decoded, typed event: what one ETW record says, with no layout left.
 *
 * Plain data, no heap pointers. Produced by pc_decoder_decode from a pc_record; consumed
 * by the correlator. Fields a given event does not carry keep their *_known flag false. */
#ifndef PC_EVENT_H
#define PC_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_addr.h"
#include "pc_time.h"

typedef enum pc_event_kind {
  PC_EV_NONE = 0,           /* understood but carries nothing we use (Start events) */
  PC_EV_SOCKET_CREATE,      /* AFD 1000/1, Winsock-Sockets 2 */
  PC_EV_SOCKET_CLOSE,       /* AFD 1001/1002/13/14, Winsock-Sockets 4 */
  PC_EV_BIND,               /* AFD 1030/1029/2/3 (enter or exit), Winsock-Sockets 12 */
  PC_EV_BIND_FAIL,          /* AFD 40, TCPIP 1005-1007, 1393-1395 */
  PC_EV_BIND_OK,            /* TCPIP 1008, 1396 */
  PC_EV_LISTEN,             /* AFD 1037, Winsock-Sockets 16 */
  PC_EV_LISTEN_FAIL,        /* TCPIP 1121/1122 */
  PC_EV_LISTEN_OK,          /* TCPIP 1123 */
  PC_EV_LISTEN_CLOSE,       /* TCPIP 1124 */
  PC_EV_SOCKOPT,            /* AFD 1035/29, Winsock-Sockets 8 */
  PC_EV_ENDPOINT_CREATE,    /* TCPIP 1001, 1013, 1391 */
  PC_EV_ENDPOINT_CLOSE,     /* TCPIP 1009, 1397, 1398 */
  PC_EV_CREATE_FAIL,        /* TCPIP 1010-1012, 1562, 1563 */
  PC_EV_CONNECT_PORT_FAIL,  /* TCPIP 1050 */
  PC_EV_PORT_RESERVATION,   /* TCPIP 1052/1053 (per endpoint) */
  PC_EV_GLOBAL_RESERVATION, /* TCPIP 1054/1519: a range was reserved system-wide */
  PC_EV_PORT_ACQUIRE,       /* TCPIP 1191-1195 */
  PC_EV_BIND_DEFERRED,      /* TCPIP 1366 */
  PC_EV_KIND_COUNT
} pc_event_kind;

typedef struct pc_event {
  uint8_t kind;   /* pc_event_kind */
  uint8_t source; /* PC_SEEN_AFD / PC_SEEN_TCPIP / PC_SEEN_WINSOCK */
  uint8_t proto;  /* pc_proto when the event implies it (TCPIP TCP vs UDP events), else 0 */
  uint8_t version;
  uint16_t id;
  pc_time ts;
  uint32_t header_pid; /* EVENT_HEADER.ProcessId: not always the socket owner */
  uint32_t tid;
  uint64_t header_start_key; /* from the extended data, 0 if absent */

  bool enter_exit_known;
  uint32_t enter_exit; /* AFD: 0 request start, 1 request completed, 2-4 internal */
  uint32_t location;   /* AFD Location */
  uint64_t process;    /* AFD EPROCESS address */
  uint64_t endpoint;   /* AFD endpoint, TCPIP endpoint/listener, Winsock-Sockets socket handle */

  bool pid_known;
  uint32_t pid; /* from the payload */
  bool start_key_known;
  uint64_t start_key; /* from the payload (ProcessStartKey / ProcessSequenceNumber) */

  bool status_known;
  uint32_t status; /* NTSTATUS */
  bool wsa_known;
  uint32_t wsa_error; /* Winsock-Sockets ErrorCode */

  bool addr_known;
  pc_addr addr;
  bool family_known;
  uint32_t family_raw; /* AddressFamily as logged: 2, 23 */
  uint32_t socktype;
  uint32_t protocol; /* IPPROTO: 6 TCP, 17 UDP */

  bool opt_known;
  int32_t opt_level;
  int32_t opt_name;
  uint32_t opt_value;

  uint16_t start_port; /* reservations */
  uint16_t num_ports;
  uint32_t reservation_type;
  uint32_t backlog;
} pc_event;

const char *pc_event_kind_name(uint8_t kind);

#endif
