// SPDX-License-Identifier: MIT
/*
 * The broadcast workload: one publisher, N subscribers, K of them not
 * interested (their filter does not match).
 *
 * Every message carries its send time (closed loop: the actual time; open
 * loop: the intended time on the fixed schedule, so a stall cannot hide
 * behind coordinated omission).  Subscribers record now - sent into their
 * own histogram and acknowledge on the ack board; the publisher learns from
 * the board when the last interested subscriber had each message.
 */
#define _GNU_SOURCE
#include "workloads.h"

#include "../core/clock.h"
#include "../core/payload.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ACK_WAIT_SLICE_NS 200000000ll

size_t ack_board_size(unsigned subscribers)
{
	size_t n = sizeof(struct ack_board) +
		   (size_t)subscribers * sizeof(struct ack_slot);

	return (n + 4095) & ~(size_t)4095;
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/* Wait until every subscriber selected by mask acknowledged seq. */
static int wait_acks(struct ack_board *b, unsigned n, const uint8_t *mask,
		     uint64_t seq, volatile int *abort)
{
	const struct timespec slice = { 0, ACK_WAIT_SLICE_NS };

	for (;;) {
		uint32_t acks = __atomic_load_n(&b->acks, __ATOMIC_SEQ_CST);
		unsigned i, done = 1;

		for (i = 0; i < n && done; i++)
			if ((!mask || mask[i]) &&
			    __atomic_load_n(&b->slot[i].acked_seq,
					    __ATOMIC_ACQUIRE) < seq + 1)
				done = 0;
		if (done)
			return 0;
		if (abort && *abort)
			return -ECANCELED;
		__atomic_add_fetch(&b->waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&b->acks, __ATOMIC_SEQ_CST) == acks)
			futex(&b->acks, FUTEX_WAIT, acks, &slice);
		__atomic_sub_fetch(&b->waiting, 1, __ATOMIC_SEQ_CST);
	}
}

