// SPDX-License-Identifier: MIT
/*
 * pipe, unix-stream and unix-seqpacket: the byte-stream family.
 *
 * RPC: one channel per client/server pair (pipes: one pipe per direction;
 * AF_UNIX: one socketpair).  Broadcast: one channel per subscriber; the
 * publisher writes the message once per interested subscriber (filtering
 * happens in the publisher, which is how these primitives are used).
 *
 * Reads take whatever the kernel has (one read() for a small message, as a
 * minimal ping-pong would do) and keep any bytes past the current message.
 * SOCK_SEQPACKET records are limited by the socket buffer, so messages
 * larger than SEQPACKET_CHUNK travel as several records.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"
#include "fdstream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SEQPACKET_CHUNK 65536

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int fd_conn_alloc(enum fd_kind kind, const struct tp_params *p,
		  unsigned n_chans, struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->params = *p;
	c->n_chans = n_chans;
	c->chans = calloc(n_chans, sizeof(*c->chans));
	c->cap = p->max_msg + MSG_HDR_SIZE;
	c->buf = malloc(c->cap);
	if (!c->chans || !c->buf) {
		free(c->chans);
		free(c->buf);
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n_chans; i++)
		c->chans[i].rfd = c->chans[i].wfd = -1;
	*out = c;
	return 0;
}

void fd_close(struct tp_conn *c)
{
	unsigned i;

	if (!c)
		return;
	if (c->ext_free)
		c->ext_free(c);
	for (i = 0; i < c->n_chans; i++) {
		if (c->chans[i].wfd != c->chans[i].rfd)
			close_fd(&c->chans[i].wfd);
		close_fd(&c->chans[i].rfd);
	}
	free(c->chans);
	free(c->buf);
	free(c);
}

static int make_channel(enum fd_kind kind, struct fd_chan *mine,
			struct tp_peer_fds *peer, char *err)
{
	int a[2], b[2];

	if (kind == FD_PIPE) {
		if (pipe2(a, O_CLOEXEC))
			return tp_fail(err, -errno, "pipe2: %s",
				       strerror(errno));
		if (pipe2(b, O_CLOEXEC)) {
			int e = errno;

			close(a[0]);
			close(a[1]);
			return tp_fail(err, -e, "pipe2: %s", strerror(e));
		}
		/* a: harness -> peer, b: peer -> harness */
		mine->wfd = a[1];
		mine->rfd = b[0];
		peer->fds[0] = a[0];
		peer->fds[1] = b[1];
		peer->n = 2;
		return 0;
	}
	if (socketpair(AF_UNIX,
		       (kind == FD_STREAM ? SOCK_STREAM : SOCK_SEQPACKET) |
			       SOCK_CLOEXEC,
		       0, a))
		return tp_fail(err, -errno, "socketpair: %s", strerror(errno));
	mine->rfd = mine->wfd = a[0];
	peer->fds[0] = a[1];
	peer->n = 1;
	return 0;
}

static int fd_prepare(const struct tp_params *p, struct tp_conn **out,
		      struct tp_peer_fds *peers, char *err)
{
	enum fd_kind kind = (enum fd_kind)p->variant;
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	int rc;

	rc = fd_conn_alloc(kind, p, n, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	for (i = 0; i < n; i++) {
		rc = make_channel(kind, &c->chans[i], &peers[i], err);
		if (rc) {
			fd_close_peer_lists(peers, i);
			fd_close(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

void fd_close_peer_lists(struct tp_peer_fds *peers, unsigned n)
{
	unsigned i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < peers[i].n; k++)
			if (peers[i].fds[k] >= 0)
				close(peers[i].fds[k]);
		peers[i].n = 0;
	}
}

int fd_connect(struct tp_conn *c, char *err)
{
	(void)c;
	(void)err;
	return 0;
}

static int fd_attach(const struct tp_params *p, enum tp_role role,
		     const int *fds, int n_fds, struct tp_conn **out, char *err)
{
	enum fd_kind kind = (enum fd_kind)p->variant;
	struct tp_conn *c;
	int need = kind == FD_PIPE ? 2 : 1, rc;

	if (n_fds != need)
		return tp_fail(err, -EINVAL,
			       "expected %d inherited fds, got %d", need,
			       n_fds);
	(void)role;
	rc = fd_conn_alloc(kind, p, 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->chans[0].rfd = fds[0];
	c->chans[0].wfd = kind == FD_PIPE ? fds[1] : fds[0];
	*out = c;
	return 0;
}

static int write_all(struct tp_conn *c, const struct fd_chan *ch,
		     const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t chunk = c->kind == FD_SEQPACKET ? SEQPACKET_CHUNK : len;

	while (len) {
		size_t n = len < chunk ? len : chunk;
		ssize_t w;

		if (c->kind == FD_PIPE)
			w = write(ch->wfd, p, n);
		else
			w = send(ch->wfd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read one whole message into c->buf; bytes past it stay for next time. */
static int read_msg(struct tp_conn *c, const struct fd_chan *ch,
		    struct tp_msg *msg)
{
	size_t need = MSG_HDR_SIZE;
	int have_len = 0;

	if (c->used) {
		memmove(c->buf, c->buf + c->used, c->have - c->used);
		c->have -= c->used;
		c->used = 0;
	}
	for (;;) {
		ssize_t r;

		if (!have_len && c->have >= MSG_HDR_SIZE) {
			struct msg_hdr h;

			memcpy(&h, c->buf, sizeof(h));
			if (h.magic != MSG_MAGIC || h.len < MSG_HDR_SIZE)
				return -EBADMSG;
			if (h.len > c->cap)
				return -EMSGSIZE;
			need = h.len;
			have_len = 1;
		}
		if (have_len && c->have >= need)
			break;
		if (c->kind == FD_PIPE)
			r = read(ch->rfd, c->buf + c->have, c->cap - c->have);
		else
			r = recv(ch->rfd, c->buf + c->have, c->cap - c->have,
				 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EPIPE; /* the other side is gone */
		c->have += (size_t)r;
	}
	msg->data = c->buf;
	msg->len = need;
	c->used = need;
	return 0;
}

int fd_call(struct tp_conn *c, const void *req, size_t len,
	    struct tp_msg *reply)
{
	int rc = write_all(c, &c->chans[0], req, len);

	if (rc)
		return rc;
	return read_msg(c, &c->chans[0], reply);
}

int fd_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return read_msg(c, &c->chans[0], msg);
}

int fd_reply(struct tp_conn *c, const void *data, size_t len)
{
	return write_all(c, &c->chans[0], data, len);
}

int fd_publish(struct tp_conn *c, const void *data, size_t len,
	       const uint8_t *interested)
{
	unsigned i;
	int rc;

	for (i = 0; i < c->n_chans; i++) {
		if (!interested[i])
			continue;
		rc = write_all(c, &c->chans[i], data, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* The variants are the primitives, in enum fd_kind order. */
static const char *const fd_variants[] = {
	[FD_PIPE] = "pipe",
	[FD_STREAM] = "unix-stream",
	[FD_SEQPACKET] = "unix-seqpacket",
	NULL,
};

const struct transport_ops fdstream_ops = {
	.name = "fdstream",
	.variants = fd_variants,
	.prepare = fd_prepare,
	.connect = fd_connect,
	.attach = fd_attach,
	.call = fd_call,
	.recv = fd_recv,
	.reply = fd_reply,
	.publish = fd_publish,
	.close = fd_close,
};

TRANSPORT_REGISTER(fdstream_ops);
