/* SPDX-License-Identifier: MIT */
/*
 * ipcbench transport plug-in interface, ABI version 1.
 *
 * Put your own IPC layer under ipcbench's workloads, statistics, reports and
 * CI gate without patching ipcbench: build a shared library that exports
 *
 *     const struct ipcbench_transport_plugin *ipcbench_transport_plugin(void);
 *
 * returning a table of the operations below, and run
 *
 *     ipcbench run --plugin ./libmyipc.so
 *     ipcbench gate --baseline ./main/libmyipc.so --candidate ./pr/libmyipc.so
 *
 * The library is dlopen()ed twice per repetition's channel: in the harness
 * (client / publisher side) and in every peer process (server / subscriber
 * side).  Each side calls only its own operations.
 *
 *   harness                                   peer process
 *   -------                                   ------------
 *   prepare()  -> fds for each peer
 *   start the peer with those fds  ------->   attach(role, fds)
 *                                  <-------   (ready)
 *   connect()
 *   timed loop: call()        <---------->    loop: recv(); reply()
 *           or: publish()      ---------->    loop: recv() [release()]
 *   close()                                   close()
 *
 * Rules:
 * - Every int-returning operation returns 0 or a negative errno.  On failure
 *   it may write a one-line reason (at most IPCBENCH_PLUGIN_ERR_LEN bytes,
 *   NUL-terminated) to err when err is not NULL; ipcbench shows it verbatim.
 * - Messages are at most params->max_msg bytes (header included).  A
 *   received message points
 *   into plug-in memory and must stay valid until the next operation on the
 *   same connection.
 * - Waits (call, recv) must give up with -ECANCELED (or -EINTR) soon after
 *   *params->abort becomes non-zero, e.g. by waking every few milliseconds or
 *   by using the descriptors ipcbench closes on abort; a peer that dies shows
 *   as EOF on the descriptors it held.
 * - The plug-in must not print to stdout (the peer's protocol channel);
 *   stderr is shown to the user when the peer fails.
 * - The descriptors in struct ipcbench_peer_fds are inherited by the peer
 *   (as fds 3, 4, ... in the same order) and closed in the harness after the
 *   peer is ready.
 *
 * Compatibility: a library built against ABI version N works with every
 * ipcbench that accepts N; ipcbench refuses a library whose abi_version it
 * does not know, with a message naming both versions.  New optional
 * operations are only ever appended; struct_size tells which ones a library
 * has.
 */
#ifndef IPCBENCH_TRANSPORT_PLUGIN_H
#define IPCBENCH_TRANSPORT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IPCBENCH_PLUGIN_ABI_VERSION 1u
#define IPCBENCH_PLUGIN_SYMBOL "ipcbench_transport_plugin"
#define IPCBENCH_PLUGIN_MAX_FDS 16
#define IPCBENCH_PLUGIN_ERR_LEN 256

enum ipcbench_role {
	IPCBENCH_ROLE_CLIENT = 0,     /* RPC caller, in the harness */
	IPCBENCH_ROLE_SERVER = 1,     /* RPC callee, a peer process */
	IPCBENCH_ROLE_PUBLISHER = 2,  /* broadcast sender, in the harness */
	IPCBENCH_ROLE_SUBSCRIBER = 3, /* broadcast receiver, a peer process */
};

struct ipcbench_params {
	size_t max_msg;	      /* message size of the channel, header included */
	unsigned subscribers; /* broadcast: number of subscribers */
	unsigned index;	      /* broadcast: this subscriber's index */
	int interested;	      /* broadcast: does this subscriber match */
	const char *address;  /* optional address (NULL when none) */
	volatile int *abort;  /* non-zero: give up waiting, -ECANCELED */
};

struct ipcbench_msg {
	void *data;
	size_t len;
};

struct ipcbench_peer_fds {
	int fds[IPCBENCH_PLUGIN_MAX_FDS];
	int n;
};

/* The plug-in's own connection state. */
struct ipcbench_conn;

struct ipcbench_transport_plugin {
	uint32_t abi_version; /* IPCBENCH_PLUGIN_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct ipcbench_transport_plugin) */
	const char *name;     /* short name, [a-z0-9-]+, shown in results */
	const char *version;  /* the library's own version (results) */
	const char *description;

	/* Harness: create the channel; the harness end goes to *conn, the
	 * fds each peer inherits to peers[0 .. npeers-1] (npeers = 1 for RPC,
	 * params->subscribers for broadcast). */
	int (*prepare)(const struct ipcbench_params *p,
		       struct ipcbench_conn **conn,
		       struct ipcbench_peer_fds *peers, char *err);
	/* Harness: after every peer attached. */
	int (*connect)(struct ipcbench_conn *conn, char *err);
	/* Peer: attach to the channel from the inherited fds. */
	int (*attach)(const struct ipcbench_params *p, enum ipcbench_role role,
		      const int *fds, int n_fds, struct ipcbench_conn **conn,
		      char *err);
	/* RPC client: send len bytes, wait for the reply. NULL: no RPC. */
	int (*call)(struct ipcbench_conn *conn, const void *req, size_t len,
		    struct ipcbench_msg *reply);
	/* RPC server / subscriber: wait for the next message. */
	int (*recv)(struct ipcbench_conn *conn, struct ipcbench_msg *msg);
	/* RPC server: answer the message last received. NULL: no RPC. */
	int (*reply)(struct ipcbench_conn *conn, const void *data, size_t len);
	/* Broadcast: deliver to every subscriber i with interested[i] != 0.
	 * NULL: no broadcast. */
	int (*publish)(struct ipcbench_conn *conn, const void *data, size_t len,
		       const uint8_t *interested);
	/* Optional: after the subscriber read msg in place; -ESTALE if the
	 * sender overwrote it meanwhile (counted as lost, not corrupted). */
	int (*release)(struct ipcbench_conn *conn,
		       const struct ipcbench_msg *msg);
	/* Both sides: release everything (the peer's end and the harness's). */
	void (*close)(struct ipcbench_conn *conn);
};

/* The one symbol a plug-in exports. */
typedef const struct ipcbench_transport_plugin *(*ipcbench_transport_plugin_fn)(
	void);
const struct ipcbench_transport_plugin *ipcbench_transport_plugin(void);

#ifdef __cplusplus
}
#endif

#endif /* IPCBENCH_TRANSPORT_PLUGIN_H */
