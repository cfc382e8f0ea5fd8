// SPDX-License-Identifier: MIT
/* ipcbench-pkg-config: libzmq (libzmq3-dev) */
/*
 * zeromq: libzmq sockets over ipc:// endpoints in the run's private 0700
 * directory (tp_params.address, set by transports/zeromq.ts).
 *
 * RPC: REQ (harness) / REP (peer).  The peer binds
 * ipc://<dir>/zmq-<channel id> before it says READY; the harness connects in
 * connect().  Each message is one frame holding the whole ipcbench message.
 *
 * Broadcast: the harness binds an XPUB socket in prepare() (a PUB that also
 * hands us the subscriptions) and every subscriber connects a SUB socket.
 * Filtering is libzmq's: a broadcast is two frames, a topic and the
 * payload; HELLO/BYE go out under topic "C" (control), data under "D".
 * Interested subscribers subscribe to "D" and "C"; the others to "U" (a
 * topic never sent) and "C", so libzmq's publisher-side trie drops data for
 * them.  The publish() mask is therefore not consulted, as on a D-Bus bus.
 * libzmq propagates subscriptions asynchronously, so connect() waits until
 * every subscriber's "C" subscription has arrived (XPUB_VERBOSE passes
 * duplicates; each subscriber sends its data topic first, so it is in
 * place too).  XPUB_NODROP: a full queue makes the send wait instead of
 * silently dropping.
 *
 * The channel id reaches each peer as a pipe (dbus-chanid.h).  Every wait
 * polls in slices of ZMQ_SLICE_MS so that *tp_params.abort is honoured.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"
#include "dbus-chanid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define ZMQ_SLICE_MS 200
#define ZMQ_PEER_LINGER_MS 1000
#define TOPIC_CONTROL "C"
#define TOPIC_DATA "D"
#define TOPIC_IGNORED "U"

struct tp_conn {
	enum tp_role role;
	struct tp_params params;
	void *ctx;
	void *sock;
	zmq_msg_t cur; /* last received payload frame */
	int have_cur;
	char endpoint[512];
};

static int zfail(char *err, const char *what)
{
	int e = zmq_errno();

	return tp_fail(err, -e, "%s: %s", what, zmq_strerror(e));
}

static void drop_cur(struct tp_conn *c)
{
	if (c->have_cur) {
		zmq_msg_close(&c->cur);
		c->have_cur = 0;
	}
}

static void zq_close(struct tp_conn *c)
{
	if (!c)
		return;
	drop_cur(c);
	if (c->sock) {
		int linger = c->role == TP_ROLE_CLIENT ||
					     c->role == TP_ROLE_PUBLISHER
				     ? 0
				     : ZMQ_PEER_LINGER_MS;

		zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(c->sock);
	}
	if (c->ctx)
		zmq_ctx_term(c->ctx);
	free(c);
}

static int zq_alloc(const struct tp_params *p, enum tp_role role,
		    const char *id, struct tp_conn **out, char *err)
{
	struct tp_conn *c;
	int n;

	if (!p->address || !p->address[0])
		return tp_fail(
			err, -EINVAL,
			"no directory for the ipc:// endpoint (the transport's setup() sets it)");
	c = calloc(1, sizeof(*c));
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	c->role = role;
	c->params = *p;
	c->params.address = NULL;
	n = snprintf(c->endpoint, sizeof(c->endpoint), "ipc://%s/zmq-%s",
		     p->address, id);
	/* sun_path holds 108 bytes; libzmq would refuse a longer path */
	if (n < 0 || (size_t)n >= sizeof(c->endpoint) || n - 6 >= 108) {
		free(c);
		return tp_fail(err, -ENAMETOOLONG,
			       "endpoint path too long: %s/zmq-%s", p->address,
			       id);
	}
	c->ctx = zmq_ctx_new();
	if (!c->ctx) {
		free(c);
		return zfail(err, "zmq_ctx_new");
	}
	*out = c;
	return 0;
}

