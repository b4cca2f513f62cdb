/* etl_format.c - the on-disk byte layouts of an ETL file.
 *
 * Microsoft does not document the file format. The layouts below come from Geoff
 * Chappell's ETW studies (WMI_BUFFER_HEADER, SYSTEM_TRACE_HEADER, TRACE_LOGFILE_HEADER,
 * the trace header types) and were checked byte by byte on the sample captures in
 * shared/samples/etl (see reference/etw-facts.md section 8). Everything is little-endian
 * and read through the bounds-checked helpers below, never through casts. */
#include <stddef.h>
#include <string.h>

#include "etl_internal.h"
#include "pc_error.h"
#include "pc_le.h"
#include "pc_text.h"

static int64_t rd64s(const uint8_t *p) {
  return (int64_t)pc_le64(p);
}

/* One little-endian field of an on-disk header: its byte offset from the header's start
 * and the struct member it fills, whose size is the field's width on disk. */
typedef struct field {
  uint16_t at;
  uint16_t member; /* offsetof */
  uint8_t width;   /* sizeof the member: 1, 2, 4 or 8 */
} field;

#define FIELD(type, m, at) \
  { (at), offsetof(type, m), sizeof(((type *)0)->m) }

/* Reads the n fields of f from the header at p (the caller has checked that they lie
 * inside it) into the struct at out. */
static void read_fields(const uint8_t *p, const field *f, size_t n, void *out) {
  for (; n; n--, f++) {
    unsigned char *dst = (unsigned char *)out + f->member;
    const uint8_t *src = p + f->at;
    if (f->width == 1) {
      *dst = *src;
    } else if (f->width == 2) {
      uint16_t v = pc_le16(src);
      memcpy(dst, &v, sizeof v);
    } else if (f->width == 4) {
      uint32_t v = pc_le32(src);
      memcpy(dst, &v, sizeof v);
    } else {
      uint64_t v = pc_le64(src);
      memcpy(dst, &v, sizeof v);
    }
  }
}

/* WMI_BUFFER_HEADER. */
static const field bufhdr_fields[] = {
    FIELD(pc__etl_bufhdr, buffer_size, 0x00),  /* BufferSize */
    FIELD(pc__etl_bufhdr, saved_offset, 0x04), /* SavedOffset */
    FIELD(pc__etl_bufhdr, timestamp, 0x10),    /* TimeStamp */
    FIELD(pc__etl_bufhdr, seq, 0x18),          /* SequenceNumber */
    FIELD(pc__etl_bufhdr, state, 0x2C),        /* State */
    FIELD(pc__etl_bufhdr, offset, 0x30),       /* Offset */
    FIELD(pc__etl_bufhdr, flags, 0x34),        /* BufferFlag */
    FIELD(pc__etl_bufhdr, type, 0x36),         /* BufferType */
};

void pc__etl_parse_bufhdr(const uint8_t *p, pc__etl_bufhdr *h) {
  read_fields(p, bufhdr_fields, sizeof bufhdr_fields / sizeof bufhdr_fields[0], h);
  /* ETW_BUFFER_CONTEXT at 0x28: a u16 ProcessorIndex when BufferFlag has PROC_INDEX
   * (Windows 10 and later), otherwise a u8 ProcessorNumber followed by a u8 Alignment
   * (seen as 0x08 in the Windows 7 sample, so it must not be read as part of the index). */
  h->cpu = (h->flags & PC__ETL_BUF_FLAG_PROC_INDEX) ? pc_le16(p + 0x28) : p[0x28];
}

/* Trace header types (byte 2 of the marker when byte 3 has 0xC0 set). */
enum {
  HT_SYSTEM32 = 0x01,
  HT_SYSTEM64 = 0x02,
  HT_COMPACT32 = 0x03,
  HT_COMPACT64 = 0x04,
  HT_PERFINFO32 = 0x10,
  HT_PERFINFO64 = 0x11,
  HT_EVENT32 = 0x12,
  HT_EVENT64 = 0x13,
};

#define EVENT_HEADER_SIZE 0x50u
#define SYSTEM_HEADER_SIZE 0x20u

/* Header types whose first u16 is a version and whose size is the u16 at +4 (the
 * "Packet" of SYSTEM_TRACE_HEADER, COMPACT and PERFINFO headers); all the others
 * (EVENT_HEADER, FULL_HEADER, INSTANCE, WPP messages) start with their size. */
