/* pc_xpress.h - XPRESS ("LZ77 without Huffman", [MS-XCA] 2.3/2.4) decompression.
 *
 * ETW writes compressed ETL buffers with RtlCompressBuffer(COMPRESSION_FORMAT_XPRESS),
 * which produces one plain-LZ77 stream per buffer. This decoder is the portable
 * replacement for RtlDecompressBuffer on that format only; it never reads outside `in`
 * and never writes outside `out`. */
#ifndef PC_XPRESS_H
#define PC_XPRESS_H

#include <stddef.h>
#include <stdint.h>

/* COMPRESSION_FORMAT_* numbers as Windows uses them (ntifs.h); the ETL header stores
 * one of these when the file was written with EVENT_TRACE_COMPRESSED_MODE. */
#define PC_COMPRESSION_NONE 0
#define PC_COMPRESSION_LZNT1 2
#define PC_COMPRESSION_XPRESS 3
#define PC_COMPRESSION_XPRESS_HUFF 4

/* Returns a static name for a COMPRESSION_FORMAT_* number ("XPRESS", "LZNT1", ...,
 * "unknown"); never NULL. */
const char *pc_compression_name(unsigned format);

/* Decompresses the plain-LZ77 stream in[0..in_len) into out[0..out_cap).
 *
 * On success returns PC_OK and stores the number of bytes produced in *out_len. The
 * stream ends either at its end-of-stream marker (a match flag with no input left) or
 * when the input is exhausted at a flag or literal boundary.
 * On failure returns PC_ECORRUPT (bad match offset, truncated match or flag word, bad
 * length encoding) or PC_EOVERFLOW (the output would exceed out_cap); *err_at then holds
 * the input offset of the token at fault and *why a static description. *out_len holds
 * the bytes produced so far in both cases. err_at and why may be NULL. */
int pc_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                         size_t *err_at, const char **why);

#endif
