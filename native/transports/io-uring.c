// SPDX-License-Identifier: MIT
/* ipcbench-pkg-config: liburing (liburing-dev) */
/*
 * io-uring: the unix-stream exchange (one AF_UNIX SOCK_STREAM socketpair
 * per client/server pair or per subscriber) driven through io_uring
 * (liburing) instead of read()/write().
 *
 * What io_uring changes is the number of kernel entries: a call queues the
 * request's send and the reply's recv and enters the kernel once
 * (io_uring_submit_and_wait); the server queues its reply's send in reply()
 * and submits it together with the recv of the next request, so each side
 * pays one io_uring_enter per round trip instead of a write() and a read().
 * The publisher queues one send per interested subscriber and submits them
 * all with one enter.  Short sends are resubmitted for the remainder and
 * partial receives are completed the same way fdstream.c does (bytes past
 * the current message are kept).  close() flushes a reply still queued (the
 * goodbye's).
 *
 * Availability is checked at run time (probe): io_uring may be switched off
 * (/proc/sys/kernel/io_uring_disabled), refused by a seccomp filter (EPERM)
 * or absent (ENOSYS).
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>

#define OP_SEND 0
#define OP_RECV 1

struct uchan {
	int fd;
	const uint8_t *sp; /* send in flight: what is left */
	size_t sleft;
	int sending;
};

struct tp_conn {
	struct tp_params params;
	struct io_uring ring;
	int have_ring;
	struct uchan *chans; /* publisher: one per subscriber; else one */
	unsigned n_chans;
	int recv_inflight;
	int err; /* first failed completion */
	/* two receive buffers, used in turn: the server's reply (queued in
	 * reply(), sent by the next run()) points into the buffer the request
	 * arrived in, so the next request must land in the other one */
	uint8_t *bufs[2];
	uint8_t *buf; /* the current one */
	size_t cap;
	size_t have;
	size_t used;
};

static const char *setup_reason(int rc)
{
	switch (rc) {
	case -EPERM:
		return "io_uring_setup: EPERM (io_uring disabled by /proc/sys/kernel/io_uring_disabled, io_uring_group or a seccomp filter)";
	case -ENOSYS:
		return "io_uring_setup: ENOSYS (kernel built without CONFIG_IO_URING, or older than 5.1)";
	default:
		return NULL;
	}
}

static int ring_open(struct tp_conn *c, unsigned entries, char *err)
{
	unsigned e = 8;
	const char *why;
	int rc;

	while (e < entries && e < 4096)
		e <<= 1;
	rc = io_uring_queue_init(e, &c->ring, 0);
	if (rc < 0) {
		why = setup_reason(rc);
		return why ? tp_fail(err, rc, "%s", why)
			   : tp_fail(err, rc, "io_uring_setup: %s",
				     strerror(-rc));
	}
	c->have_ring = 1;
	return 0;
}

static int uring_probe(char *err)
{
	struct io_uring ring;
	const char *why;
	int rc = io_uring_queue_init(2, &ring, 0);

	if (rc < 0) {
		why = setup_reason(rc);
		return why ? tp_fail(err, rc, "%s", why)
			   : tp_fail(err, rc, "io_uring_setup: %s",
				     strerror(-rc));
	}
	io_uring_queue_exit(&ring);
	return 0;
}

