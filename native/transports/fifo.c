// SPDX-License-Identifier: MIT
/*
 * fifo: named pipes (mkfifo) in the private run directory.
 *
 * Every channel gets its own directory (mkdtemp, 0700) under the run
 * directory the TypeScript side passes as tp_params.address, holding one
 * fifo per direction (RPC: "req" and "rep") or one per subscriber
 * (broadcast: "sub<i>"), mode 0600.  The peer inherits only an O_PATH handle
 * on that directory and opens its ends by name, which is the point of a
 * named pipe: the rendezvous goes through the filesystem.
 *
 * Opening order: a reader that opens before any writer would see EOF, and a
 * blocking open would deadlock against the READY handshake, so prepare()
 * holds every harness-to-peer fifo open O_RDWR (a "keeper" writer); the peer
 * opens its ends without blocking; connect() opens the harness's real
 * O_WRONLY ends, drops the keepers and unlinks the fifos and the directory.
 * After that the exchange is the byte-stream core's (fdstream.c), exactly
 * as for pipe: nothing of the fifo remains on disk while it is measured.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"
#include "fdstream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fifo_ext {
	char dir[PATH_MAX]; /* the channel's directory; "" once removed */
	int dirfd;
	unsigned n; /* fifos to the peer(s): 1 (req) or N (sub<i>) */
	int broadcast;
	int keepers[]; /* O_RDWR holders of the harness-to-peer fifos */
};

static void fifo_name(char *out, size_t len, int broadcast, unsigned i,
		      int to_peer)
{
	if (broadcast)
		snprintf(out, len, "sub%u", i);
	else
		snprintf(out, len, "%s", to_peer ? "req" : "rep");
}

/* Remove every fifo and the channel directory (idempotent). */
static void fifo_unlink_all(struct fifo_ext *x)
{
	char name[32];
	unsigned i;

	if (!x->dir[0])
		return;
	for (i = 0; i < x->n; i++) {
		fifo_name(name, sizeof(name), x->broadcast, i, 1);
		unlinkat(x->dirfd, name, 0);
	}
	if (!x->broadcast)
		unlinkat(x->dirfd, "rep", 0);
	rmdir(x->dir);
	x->dir[0] = 0;
}

static void fifo_ext_free(struct tp_conn *c)
{
	struct fifo_ext *x = c->ext;
	unsigned i;

	if (!x)
		return;
	fifo_unlink_all(x);
	for (i = 0; i < x->n; i++)
		if (x->keepers[i] >= 0)
			close(x->keepers[i]);
	if (x->dirfd >= 0)
		close(x->dirfd);
	free(x);
	c->ext = NULL;
}

