#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_record.h"

const pc_guid PC_GUID_AFD = {0xE53C6823, 0x7BB8, 0x44BB, {0x90, 0xDC, 0x3F, 0x86, 0x09, 0x0D, 0x48, 0xA6}};
const pc_guid PC_GUID_TCPIP = {0x2F07E2EE, 0x15DB, 0x40F1, {0x90, 0xEF, 0x9D, 0x7B, 0xA2, 0x82, 0x18, 0x8A}};
const pc_guid PC_GUID_WINSOCK_SOCKETS = {
    0xBDE46AEA, 0x2357, 0x51FE, {0x73, 0x67, 0xD5, 0x29, 0x6F, 0x53, 0x0B, 0xD1}};

bool pc_guid_equal(const pc_guid *a, const pc_guid *b) {
  return a->data1 == b->data1 && a->data2 == b->data2 && a->data3 == b->data3 &&
         memcmp(a->data4, b->data4, 8) == 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int pc_guid_parse(const char *text, size_t len, pc_guid *out) {
  /* Accept exactly 8-4-4-4-12 hex digits, optionally inside braces. */
  if (len == 38 && text[0] == '{' && text[37] == '}') {
    text++;
    len -= 2;
  }
  if (len != 36) return PC_EPARSE;
  uint8_t bytes[16];
  size_t nb = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return PC_EPARSE;
      i++;
      continue;
    }
    int hi = hexval((unsigned char)text[i]), lo = hexval((unsigned char)text[i + 1]);
    if (hi < 0 || lo < 0) return PC_EPARSE;
    bytes[nb++] = (uint8_t)(hi << 4 | lo);
    i += 2;
  }
  out->data1 = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
  out->data2 = (uint16_t)(bytes[4] << 8 | bytes[5]);
  out->data3 = (uint16_t)(bytes[6] << 8 | bytes[7]);
  memcpy(out->data4, bytes + 8, 8);
  return PC_OK;
}

void pc_guid_format(const pc_guid *g, char buf[39]) {
  snprintf(buf, 39, "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", (unsigned)g->data1,
           (unsigned)g->data2, (unsigned)g->data3, g->data4[0], g->data4[1], g->data4[2], g->data4[3],
           g->data4[4], g->data4[5], g->data4[6], g->data4[7]);
}
