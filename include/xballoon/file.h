/*
 * Reading the files a user names (scenarios, traces, run directories'
 * reports): only regular files, and a FIFO, device or directory is refused
 * without blocking on it or reading from it.
 */
#ifndef XBALLOON_FILE_H
#define XBALLOON_FILE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/**
 * xb_open_regular() - open @path read-only if it is a regular file.
 * @error: on failure, one XB_ERROR error whose message does not name
 *	the file, for the caller to place: XB_ERROR_IO "cannot open: REASON",
 *	or XB_ERROR_INVALID "is a directory", "is a FIFO, not a regular
 *	file", "is a character device, not a regular file", ...
 *
 * A FIFO or device is never opened in a way that waits: the type is
 * checked before the open and again on the open descriptor.
 * Return: a blocking, close-on-exec descriptor, or -1.
 */
int xb_open_regular(const char *path, GError **error);

/**
 * xb_read_regular() - the whole of a regular file, NUL-terminated.
 * @len: its length, or NULL
 * @error: as xb_open_regular()'s, or "cannot read: REASON"
 * Return: true with *@text g_malloc'ed, or false.
 */
bool xb_read_regular(const char *path, char **text, size_t *len,
		     GError **error);

/* Remove @path and, if it is a directory, everything below it (errors
 * ignored: a scratch tree's leftovers). */
void xb_rm_tree(const char *path);

#endif