static int pub_fail(struct bcast_result *res, int rc, const char *what)
{
	res->error = rc < 0 ? rc : -EIO;
	if (!res->reason[0])
		snprintf(
			res->reason, sizeof(res->reason), "%s: %s", what,
			rc == -EPIPE ? "a subscriber closed its connection"
			: rc == -ECANCELED
				? "aborted by the harness (a subscriber exited or hung)"
				: strerror(-rc));
	return res->error;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000ull),
			       (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

int broadcast_publisher_run(const struct transport_ops *ops,
			    struct tp_conn *conn, struct ack_board *board,
			    const struct bcast_config *cfg,
			    struct bcast_result *res)
{
	uint8_t *all = NULL;
	struct cpu_usage u0, u1;
	struct payload pl;
	uint64_t seq = 0, start, deadline, now, period = 0, refused0 = 0;
	unsigned n = cfg->subscribers, n_interested = 0, i;
	int rc;

	if (!ops->publish)
		return pub_fail(res, -EOPNOTSUPP, "publish");
	rc = payload_init(&pl, cfg->size, cfg->seed);
	if (rc)
		return pub_fail(res, rc, "payload");
	all = malloc(n);
	if (!all) {
		rc = pub_fail(res, -ENOMEM, "alloc");
		goto out;
	}
	memset(all, 1, n);
	for (i = 0; i < n; i++)
		n_interested += cfg->interested[i] ? 1 : 0;

	payload_stamp(&pl, seq, MSG_HELLO, MSG_PROTOCOL);
	__atomic_store_n(&board->pending, n, __ATOMIC_SEQ_CST);
	rc = ops->publish(conn, pl.buf, pl.len, all);
	if (!rc)
		rc = wait_acks(board, n, all, seq, cfg->abort);
	if (rc) {
		pub_fail(res, rc, "handshake");
		goto out;
	}

	deadline = clock_now_ns() + cfg->warmup_ns;
	do {
		seq++;
		payload_stamp(&pl, seq, MSG_DATA, clock_now_ns());
		__atomic_store_n(&board->pending, n_interested,
				 __ATOMIC_SEQ_CST);
		rc = ops->publish(conn, pl.buf, pl.len, cfg->interested);
		if (!rc)
			rc = wait_acks(board, n, cfg->interested, seq,
				       cfg->abort);
		if (rc) {
			pub_fail(res, rc, "warm-up");
			goto out;
		}
	} while (clock_now_ns() < deadline);

	if (cfg->rate)
		period = 1000000000ull / cfg->rate;
	sysutil_usage(&u0, 1);
	refused0 = ops->refused ? ops->refused(conn) : 0;
	start = clock_now_ns();
	deadline = start + cfg->duration_ns;
	for (;;) {
		uint64_t t0, t1, sent;

		seq++;
		if (period) {
			sent = start + res->ops * period;
			now = clock_now_ns();
			if (now < sent)
				sleep_until(sent);
			else if (now > sent + period)
				res->late_sends++;
		}
		t0 = clock_now_ns();
		if (!period)
			sent = t0;
		/* every timed broadcast carries MARK (not only the first), so a
		 * subscriber that lost the first one still knows what to count */
		payload_stamp(&pl, seq, MSG_MARK, sent);
		if (!period)
			__atomic_store_n(&board->pending, n_interested,
					 __ATOMIC_SEQ_CST);
		rc = ops->publish(conn, pl.buf, pl.len, cfg->interested);
		t1 = clock_now_ns();
		if (rc) {
			pub_fail(res, rc, "publish");
			goto out;
		}
		histogram_record(&res->publish, (int64_t)(t1 - t0));
		res->ops++;
		if (!period) {
			uint64_t last = 0;

			rc = wait_acks(board, n, cfg->interested, seq,
				       cfg->abort);
			if (rc) {
				pub_fail(res, rc,
					 "waiting for acknowledgements");
				goto out;
			}
			for (i = 0; i < n; i++)
				if (cfg->interested[i] &&
				    board->slot[i].recv_ns > last)
					last = board->slot[i].recv_ns;
			if (last)
				histogram_record(&res->last,
						 (int64_t)(last - sent));
		}
		now = clock_now_ns();
		if (now >= deadline ||
		    (cfg->max_ops && res->ops >= cfg->max_ops))
			break;
	}
	res->wall_ns = now - start;
	sysutil_usage(&u1, 1);
	sysutil_usage_delta(&res->cpu, &u0, &u1);
	if (ops->refused)
		res->refused = ops->refused(conn) - refused0;

	seq++;
	payload_stamp(&pl, seq, MSG_BYE, clock_now_ns());
	/* open loop: data acks may still be arriving; the 200 ms wait slices
	 * cover a wake-up that pending's count may then miss */
	__atomic_store_n(&board->pending, n, __ATOMIC_SEQ_CST);
	rc = ops->publish(conn, pl.buf, pl.len, all);
	if (!rc)
		rc = wait_acks(board, n, all, seq, cfg->abort);
	if (rc)
		pub_fail(res, rc, "goodbye");
out:
	free(all);
	payload_deinit(&pl);
	return rc;
}

static void ack(struct ack_board *b, unsigned index, uint64_t seq, uint64_t now)
{
	struct ack_slot *s = &b->slot[index];

	uint32_t left;

	/* count down before the ack becomes visible: once the publisher sees
	 * every acked_seq it may reset pending for the next message, and a
	 * decrement landing after that would steal the next wake-up */
	left = __atomic_sub_fetch(&b->pending, 1, __ATOMIC_SEQ_CST);
	s->recv_ns = now;
	/* acked_seq holds seq + 1, so that 0 means "nothing yet" and the
	 * HELLO (seq 0) is really waited for */
	__atomic_store_n(&s->acked_seq, seq + 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&b->acks, 1, __ATOMIC_SEQ_CST);
	if (left == 0 && __atomic_load_n(&b->waiting, __ATOMIC_SEQ_CST))
		futex(&b->acks, FUTEX_WAKE, INT_MAX, NULL);
}

static void sub_fault(const struct peer_config *pc, uint64_t seq)
{
	if (pc->fault == FAULT_NONE || seq != pc->fault_at)
		return;
	if (pc->fault == FAULT_CRASH) {
		fprintf(stderr,
			"ipcbench-peer: injected crash at message %llu\n",
			(unsigned long long)seq);
		fflush(stderr);
		abort();
	}
	if (pc->fault == FAULT_HANG) {
		fprintf(stderr,
			"ipcbench-peer: injected hang at message %llu\n",
			(unsigned long long)seq);
		fflush(stderr);
		for (;;)
			pause();
	}
	if (pc->fault == FAULT_EXIT) {
		fprintf(stderr,
			"ipcbench-peer: injected exit at message %llu\n",
			(unsigned long long)seq);
		_exit(3);
	}
}

int broadcast_subscriber_run(const struct transport_ops *ops,
			     struct tp_conn *conn, struct ack_board *board,
			     const struct tp_params *params,
			     const struct peer_config *pc,
			     struct peer_report *rep, char *err)
{
	struct cpu_usage u0 = { 0 }, u1;
	uint64_t expect = 0;
	int rc, marked = 0;

	rc = histogram_init(&rep->hist, HIST_LOWEST, HIST_HIGHEST, HIST_DIGITS);
	if (rc)
		return tp_fail(err, rc, "histogram: out of memory");
	rep->have_hist = 1;
	for (;;) {
		struct tp_msg msg;
		struct msg_hdr h;
		uint64_t now;
		enum payload_verdict v;

		rc = ops->recv(conn, &msg);
		if (rc)
			return tp_fail(
				err, rc, "receive: %s",
				rc == -EPIPE
					? "the publisher closed the connection"
					: strerror(-rc));
		now = clock_now_ns();
		if (msg.len < MSG_HDR_SIZE) {
			rep->corrupted++;
			continue;
		}
		memcpy(&h, msg.data, sizeof(h));
		if (h.magic != MSG_MAGIC) {
			rep->corrupted++;
			continue;
		}
		/* a subscriber whose filter does not match drops data messages */
		if (!params->interested && !(h.flags & (MSG_HELLO | MSG_BYE)))
			continue;
		if (pc->fault == FAULT_SKIP && h.seq == pc->fault_at) {
			ack(board, params->index, h.seq, now);
			continue;
		}
		if (pc->fault == FAULT_CORRUPT && h.seq == pc->fault_at &&
		    msg.len > MSG_HDR_SIZE)
			((uint8_t *)msg.data)[msg.len - 1] ^= 0x5a;
		v = payload_verify(msg.data, msg.len, h.seq);
		/* a ring that lapped us while we read: what we read is void,
		 * and the gap to the next message counts it as lost */
		if (ops->release && ops->release(conn, &msg) == -ESTALE)
			continue;
		if (h.seq < expect) {
			rep->duplicated++;
			continue;
		}
		if (h.seq > expect && params->interested)
			rep->lost += h.seq - expect;
		if (v != PAYLOAD_OK)
			rep->corrupted++;
		if ((h.flags & MSG_MARK) && !marked) {
			sysutil_usage(&u0, 0);
			marked = 1;
		}
		if ((h.flags & MSG_MARK) && v == PAYLOAD_OK) {
			uint64_t lat = now > h.sent_ns ? now - h.sent_ns : 0;

			histogram_record(&rep->hist, (int64_t)lat);
			rep->ops++;
			if (pc->late_ns && lat > pc->late_ns)
				rep->late++;
		}
		sub_fault(pc, h.seq);
		expect = h.seq + 1;
		if (h.flags & MSG_BYE) {
			sysutil_usage(&u1, 0);
			if (marked)
				sysutil_usage_delta(&rep->cpu, &u0, &u1);
			ack(board, params->index, h.seq, now);
			return 0;
		}
		ack(board, params->index, h.seq, now);
	}
}