static bool size_at_4(unsigned type) {
  return type == HT_SYSTEM32 || type == HT_SYSTEM64 || type == HT_COMPACT32 || type == HT_COMPACT64 ||
         type == HT_PERFINFO32 || type == HT_PERFINFO64;
}

/* The fixed part each header type must at least have, so a size smaller than it is
 * recognised as corrupt instead of being walked into. */
static uint32_t min_size(unsigned type) {
  switch (type) {
    case HT_SYSTEM32:
    case HT_SYSTEM64:
      return SYSTEM_HEADER_SIZE;
    case HT_COMPACT32:
    case HT_COMPACT64:
      return 0x18;
    case HT_PERFINFO32:
    case HT_PERFINFO64:
      return 0x10;
    case HT_EVENT32:
    case HT_EVENT64:
      return EVENT_HEADER_SIZE;
    default:
      return 8;
  }
}

int pc__etl_record_size(const uint8_t *p, size_t avail, int *kind, uint32_t *size, const char **why) {
  uint32_t marker = pc_le32(p);
  unsigned flags = marker >> 24, type = (marker >> 16) & 0xFF;
  if (marker == 0xFFFFFFFFu) {
    /* ETW fills unused buffer space with 0xFF; a reader meeting it has reached the end
     * of the data even if SavedOffset says otherwise. [INF] */
    *kind = PC__ETL_REC_PADDING;
    *size = 0;
    return PC_OK;
  }
  if ((flags & 0x80) == 0) {
    /* Every record written since Windows 2000 carries TRACE_HEADER_FLAG (0x80). */
    *why = "not a trace header (marker lacks flag 0x80)";
    return PC_ECORRUPT;
  }
  uint32_t sz;
  if ((flags & 0xC0) == 0xC0 && size_at_4(type)) {
    if (avail < 8) {
      *why = "record header cut off by the buffer end";
      return PC_ECORRUPT;
    }
    sz = pc_le16(p + 4);
  } else {
    /* EVENT_HEADER / FULL / INSTANCE headers, and the WPP/WinTrace messages whose marker
     * has 0x9000 in its high half (TRACE_HEADER_FLAG | TRACE_MESSAGE): size first. */
    sz = marker & 0xFFFF;
  }
  uint32_t need = (flags & 0xC0) == 0xC0 ? min_size(type) : 8;
  if (sz == 0) {
    *why = "record size 0";
    return PC_ECORRUPT;
  }
  if (sz < need) {
    *why = "record size smaller than its header";
    return PC_ECORRUPT;
  }
  if ((flags & 0xC0) == 0xC0 && type == HT_EVENT32)
    *kind = PC__ETL_REC_EVENT32;
  else if ((flags & 0xC0) == 0xC0 && type == HT_EVENT64)
    *kind = PC__ETL_REC_EVENT64;
  else
    *kind = PC__ETL_REC_OTHER;
  *size = sz;
  return PC_OK;
}

bool pc__etl_record_time(const uint8_t *p, uint32_t size, int64_t *raw) {
  uint32_t marker = pc_le32(p);
  unsigned flags = marker >> 24, type = (marker >> 16) & 0xFF;
  if ((flags & 0xC0) != 0xC0) return false; /* WPP messages: the time is optional */
  /* PERFINFO headers keep their time right after Marker and Packet; SYSTEM, COMPACT,
   * EVENT_HEADER, FULL_HEADER and INSTANCE headers keep it at +0x10. */
  uint32_t at = (type == HT_PERFINFO32 || type == HT_PERFINFO64) ? 8 : 0x10;
  if (size < at + 8) return false;
  *raw = rd64s(p + at);
  return true;
}

static void rd_guid(const uint8_t *p, pc_guid *g) {
  g->data1 = pc_le32(p);
  g->data2 = pc_le16(p + 4);
  g->data3 = pc_le16(p + 6);
  memcpy(g->data4, p + 8, 8);
}

/* EVENT_HEADER_EXT_TYPE_PROCESS_START_KEY (evntcons.h). */
#define EXT_TYPE_PROCESS_START_KEY 0x000D

