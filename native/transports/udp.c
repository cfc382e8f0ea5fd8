// SPDX-License-Identifier: MIT
/*
 * udp: UDP over loopback, one datagram per message.
 *
 * RPC: two sockets bound to 127.0.0.1 on ephemeral ports and connect()ed to
 * each other (a connected UDP socket only accepts datagrams from its peer's
 * address, so nothing else on the machine can inject into a case); the peer
 * inherits one.  Broadcast: the publisher has one socket and sendto()s each
 * interested subscriber's address; every subscriber's socket is connected
 * to the publisher's address.  A message must fit one datagram
 * (UDP_MAX_PAYLOAD); the TypeScript side skips larger sizes with the reason.
 *
 * Nothing retransmits: a datagram the kernel drops (a full receive buffer)
 * shows up as a lost broadcast or as an RPC that times out, which is what
 * UDP does.  Receives wait in slices (SO_RCVTIMEO) so the harness's abort
 * flag and the peer's "harness gone" check are honoured.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define UDP_MAX_PAYLOAD 65507 /* 65535 - 20 (IPv4 header) - 8 (UDP header) */
#define UDP_WAIT_SLICE_US 200000

struct tp_conn {
	struct tp_params params;
	int fd;
	unsigned n_subs;
	struct sockaddr_in *subs; /* publisher: each subscriber's address */
	uint8_t *buf;
	size_t cap;
};

static int udp_socket(struct sockaddr_in *addr, char *err)
{
	socklen_t alen = sizeof(*addr);
	const struct timeval slice = { 0, UDP_WAIT_SLICE_US };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return tp_fail(err, -errno, "socket: %s", strerror(errno));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &alen) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof(slice))) {
		int e = errno;

		close(fd);
		return tp_fail(err, -e, "bind 127.0.0.1: %s", strerror(e));
	}
	return fd;
}

static int conn_new(const struct tp_params *p, struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->params = *p;
	c->fd = -1;
	c->cap = p->max_msg + MSG_HDR_SIZE;
	c->buf = malloc(c->cap);
	if (!c->buf) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static void udp_close(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->subs);
	free(c->buf);
	free(c);
}

static int udp_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct sockaddr_in mine, theirs;
	struct tp_conn *c;
	int rc, fd;

	if (p->max_msg > UDP_MAX_PAYLOAD)
		return tp_fail(
			err, -EMSGSIZE,
			"a %zu-byte message does not fit one UDP datagram (at most %d bytes)",
			p->max_msg, UDP_MAX_PAYLOAD);
	rc = conn_new(p, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->fd = udp_socket(&mine, err);
	if (c->fd < 0) {
		rc = c->fd;
		c->fd = -1;
		goto fail;
	}
	if (p->subscribers) {
		c->n_subs = n;
		c->subs = calloc(n, sizeof(*c->subs));
		if (!c->subs) {
			rc = tp_fail(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		fd = udp_socket(&theirs, err);
		if (fd < 0) {
			rc = fd;
			goto fail_peers;
		}
		peers[i].fds[0] = fd;
		peers[i].n = 1;
		if (connect(fd, (struct sockaddr *)&mine, sizeof(mine))) {
			rc = tp_fail(err, -errno, "connect: %s",
				     strerror(errno));
			i++;
			goto fail_peers;
		}
		if (c->subs)
			c->subs[i] = theirs;
		else if (connect(c->fd, (struct sockaddr *)&theirs,
				 sizeof(theirs))) {
			rc = tp_fail(err, -errno, "connect: %s",
				     strerror(errno));
			i++;
			goto fail_peers;
		}
	}
	*out = c;
	return 0;
fail_peers:
	tp_peers_close(peers, i);
fail:
	udp_close(c);
	return rc;
}

static int udp_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	struct tp_conn *c;
	int rc;

	(void)role;
	rc = tp_expect_fds(n_fds, 1, err);
	if (rc)
		return rc;
	rc = conn_new(p, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->fd = fds[0];
	*out = c;
	return 0;
}

static int send_dgram(int fd, const void *data, size_t len,
		      const struct sockaddr_in *to)
{
	for (;;) {
		ssize_t w =
			to ? sendto(fd, data, len, 0,
				    (const struct sockaddr *)to, sizeof(*to))
			   : send(fd, data, len, 0);

		if (w == (ssize_t)len)
			return 0;
		if (w >= 0)
			return -EMSGSIZE;
		if (errno != EINTR)
			return errno == ECONNREFUSED ? -EPIPE : -errno;
	}
}

static int recv_dgram(struct tp_conn *c, struct tp_msg *msg)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->buf, c->cap, MSG_TRUNC);

		if (r >= 0) {
			if ((size_t)r > c->cap)
				return -EMSGSIZE;
			msg->data = c->buf;
			msg->len = (size_t)r;
			return 0;
		}
		if (errno == ECONNREFUSED)
			return -EPIPE; /* the other socket is gone */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		if (!c->params.abort && getppid() == 1)
			return -EPIPE; /* peer side: the harness is gone */
	}
}

static int udp_call(struct tp_conn *c, const void *req, size_t len,
		    struct tp_msg *reply)
{
	int rc = send_dgram(c->fd, req, len, NULL);

	return rc ? rc : recv_dgram(c, reply);
}

static int udp_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return recv_dgram(c, msg);
}

static int udp_reply(struct tp_conn *c, const void *data, size_t len)
{
	return send_dgram(c->fd, data, len, NULL);
}

static int udp_publish(struct tp_conn *c, const void *data, size_t len,
		       const uint8_t *interested)
{
	unsigned i;
	int rc;

	for (i = 0; i < c->n_subs; i++) {
		if (!interested[i])
			continue;
		rc = send_dgram(c->fd, data, len, &c->subs[i]);
		if (rc)
			return rc;
	}
	return 0;
}

const struct transport_ops udp_ops = {
	.name = "udp",
	.prepare = udp_prepare,
	.connect = tp_connect_none,
	.attach = udp_attach,
	.call = udp_call,
	.recv = udp_recv,
	.reply = udp_reply,
	.publish = udp_publish,
	.close = udp_close,
};

TRANSPORT_REGISTER(udp_ops);
