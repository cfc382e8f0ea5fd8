// SPDX-License-Identifier: MIT
/*
 * tcp: TCP over loopback with TCP_NODELAY.
 *
 * Each channel is one TCP connection made by the harness in prepare(): a
 * listening socket bound to 127.0.0.1 on an ephemeral port (backlog 1), a
 * client socket connected to it, the accepted socket checked to be that very
 * client (so no other local process can slip in during the microseconds the
 * port is open), and the listener closed at once.  The peer inherits the
 * accepted socket, so nothing listens while a case runs.  The exchange is
 * the byte-stream core's (fdstream.c), exactly as for unix-stream: the
 * difference measured is the TCP/IP loopback path.
 */
#define _GNU_SOURCE
#include "../core/transport.h"
#include "fdstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int tcp_pair(int *mine, int *theirs, char *err)
{
	struct sockaddr_in addr = { .sin_family = AF_INET }, local, peer;
	socklen_t alen = sizeof(addr);
	int l, c = -1, s = -1, one = 1, rc;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return tp_fail(err, -errno, "socket: %s", strerror(errno));
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) ||
	    getsockname(l, (struct sockaddr *)&addr, &alen) || listen(l, 1)) {
		rc = tp_fail(err, -errno, "listen on 127.0.0.1: %s",
			     strerror(errno));
		goto out;
	}
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof(addr))) {
		rc = tp_fail(err, -errno, "connect to 127.0.0.1:%u: %s",
			     ntohs(addr.sin_port), strerror(errno));
		goto out;
	}
	alen = sizeof(local);
	if (getsockname(c, (struct sockaddr *)&local, &alen)) {
		rc = tp_fail(err, -errno, "getsockname: %s", strerror(errno));
		goto out;
	}
	alen = sizeof(peer);
	s = accept4(l, (struct sockaddr *)&peer, &alen, SOCK_CLOEXEC);
	if (s < 0) {
		rc = tp_fail(err, -errno, "accept: %s", strerror(errno));
		goto out;
	}
	if (peer.sin_port != local.sin_port ||
	    peer.sin_addr.s_addr != local.sin_addr.s_addr) {
		rc = tp_fail(
			err, -ECONNREFUSED,
			"another process connected to our loopback port %u first",
			ntohs(addr.sin_port));
		goto out;
	}
	if (setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
		rc = tp_fail(err, -errno, "TCP_NODELAY: %s", strerror(errno));
		goto out;
	}
	*mine = c;
	*theirs = s;
	c = s = -1;
	rc = 0;
out:
	close(l); /* nothing stays listening */
	if (c >= 0)
		close(c);
	if (s >= 0)
		close(s);
	return rc;
}

static int tcp_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	int rc;

	rc = fd_conn_alloc(FD_STREAM, p, n, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	for (i = 0; i < n; i++) {
		rc = tcp_pair(&c->chans[i].rfd, &peers[i].fds[0], err);
		if (rc) {
			fd_close_peer_lists(peers, i);
			fd_close(c);
			return rc;
		}
		c->chans[i].wfd = c->chans[i].rfd;
		peers[i].n = 1;
	}
	*out = c;
	return 0;
}

static int tcp_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	struct tp_conn *c;
	int rc;

	(void)role;
	if (n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	rc = fd_conn_alloc(FD_STREAM, p, 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->chans[0].rfd = c->chans[0].wfd = fds[0];
	*out = c;
	return 0;
}

const struct transport_ops tcp_ops = {
	.name = "tcp",
	.prepare = tcp_prepare,
	.connect = fd_connect,
	.attach = tcp_attach,
	.call = fd_call,
	.recv = fd_recv,
	.reply = fd_reply,
	.publish = fd_publish,
	.close = fd_close,
};

TRANSPORT_REGISTER(tcp_ops);