int pc__etl_parse_event(const uint8_t *p, uint32_t size, int kind, pc_record *rec, int64_t *raw_ts,
                        const char **why, uint32_t *bad_at) {
  /* EVENT_HEADER as documented, except that the first u32 is Size | HeaderType |
   * MarkerFlags instead of Size | HeaderType(u16). */
  uint16_t flags = pc_le16(p + 0x04);
  memset(rec, 0, sizeof *rec);
  rec->tid = pc_le32(p + 0x08);
  rec->pid = pc_le32(p + 0x0C);
  *raw_ts = rd64s(p + 0x10);
  rd_guid(p + 0x18, &rec->provider);
  rec->id = pc_le16(p + 0x28);
  rec->version = p[0x2A];
  rec->channel = p[0x2B];
  rec->level = p[0x2C];
  rec->opcode = p[0x2D];
  rec->task = pc_le16(p + 0x2E);
  rec->keyword = pc_le64(p + 0x30);
  /* Files on disk do not carry the 32/64-bit flags (the consumer API adds them), so the
   * pointer size comes from the header type. [CHK on the samples: flags 0x0 or 0x1] */
  flags &= (uint16_t) ~(PC_RECORD_FLAG_32BIT_HEADER | PC_RECORD_FLAG_64BIT_HEADER);
  flags |= kind == PC__ETL_REC_EVENT32 ? PC_RECORD_FLAG_32BIT_HEADER : PC_RECORD_FLAG_64BIT_HEADER;
  rec->flags = flags;

  uint32_t at = EVENT_HEADER_SIZE;
  if (flags & PC_RECORD_FLAG_EXTENDED_INFO) {
    /* Extended items: {u16 reserved1 (the item's aligned size on disk), u16 ext_type,
     * u16 reserved2 (bit 0: another item follows), u16 data_size} then the data, each
     * item padded to 8 bytes. [SRC etl-parser event.py; CHK lxcore_kernel.etl] */
    for (;;) {
      if (size - at < 8) {
        *why = "extended data item header runs past the record end";
        *bad_at = at;
        return PC_ECORRUPT;
      }
      uint16_t type = pc_le16(p + at + 2), more = pc_le16(p + at + 4), len = pc_le16(p + at + 6);
      if (len > size - at - 8) {
        *why = "extended data item runs past the record end";
        *bad_at = at;
        return PC_ECORRUPT;
      }
      if (type == EXT_TYPE_PROCESS_START_KEY && len >= 8) {
        rec->process_start_key = pc_le64(p + at + 8);
        rec->ext_present |= PC_RECORD_EXT_PROCESS_START_KEY;
      }
      uint32_t step = (8u + len + 7u) & ~7u;
      at = step > size - at ? size : at + step;
      if (!(more & 1)) break;
    }
  }
  rec->user_data = p + at;
  rec->user_data_len = size - at;
  return PC_OK;
}

/* UTF-16LE (NUL-terminated, at most avail bytes) to UTF-8 in out[cap]; returns the
 * number of input bytes used including the terminator, or avail if there is none.
 * Unpaired surrogates become U+FFFD so the output is always valid UTF-8. */
static size_t utf16_to_utf8(const uint8_t *p, size_t avail, char *out, size_t cap) {
  size_t i = 0, o = 0;
  while (i + 2 <= avail) {
    uint32_t c = pc_le16(p + i);
    i += 2;
    if (c == 0) break;
    if (c >= 0xD800 && c < 0xDC00 && i + 2 <= avail) {
      uint32_t lo = pc_le16(p + i);
      if (lo >= 0xDC00 && lo < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      } else {
        c = 0xFFFD;
      }
    } else if (c >= 0xD800 && c < 0xE000) {
      c = 0xFFFD;
    }
    char enc[4];
    size_t n = pc_utf8_encode(c, enc);
    if (o + n + 1 > cap) {
      /* Keep whole characters only; keep consuming input to find the terminator. */
      continue;
    }
    memcpy(out + o, enc, n);
    o += n;
  }
  if (cap) out[o] = '\0';
  return i;
}

/* TRACE_LOGFILE_HEADER up to LoggerName; PointerSize (at 44) is checked by hand. */
static const field logfile_fields[] = {
    FIELD(pc_etl_info, buffer_size, 0),       /* BufferSize */
    FIELD(pc_etl_info, os_major, 4),          /* Version: MajorVersion */
    FIELD(pc_etl_info, os_minor, 5),          /* MinorVersion */
    FIELD(pc_etl_info, os_sp_major, 6),       /* SubVersion */
    FIELD(pc_etl_info, os_sp_minor, 7),       /* SubMinorVersion */
    FIELD(pc_etl_info, os_build, 8),          /* ProviderVersion */
    FIELD(pc_etl_info, cpu_count, 12),        /* NumberOfProcessors */
    FIELD(pc_etl_info, end_time, 16),         /* EndTime */
    FIELD(pc_etl_info, timer_resolution, 24), /* TimerResolution */
    FIELD(pc_etl_info, max_file_size_mb, 28), /* MaximumFileSize */
    FIELD(pc_etl_info, log_file_mode, 32),    /* LogFileMode */
    FIELD(pc_etl_info, buffers_written, 36),  /* BuffersWritten */
    FIELD(pc_etl_info, events_lost, 48),      /* EventsLost */
    FIELD(pc_etl_info, cpu_speed_mhz, 52),    /* CpuSpeedInMHz */
};

