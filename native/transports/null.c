// SPDX-License-Identifier: MIT
/*
 * null: the floor of floors.  The same RPC driver (native/workloads/rpc.c)
 * calls an in-process echo: call() copies the request into a reply buffer
 * (one memcpy, no kernel, no other thread or process) and returns it, and
 * the driver verifies the echo as it verifies every reply.  What it measures
 * is the driver's own cost per call (stamping, two clock reads, the
 * histogram, the integrity check) plus one copy: the part of every other
 * transport's figure that is not IPC.
 *
 * There is no peer: the TypeScript side marks the transport in-process, so
 * the runner starts no server and prepare() hands out no descriptors.
 * Broadcast needs receivers in other processes (they acknowledge on the
 * shared ack board), so null has no publish().
 */
#include "../core/payload.h"
#include "../core/transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct tp_conn {
	uint8_t *buf;
	size_t cap;
};

static int null_prepare(const struct tp_params *p, struct tp_conn **out,
			struct tp_peer_fds *peers, char *err)
{
	struct tp_conn *c;

	if (p->subscribers)
		return tp_fail(
			err, -EOPNOTSUPP,
			"null is an in-process echo: broadcast needs subscriber processes");
	c = calloc(1, sizeof(*c));
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	c->cap = p->max_msg + MSG_HDR_SIZE;
	c->buf = malloc(c->cap);
	if (!c->buf) {
		free(c);
		return tp_fail(err, -ENOMEM, "out of memory");
	}
	peers[0].n = 0; /* nothing to inherit: there is no peer */
	*out = c;
	return 0;
}

static int null_connect(struct tp_conn *c, char *err)
{
	(void)c;
	(void)err;
	return 0;
}

static int null_attach(const struct tp_params *p, enum tp_role role,
		       const int *fds, int n_fds, struct tp_conn **out,
		       char *err)
{
	(void)p;
	(void)role;
	(void)fds;
	(void)n_fds;
	(void)out;
	return tp_fail(err, -EOPNOTSUPP,
		       "null is an in-process echo: it has no peer side");
}

static int null_call(struct tp_conn *c, const void *req, size_t len,
		     struct tp_msg *reply)
{
	if (len > c->cap)
		return -EMSGSIZE;
	memcpy(c->buf, req, len); /* the echo */
	reply->data = c->buf;
	reply->len = len;
	return 0;
}

static int null_recv(struct tp_conn *c, struct tp_msg *msg)
{
	(void)c;
	(void)msg;
	return -EOPNOTSUPP;
}

static int null_reply(struct tp_conn *c, const void *data, size_t len)
{
	(void)c;
	(void)data;
	(void)len;
	return -EOPNOTSUPP;
}

static void null_close(struct tp_conn *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c);
}

const struct transport_ops null_ops = {
	.name = "null",
	.prepare = null_prepare,
	.connect = null_connect,
	.attach = null_attach,
	.call = null_call,
	.recv = null_recv,
	.reply = null_reply,
	.close = null_close,
};

TRANSPORT_REGISTER(null_ops);
