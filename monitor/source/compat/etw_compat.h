/* etw_compat.h - what mingw-w64 v10's ETW/TDH headers lack, with the Windows SDK's values.
 *
 * Include this instead of the Windows headers in portclash's Windows sources: it includes
 * them in the order mingw wants (winsock2.h before windows.h) and then fills the gaps found
 * in shared/reference/toolchain.md section 2. Every definition is guarded, so a newer
 * mingw-w64 (or the real SDK) that has them wins. Values: evntprov.h, evntrace.h, evntcons.h
 * and tdh.h of the Windows 10/11 SDK, as documented on learn.microsoft.com (pages cited by
 * name below). */
#ifndef PC_ETW_COMPAT_H
#define PC_ETW_COMPAT_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h must come before windows.h, and windows.h before the rest */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <evntrace.h>
#include <evntcons.h>
#include <tdh.h>
/* clang-format on */

/* EVENT_FILTER_DESCRIPTOR.Type values and EVENT_FILTER_EVENT_ID ("EVENT_FILTER_EVENT_ID
 * structure (evntprov.h)": Windows 8.1 / Server 2012 R2 and later). */
#ifndef EVENT_FILTER_TYPE_EVENT_ID
#define EVENT_FILTER_TYPE_NONE (0x00000000)
#define EVENT_FILTER_TYPE_PID (0x80000004)
#define EVENT_FILTER_TYPE_EXECUTABLE_NAME (0x80000008)
#define EVENT_FILTER_TYPE_PAYLOAD (0x80000100)
#define EVENT_FILTER_TYPE_EVENT_ID (0x80000200)
#define EVENT_FILTER_TYPE_EVENT_NAME (0x80000400)
#define MAX_EVENT_FILTER_EVENT_ID_COUNT (64)
#define MAX_EVENT_FILTER_PID_COUNT (8)
#pragma pack(push, 1)
typedef struct _EVENT_FILTER_EVENT_ID {
  BOOLEAN FilterIn;
  UCHAR Reserved;
  USHORT Count;
  USHORT Events[ANYSIZE_ARRAY];
} EVENT_FILTER_EVENT_ID, *PEVENT_FILTER_EVENT_ID;
#pragma pack(pop)
#endif

/* ENABLE_TRACE_PARAMETERS.EnableProperty ("ENABLE_TRACE_PARAMETERS structure (evntrace.h)":
 * PROCESS_START_KEY is Windows 10 1507+, and Windows 7 SP1 / 8.1 with a patch). */
#ifndef EVENT_ENABLE_PROPERTY_PSM_KEY
#define EVENT_ENABLE_PROPERTY_PSM_KEY 0x00000008
#define EVENT_ENABLE_PROPERTY_IGNORE_KEYWORD_0 0x00000010
#define EVENT_ENABLE_PROPERTY_PROVIDER_GROUP 0x00000020
#define EVENT_ENABLE_PROPERTY_ENABLE_KEYWORD_0 0x00000040
#endif
#ifndef EVENT_ENABLE_PROPERTY_PROCESS_START_KEY
#define EVENT_ENABLE_PROPERTY_PROCESS_START_KEY 0x00000080
#define EVENT_ENABLE_PROPERTY_EVENT_KEY 0x00000100
#define EVENT_ENABLE_PROPERTY_EXCLUDE_INPRIVATE 0x00000200
#endif

/* EVENT_HEADER_EXTENDED_DATA_ITEM.ExtType values ("EVENT_HEADER_EXTENDED_DATA_ITEM structure
 * (evntcons.h)"); mingw v10 stops at PMC_COUNTERS. */
#ifndef EVENT_HEADER_EXT_TYPE_PROCESS_START_KEY
#define EVENT_HEADER_EXT_TYPE_PSM_KEY 0x0009
#define EVENT_HEADER_EXT_TYPE_EVENT_KEY 0x000A
#define EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL 0x000B
#define EVENT_HEADER_EXT_TYPE_PROV_TRAITS 0x000C
#define EVENT_HEADER_EXT_TYPE_PROCESS_START_KEY 0x000D
#endif

/* _TDH_IN_TYPE ("TDH_INTYPE enumeration"); as macros after tdh.h, harmless if a newer
 * header already has the enumerators. Only the ones portclash reads. */
#ifndef PC_TDH_INTYPES_DEFINED
#define PC_TDH_INTYPES_DEFINED
#ifndef TDH_INTYPE_NULL
#define TDH_INTYPE_NULL 0
#define TDH_INTYPE_UNICODESTRING 1
#define TDH_INTYPE_ANSISTRING 2
#define TDH_INTYPE_INT8 3
#define TDH_INTYPE_UINT8 4
#define TDH_INTYPE_INT16 5
#define TDH_INTYPE_UINT16 6
#define TDH_INTYPE_INT32 7
#define TDH_INTYPE_UINT32 8
#define TDH_INTYPE_INT64 9
#define TDH_INTYPE_UINT64 10
#define TDH_INTYPE_FLOAT 11
#define TDH_INTYPE_DOUBLE 12
#define TDH_INTYPE_BOOLEAN 13
#define TDH_INTYPE_BINARY 14
#define TDH_INTYPE_GUID 15
#define TDH_INTYPE_POINTER 16
#define TDH_INTYPE_FILETIME 17
#define TDH_INTYPE_SYSTEMTIME 18
#define TDH_INTYPE_SID 19
#define TDH_INTYPE_HEXINT32 20
#define TDH_INTYPE_HEXINT64 21
#define TDH_INTYPE_COUNTEDSTRING 300
#define TDH_INTYPE_COUNTEDANSISTRING 301
#define TDH_INTYPE_SIZET 308
#define TDH_INTYPE_WBEMSID 310
#endif
#endif

#endif