static int conn_new(const struct tp_params *p, unsigned n, struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -ENOMEM;
	c->params = *p;
	c->n_chans = n;
	c->chans = calloc(n, sizeof(*c->chans));
	c->cap = p->max_msg + MSG_HDR_SIZE;
	c->bufs[0] = malloc(c->cap);
	c->bufs[1] = malloc(c->cap);
	c->buf = c->bufs[0];
	if (!c->chans || !c->bufs[0] || !c->bufs[1]) {
		free(c->chans);
		free(c->bufs[0]);
		free(c->bufs[1]);
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		c->chans[i].fd = -1;
	*out = c;
	return 0;
}

static struct io_uring_sqe *sqe_get(struct tp_conn *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

	if (!sqe) { /* SQ full: push what is queued */
		io_uring_submit(&c->ring);
		sqe = io_uring_get_sqe(&c->ring);
	}
	return sqe;
}

static int q_send(struct tp_conn *c, unsigned i)
{
	struct io_uring_sqe *sqe = sqe_get(c);
	struct uchan *ch = &c->chans[i];

	if (!sqe)
		return -EBUSY;
	io_uring_prep_send(sqe, ch->fd, ch->sp, ch->sleft,
			   MSG_NOSIGNAL | MSG_WAITALL);
	io_uring_sqe_set_data64(sqe, ((uint64_t)i << 1) | OP_SEND);
	ch->sending = 1;
	return 0;
}

static int q_recv(struct tp_conn *c)
{
	struct io_uring_sqe *sqe = sqe_get(c);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv(sqe, c->chans[0].fd, c->buf + c->have,
			   c->cap - c->have, 0);
	io_uring_sqe_set_data64(sqe, OP_RECV);
	c->recv_inflight = 1;
	return 0;
}

static int start_send(struct tp_conn *c, unsigned i, const void *data,
		      size_t len)
{
	c->chans[i].sp = data;
	c->chans[i].sleft = len;
	return q_send(c, i);
}

static void complete(struct tp_conn *c, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	int res = cqe->res;

	if ((ud & 1) == OP_RECV) {
		c->recv_inflight = 0;
		if (res <= 0) {
			if (!c->err)
				c->err =
					res == 0
						? -EPIPE
						: res; /* EOF: the other side is gone */
			return;
		}
		c->have += (size_t)res;
		return;
	}
	{
		struct uchan *ch = &c->chans[ud >> 1];

		ch->sending = 0;
		if (res < 0) {
			if (!c->err)
				c->err = res;
			return;
		}
		ch->sp += res;
		ch->sleft -= (size_t)res;
		if (ch->sleft && q_send(c, (unsigned)(ud >> 1)) && !c->err)
			c->err = -EBUSY;
	}
}

/* Is a whole message in buf?  1 yes (its length in *need), 0 no, <0 bad. */
static int have_msg(struct tp_conn *c, size_t *need)
{
	struct msg_hdr h;

	if (c->have < MSG_HDR_SIZE)
		return 0;
	memcpy(&h, c->buf, sizeof(h));
	if (h.magic != MSG_MAGIC || h.len < MSG_HDR_SIZE)
		return -EBADMSG;
	if (h.len > c->cap)
		return -EMSGSIZE;
	*need = h.len;
	return c->have >= h.len;
}

static int sends_pending(struct tp_conn *c)
{
	unsigned i;

	for (i = 0; i < c->n_chans; i++)
		if (c->chans[i].sending)
			return 1;
	return 0;
}

/* Submit what is queued and reap completions until every send finished
 * and, when msg is given, a whole message is in buf. */
static int run(struct tp_conn *c, struct tp_msg *msg)
{
	size_t need = 0;
	int rc;

	if (msg && c->used) {
		uint8_t *next = c->buf == c->bufs[0] ? c->bufs[1] : c->bufs[0];

		/* bytes past the last message (rarely any) move over */
		memcpy(next, c->buf + c->used, c->have - c->used);
		c->have -= c->used;
		c->used = 0;
		c->buf = next;
	}
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		int full = 0;

		if (c->err)
			return c->err;
		if (msg) {
			full = have_msg(c, &need);
			if (full < 0)
				return full;
			if (!full && !c->recv_inflight) {
				rc = q_recv(c);
				if (rc)
					return rc;
			}
		}
		if ((!msg || full) && !sends_pending(c) && !c->recv_inflight)
			break;
		rc = io_uring_submit_and_wait(&c->ring, 1);
		if (rc < 0 && rc != -EINTR)
			return rc;
		io_uring_for_each_cqe(&c->ring, head, cqe)
		{
			complete(c, cqe);
			n++;
		}
		io_uring_cq_advance(&c->ring, n);
	}
	if (msg) {
		msg->data = c->buf;
		msg->len = need;
		c->used = need;
	}
	return 0;
}

static void uring_close(struct tp_conn *c)
{
	unsigned i;

	if (!c)
		return;
	/* a reply still queued (the goodbye's) goes out first */
	if (c->have_ring && !c->err && sends_pending(c))
		run(c, NULL);
	if (c->have_ring)
		io_uring_queue_exit(&c->ring);
	for (i = 0; i < c->n_chans; i++)
		if (c->chans[i].fd >= 0)
			close(c->chans[i].fd);
	free(c->chans);
	free(c->bufs[0]);
	free(c->bufs[1]);
	free(c);
}

static int uring_prepare(const struct tp_params *p, struct tp_conn **out,
			 struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i, k;
	struct tp_conn *c;
	int sv[2], rc;

	rc = conn_new(p, n, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	rc = ring_open(c, n + 2, err);
	for (i = 0; !rc && i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			rc = tp_fail(err, -errno, "socketpair: %s",
				     strerror(errno));
			break;
		}
		c->chans[i].fd = sv[0];
		peers[i].fds[0] = sv[1];
		peers[i].n = 1;
	}
	if (rc) {
		for (k = 0; k < n; k++) {
			if (peers[k].n)
				close(peers[k].fds[0]);
			peers[k].n = 0;
		}
		uring_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int uring_connect(struct tp_conn *c, char *err)
{
	(void)c;
	(void)err;
	return 0;
}

static int uring_attach(const struct tp_params *p, enum tp_role role,
			const int *fds, int n_fds, struct tp_conn **out,
			char *err)
{
	struct tp_conn *c;
	int rc;

	(void)role;
	if (n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	rc = conn_new(p, 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->chans[0].fd = fds[0];
	rc = ring_open(c, 4, err);
	if (rc) {
		uring_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int uring_call(struct tp_conn *c, const void *req, size_t len,
		      struct tp_msg *reply)
{
	int rc = start_send(c, 0, req, len);

	/* the send and the reply's recv go in with one io_uring_enter */
	return rc ? rc : run(c, reply);
}

static int uring_recv(struct tp_conn *c, struct tp_msg *msg)
{
	/* submits the previous reply's send together with this recv */
	return run(c, msg);
}

static int uring_reply(struct tp_conn *c, const void *data, size_t len)
{
	/* queued only: data is the received message in our current buffer;
	 * the next run() receives into the other one and finishes this send
	 * before it returns */
	return start_send(c, 0, data, len);
}

static int uring_publish(struct tp_conn *c, const void *data, size_t len,
			 const uint8_t *interested)
{
	unsigned i;
	int rc;

	for (i = 0; i < c->n_chans; i++) {
		if (!interested[i])
			continue;
		rc = start_send(c, i, data, len);
		if (rc)
			return rc;
	}
	return run(c, NULL); /* one enter for every subscriber */
}

const struct transport_ops io_uring_ops = {
	.name = "io-uring",
	.probe = uring_probe,
	.prepare = uring_prepare,
	.connect = uring_connect,
	.attach = uring_attach,
	.call = uring_call,
	.recv = uring_recv,
	.reply = uring_reply,
	.publish = uring_publish,
	.close = uring_close,
};

TRANSPORT_REGISTER(io_uring_ops);
