// SPDX-License-Identifier: MIT
/*
 * The RPC workload: synchronous call/reply, one outstanding call.
 *
 * A call is timed from just before the request is handed to the transport
 * to just after the whole reply is available (CLOCK_MONOTONIC).  The server
 * verifies each request before it echoes it (so a server reads every byte
 * it receives, as a real one would); the client verifies the echo after
 * taking the second timestamp.
 */
#include "workloads.h"

#include "../core/clock.h"
#include "../core/payload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(struct rpc_result *res, int rc, const char *what)
{
	res->error = rc < 0 ? rc : -EIO;
	if (!res->reason[0])
		snprintf(
			res->reason, sizeof(res->reason), "%s: %s", what,
			rc == -EPIPE ? "peer closed the connection"
			: rc == -ECONNRESET
				? "connection reset (the bus or the peer dropped it)"
			: rc == -ECANCELED ? "aborted by the harness"
					   : strerror(-rc));
	return res->error;
}

static int checked_call(const struct transport_ops *ops, struct tp_conn *conn,
			struct payload *pl, uint64_t seq, struct tp_msg *reply,
			struct rpc_result *res)
{
	int rc = ops->call(conn, pl->buf, pl->len, reply);

	if (rc)
		return fail(res, rc, "call");
	return 0;
}

static int verify_reply(const struct tp_msg *reply, uint64_t seq,
			struct rpc_result *res)
{
	enum payload_verdict v = payload_verify(reply->data, reply->len, seq);

	if (v == PAYLOAD_OK)
		return 0;
	res->error = -EBADMSG;
	snprintf(res->reason, sizeof(res->reason),
		 "integrity check failed on reply %llu: %s",
		 (unsigned long long)seq, payload_verdict_str(v));
	return res->error;
}

int rpc_client_run(const struct transport_ops *ops, struct tp_conn *conn,
		   const struct rpc_config *cfg, struct rpc_result *res)
{
	struct cpu_usage u0, u1;
	struct payload pl;
	struct tp_msg reply;
	uint64_t seq = 0, start, now, deadline;
	int rc;

	rc = payload_init(&pl, cfg->size, cfg->seed);
	if (rc)
		return fail(res, rc, "payload");

	/* handshake: protocol version travels in sent_ns of the HELLO */
	payload_stamp(&pl, seq, MSG_HELLO, MSG_PROTOCOL);
	rc = checked_call(ops, conn, &pl, seq, &reply, res);
	if (rc)
		goto out;
	rc = verify_reply(&reply, seq, res);
	if (rc) {
		snprintf(
			res->reason, sizeof(res->reason),
			"handshake failed: the peer did not echo a protocol %u hello",
			MSG_PROTOCOL);
		goto out;
	}

	deadline = clock_now_ns() + cfg->warmup_ns;
	do {
		seq++;
		payload_stamp(&pl, seq, MSG_DATA, 0);
		rc = checked_call(ops, conn, &pl, seq, &reply, res);
		if (!rc)
			rc = verify_reply(&reply, seq, res);
		if (rc)
			goto out;
	} while (clock_now_ns() < deadline);

	sysutil_usage(&u0, 1);
	start = clock_now_ns();
	deadline = start + cfg->duration_ns;
	for (;;) {
		uint64_t t0;

		seq++;
		payload_stamp(&pl, seq, res->ops ? MSG_DATA : MSG_MARK, 0);
		t0 = clock_now_ns();
		rc = ops->call(conn, pl.buf, pl.len, &reply);
		now = clock_now_ns();
		if (rc) {
			fail(res, rc, "call");
			goto out;
		}
		histogram_record(&res->hist, (int64_t)(now - t0));
		res->ops++;
		rc = verify_reply(&reply, seq, res);
		if (rc)
			goto out;
		if (now >= deadline ||
		    (cfg->max_ops && res->ops >= cfg->max_ops))
			break;
	}
	res->wall_ns = now - start;
	sysutil_usage(&u1, 1);
	sysutil_usage_delta(&res->cpu, &u0, &u1);
	res->bytes = res->ops * cfg->size * 2;

	seq++;
	payload_stamp(&pl, seq, MSG_BYE, 0);
	rc = checked_call(ops, conn, &pl, seq, &reply, res);
out:
	payload_deinit(&pl);
	return rc;
}

static void inject(const struct peer_config *pc, uint64_t seq, void *data,
		   size_t len)
{
	if (pc->fault == FAULT_NONE || seq != pc->fault_at)
		return;
	switch (pc->fault) {
	case FAULT_CORRUPT:
		if (len > MSG_HDR_SIZE)
			((uint8_t *)data)[MSG_HDR_SIZE +
					  (len - MSG_HDR_SIZE) / 2] ^= 0x5a;
		else
			((uint8_t *)data)[len - 1] ^= 0x5a;
		break;
	case FAULT_CRASH:
		fprintf(stderr,
			"ipcbench-peer: injected crash at message %llu\n",
			(unsigned long long)seq);
		fflush(stderr);
		*(volatile int *)0 = 1;
		break;
	case FAULT_HANG:
		fprintf(stderr,
			"ipcbench-peer: injected hang at message %llu\n",
			(unsigned long long)seq);
		fflush(stderr);
		for (;;)
			pause();
	case FAULT_EXIT:
		fprintf(stderr,
			"ipcbench-peer: injected exit at message %llu\n",
			(unsigned long long)seq);
		_exit(3);
	default:
		break;
	}
}

int rpc_server_run(const struct transport_ops *ops, struct tp_conn *conn,
		   const struct peer_config *pc, struct peer_report *rep,
		   char *err)
{
	struct cpu_usage u0 = { 0 }, u1;
	struct tp_msg msg;
	struct msg_hdr h;
	uint64_t expect = 0;
	int rc, marked = 0;

	for (;;) {
		enum payload_verdict v;

		rc = ops->recv(conn, &msg);
		if (rc)
			return tp_fail(
				err, rc, "receive: %s",
				rc == -EPIPE
					? "the harness closed the connection"
					: strerror(-rc));
		v = payload_verify(msg.data, msg.len, expect);
		if (v != PAYLOAD_OK)
			return tp_fail(
				err, -EBADMSG,
				"integrity check failed on request %llu: %s",
				(unsigned long long)expect,
				payload_verdict_str(v));
		memcpy(&h, msg.data, sizeof(h));
		if ((h.flags & MSG_HELLO) && h.sent_ns != MSG_PROTOCOL)
			return tp_fail(
				err, -EPROTO,
				"protocol mismatch: harness speaks %llu, peer speaks %u",
				(unsigned long long)h.sent_ns, MSG_PROTOCOL);
		if ((h.flags & MSG_MARK) && !marked) {
			sysutil_usage(&u0, 0);
			marked = 1;
		}
		if (h.flags & MSG_BYE) {
			sysutil_usage(&u1, 0);
			if (marked)
				sysutil_usage_delta(&rep->cpu, &u0, &u1);
		}
		if (marked && !(h.flags & MSG_BYE))
			rep->ops++;
		inject(pc, h.seq, msg.data, msg.len);
		rc = ops->reply(conn, msg.data, msg.len);
		if (rc)
			return tp_fail(err, rc, "reply: %s", strerror(-rc));
		if (h.flags & MSG_BYE)
			return 0;
		expect++;
	}
}
