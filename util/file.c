/*
 * Opening the files a user names: regular files only, checked before the
 * open and on the descriptor, so `xballoon check FIFO` returns at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xballoon/error.h"
#include "xballoon/file.h"

/* True for a regular file; otherwise false with *error saying what it is:
 * bad input (XB_ERROR_INVALID), as a file's bad content is. */
static bool regular(const struct stat *st, GError **error)
{
	const char *what;

	if (S_ISREG(st->st_mode))
		return true;
	if (S_ISDIR(st->st_mode)) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "is a directory");
		return false;
	}
	what = S_ISFIFO(st->st_mode)   ? "a FIFO"
	       : S_ISCHR(st->st_mode)  ? "a character device"
	       : S_ISBLK(st->st_mode)  ? "a block device"
	       : S_ISSOCK(st->st_mode) ? "a socket"
				       : "of an unknown type";
	g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
		    "is %s, not a regular file", what);
	return false;
}

int xb_open_regular(const char *path, GError **error)
{
	struct stat st;
	int fd = -1;

	/* stat() first: a device is not even opened (opening some has
	 * effects). The descriptor is checked again, as the file may have
	 * been replaced in between; O_NONBLOCK keeps that open of a FIFO
	 * from waiting for a writer. */
	if (stat(path, &st) < 0)
		goto sys_error;
	if (!regular(&st, error))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto sys_error;
	if (!regular(&st, error)) {
		close(fd);
		return -1;
	}
	/* A regular file reads the same either way; leave nothing odd. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
sys_error:
	g_set_error(error, XB_ERROR, XB_ERROR_IO, "cannot open: %s",
		    g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

bool xb_read_regular(const char *path, char **text, size_t *len, GError **error)
{
	GString *s;
	char buf[65536];
	ssize_t n;
	int fd = xb_open_regular(path, error);

	if (fd < 0)
		return false;
	s = g_string_new(NULL);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, XB_ERROR, XB_ERROR_IO,
				    "cannot read: %s", g_strerror(errno));
			g_string_free(s, TRUE);
			close(fd);
			return false;
		}
		g_string_append_len(s, buf, n);
	}
	close(fd);
	if (len)
		*len = s->len;
	*text = g_string_free(s, FALSE);
	return true;
}

void xb_rm_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *ent;

	if (d) {
		while ((ent = g_dir_read_name(d))) {
			char *p = g_build_filename(path, ent, NULL);

			xb_rm_tree(p);
			g_free(p);
		}
		g_dir_close(d);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}