/* Wait for events on the socket, in slices, honouring abort. */
static int zq_wait(struct tp_conn *c, short events)
{
	for (;;) {
		zmq_pollitem_t it = { .socket = c->sock, .events = events };
		int n = zmq_poll(&it, 1, ZMQ_SLICE_MS);

		if (n < 0) {
			if (zmq_errno() == EINTR)
				continue;
			return -zmq_errno();
		}
		if (n > 0 && (it.revents & events))
			return 0;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
	}
}

static int zq_send(struct tp_conn *c, const void *data, size_t len, int more)
{
	for (;;) {
		int rc = zmq_send(c->sock, data, len,
				  ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));

		if (rc >= 0)
			return 0;
		if (zmq_errno() == EINTR)
			continue;
		if (zmq_errno() != EAGAIN)
			return -zmq_errno();
		rc = zq_wait(c, ZMQ_POLLOUT);
		if (rc)
			return rc;
	}
}

/* Receive one frame into *m (initialised here). */
static int zq_recv_frame(struct tp_conn *c, zmq_msg_t *m)
{
	zmq_msg_init(m);
	for (;;) {
		int rc = zmq_msg_recv(m, c->sock, ZMQ_DONTWAIT);

		if (rc >= 0)
			return 0;
		if (zmq_errno() == EINTR)
			continue;
		if (zmq_errno() != EAGAIN) {
			int e = zmq_errno();

			zmq_msg_close(m);
			return -e;
		}
		rc = zq_wait(c, ZMQ_POLLIN);
		if (rc) {
			zmq_msg_close(m);
			return rc;
		}
	}
}

/* The payload of the next message: the last frame of a multipart one. */
static int zq_recv_payload(struct tp_conn *c, struct tp_msg *msg)
{
	int rc;

	drop_cur(c);
	for (;;) {
		rc = zq_recv_frame(c, &c->cur);
		if (rc)
			return rc;
		if (!zmq_msg_more(&c->cur))
			break;
		zmq_msg_close(&c->cur); /* the topic frame */
	}
	c->have_cur = 1;
	msg->data = zmq_msg_data(&c->cur);
	msg->len = zmq_msg_size(&c->cur);
	return 0;
}

static int zq_prepare(const struct tp_params *p, struct tp_conn **out,
		      struct tp_peer_fds *peers, char *err)
{
	unsigned npeers = p->subscribers ? p->subscribers : 1, i;
	enum tp_role role = p->subscribers ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT;
	char id[CHANID_LEN];
	struct tp_conn *c;
	int rc, one = 1;

	chanid_make("Zmq", id, sizeof(id));
	rc = zq_alloc(p, role, id, &c, err);
	if (rc)
		return rc;
	if (role == TP_ROLE_PUBLISHER) {
		mode_t old;

		c->sock = zmq_socket(c->ctx, ZMQ_XPUB);
		if (!c->sock) {
			rc = zfail(err, "zmq_socket(XPUB)");
			goto fail;
		}
		zmq_setsockopt(c->sock, ZMQ_XPUB_VERBOSE, &one, sizeof(one));
		zmq_setsockopt(c->sock, ZMQ_XPUB_NODROP, &one, sizeof(one));
		old = umask(077); /* the socket file is born 0600 */
		rc = zmq_bind(c->sock, c->endpoint);
		umask(old);
		if (rc) {
			rc = zfail(err, c->endpoint);
			goto fail;
		}
	}
	for (i = 0; i < npeers; i++) {
		rc = chanid_pipe(id, &peers[i].fds[0], err);
		if (rc)
			goto fail_peers;
		peers[i].n = 1;
	}
	*out = c;
	return 0;
fail_peers:
	while (i--) {
		close(peers[i].fds[0]);
		peers[i].n = 0;
	}
fail:
	zq_close(c);
	return rc;
}

