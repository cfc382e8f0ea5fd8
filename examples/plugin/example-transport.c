// SPDX-License-Identifier: MIT
/*
 * An example ipcbench transport plug-in: RPC and broadcast over AF_UNIX
 * stream sockets, one socketpair per peer, each message framed by a 4-byte
 * length.  It is deliberately plain: copy it as the skeleton for your own
 * IPC layer, replacing the socket calls with your library's.
 *
 * Build:  cc -O2 -Wall -Wextra -fPIC -shared \
 *            -I "$(ipcbench plugin-include)" \
 *            -o libexample-ipc.so example-transport.c
 * Run:    ipcbench run --plugin ./libexample-ipc.so --sizes 64,4K
 */
#define _GNU_SOURCE
#include <ipcbench/transport-plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How often a wait looks at *params->abort. */
#define WAIT_SLICE_MS 20

struct ipcbench_conn {
	int *fds;		/* harness: one per peer; peer: one */
	unsigned n;
	uint8_t *buf;		/* received message */
	size_t cap;
	volatile int *abort;
};

static int fail(char *err, int rc, const char *what)
{
	if (err)
		snprintf(err, IPCBENCH_PLUGIN_ERR_LEN, "example-ipc: %s: %s",
			 what, strerror(-rc));
	return rc;
}

static int conn_new(const struct ipcbench_params *p, unsigned n,
		    struct ipcbench_conn **out)
{
	struct ipcbench_conn *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -ENOMEM;
	c->fds = calloc(n, sizeof(int));
	c->cap = p->max_msg;
	c->buf = malloc(c->cap ? c->cap : 1);
	if (!c->fds || !c->buf) {
		free(c->fds);
		free(c->buf);
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		c->fds[i] = -1;
	c->n = n;
	c->abort = p->abort;
	*out = c;
	return 0;
}

static void example_close(struct ipcbench_conn *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	free(c->fds);
	free(c->buf);
	free(c);
}

/* Wait until fd is ready for events, giving up when the harness aborts. */
static int wait_fd(struct ipcbench_conn *c, int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int r;

		if (c->abort && *c->abort)
			return -ECANCELED;
		r = poll(&pfd, 1, WAIT_SLICE_MS);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int write_full(struct ipcbench_conn *c, int fd, const void *data,
		      size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			len -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int rc = wait_fd(c, fd, POLLOUT);

			if (rc)
				return rc;
		} else {
			return w < 0 ? -errno : -EPIPE;
		}
	}
	return 0;
}

static int read_full(struct ipcbench_conn *c, int fd, void *data, size_t len)
{
	uint8_t *p = data;

	while (len) {
		ssize_t r = recv(fd, p, len, MSG_DONTWAIT);

		if (r > 0) {
			p += r;
			len -= (size_t)r;
		} else if (r == 0) {
			return -EPIPE;	/* the other side is gone */
		} else if (errno == EAGAIN || errno == EINTR) {
			int rc = wait_fd(c, fd, POLLIN);

			if (rc)
				return rc;
		} else {
			return -errno;
		}
	}
	return 0;
}

static int send_msg(struct ipcbench_conn *c, int fd, const void *data,
		    size_t len)
{
	uint32_t n = (uint32_t)len;
	int rc;

	if (len > c->cap)
		return -EMSGSIZE;
	rc = write_full(c, fd, &n, sizeof(n));
	return rc ? rc : write_full(c, fd, data, len);
}

static int recv_msg(struct ipcbench_conn *c, int fd, struct ipcbench_msg *m)
{
	uint32_t n;
	int rc = read_full(c, fd, &n, sizeof(n));

	if (rc)
		return rc;
	if (n > c->cap)
		return -EMSGSIZE;
	rc = read_full(c, fd, c->buf, n);
	if (rc)
		return rc;
	m->data = c->buf;
	m->len = n;
	return 0;
}

static int example_prepare(const struct ipcbench_params *p,
			   struct ipcbench_conn **conn,
			   struct ipcbench_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct ipcbench_conn *c;
	int rc = conn_new(p, n, &c);

	if (rc)
		return fail(err, rc, "allocate");
	for (i = 0; i < n; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
			rc = -errno;
			while (i--)
				close(peers[i].fds[0]);
			example_close(c);
			return fail(err, rc, "socketpair");
		}
		fcntl(sv[0], F_SETFD, FD_CLOEXEC);
		c->fds[i] = sv[0];
		peers[i].fds[0] = sv[1];
		peers[i].n = 1;
	}
	*conn = c;
	return 0;
}

static int example_connect(struct ipcbench_conn *c, char *err)
{
	(void)c;
	(void)err;
	return 0;	/* the socketpairs are connected from the start */
}

static int example_attach(const struct ipcbench_params *p,
			  enum ipcbench_role role, const int *fds, int n_fds,
			  struct ipcbench_conn **conn, char *err)
{
	struct ipcbench_conn *c;
	int rc;

	(void)role;
	if (n_fds != 1) {
		if (err)
			snprintf(err, IPCBENCH_PLUGIN_ERR_LEN,
				 "example-ipc: expected 1 inherited fd, got %d",
				 n_fds);
		return -EINVAL;
	}
	rc = conn_new(p, 1, &c);
	if (rc)
		return fail(err, rc, "allocate");
	c->fds[0] = fds[0];
	*conn = c;
	return 0;
}

static int example_call(struct ipcbench_conn *c, const void *req, size_t len,
			struct ipcbench_msg *reply)
{
	int rc = send_msg(c, c->fds[0], req, len);

	return rc ? rc : recv_msg(c, c->fds[0], reply);
}

__attribute__((unused))
static int example_recv(struct ipcbench_conn *c, struct ipcbench_msg *msg)
{
	return recv_msg(c, c->fds[0], msg);
}

static int example_reply(struct ipcbench_conn *c, const void *data,
			 size_t len)
{
	return send_msg(c, c->fds[0], data, len);
}

static int example_publish(struct ipcbench_conn *c, const void *data,
			   size_t len, const uint8_t *interested)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		int rc;

		if (!interested[i])
			continue;
		rc = send_msg(c, c->fds[i], data, len);
		if (rc)
			return rc;
	}
	return 0;
}

#ifndef EXAMPLE_NAME
#define EXAMPLE_NAME "example-ipc"
#define EXAMPLE_CALL example_call
#endif
#ifndef EXAMPLE_REPLY	/* a test plug-in may wrap the server's reply */
#define EXAMPLE_REPLY example_reply
#endif

static const struct ipcbench_transport_plugin example_plugin = {
	.abi_version = IPCBENCH_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct ipcbench_transport_plugin),
	.name = EXAMPLE_NAME,
	.version = "1.0",
	.description = "example plug-in: AF_UNIX stream sockets, length-framed",
	.prepare = example_prepare,
	.connect = example_connect,
	.attach = example_attach,
	.call = EXAMPLE_CALL,
#ifndef EXAMPLE_NO_RECV	/* the tests build a broken plug-in this way */
	.recv = example_recv,
#endif
	.reply = EXAMPLE_REPLY,
	.publish = example_publish,
	.close = example_close,
};

__attribute__((visibility("default")))
const struct ipcbench_transport_plugin *ipcbench_transport_plugin(void)
{
	return &example_plugin;
}
