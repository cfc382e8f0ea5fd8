// SPDX-License-Identifier: MIT
/*
 * posix-mq: POSIX message queues (mq_timedsend / mq_timedreceive).
 *
 * RPC: a request queue and a reply queue; broadcast: one queue per
 * subscriber, the publisher sends once per interested subscriber (POSIX
 * queues have no receiver-side selection).  The harness creates each queue
 * (O_CREAT | O_EXCL, mode 0600, mq_msgsize = the case's largest message,
 * mq_maxmsg = MQ_DEPTH) and unlinks its name at once: on Linux a queue
 * descriptor is a file descriptor, so the peer inherits it like a pipe end
 * and the queue lives exactly as long as someone holds it.  Nothing can be
 * left in /dev/mqueue, whatever happens later.
 *
 * Limits: mq_msgsize may not exceed /proc/sys/fs/mqueue/msgsize_max for an
 * unprivileged user (the TypeScript side skips larger sizes with the reason)
 * and every queue is charged to RLIMIT_MSGQUEUE.  Waits are sliced so the
 * harness's abort flag and the peer's "harness gone" check are honoured.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MQ_DEPTH 2
#define MQ_WAIT_SLICE_NS 200000000l

struct tp_conn {
	struct tp_params params;
	mqd_t *qs; /* every queue this side holds */
	unsigned n_qs;
	mqd_t in;  /* where we receive (-1: nowhere) */
	mqd_t out; /* RPC: where we send */
	uint8_t *buf;
	size_t cap;
};

static int conn_new(const struct tp_params *p, unsigned n_qs,
		    struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -ENOMEM;
	c->params = *p;
	c->n_qs = n_qs;
	c->qs = calloc(n_qs, sizeof(*c->qs));
	c->cap = p->max_msg + MSG_HDR_SIZE;
	c->buf = malloc(c->cap);
	if (!c->qs || !c->buf) {
		free(c->qs);
		free(c->buf);
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n_qs; i++)
		c->qs[i] = -1;
	c->in = c->out = -1;
	*out = c;
	return 0;
}

static void mq_conn_close(struct tp_conn *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->n_qs; i++)
		if (c->qs[i] >= 0)
			mq_close(c->qs[i]);
	free(c->qs);
	free(c->buf);
	free(c);
}

static const char *open_reason(int e)
{
	switch (e) {
	case EINVAL:
		return "message size or depth above the queue limits (/proc/sys/fs/mqueue/msgsize_max, msg_max)";
	case EMFILE:
		return "RLIMIT_MSGQUEUE (ulimit -q) exhausted: every queue's maxmsg * msgsize is charged to it";
	case ENOSPC:
		return "the system-wide queue limit /proc/sys/fs/mqueue/queues_max is reached";
	case ENOSYS:
		return "the kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE)";
	default:
		return strerror(e);
	}
}

/* A fresh anonymous queue: created under a unique name, unlinked at once. */
static int new_queue(size_t msgsize, mqd_t *out, char *err)
{
	static unsigned counter;
	struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH,
				.mq_msgsize = (long)msgsize };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/ipcbench-%d-%u-%lx", (int)getpid(),
		 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED),
		 (unsigned long)clock() ^ (unsigned long)time(NULL));
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1 && errno == EINVAL) {
		attr.mq_maxmsg = 1; /* msg_max may be 1 */
		q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
			    &attr);
	}
	if (q == (mqd_t)-1)
		return tp_fail(err, -errno, "mq_open (msgsize %zu): %s",
			       msgsize, open_reason(errno));
	mq_unlink(name); /* the descriptors keep it alive */
	*out = q;
	return 0;
}

static void deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts); /* mq_timed* use CLOCK_REALTIME */
	ts->tv_nsec += MQ_WAIT_SLICE_NS;
	if (ts->tv_nsec >= 1000000000l) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000l;
	}
}

static int gave_up(struct tp_conn *c)
{
	if (c->params.abort && *c->params.abort)
		return -ECANCELED;
	if (!c->params.abort && getppid() == 1)
		return -EPIPE; /* peer side: the harness is gone */
	return 0;
}

