/* SPDX-License-Identifier: MIT */
/* Workload drivers, written once against struct transport_ops. */
#ifndef IPCBENCH_WORKLOADS_H
#define IPCBENCH_WORKLOADS_H

#include "../core/histogram.h"
#include "../core/sysutil.h"
#include "../core/transport.h"

struct rpc_config {
	size_t size;		/* message size, header included */
	uint64_t warmup_ns;
	uint64_t duration_ns;
	uint64_t max_ops;	/* 0: run for duration_ns */
	uint64_t seed;
};

struct rpc_result {
	uint64_t ops;
	uint64_t bytes;		/* payload bytes moved, both directions */
	uint64_t wall_ns;	/* timed region only */
	struct histogram hist;	/* per-call round-trip latency, ns */
	struct cpu_usage cpu;	/* the calling thread, timed region */
	int error;		/* negative errno, 0 when ok */
	char reason[TP_ERR_LEN];
};

/* Fault injection for the harness's own tests (peer side only). */
enum peer_fault {
	FAULT_NONE,
	FAULT_CORRUPT,	/* flip a byte of message fault_at */
	FAULT_CRASH,
	FAULT_HANG,
	FAULT_EXIT,
	FAULT_SKIP,	/* subscriber: pretend message fault_at never came */
};

struct peer_config {
	enum peer_fault fault;
	uint64_t fault_at;	/* sequence number that triggers the fault */
	uint64_t late_ns;	/* subscriber: a delivery later than this is late */
};

struct peer_report {
	uint64_t ops;
	struct cpu_usage cpu;	/* whole peer process between MARK and BYE */
	int have_hist;
	struct histogram hist;	/* subscriber: delivery latency */
	uint64_t lost, duplicated, corrupted, late;
};

struct bcast_config {
	size_t size;
	unsigned subscribers;
	const uint8_t *interested;	/* subscribers entries, 1 = matches */
	uint64_t warmup_ns;
	uint64_t duration_ns;
	uint64_t max_ops;
	uint64_t rate;		/* open loop: broadcasts per second; 0 = closed */
	uint64_t seed;
	volatile int *abort;
};

struct bcast_result {
	uint64_t ops;		/* broadcasts sent in the timed region */
	uint64_t wall_ns;
	struct histogram last;	/* send -> last interested subscriber has it */
	struct histogram publish;	/* duration of the publish call */
	struct cpu_usage cpu;	/* publisher thread */
	uint64_t late_sends;	/* open loop: sends that started behind schedule */
	uint64_t refused;	/* timed region: sends the transport had refused */
	int error;
	char reason[TP_ERR_LEN];
};

/*
 * The ack board: a small shared memory area (memfd) given to every
 * subscriber in addition to the transport's own fds, used only to pace the
 * closed loop and to learn when the last subscriber got each message.  It is
 * the same for every transport, so it never favours one.
 */
struct ack_slot {
	uint64_t acked_seq;	/* last acknowledged sequence number + 1 */
	uint64_t recv_ns;
	uint8_t pad[48];
};

struct ack_board {
	uint32_t acks;		/* futex word: total acknowledgements */
	uint32_t waiting;
	/* acknowledgements still due for the message in flight (closed
	 * loop): only the subscriber that brings it to zero wakes the
	 * publisher, so pacing costs one wake-up per broadcast, not N */
	uint32_t pending;
	uint8_t pad[52];
	struct ack_slot slot[];
};

size_t ack_board_size(unsigned subscribers);

int broadcast_publisher_run(const struct transport_ops *ops,
			    struct tp_conn *conn, struct ack_board *board,
			    const struct bcast_config *cfg,
			    struct bcast_result *res);
int broadcast_subscriber_run(const struct transport_ops *ops,
			     struct tp_conn *conn, struct ack_board *board,
			     const struct tp_params *params,
			     const struct peer_config *pc,
			     struct peer_report *rep, char *err);

/* The harness's end of one RPC channel (one client/server pair). */
struct rpc_channel {
	const struct transport_ops *ops;
	struct tp_conn *conn;
	size_t size;		/* the channel's message size (tp_params.max_msg) */
	int cpu;		/* the client thread's CPU, -1 = unpinned */
	int connected;		/* connect() done (once per channel) */
};

/*
 * Run cfg on n channels at once: one pinned client thread each, started
 * together; *out (its histogram initialised by the caller) receives the
 * merged histogram, summed ops and bytes, the longest wall time and the
 * first error; cpu_each[i] the client CPU of channel i.  Returns 0, or a
 * negative errno when the threads could not run at all (also in out).
 */
int rpc_run_channels(struct rpc_channel *chans, unsigned n,
		     const struct rpc_config *cfg, struct rpc_result *out,
		     struct cpu_usage *cpu_each);

/* The publisher on its own pinned thread (connects first when needed). */
int broadcast_run(const struct transport_ops *ops, struct tp_conn *conn,
		  int *connected, int cpu, struct ack_board *board,
		  const struct bcast_config *cfg, struct bcast_result *res);

/* The ack board's shared memory: mapped in *board, its memfd in *fd (the
 * caller gives a dup to every subscriber and closes it). */
int ack_board_create(unsigned subscribers, struct ack_board **board,
		     int *fd);
void ack_board_destroy(struct ack_board *board, unsigned subscribers);

/* Client side: handshake, warm-up, timed loop, goodbye. */
int rpc_client_run(const struct transport_ops *ops, struct tp_conn *conn,
		   const struct rpc_config *cfg, struct rpc_result *res);
/* Server side: answer calls until the client says goodbye. */
int rpc_server_run(const struct transport_ops *ops, struct tp_conn *conn,
		   const struct peer_config *pc, struct peer_report *rep,
		   char *err);

#endif
