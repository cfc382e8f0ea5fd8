// SPDX-License-Identifier: MIT
/*
 * sysv-msg: System V message queues (msgsnd / msgrcv).
 *
 * One private queue per channel (IPC_PRIVATE, mode 0600), addressed by
 * message type, which is how the API is meant to multiplex: RPC requests
 * are type 1 and replies type 2; broadcast sends one message of type i + 1
 * per interested subscriber i into the one queue and every subscriber
 * receives only its own type.  A SysV message is a struct { long mtype;
 * char mtext[]; }, so the sender copies the payload behind the type word
 * once before msgsnd (the API's own cost).
 *
 * A SysV queue id is not a file descriptor: the peer learns it from a small
 * memfd it inherits.  The harness owns the queue and removes it (IPC_RMID)
 * in close() and on every failure path.  msgrcv cannot time out, so a
 * watcher thread on the harness side removes the queue when the harness
 * aborts the case (a peer died or hung): the blocked call then returns
 * EIDRM.  Limits: a message may not exceed /proc/sys/kernel/msgmax nor the
 * queue's byte limit msgmnb; the TypeScript side skips larger sizes.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <unistd.h>

#define TYPE_REQUEST 1
#define TYPE_REPLY 2
#define WATCH_SLICE_MS 50

struct sysv_buf {
	long mtype;
	uint8_t mtext[];
};

struct tp_conn {
	struct tp_params params;
	int qid;
	int owner;  /* the harness: removes the queue */
	long rtype; /* the type we receive */
	long stype; /* RPC: the type we send */
	unsigned n_subs;
	struct sysv_buf *in, *out;
	size_t cap;
	/* harness: abort watcher */
	pthread_t watcher;
	int have_watcher;
	int stop_fd;
};

static void remove_queue(struct tp_conn *c)
{
	if (c->owner && c->qid >= 0)
		msgctl(c->qid, IPC_RMID, NULL);
	c->qid = -1;
}

static void *watch(void *arg)
{
	struct tp_conn *c = arg;
	struct pollfd pfd = { .fd = c->stop_fd, .events = POLLIN };

	for (;;) {
		if (poll(&pfd, 1, WATCH_SLICE_MS) > 0)
			return NULL; /* close() wants us gone */
		if (c->params.abort &&
		    __atomic_load_n(c->params.abort, __ATOMIC_SEQ_CST)) {
			/* wake whoever is blocked in msgsnd/msgrcv: EIDRM */
			msgctl(c->qid, IPC_RMID, NULL);
			return NULL;
		}
	}
}

static void sysv_close(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->have_watcher) {
		uint64_t one = 1;

		if (write(c->stop_fd, &one, sizeof(one)) < 0)
			pthread_cancel(c->watcher);
		pthread_join(c->watcher, NULL);
	}
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	remove_queue(c);
	free(c->in);
	free(c->out);
	free(c);
}

