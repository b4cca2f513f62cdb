/* pc_file.h - reading a whole file into memory, bounded, with standard C stdio only; and
 * telling an archive from the file the user meant to give. */
#ifndef PC_FILE_H
#define PC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Opens path for binary reading when it is a regular file (symlinks are followed). A
 * directory, FIFO, socket or device is refused with PC_ENOTFILE without being opened:
 * opening a FIFO blocks until a writer comes, and /dev/zero or /dev/urandom never end.
 * Every reader of a file the user names (captures, rules, configuration, host-state text)
 * opens it here. Returns PC_OK and *out (close with fclose), PC_ENOENT, PC_EIO (errno tells
 * why) or PC_ENOTFILE. */
int pc_file_open(const char *path, FILE **out);

/* Reads the file at path into a new NUL-terminated heap buffer (*out, caller frees; *len
 * bytes without the NUL). A file of max bytes or more is refused. Returns PC_OK, PC_ENOENT
 * or PC_EIO (cannot open; errno tells why), PC_ENOTFILE (see pc_file_open), PC_EIO (read
 * error), PC_ELIMIT or PC_ENOMEM; on error *out is NULL. */
int pc_file_read(const char *path, size_t max, char **out, size_t *len);

/* The same for the rest of an open stream f, which stays open. With head, a stream of max
 * bytes or more is not refused: its first max bytes are returned with PC_OK. */
int pc_file_read_stream(FILE *f, size_t max, bool head, char **out, size_t *len);

/* True when the file at path starts like an archive or a compressed file (zip, gzip, tar,
 * xz, zstd, 7-Zip): a collect folder packed for sending, given where a capture was expected.
 * Then msg says "PATH: this is a zip archive, not a capture: unpack it first (...)". False
 * (msg untouched) for anything else, also a file that cannot be read. */
bool pc_file_is_archive(const char *path, char *msg, size_t cap);

#endif