static int q_send(struct tp_conn *c, mqd_t q, const void *data, size_t len)
{
	struct timespec ts;
	int rc;

	for (;;) {
		deadline(&ts);
		if (!mq_timedsend(q, data, len, 0, &ts))
			return 0;
		if (errno != ETIMEDOUT && errno != EINTR)
			return -errno;
		rc = gave_up(c);
		if (rc)
			return rc;
	}
}

static int q_recv(struct tp_conn *c, struct tp_msg *msg)
{
	struct timespec ts;
	ssize_t r;
	int rc;

	for (;;) {
		deadline(&ts);
		r = mq_timedreceive(c->in, (char *)c->buf, c->cap, NULL, &ts);
		if (r >= 0) {
			msg->data = c->buf;
			msg->len = (size_t)r;
			return 0;
		}
		if (errno != ETIMEDOUT && errno != EINTR)
			return -errno;
		rc = gave_up(c);
		if (rc)
			return rc;
	}
}

static int mq_prepare(const struct tp_params *p, struct tp_conn **out,
		      struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 2, i;
	struct tp_conn *c;
	int rc;

	rc = conn_new(p, n, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	for (i = 0; i < n; i++) {
		rc = new_queue(p->max_msg, &c->qs[i], err);
		if (rc)
			goto fail;
	}
	if (p->subscribers) {
		for (i = 0; i < n; i++) {
			peers[i].fds[0] = fcntl(c->qs[i], F_DUPFD_CLOEXEC, 3);
			if (peers[i].fds[0] < 0)
				goto fail_dup;
			peers[i].n = 1;
		}
	} else {
		/* qs[0]: requests (we send), qs[1]: replies (we receive) */
		c->out = c->qs[0];
		c->in = c->qs[1];
		for (i = 0; i < 2; i++) {
			peers[0].fds[i] = fcntl(c->qs[i], F_DUPFD_CLOEXEC, 3);
			if (peers[0].fds[i] < 0)
				goto fail_dup;
			peers[0].n = (int)i + 1;
		}
	}
	*out = c;
	return 0;
fail_dup:
	rc = tp_fail(err, -errno, "dup: %s", strerror(errno));
	tp_peers_close(peers, p->subscribers ? p->subscribers : 1);
fail:
	mq_conn_close(c);
	return rc;
}

static int mq_attach(const struct tp_params *p, enum tp_role role,
		     const int *fds, int n_fds, struct tp_conn **out, char *err)
{
	int need = role == TP_ROLE_SUBSCRIBER ? 1 : 2, rc, i;
	struct tp_conn *c;
	struct mq_attr attr;

	rc = tp_expect_fds(n_fds, need, err);
	if (rc)
		return rc;
	rc = conn_new(p, (unsigned)need, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	for (i = 0; i < need; i++)
		c->qs[i] = fds[i];
	if (mq_getattr(c->qs[0], &attr)) {
		rc = tp_fail(err, -errno,
			     "inherited fd %d is not a message queue: %s",
			     fds[0], strerror(errno));
		mq_conn_close(c);
		return rc;
	}
	c->in = c->qs[0];
	c->out = need == 2 ? c->qs[1] : -1;
	*out = c;
	return 0;
}

static int mq_call(struct tp_conn *c, const void *req, size_t len,
		   struct tp_msg *reply)
{
	int rc = q_send(c, c->out, req, len);

	return rc ? rc : q_recv(c, reply);
}

static int mq_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return q_recv(c, msg);
}

static int mq_reply(struct tp_conn *c, const void *data, size_t len)
{
	return q_send(c, c->out, data, len);
}

static int mq_publish(struct tp_conn *c, const void *data, size_t len,
		      const uint8_t *interested)
{
	unsigned i;
	int rc;

	for (i = 0; i < c->n_qs; i++) {
		if (!interested[i])
			continue;
		rc = q_send(c, c->qs[i], data, len);
		if (rc)
			return rc;
	}
	return 0;
}

const struct transport_ops posix_mq_ops = {
	.name = "posix-mq",
	.prepare = mq_prepare,
	.connect = tp_connect_none,
	.attach = mq_attach,
	.call = mq_call,
	.recv = mq_recv,
	.reply = mq_reply,
	.publish = mq_publish,
	.close = mq_conn_close,
};

TRANSPORT_REGISTER(posix_mq_ops);