static int set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int fifo_prepare(const struct tp_params *p, struct tp_conn **out,
			struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct fifo_ext *x;
	struct tp_conn *c;
	char name[32];
	int rc;

	if (!p->address || !p->address[0])
		return tp_fail(
			err, -EINVAL,
			"fifo needs the private run directory as its address");
	rc = fd_conn_alloc(FD_PIPE, p, n, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	x = calloc(1, sizeof(*x) + n * sizeof(int));
	if (!x) {
		fd_close(c);
		return tp_fail(err, -ENOMEM, "out of memory");
	}
	x->dirfd = -1;
	x->n = n;
	x->broadcast = p->subscribers > 0;
	for (i = 0; i < n; i++)
		x->keepers[i] = -1;
	c->ext = x;
	c->ext_free = fifo_ext_free;
	if ((size_t)snprintf(x->dir, sizeof(x->dir), "%s/fifo-XXXXXX",
			     p->address) >= sizeof(x->dir)) {
		x->dir[0] = 0;
		rc = tp_fail(err, -ENAMETOOLONG, "run directory path too long");
		goto fail;
	}
	if (!mkdtemp(x->dir)) { /* mode 0700 */
		rc = tp_fail(err, -errno, "mkdtemp %s: %s", x->dir,
			     strerror(errno));
		x->dir[0] = 0;
		goto fail;
	}
	x->dirfd = open(x->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->dirfd < 0) {
		rc = tp_fail(err, -errno, "open %s: %s", x->dir,
			     strerror(errno));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		fifo_name(name, sizeof(name), x->broadcast, i, 1);
		if (mkfifoat(x->dirfd, name, 0600)) {
			rc = tp_fail(err, -errno, "mkfifo %s/%s: %s", x->dir,
				     name, strerror(errno));
			goto fail;
		}
		x->keepers[i] = openat(x->dirfd, name, O_RDWR | O_CLOEXEC);
		if (x->keepers[i] < 0) {
			rc = tp_fail(err, -errno, "open %s/%s: %s", x->dir,
				     name, strerror(errno));
			goto fail;
		}
	}
	if (!x->broadcast) {
		if (mkfifoat(x->dirfd, "rep", 0600)) {
			rc = tp_fail(err, -errno, "mkfifo %s/rep: %s", x->dir,
				     strerror(errno));
			goto fail;
		}
		/* our read end of the replies, open before the peer's writer */
		c->chans[0].rfd = openat(x->dirfd, "rep",
					 O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->chans[0].rfd < 0) {
			rc = tp_fail(err, -errno, "open %s/rep: %s", x->dir,
				     strerror(errno));
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		peers[i].fds[0] = fcntl(x->dirfd, F_DUPFD_CLOEXEC, 3);
		if (peers[i].fds[0] < 0) {
			rc = tp_fail(err, -errno, "dup: %s", strerror(errno));
			fd_close_peer_lists(peers, i);
			goto fail;
		}
		peers[i].n = 1;
	}
	*out = c;
	return 0;
fail:
	fd_close(c);
	return rc;
}

static int fifo_connect(struct tp_conn *c, char *err)
{
	struct fifo_ext *x = c->ext;
	char name[32];
	unsigned i;
	int rc;

	for (i = 0; i < x->n; i++) {
		fifo_name(name, sizeof(name), x->broadcast, i, 1);
		/* non-blocking: ENXIO means the peer never opened its end */
		c->chans[i].wfd = openat(x->dirfd, name,
					 O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->chans[i].wfd < 0)
			return tp_fail(
				err, -errno, "open %s/%s for writing: %s",
				x->dir, name,
				errno == ENXIO ? "the peer has not opened it"
					       : strerror(errno));
		rc = set_blocking(c->chans[i].wfd);
		if (rc)
			return tp_fail(err, rc, "fcntl: %s", strerror(-rc));
		close(x->keepers[i]);
		x->keepers[i] = -1;
	}
	if (!x->broadcast) {
		rc = set_blocking(c->chans[0].rfd);
		if (rc)
			return tp_fail(err, rc, "fcntl: %s", strerror(-rc));
	}
	/* both ends of every fifo are open: the names are no longer needed */
	fifo_unlink_all(x);
	return 0;
}

static int open_end(int dirfd, const char *name, int flags, int *out, char *err)
{
	int rc;

	*out = openat(dirfd, name, flags | O_NONBLOCK | O_CLOEXEC);
	if (*out < 0)
		return tp_fail(err, -errno, "open fifo %s: %s", name,
			       errno == ENXIO ? "the harness has not opened it"
					      : strerror(errno));
	rc = set_blocking(*out);
	return rc ? tp_fail(err, rc, "fcntl: %s", strerror(-rc)) : 0;
}

static int fifo_attach(const struct tp_params *p, enum tp_role role,
		       const int *fds, int n_fds, struct tp_conn **out,
		       char *err)
{
	struct tp_conn *c;
	char name[32];
	int rc;

	if (n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	rc = fd_conn_alloc(FD_PIPE, p, 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	if (role == TP_ROLE_SUBSCRIBER) {
		fifo_name(name, sizeof(name), 1, p->index, 1);
		rc = open_end(fds[0], name, O_RDONLY, &c->chans[0].rfd, err);
	} else {
		rc = open_end(fds[0], "req", O_RDONLY, &c->chans[0].rfd, err);
		if (!rc)
			rc = open_end(fds[0], "rep", O_WRONLY, &c->chans[0].wfd,
				      err);
	}
	close(fds[0]);
	if (rc) {
		fd_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

const struct transport_ops fifo_ops = {
	.name = "fifo",
	.prepare = fifo_prepare,
	.connect = fifo_connect,
	.attach = fifo_attach,
	.call = fd_call,
	.recv = fd_recv,
	.reply = fd_reply,
	.publish = fd_publish,
	.close = fd_close,
};

TRANSPORT_REGISTER(fifo_ops);
