/* SPDX-License-Identifier: MIT */
/*
 * shm's mailbox (RPC) and ring (broadcast) with the wake-up supplied from
 * outside: a transport whose only difference from shm is how a sleeping
 * receiver is woken (io-uring-msg-ring) fills struct shm_waker and uses the
 * functions below as its transport_ops.  shm.c documents the protocol.
 */
#ifndef IPCBENCH_SHM_H
#define IPCBENCH_SHM_H

#include "../core/transport.h"

struct shm_waker {
	/* bytes of private state shm allocates (zeroed) for each conn */
	size_t state_size;
	/* Harness: create the wake-up objects for n peers (rpc: n = 1) and
	 * append what each peer needs to peers[i] (after shm's own fd). */
	int (*prepare)(void *st, struct tp_peer_fds *peers, unsigned n, int rpc,
		       char *err);
	/* Peer: take them from fds[0..n_fds-1] (shm's own fd removed). */
	int (*attach)(void *st, const int *fds, int n_fds, int rpc, char *err);
	/* Queue a wake-up of target (RPC: 0 = the other side; broadcast,
	 * publisher: subscriber i); flush() delivers what is queued. */
	void (*wake)(void *st, unsigned target);
	void (*flush)(void *st);
	/* Sleep until woken or slice_ns passed (spurious returns are fine). */
	void (*sleep)(void *st, long slice_ns);
	void (*close)(void *st);
};

int shm_prepare_ext(const struct tp_params *p, const struct shm_waker *w,
		    struct tp_conn **out, struct tp_peer_fds *peers, char *err);
int shm_attach_ext(const struct tp_params *p, const struct shm_waker *w,
		   enum tp_role role, const int *fds, int n_fds,
		   struct tp_conn **out, char *err);
int shm_connect(struct tp_conn *c, char *err);
int shm_call(struct tp_conn *c, const void *req, size_t len,
	     struct tp_msg *reply);
int shm_recv(struct tp_conn *c, struct tp_msg *msg);
int shm_reply(struct tp_conn *c, const void *data, size_t len);
int shm_publish(struct tp_conn *c, const void *data, size_t len,
		const uint8_t *interested);
int shm_release(struct tp_conn *c, const struct tp_msg *msg);
void shm_close(struct tp_conn *c);

#endif
