// SPDX-License-Identifier: MIT
/* ipcbench-include: iceoryx/v* iceoryx_binding_c/runtime.h -liceoryx_binding_c (libiceoryx-binding-c-dev libiceoryx-posh-dev) */
/*
 * iceoryx: Eclipse iceoryx 2.0 publish/subscribe through its C binding
 * (Debian's libiceoryx-binding-c-dev), with a RouDi daemon that
 * transports/iceoryx.ts starts privately for the run.
 *
 * Delivery is zero-copy: the sender loans a chunk from RouDi's shared
 * memory pools, copies the message into it once (the workload driver hands
 * us its own buffer) and publishes it; every receiver reads the very same
 * chunk in place (tp_msg points into shared memory) and releases it on its
 * next operation.  Nothing travels through the kernel but the wake-up:
 * receivers sleep in a WaitSet (a futex-backed semaphore in shared memory).
 *
 * Topics (service "ipcbench", instance = the channel id, event below):
 *   RPC        "req" (harness -> server) and "rep" (server -> harness): a
 *              request/response pair of topics.
 *   broadcast  "control" (HELLO/BYE, every subscriber) and "data" (only
 *              interested subscribers subscribe to it): iceoryx filters by
 *              topic, so an uninterested subscriber never sees data.  The
 *              publish() mask is not consulted, as on a D-Bus bus.
 *
 * Matching goes through RouDi's discovery loop, asynchronously: the harness
 * creates its ports in prepare(), a peer creates its own in attach() and
 * says READY only once its subscriptions are SUBSCRIBED (so it is connected
 * to the publisher's distributor), and the harness's connect() waits for its
 * own subscriber (RPC) the same way.
 *
 * One runtime per process: iceoryx 2.0 registers a process with RouDi once
 * (iox_runtime_init) for the process's lifetime.  The harness therefore
 * joins the RouDi named by tp_params.address once and refuses another one
 * later with a readable reason.  iox_runtime_init() waits for RouDi and
 * terminates the process if it never comes, so we first check that RouDi's
 * socket exists.
 *
 * Waits use iox_ws_timed_wait() in slices of ICX_SLICE_MS so that
 * *tp_params.abort is honoured.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"
#include "dbus-chanid.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/notification_info.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/wait_set.h>

#define ICX_SLICE_MS 200
#define ICX_MATCH_TIMEOUT_MS \
	20000	     /* RouDi's discovery loop is slow on a loaded machine */
#define ICX_QUEUE 16 /* subscriber queue: closed loop needs 1-2 */
#define ICX_SERVICE "ipcbench"
#define ICX_ROUDI_SOCKET \
	"/tmp/roudi" /* fixed in iceoryx 2.0 (IOX_UDS_SOCKET_PATH_PREFIX + "roudi") */
#define ICX_ROUDI_LOCK "/tmp/iox-unique-roudi.lock"
#define ICX_ROUDI_STOP_MS 3000
#define ICX_MAX_PORTS 2

struct tp_conn {
	enum tp_role role;
	struct tp_params params;
	iox_pub_storage_t pub_st[ICX_MAX_PORTS];
	iox_sub_storage_t sub_st[ICX_MAX_PORTS];
	iox_ws_storage_t ws_st;
	iox_pub_t pub
		[ICX_MAX_PORTS]; /* RPC: [0] ours; broadcast: [0] control, [1] data */
	iox_sub_t sub
		[ICX_MAX_PORTS]; /* RPC: [0] ours; subscriber: [0] control, [1] data */
	unsigned n_pub, n_sub;
	iox_ws_t ws;
	iox_sub_t
		held_from; /* the chunk given out last, released on the next op */
	const void *held;
	iox_sub_t
		pend_from; /* subscriber: a control chunk kept back behind data */
	const void *pend;
};

/* ---- the process's one runtime ---- */