static int zq_connect(struct tp_conn *c, char *err)
{
	unsigned seen = 0;
	int rc;

	if (c->role == TP_ROLE_CLIENT) {
		c->sock = zmq_socket(c->ctx, ZMQ_REQ);
		if (!c->sock)
			return zfail(err, "zmq_socket(REQ)");
		if (zmq_connect(c->sock, c->endpoint))
			return zfail(err, c->endpoint);
		return 0;
	}
	/* publisher: wait for every subscriber's control subscription */
	while (seen < c->params.subscribers) {
		zmq_msg_t m;

		rc = zq_recv_frame(c, &m);
		if (rc)
			return tp_fail(
				err, rc,
				"waiting for %u subscriptions (%u so far): %s",
				c->params.subscribers, seen,
				rc == -ECANCELED ? "aborted by the harness"
						 : strerror(-rc));
		if (zmq_msg_size(&m) == 2 &&
		    !memcmp(zmq_msg_data(&m), "\x01" TOPIC_CONTROL, 2))
			seen++;
		zmq_msg_close(&m);
	}
	return 0;
}

static int zq_attach(const struct tp_params *p, enum tp_role role,
		     const int *fds, int n_fds, struct tp_conn **out, char *err)
{
	char id[CHANID_LEN];
	struct tp_conn *c;
	int rc;

	rc = tp_expect_fds(n_fds, 1, err);
	if (!rc)
		rc = chanid_take(fds[0], id, sizeof(id), err);
	if (rc)
		return rc;
	rc = zq_alloc(p, role, id, &c, err);
	if (rc)
		return rc;
	if (role == TP_ROLE_SERVER) {
		c->sock = zmq_socket(c->ctx, ZMQ_REP);
		if (!c->sock) {
			rc = zfail(err, "zmq_socket(REP)");
			goto fail;
		}
		umask(077); /* our own process: the socket file is born 0600 */
		if (zmq_bind(c->sock, c->endpoint)) {
			rc = zfail(err, c->endpoint);
			goto fail;
		}
	} else {
		const char *data = p->interested ? TOPIC_DATA : TOPIC_IGNORED;

		c->sock = zmq_socket(c->ctx, ZMQ_SUB);
		if (!c->sock) {
			rc = zfail(err, "zmq_socket(SUB)");
			goto fail;
		}
		/* data topic first: the publisher counts control ones */
		if (zmq_setsockopt(c->sock, ZMQ_SUBSCRIBE, data, 1) ||
		    zmq_setsockopt(c->sock, ZMQ_SUBSCRIBE, TOPIC_CONTROL, 1)) {
			rc = zfail(err, "ZMQ_SUBSCRIBE");
			goto fail;
		}
		if (zmq_connect(c->sock, c->endpoint)) {
			rc = zfail(err, c->endpoint);
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	zq_close(c);
	return rc;
}

static int zq_call(struct tp_conn *c, const void *req, size_t len,
		   struct tp_msg *reply)
{
	int rc;

	drop_cur(c);
	rc = zq_send(c, req, len, 0);
	if (rc)
		return rc;
	return zq_recv_payload(c, reply);
}

static int zq_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return zq_recv_payload(c, msg);
}

static int zq_reply(struct tp_conn *c, const void *data, size_t len)
{
	/* data may point into c->cur: send before dropping it */
	int rc = zq_send(c, data, len, 0);

	drop_cur(c);
	return rc;
}

static int zq_publish(struct tp_conn *c, const void *data, size_t len,
		      const uint8_t *interested)
{
	struct msg_hdr h;
	int rc;

	(void)interested; /* libzmq filters by topic */
	if (len < MSG_HDR_SIZE)
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	rc = zq_send(c,
		     (h.flags & (MSG_HELLO | MSG_BYE)) ? TOPIC_CONTROL
						       : TOPIC_DATA,
		     1, 1);
	if (rc)
		return rc;
	return zq_send(c, data, len, 0);
}

const struct transport_ops zeromq_ops = {
	.name = "zeromq",
	.prepare = zq_prepare,
	.connect = zq_connect,
	.attach = zq_attach,
	.call = zq_call,
	.recv = zq_recv,
	.reply = zq_reply,
	.publish = zq_publish,
	.close = zq_close,
};

TRANSPORT_REGISTER(zeromq_ops);