static int conn_new(const struct tp_params *p, struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->params = *p;
	c->qid = -1;
	c->stop_fd = -1;
	c->cap = p->max_msg + MSG_HDR_SIZE;
	c->in = malloc(sizeof(struct sysv_buf) + c->cap);
	c->out = malloc(sizeof(struct sysv_buf) + c->cap);
	if (!c->in || !c->out) {
		free(c->in);
		free(c->out);
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static int q_send(struct tp_conn *c, long type, const void *data, size_t len)
{
	if (len > c->cap)
		return -EMSGSIZE;
	c->out->mtype = type;
	memcpy(c->out->mtext, data, len);
	while (msgsnd(c->qid, c->out, len, 0)) {
		if (errno == EINVAL) /* over msgmax or the queue's msg_qbytes */
			return -EMSGSIZE;
		if (errno != EINTR) /* EIDRM: the harness removed the queue */
			return errno == EIDRM ? -ECANCELED : -errno;
	}
	return 0;
}

static int q_recv(struct tp_conn *c, struct tp_msg *msg)
{
	for (;;) {
		ssize_t r = msgrcv(c->qid, c->in, c->cap, c->rtype, 0);

		if (r >= 0) {
			msg->data = c->in->mtext;
			msg->len = (size_t)r;
			return 0;
		}
		if (errno == E2BIG)
			return -EMSGSIZE;
		if (errno != EINTR) /* EIDRM/EINVAL: the queue was removed */
			return errno == EIDRM || errno == EINVAL ? -ECANCELED
								 : -errno;
	}
}

static int sysv_prepare(const struct tp_params *p, struct tp_conn **out,
			struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	int rc, fd = -1;

	rc = conn_new(p, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->owner = 1;
	c->n_subs = p->subscribers;
	c->rtype = TYPE_REPLY;
	c->stype = TYPE_REQUEST;
	c->qid = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
	if (c->qid < 0) {
		rc = tp_fail(
			err, -errno, "msgget: %s",
			errno == ENOSPC
				? "the system-wide queue limit /proc/sys/kernel/msgmni is reached"
			: errno == ENOSYS
				? "the kernel has no System V IPC (CONFIG_SYSVIPC)"
				: strerror(errno));
		goto fail;
	}
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (c->stop_fd < 0 || pthread_create(&c->watcher, NULL, watch, c)) {
		rc = tp_fail(err, -EAGAIN, "cannot start the abort watcher");
		goto fail;
	}
	c->have_watcher = 1;
	/* the id travels to the peers in a small memfd */
	fd = memfd_create("ipcbench-sysv-msg", MFD_CLOEXEC);
	if (fd < 0 ||
	    pwrite(fd, &c->qid, sizeof(c->qid), 0) != sizeof(c->qid)) {
		rc = tp_fail(err, -errno, "memfd: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		peers[i].fds[0] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (peers[i].fds[0] < 0) {
			rc = tp_fail(err, -errno, "dup: %s", strerror(errno));
			tp_peers_close(peers, i);
			goto fail;
		}
		peers[i].n = 1;
	}
	close(fd);
	*out = c;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	sysv_close(c); /* IPC_RMID */
	return rc;
}

static int sysv_attach(const struct tp_params *p, enum tp_role role,
		       const int *fds, int n_fds, struct tp_conn **out,
		       char *err)
{
	struct tp_conn *c;
	struct msqid_ds ds;
	int rc;

	rc = tp_expect_fds(n_fds, 1, err);
	if (rc)
		return rc;
	rc = conn_new(p, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	if (pread(fds[0], &c->qid, sizeof(c->qid), 0) != sizeof(c->qid) ||
	    msgctl(c->qid, IPC_STAT, &ds)) {
		rc = tp_fail(err, -EINVAL,
			     "no System V queue behind inherited fd %d",
			     fds[0]);
		close(fds[0]);
		c->qid = -1;
		sysv_close(c);
		return rc;
	}
	close(fds[0]);
	if (role == TP_ROLE_SUBSCRIBER) {
		c->rtype = (long)p->index + 1;
	} else {
		c->rtype = TYPE_REQUEST;
		c->stype = TYPE_REPLY;
	}
	*out = c;
	return 0;
}

static int sysv_call(struct tp_conn *c, const void *req, size_t len,
		     struct tp_msg *reply)
{
	int rc = q_send(c, c->stype, req, len);

	return rc ? rc : q_recv(c, reply);
}

static int sysv_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return q_recv(c, msg);
}

static int sysv_reply(struct tp_conn *c, const void *data, size_t len)
{
	return q_send(c, c->stype, data, len);
}

static int sysv_publish(struct tp_conn *c, const void *data, size_t len,
			const uint8_t *interested)
{
	unsigned i;
	int rc;

	for (i = 0; i < c->n_subs; i++) {
		if (!interested[i])
			continue;
		rc = q_send(c, (long)i + 1, data, len);
		if (rc)
			return rc;
	}
	return 0;
}

const struct transport_ops sysv_msg_ops = {
	.name = "sysv-msg",
	.prepare = sysv_prepare,
	.connect = tp_connect_none,
	.attach = sysv_attach,
	.call = sysv_call,
	.recv = sysv_recv,
	.reply = sysv_reply,
	.publish = sysv_publish,
	.close = sysv_close,
};

TRANSPORT_REGISTER(sysv_msg_ops);