/* TRACE_LOGFILE_HEADER from BootTime on, whose offset depends on the pointer size. */
static const field logfile_boot_fields[] = {
    FIELD(pc_etl_info, boot_time, 0),     /* BootTime */
    FIELD(pc_etl_info, perf_freq, 8),     /* PerfFreq */
    FIELD(pc_etl_info, start_time, 16),   /* StartTime */
    FIELD(pc_etl_info, clock_type, 24),   /* ReservedFlags: the clock type */
    FIELD(pc_etl_info, buffers_lost, 28), /* BuffersLost */
};

int pc__etl_parse_logheader(const uint8_t *p, size_t avail, pc_etl_info *info, int64_t *anchor_raw,
                            const char **why, uint32_t *bad_at) {
  *bad_at = 0;
  if (avail < SYSTEM_HEADER_SIZE) {
    *why = "header buffer too small for the log-file header";
    return PC_ECORRUPT;
  }
  uint32_t marker = pc_le32(p);
  unsigned type = (marker >> 16) & 0xFF;
  /* SYSTEM_TRACE_HEADER: Version u16 = 2, HeaderType SYSTEM32/64, MarkerFlags 0xC0, then
   * Packet {Size u16, HookId u16 = 0 (EVENT_TRACE_GROUP_HEADER, type INFO)}. */
  if ((marker >> 24) != 0xC0 || (type != HT_SYSTEM32 && type != HT_SYSTEM64)) {
    *why = "first record is not a SYSTEM_TRACE_HEADER (marker 0xC0010002/0xC0020002)";
    return PC_ECORRUPT;
  }
  if (pc_le16(p + 6) != 0) {
    *bad_at = 6;
    *why = "first record is not the log-file header (HookId is not 0)";
    return PC_ECORRUPT;
  }
  uint32_t size = pc_le16(p + 4);
  /* The pointer size of the logging kernel decides where the fields after LoggerName
   * and LogFileName (two pointers) sit. */
  uint32_t ptr = type == HT_SYSTEM64 ? 8 : 4;
  /* Offsets inside TRACE_LOGFILE_HEADER: TIME_ZONE_INFORMATION (172 bytes) follows the
   * two pointers; BootTime is 8-aligned after it. [CHK: 0x118 bytes for 64-bit] */
  uint32_t tz = 56 + 2 * ptr;
  uint32_t boot = (tz + 172 + 7) & ~7u;
  uint32_t fixed = boot + 8 + 8 + 8 + 4 + 4; /* BootTime PerfFreq StartTime ReservedFlags BuffersLost */
  if (size < SYSTEM_HEADER_SIZE + fixed) {
    *bad_at = 4;
    *why = "log-file header record is shorter than TRACE_LOGFILE_HEADER";
    return PC_ECORRUPT;
  }
  if (size > avail) {
    *bad_at = 4;
    *why = "log-file header record runs past the header buffer's data";
    return PC_ECORRUPT;
  }
  *anchor_raw = rd64s(p + 0x10); /* SystemTime: the raw clock when the header was written */
  const uint8_t *h = p + SYSTEM_HEADER_SIZE;
  read_fields(h, logfile_fields, sizeof logfile_fields / sizeof logfile_fields[0], info);
  uint32_t pointer_size = pc_le32(h + 44);
  info->pointer_size = (pointer_size == 4 || pointer_size == 8) ? pointer_size : ptr;
  read_fields(h + boot, logfile_boot_fields, sizeof logfile_boot_fields / sizeof logfile_boot_fields[0],
              info);
  /* LoggerName and LogFileName follow as NUL-terminated UTF-16 strings inside the
   * record; either may be missing in a short record. */
  size_t str_at = SYSTEM_HEADER_SIZE + fixed;
  size_t used = utf16_to_utf8(p + str_at, size - str_at, info->logger_name, sizeof info->logger_name);
  str_at += used;
  utf16_to_utf8(p + str_at, size - str_at, info->log_file_name, sizeof info->log_file_name);
  return PC_OK;
}
