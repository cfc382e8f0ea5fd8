/* SPDX-License-Identifier: MIT */
/*
 * The native transport interface.
 *
 * One transport = one C file in native/transports/<name>.c that fills one
 * struct transport_ops named <name> and registers it with
 * TRANSPORT_REGISTER(); nothing else changes.  binding.gyp compiles every
 * file there (native/tools/transports.mjs reads each file's
 * "ipcbench-pkg-config:" lines; a file whose packages are missing is
 * registered as .unavailable with the reason instead).  Variants of one
 * transport (shm / shm-spin, kdbus / kdbus-memfd) are values of
 * tp_params.variant, listed in ops->variants.  The workload drivers
 * (native/workloads/) only ever see this interface.
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
	TP_ROLE_SUBSCRIBER = 3, /* broadcast receiver, a peer process */
};

/* Everything a transport may need to know about the case, filled by the
 * harness and passed verbatim to the peer on its command line. */
struct tp_params {
	/* The message size of the case, header included: fixed at prepare,
	 * every message of the channel has exactly this size. */
	size_t max_msg;
	unsigned variant;     /* index into ops->variants (0 = the first) */
	unsigned subscribers; /* broadcast: number of subscribers */
	unsigned index;	      /* broadcast: this subscriber's index */
	int interested;	      /* broadcast: does this subscriber match */
	const char *address; /* address-based transports (bus socket, device) */
	volatile int *abort; /* set by the harness to make waits give up */
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

/* A number the harness must honour (a size limit, a count limit), exported
 * to TypeScript by name so that it is never copied there by hand. */
struct tp_limit {
	const char *name; /* camelCase, e.g. "mapMax" */
	uint64_t value;
};

struct transport_ops {
	/* The file's basename: native/transports/<name>.c. */
	const char *name;
	/* Optional, NULL-terminated: the variants this file implements (the
	 * peer's --variant, tp_params.variant is the index).  Without a
	 * list, the transport has one variant and tp_params.variant is 0. */
	const char *const *variants;
	/* Optional, terminated by a NULL name: limits exported to TS. */
	const struct tp_limit *limits;
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

/*
 * Registration: TRANSPORT_REGISTER(foo_ops) places a pointer to the table in
 * the "ipcbench_transports" linker section; transport_all() walks that
 * section, so the registry is whatever was linked in.
 */
#define TRANSPORT_REGISTER(ops)                                      \
	static const struct transport_ops *const tp_registered_##ops \
		__attribute__((used, section("ipcbench_transports"), \
			       aligned(sizeof(void *)))) = &(ops)

/* Every linked transport, in no particular order; *n receives the count. */
const struct transport_ops *const *transport_all(size_t *n);
const struct transport_ops *transport_find(const char *name);
/* Index of variant in ops->variants (NULL or "" = 0), or -EINVAL. */
int transport_variant(const struct transport_ops *ops, const char *variant);

/* Error helper used by all transports. */
int tp_fail(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Shared pieces of the life cycle that many transports fill the same way.
 *
 * tp_connect_none() - an ops->connect for channels that are complete once
 * prepare() returned (a socketpair, a queue): nothing to do; returns 0.
 *
 * tp_expect_fds() - for attach(): 0 when the peer inherited exactly @want
 * fds, else -EINVAL with the reason in @err.
 *
 * tp_peers_close() - for a prepare() that fails after handing out fds:
 * closes every fd in peers[0..@n-1] and empties them, so the harness starts
 * no peer with a stale descriptor. The caller keeps ownership of @peers.
 */
int tp_connect_none(struct tp_conn *conn, char *err);
int tp_expect_fds(int n_fds, int want, char *err);
void tp_peers_close(struct tp_peer_fds *peers, unsigned n);

#endif