static char joined[128]; /* the RouDi this process registered with */
static pid_t roudi_pid;	 /* the harness's private RouDi ("roudi-<pid>") */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Running (not gone, not a zombie its supervisor has yet to reap)? */
static int pid_running(pid_t pid)
{
	char path[64], buf[256], *paren;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/*
 * At exit, after the iceoryx runtime's own destructor has unregistered this
 * process (atexit handlers run in reverse order, and this one is registered
 * before iox_runtime_init()), stop our RouDi and wait for it: it would
 * SIGTERM a process still registered, so this is the first moment it can
 * be stopped without signalling the harness.  iox-roudi 2.0.3 aborts when
 * a registered peer is already dead (a killed peer: monitoring is off) and
 * then leaves its files: remove them under its lock.  The
 * supervisor in transports/iceoryx.ts does the same if we never get here.
 */
static void roudi_stop_at_exit(void)
{
	unsigned waited = 0;
	struct group *g;
	char seg[300];
	int fd;

	if (roudi_pid <= 0 || !pid_running(roudi_pid))
		return;
	kill(roudi_pid, SIGTERM);
	while (pid_running(roudi_pid) && waited < ICX_ROUDI_STOP_MS) {
		sleep_ms(10);
		waited += 10;
	}
	if (pid_running(roudi_pid)) {
		/* still waiting for some registered process: we are not one
		 * any more, so nobody is left to signal back */
		kill(roudi_pid, SIGKILL);
		for (waited = 0; pid_running(roudi_pid) && waited < 1000;
		     waited += 10)
			sleep_ms(10);
	}
	fd = open(ICX_ROUDI_LOCK, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return; /* it removed everything itself */
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		unlink(ICX_ROUDI_SOCKET);
		unlink(ICX_ROUDI_SOCKET ".lock");
		unlink("/dev/shm/iceoryx_mgmt");
		g = getgrgid(getgid());
		if (g && snprintf(seg, sizeof(seg), "/dev/shm/%s", g->gr_name) <
				 (int)sizeof(seg))
			unlink(seg);
		unlink(ICX_ROUDI_LOCK);
	}
	close(fd);
}

static int join_roudi(const struct tp_params *p, const char *side, char *err)
{
	char name[64];
	struct stat st;

	if (!p->address || !p->address[0])
		return tp_fail(
			err, -EINVAL,
			"no RouDi named (the transport's setup() starts one)");
	if (joined[0]) {
		if (!strcmp(joined, p->address))
			return 0;
		return tp_fail(
			err, -EALREADY,
			"this process is registered with an earlier RouDi (%s); iceoryx 2.0 "
			"registers a process once for its lifetime, so run again in a new process",
			joined);
	}
	if (stat(ICX_ROUDI_SOCKET, &st) || !S_ISSOCK(st.st_mode))
		return tp_fail(err, -ENOENT, "RouDi is not running (no %s)",
			       ICX_ROUDI_SOCKET);
	if (st.st_uid != getuid())
		return tp_fail(err, -EPERM,
			       "%s belongs to another user's RouDi",
			       ICX_ROUDI_SOCKET);
	if (!strncmp(p->address, "roudi-", 6) && !strcmp(side, "h")) {
		roudi_pid = (pid_t)atoi(p->address + 6);
		atexit(roudi_stop_at_exit); /* runs after the runtime's destructor */
	}
	iox_set_loglevel(Iceoryx_LogLevel_Error);
	snprintf(name, sizeof(name), "ipcbench-%s%d", side, (int)getpid());
	/* its socket (/tmp/<name>) is born owner-only */
	{
		mode_t old = umask(077);

		iox_runtime_init(name);
		umask(old);
	}
	snprintf(joined, sizeof(joined), "%s", p->address);
	return 0;
}

/* ---- ports ---- */

static void icx_release_held(struct tp_conn *c)
{
	if (c->held) {
		iox_sub_release_chunk(c->held_from, c->held);
		c->held = NULL;
	}
}

static void icx_close(struct tp_conn *c)
{
	unsigned i;

	if (!c)
		return;
	icx_release_held(c);
	if (c->pend)
		iox_sub_release_chunk(c->pend_from, c->pend);
	if (c->ws)
		iox_ws_deinit(c->ws); /* detaches everything */
	for (i = 0; i < c->n_sub; i++)
		iox_sub_deinit(c->sub[i]);
	for (i = 0; i < c->n_pub; i++)
		iox_pub_deinit(c->pub[i]);
	free(c);
}

static int add_pub(struct tp_conn *c, const char *id, const char *event)
{
	iox_pub_options_t o;

	iox_pub_options_init(&o);
	o.historyCapacity = 0;
	o.nodeName = "ipcbench";
	c->pub[c->n_pub] =
		iox_pub_init(&c->pub_st[c->n_pub], ICX_SERVICE, id, event, &o);
	if (!c->pub[c->n_pub])
		return -ENOMEM;
	c->n_pub++;
	return 0;
}

static int add_sub(struct tp_conn *c, const char *id, const char *event)
{
	iox_sub_options_t o;
	iox_sub_t s;

	iox_sub_options_init(&o);
	o.queueCapacity = ICX_QUEUE;
	o.historyRequest = 0;
	o.nodeName = "ipcbench";
	s = iox_sub_init(&c->sub_st[c->n_sub], ICX_SERVICE, id, event, &o);
	if (!s)
		return -ENOMEM;
	c->sub[c->n_sub++] = s;
	if (!c->ws) {
		c->ws = iox_ws_init(&c->ws_st);
		if (!c->ws)
			return -ENOMEM;
	}
	if (iox_ws_attach_subscriber_event(
		    c->ws, s, SubscriberEvent_DATA_RECEIVED, c->n_sub - 1,
		    NULL) != WaitSetResult_SUCCESS)
		return -ENOSPC;
	return 0;
}

static int icx_alloc(const struct tp_params *p, enum tp_role role,
		     struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->role = role;
	c->params = *p;
	c->params.address = NULL;
	*out = c;
	return 0;
}

/* Wait until every subscriber of c is SUBSCRIBED. */
static int wait_subscribed(struct tp_conn *c, char *err)
{
	unsigned waited = 0, i;

	for (;;) {
		for (i = 0; i < c->n_sub; i++)
			if (iox_sub_get_subscription_state(c->sub[i]) !=
			    SubscribeState_SUBSCRIBED)
				break;
		if (i == c->n_sub)
			return 0;
		if (c->params.abort && *c->params.abort)
			return tp_fail(err, -ECANCELED,
				       "aborted by the harness");
		if (waited >= ICX_MATCH_TIMEOUT_MS)
			return tp_fail(
				err, -ETIMEDOUT,
				"RouDi did not connect our subscriber within %u ms (state %d)",
				ICX_MATCH_TIMEOUT_MS,
				(int)iox_sub_get_subscription_state(c->sub[i]));
		sleep_ms(5);
		waited += 5;
	}
}

static int icx_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	unsigned npeers = p->subscribers ? p->subscribers : 1, i;
	enum tp_role role = p->subscribers ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT;
	char id[CHANID_LEN];
	struct tp_conn *c;
	int rc;

	if (p->max_msg > UINT32_MAX)
		return tp_fail(err, -EMSGSIZE,
			       "iceoryx chunks hold at most 4 GiB");
	rc = join_roudi(p, "h", err);
	if (rc)
		return rc;
	rc = icx_alloc(p, role, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	chanid_make("Icx", id, sizeof(id));
	if (role == TP_ROLE_CLIENT) {
		rc = add_pub(c, id, "req");
		if (!rc)
			rc = add_sub(c, id, "rep");
	} else {
		rc = add_pub(c, id, "control");
		if (!rc)
			rc = add_pub(c, id, "data");
	}
	if (rc) {
		icx_close(c);
		return tp_fail(err, rc, "creating the iceoryx ports: %s",
			       strerror(-rc));
	}
	for (i = 0; i < npeers; i++) {
		rc = chanid_pipe(id, &peers[i].fds[0], err);
		if (rc) {
			while (i--) {
				close(peers[i].fds[0]);
				peers[i].n = 0;
			}
			icx_close(c);
			return rc;
		}
		peers[i].n = 1;
	}
	*out = c;
	return 0;
}

static int icx_connect(struct tp_conn *c, char *err)
{
	/* RPC: the server's reply publisher exists (it said READY) */
	return wait_subscribed(c, err);
}

static int icx_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	char id[CHANID_LEN];
	struct tp_conn *c;
	int rc;

	rc = tp_expect_fds(n_fds, 1, err);
	if (!rc)
		rc = chanid_take(fds[0], id, sizeof(id), err);
	if (rc)
		return rc;
	rc = join_roudi(p, "p", err);
	if (rc)
		return rc;
	rc = icx_alloc(p, role, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	if (role == TP_ROLE_SERVER) {
		rc = add_sub(c, id, "req");
		if (!rc)
			rc = add_pub(c, id, "rep");
	} else {
		rc = add_sub(c, id, "control");
		if (!rc && p->interested)
			rc = add_sub(c, id, "data");
	}
	if (rc) {
		icx_close(c);
		return tp_fail(err, rc, "creating the iceoryx ports: %s",
			       strerror(-rc));
	}
	rc = wait_subscribed(c, err);
	if (rc) {
		icx_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int icx_send(struct tp_conn *c, iox_pub_t pub, const void *data,
		    size_t len)
{
	void *chunk = NULL;
	enum iox_AllocationResult r;

	/* a user header carries the length: the chunk may be larger */
	r = iox_pub_loan_aligned_chunk_with_user_header(
		pub, &chunk, (uint32_t)len, 8, sizeof(uint64_t), 8);
	if (r != AllocationResult_SUCCESS) {
		(void)c;
		return r == AllocationResult_NO_MEMPOOLS_AVAILABLE   ? -EMSGSIZE
		       : r == AllocationResult_RUNNING_OUT_OF_CHUNKS ? -ENOBUFS
								     : -EIO;
	}
	*(uint64_t *)iox_chunk_header_to_user_header(
		iox_chunk_header_from_user_payload(chunk)) = len;
	memcpy(chunk, data, len);
	iox_pub_publish_chunk(pub, chunk);
	return 0;
}

static int take(iox_sub_t s, const void **chunk)
{
	enum iox_ChunkReceiveResult r = iox_sub_take_chunk(s, chunk);

	if (r == ChunkReceiveResult_SUCCESS)
		return 1;
	if (r == ChunkReceiveResult_NO_CHUNK_AVAILABLE)
		return 0;
	return r == ChunkReceiveResult_TOO_MANY_CHUNKS_HELD_IN_PARALLEL
		       ? -ENOBUFS
		       : -EIO;
}

static void give(struct tp_conn *c, iox_sub_t from, const void *chunk,
		 struct tp_msg *msg)
{
	const iox_chunk_header_t *h =
		iox_chunk_header_from_user_payload_const(chunk);

	c->held = chunk;
	c->held_from = from;
	msg->data = (void *)chunk;
	msg->len = (size_t) *
		   (const uint64_t *)iox_chunk_header_to_user_header_const(h);
}

/*
 * Next chunk.  With two topics (subscriber: control + data) data goes first
 * when both have something: a BYE is published after the last data, so a
 * control chunk seen together with data is kept back until the data is
 * consumed.
 */
static int icx_next(struct tp_conn *c, struct tp_msg *msg)
{
	icx_release_held(c);
	for (;;) {
		iox_notification_info_t info[ICX_MAX_PORTS];
		uint64_t missed = 0;
		struct timespec slice = { 0, ICX_SLICE_MS * 1000000L };
		const void *chunk;
		int rc;

		if (c->n_sub > 1) {
			rc = take(c->sub[1], &chunk);
			if (rc < 0)
				return rc;
			if (rc) {
				give(c, c->sub[1], chunk, msg);
				return 0;
			}
		}
		if (c->pend) {
			give(c, c->pend_from, c->pend, msg);
			c->pend = NULL;
			return 0;
		}
		rc = take(c->sub[0], &chunk);
		if (rc < 0)
			return rc;
		if (rc) {
			if (c->n_sub > 1 && iox_sub_has_chunks(c->sub[1])) {
				c->pend = chunk;
				c->pend_from = c->sub[0];
				continue;
			}
			give(c, c->sub[0], chunk, msg);
			return 0;
		}
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		iox_ws_timed_wait(c->ws, slice, info, ICX_MAX_PORTS, &missed);
	}
}

static int icx_call(struct tp_conn *c, const void *req, size_t len,
		    struct tp_msg *reply)
{
	int rc;

	icx_release_held(c);
	rc = icx_send(c, c->pub[0], req, len);
	if (rc)
		return rc;
	return icx_next(c, reply);
}

static int icx_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return icx_next(c, msg);
}

static int icx_reply(struct tp_conn *c, const void *data, size_t len)
{
	/* data usually points into the held request chunk: copy, then release */
	int rc = icx_send(c, c->pub[0], data, len);

	icx_release_held(c);
	return rc;
}

static int icx_publish(struct tp_conn *c, const void *data, size_t len,
		       const uint8_t *interested)
{
	struct msg_hdr h;

	(void)interested; /* iceoryx filters by topic */
	if (len < MSG_HDR_SIZE)
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	return icx_send(c, c->pub[(h.flags & (MSG_HELLO | MSG_BYE)) ? 0 : 1],
			data, len);
}

const struct transport_ops iceoryx_ops = {
	.name = "iceoryx",
	.prepare = icx_prepare,
	.connect = icx_connect,
	.attach = icx_attach,
	.call = icx_call,
	.recv = icx_recv,
	.reply = icx_reply,
	.publish = icx_publish,
	.close = icx_close,
};

TRANSPORT_REGISTER(iceoryx_ops);
