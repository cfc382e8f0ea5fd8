/* SPDX-License-Identifier: MIT */
/*
 * Channel ids of the transports whose channels share one daemon (the D-Bus
 * buses of dbus-sdbus.c and dbus-libdbus.c, iceoryx's RouDi, zeromq's
 * endpoints in one run directory).  Several channels and repetitions share one bus, so each
 * channel gets its own server name / signal path; the harness invents the
 * id in prepare() and hands it to every peer as a pipe that holds the id and
 * then EOF (one inherited fd, no extra round trip).
 */
#ifndef IPCBENCH_DBUS_CHANID_H
#define IPCBENCH_DBUS_CHANID_H

#include "../core/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHANID_LEN 64

/* "<tag>_P<pid>_C<n>": letters first, since bus name elements must not
 * start with a digit; unique per harness process and channel.  The counter
 * is per file (static inline), hence the tag naming the file's client. */
static inline void chanid_make(const char *tag, char *buf, size_t len)
{
	static unsigned long long counter;

	snprintf(buf, len, "%s_P%d_C%llu", tag, (int)getpid(),
		 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
}

/* A pipe whose only content is the channel id, then EOF. */
static inline int chanid_pipe(const char *id, int *read_end, char *err)
{
	int p[2];
	size_t len = strlen(id);

	if (pipe2(p, O_CLOEXEC))
		return tp_fail(err, -errno, "pipe2: %s", strerror(errno));
	if (write(p[1], id, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;

		close(p[0]);
		close(p[1]);
		return tp_fail(err, -e, "writing the channel id: %s",
			       strerror(e));
	}
	close(p[1]);
	*read_end = p[0];
	return 0;
}

static inline int chanid_read(int fd, char *buf, size_t cap)
{
	size_t have = 0;

	for (;;) {
		ssize_t r = read(fd, buf + have, cap - 1 - have);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		if (have == cap - 1)
			return -ENAMETOOLONG;
	}
	buf[have] = 0;
	return have ? 0 : -ENODATA;
}

/* For attach(): reads the id from the inherited pipe @fd and closes it; the
 * reason is in @err when that fails. */
static inline int chanid_take(int fd, char *buf, size_t cap, char *err)
{
	int rc = chanid_read(fd, buf, cap);

	close(fd);
	if (rc)
		return tp_fail(err, rc, "reading the channel id: %s",
			       strerror(-rc));
	return 0;
}

#endif
