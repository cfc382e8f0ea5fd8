/* SPDX-License-Identifier: MIT */
/*
 * The native transport interface.
 *
 * One transport = one C file in native/transports/ that fills one
 * struct transport_ops, plus one line in native/core/registry.c.  The
 * workload drivers (native/workloads/) only ever see this interface.
 *
 * Life cycle of a channel (one client/server pair or one publisher with N
 * subscribers):
 *
 *   harness (addon)                      peer process (native/peer)
 *   ---------------                      --------------------------
 *   ops->prepare()  -> peer fds
 *   spawn peer with those fds  -------->  ops->attach(role, fds)
 *                               <-------  "READY" on stdout
 *   close peer fds in the harness
 *   ops->connect()
 *   timed loop: ops->call()   <-------->  loop: ops->recv(); ops->reply()
 *   ops->close()                          ops->close()
 *
 * Every function returns 0 or a negative errno; *err (when given) receives a
 * human readable reason that the harness shows verbatim.
 */
#ifndef IPCBENCH_TRANSPORT_H
#define IPCBENCH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#define TP_MAX_FDS 16
#define TP_ERR_LEN 256

enum tp_role {
	TP_ROLE_CLIENT = 0,	/* RPC caller, lives in the harness */
	TP_ROLE_SERVER = 1,	/* RPC callee, a peer process */
	TP_ROLE_PUBLISHER = 2,	/* broadcast sender, lives in the harness */
	TP_ROLE_SUBSCRIBER = 3,	/* broadcast receiver, a peer process */
};

/* Everything a transport may need to know about the case, filled by the
 * harness and passed verbatim to the peer on its command line. */
struct tp_params {
	size_t max_msg;		/* largest message of the case, header included */
	unsigned spin_ns;	/* shm: bounded spin before sleeping (0 = none) */
	unsigned subscribers;	/* broadcast: number of subscribers */
	unsigned index;		/* broadcast: this subscriber's index */
	int interested;		/* broadcast: does this subscriber match */
	const char *address;	/* address-based transports (bus socket, device) */
	volatile int *abort;	/* set by the harness to make waits give up */
};

/* A received message: points into transport-owned memory, valid until the
 * next operation on the same connection. */
struct tp_msg {
	void *data;
	size_t len;
};

struct tp_conn;

/* The descriptors one peer inherits (as fd 3, 4, ... in the peer). */
struct tp_peer_fds {
	int fds[TP_MAX_FDS];
	int n;
};

struct transport_ops {
	const char *name;
	/* Set (and nothing else but name) for a transport compiled where its
	 * headers were missing: it stays in the registry and says why it
	 * cannot run; the harness and the peer never call into it. */
	const char *unavailable;
	/* Optional: a run-time check for a kernel feature that can be
	 * switched off (io_uring): 0, or a negative errno with the reason in
	 * err; the transport is then listed as unavailable with it. */
	int (*probe)(char *err);
	/* Harness side: create the channel; the client/publisher end stays
	 * in *conn (not yet connected); the fds each peer must inherit go to
	 * peers[0..npeers-1] (npeers = 1 for RPC, p->subscribers for
	 * broadcast). */
	int (*prepare)(const struct tp_params *p, struct tp_conn **conn,
		       struct tp_peer_fds *peers, char *err);
	/* Harness side, after the peer said READY. */
	int (*connect)(struct tp_conn *conn, char *err);
	/* Peer side: attach to the channel from the inherited fds. */
	int (*attach)(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **conn,
		      char *err);
	/* RPC client: send len bytes from req, wait for the reply. */
	int (*call)(struct tp_conn *conn, const void *req, size_t len,
		    struct tp_msg *reply);
	/* RPC server / subscriber: wait for the next message. */
	int (*recv)(struct tp_conn *conn, struct tp_msg *msg);
	/* RPC server: answer the message last received. */
	int (*reply)(struct tp_conn *conn, const void *data, size_t len);
	/* Broadcast publisher: deliver one message to every interested
	 * subscriber (may be NULL when the transport has no broadcast). */
	int (*publish)(struct tp_conn *conn, const void *data, size_t len,
		       const uint8_t *interested);
	/* Optional: called after the driver has read a received message in
	 * place; returns -ESTALE if the sender overwrote it meanwhile (a ring
	 * that lapped a slow reader), so it counts as lost, not corrupted. */
	int (*release)(struct tp_conn *conn, const struct tp_msg *msg);
	/* Optional: sends the receiver refused so far (e.g. Binder's one-way
	 * space full, retried with backoff); reported in the result. */
	uint64_t (*refused)(struct tp_conn *conn);
	void (*close)(struct tp_conn *conn);
};

const struct transport_ops *transport_find(const char *name);
const struct transport_ops *const *transport_all(void);

/* Error helper used by all transports. */
int tp_fail(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
