// SPDX-License-Identifier: MIT
/* ipcbench-pkg-config: libsystemd (libsystemd-dev) */
/*
 * D-Bus through sd-bus (libsystemd): the default D-Bus client of ipcbench.
 *
 * Native transports filled here (the TS side maps user-facing names onto
 * them, see transports/dbus-*.ts and docs/dbus.md):
 *
 *   dbus-sdbus        a private bus (dbus-daemon or dbus-broker, started by
 *                     the harness; tp_params.address = its address); the
 *                     payload travels as an `ay` argument, copied.
 *   dbus-sdbus-memfd  the same bus; the payload travels as a sealed memfd
 *                     (`h`), the userspace counterpart of kdbus memfd
 *                     payloads: the bus only moves a descriptor.
 *   dbus-p2p          no bus at all: the same sd-bus client and server
 *                     talking D-Bus over a socketpair (anonymous auth), to
 *                     separate the cost of D-Bus marshalling from the cost
 *                     of the daemon hop.
 *
 * RPC: method org.ipcbench.Echo.Echo on /org/ipcbench/Echo; the server
 * replies with the bytes it received (memfd: with the descriptor it
 * received, so the echo is by reference too).  The whole ipcbench message
 * (32-byte header included) is the opaque payload, carried verbatim.
 *
 * Naming on a bus: every channel needs its own server name, because several
 * channels (concurrency) and repetitions share one bus.  prepare() invents
 * a channel id and hands it to each peer in a pipe (dbus-chanid.h); the
 * server requests org.ipcbench.Echo.<id>, the
 * subscribers match signals on /org/ipcbench/Bcast/<id>.  A peer started
 * by hand without that fd uses the id "Default".
 *
 * Broadcast: signals.  HELLO and BYE (the handshake every subscriber must
 * see) go out as member Control, everything else as member Data.  Every
 * subscriber matches Control; interested subscribers match Data; the others
 * add a rule for a member that is never sent (DataIgnored), so the daemon
 * evaluates and rejects their rule for each message: that is the filtering
 * cost the broadcast workload wants to show.  dbus-p2p has no daemon, so
 * its publisher filters (one connection per subscriber, like fdstream.c).
 *
 * Waits never block for more than SDB_WAIT_SLICE_US so that a set
 * *tp_params.abort makes them give up (-ECANCELED).  A lost connection is
 * -EPIPE on a socketpair (the peer is gone) and -ECONNRESET on a bus (the
 * daemon died or dropped us, e.g. over its quota); a D-Bus error reply is
 * mapped to an errno (NoReply after the server vanished -> EPIPE,
 * LimitsExceeded -> ENOBUFS, ...).
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"
#include "dbus-chanid.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#define SDB_WAIT_SLICE_US 200000ull /* abort is checked at least this often */
#define SDB_ECHO_PATH "/org/ipcbench/Echo"
#define SDB_ECHO_IFACE "org.ipcbench.Echo"
#define SDB_BCAST_PATH "/org/ipcbench/Bcast/"
#define SDB_BCAST_IFACE "org.ipcbench.Bcast"
#define SDB_ID_LEN CHANID_LEN

enum sdb_mode {
	SDB_BYTES,
	SDB_MEMFD,
	SDB_P2P
};

struct tp_conn {
	enum sdb_mode mode;
	enum tp_role role;
	struct tp_params params;
	char *address;
	char id[SDB_ID_LEN];
	char dest[SDB_ID_LEN + 32]; /* RPC server's well-known name */
	char path[SDB_ID_LEN + 32]; /* broadcast object path */
	sd_bus **buses; /* p2p publisher: one per subscriber; else one */
	int *fds;	/* p2p harness side until connect() */
	unsigned n;
	sd_bus_message *cur;   /* last received message, kept until next op */
	sd_bus_message *early; /* read while flushing, before anyone asked */
	uint64_t throttled;    /* sends the bus did not take at once */
	void *map;	       /* memfd mapping of cur */
	size_t map_len;
	int cur_fd; /* memfd of cur (owned by cur) */
};

static int sdb_alloc(enum sdb_mode mode, const struct tp_params *p, unsigned n,
		     struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c)
		return -ENOMEM;
	c->mode = mode;
	c->params = *p;
	c->params.address = NULL; /* owned copy below */
	c->n = n;
	c->cur_fd = -1;
	c->buses = calloc(n, sizeof(*c->buses));
	c->fds = calloc(n, sizeof(*c->fds));
	if (p->address)
		c->address = strdup(p->address);
	if (!c->buses || !c->fds || (p->address && !c->address)) {
		free(c->buses);
		free(c->fds);
		free(c->address);
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		c->fds[i] = -1;
	*out = c;
	return 0;
}

static void set_id(struct tp_conn *c, const char *id)
{
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dest, sizeof(c->dest), SDB_ECHO_IFACE ".%s", c->id);
	snprintf(c->path, sizeof(c->path), SDB_BCAST_PATH "%s", c->id);
}

static void release_cur(struct tp_conn *c)
{
	if (c->map) {
		munmap(c->map, c->map_len);
		c->map = NULL;
	}
	c->cur_fd = -1;
	c->cur = sd_bus_message_unref(c->cur);
}

static void sdb_close(struct tp_conn *c)
{
	unsigned i;

	if (!c)
		return;
	release_cur(c);
	sd_bus_message_unref(c->early);
	for (i = 0; i < c->n; i++) {
		if (!c->buses[i])
			continue;
		/* A peer flushes its last reply; the harness never waits on a
		 * daemon that may be hung or gone. */
		if (c->role == TP_ROLE_SERVER || c->role == TP_ROLE_SUBSCRIBER)
			sd_bus_flush_close_unref(c->buses[i]);
		else
			sd_bus_close_unref(c->buses[i]);
	}
	for (i = 0; i < c->n; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	free(c->buses);
	free(c->fds);
	free(c->address);
	free(c);
}

static int sdb_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	enum sdb_mode mode = (enum sdb_mode)p->variant;
	unsigned npeers = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	char id[SDB_ID_LEN];
	int rc;

	if (mode != SDB_P2P && (!p->address || !p->address[0]))
		return tp_fail(
			err, -EINVAL,
			"no bus address: the transport's setup() must start a bus");
	rc = sdb_alloc(mode, p, mode == SDB_P2P ? npeers : 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->role = p->subscribers ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT;
	chanid_make("Sd", id, sizeof(id));
	set_id(c, id);
	for (i = 0; i < npeers; i++) {
		int sp[2];

		if (mode == SDB_P2P) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				       sp)) {
				rc = tp_fail(err, -errno, "socketpair: %s",
					     strerror(errno));
				goto fail;
			}
			c->fds[i] = sp[0];
			peers[i].fds[0] = sp[1];
		} else {
			rc = chanid_pipe(c->id, &peers[i].fds[0], err);
			if (rc)
				goto fail;
		}
		peers[i].n = 1;
	}
	*out = c;
	return 0;
fail:
	while (i--) {
		close(peers[i].fds[0]);
		peers[i].n = 0;
	}
	sdb_close(c);
	return rc;
}

static int bus_open_address(const char *address, int want_fds, sd_bus **out,
			    char *err)
{
	sd_bus *bus = NULL;
	int rc;

	rc = sd_bus_new(&bus);
	if (rc < 0)
		return tp_fail(err, rc, "sd_bus_new: %s", strerror(-rc));
	/* an explicit address: never the machine's system or session bus */
	rc = sd_bus_set_address(bus, address);
	if (rc >= 0)
		rc = sd_bus_set_bus_client(bus, 1);
	if (rc >= 0)
		rc = sd_bus_negotiate_fds(bus, want_fds);
	if (rc >= 0)
		rc = sd_bus_start(bus);
	if (rc < 0) {
		sd_bus_unref(bus);
		return tp_fail(err, rc, "connecting to the bus at %s: %s",
			       address, strerror(-rc));
	}
	*out = bus;
	return 0;
}

/* Wait until the Hello() handshake is done, so that a dead or refusing bus
 * is reported by connect()/attach(), not by the first timed call. */
static int bus_wait_ready(sd_bus *bus, volatile int *abort, char *err)
{
	for (;;) {
		int rc = sd_bus_is_ready(bus);

		if (rc > 0)
			return 0;
		if (rc < 0)
			return tp_fail(err, rc, "bus handshake: %s",
				       strerror(-rc));
		rc = sd_bus_process(bus, NULL);
		if (rc < 0)
			return tp_fail(err, rc, "bus handshake: %s",
				       strerror(-rc));
		if (rc > 0)
			continue;
		if (abort && *abort)
			return tp_fail(err, -ECANCELED,
				       "aborted by the harness");
		rc = sd_bus_wait(bus, SDB_WAIT_SLICE_US);
		if (rc < 0 && rc != -EINTR)
			return tp_fail(err, rc, "bus handshake: %s",
				       strerror(-rc));
	}
}

static int p2p_open(int fd, int server, sd_bus **out, char *err)
{
	sd_bus *bus = NULL;
	int rc;

	rc = sd_bus_new(&bus);
	if (rc < 0) {
		close(fd);
		return tp_fail(err, rc, "sd_bus_new: %s", strerror(-rc));
	}
	rc = sd_bus_set_fd(bus, fd, fd);
	if (rc >= 0 && server) {
		sd_id128_t id;

		rc = sd_id128_randomize(&id);
		if (rc >= 0)
			rc = sd_bus_set_server(bus, 1, id);
	}
	/* no credentials to check on a socketpair we created ourselves */
	if (rc >= 0)
		rc = sd_bus_set_anonymous(bus, 1);
	if (rc >= 0)
		rc = sd_bus_negotiate_fds(bus, 1);
	if (rc >= 0)
		rc = sd_bus_start(bus);
	if (rc < 0) {
		sd_bus_unref(bus); /* closes fd */
		return tp_fail(err, rc, "starting D-Bus on the socketpair: %s",
			       strerror(-rc));
	}
	*out = bus;
	return 0;
}

static int sdb_connect(struct tp_conn *c, char *err)
{
	unsigned i;
	int rc;

	if (c->mode == SDB_P2P) {
		for (i = 0; i < c->n; i++) {
			int fd = c->fds[i];

			c->fds[i] = -1; /* p2p_open() consumes it */
			rc = p2p_open(fd, 0, &c->buses[i], err);
			if (rc)
				return rc;
		}
		/* finish the authentication now: a publisher never reads, so
		 * signals queued during the handshake would wait forever */
		for (i = 0; i < c->n; i++) {
			rc = bus_wait_ready(c->buses[i], c->params.abort, err);
			if (rc)
				return rc;
		}
		return 0;
	}
	rc = bus_open_address(c->address, c->mode == SDB_MEMFD, &c->buses[0],
			      err);
	if (rc)
		return rc;
	return bus_wait_ready(c->buses[0], c->params.abort, err);
}

static int bus_call_sync(sd_bus *bus, const char *member, const char *arg,
			 char *err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int rc;

	rc = sd_bus_call_method(bus, "org.freedesktop.DBus",
				"/org/freedesktop/DBus", "org.freedesktop.DBus",
				member, &e, NULL, "s", arg);
	if (rc < 0)
		tp_fail(err, rc, "%s(%s): %s", member, arg,
			e.message ? e.message : strerror(-rc));
	sd_bus_error_free(&e);
	return rc < 0 ? rc : 0;
}

static int sdb_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	enum sdb_mode mode = (enum sdb_mode)p->variant;
	struct tp_conn *c;
	char id[SDB_ID_LEN] = "Default";
	char rule[512];
	int rc;

	if (mode == SDB_P2P && n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	if (mode != SDB_P2P && (!p->address || !p->address[0]))
		return tp_fail(err, -EINVAL, "no bus address (--address)");
	rc = sdb_alloc(mode, p, 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->role = role;
	if (mode == SDB_P2P) {
		set_id(c, id);
		rc = p2p_open(fds[0], 1, &c->buses[0], err);
		if (rc)
			goto fail;
		*out = c;
		return 0;
	}
	if (n_fds >= 1) {
		rc = chanid_take(fds[0], id, sizeof(id), err);
		if (rc)
			goto fail;
	}
	set_id(c, id);
	rc = bus_open_address(c->address, mode == SDB_MEMFD, &c->buses[0], err);
	if (!rc)
		rc = bus_wait_ready(c->buses[0], p->abort, err);
	if (rc)
		goto fail;
	if (role == TP_ROLE_SERVER) {
		/* not queued: a second server on the same channel is a bug */
		rc = sd_bus_request_name(c->buses[0], c->dest, 0);
		if (rc < 0) {
			tp_fail(err, rc, "RequestName(%s): %s", c->dest,
				strerror(-rc));
			goto fail;
		}
	} else {
		snprintf(rule, sizeof(rule),
			 "type='signal',path='%s',interface='" SDB_BCAST_IFACE
			 "',member='Control'",
			 c->path);
		rc = bus_call_sync(c->buses[0], "AddMatch", rule, err);
		if (rc)
			goto fail;
		snprintf(rule, sizeof(rule),
			 "type='signal',path='%s',interface='" SDB_BCAST_IFACE
			 "',member='%s'",
			 c->path, p->interested ? "Data" : "DataIgnored");
		rc = bus_call_sync(c->buses[0], "AddMatch", rule, err);
		if (rc)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	sdb_close(c);
	return rc;
}

/* ---- payload: bytes or a sealed memfd ---- */

static int memfd_with(const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t left = len;
	int fd = memfd_create("ipcbench-dbus", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	while (left) {
		ssize_t w = write(fd, p, left);

		if (w < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		p += w;
		left -= (size_t)w;
	}
	/* sealed: the receiver may trust that the content cannot change */
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
	    0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int append_payload(struct tp_conn *c, sd_bus_message *m,
			  const void *data, size_t len)
{
	int fd, rc;

	if (c->mode != SDB_MEMFD)
		return sd_bus_message_append_array(m, 'y', data, len);
	/* the server echoes the descriptor it got: no copy at all */
	if (c->cur && c->map && data == c->map && len == c->map_len)
		return sd_bus_message_append(m, "h", c->cur_fd);
	fd = memfd_with(data, len);
	if (fd < 0)
		return fd;
	rc = sd_bus_message_append(m, "h", fd); /* sd-bus keeps a dup */
	close(fd);
	return rc;
}

/* Take the payload of c->cur into msg (in place: no copy). */
static int read_payload(struct tp_conn *c, struct tp_msg *msg)
{
	const void *p;
	size_t len;
	int rc;

	if (c->mode != SDB_MEMFD) {
		rc = sd_bus_message_read_array(c->cur, 'y', &p, &len);
		if (rc < 0)
			return rc == -ENXIO ? -EBADMSG : rc;
		msg->data = (void *)p;
		msg->len = len;
		return 0;
	} else {
		struct stat st;
		int fd;

		rc = sd_bus_message_read(c->cur, "h", &fd);
		if (rc < 0)
			return rc == -ENXIO ? -EBADMSG : rc;
		if (fstat(fd, &st))
			return -errno;
		if (st.st_size <= 0)
			return -EBADMSG;
		/* private and writable so that a reader may patch the copy
		 * (fault injection) without touching the sealed original */
		c->map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, fd, 0);
		if (c->map == MAP_FAILED) {
			c->map = NULL;
			return -errno;
		}
		c->map_len = (size_t)st.st_size;
		c->cur_fd = fd;
		msg->data = c->map;
		msg->len = c->map_len;
		return 0;
	}
}

/*
 * A lost connection: on a socketpair that is the peer going away (EPIPE,
 * "peer closed the connection"); on a bus it is the daemon dropping us
 * (ECONNRESET), e.g. dbus-broker disconnecting a peer over its quota, or
 * the daemon dying.  A vanished peer on a bus shows as a NoReply error
 * instead (error_to_errno).
 */
static int lost(const struct tp_conn *c, int rc)
{
	if (rc != -ENOTCONN && rc != -ECONNRESET && rc != -EPIPE)
		return rc;
	return c->mode == SDB_P2P ? -EPIPE : -ECONNRESET;
}

/* Push out whatever sd-bus still has queued (large messages go out in
 * pieces), giving up when the harness aborts. */
static int bus_flush(struct tp_conn *c, sd_bus *bus)
{
	volatile int *abort = c->params.abort;
	sd_bus_message *m = NULL;
	int waited = 0;

	for (;;) {
		int ev = sd_bus_get_events(bus), rc;

		if (ev < 0)
			return lost(c, ev);
		/* while authenticating, queued messages do not show as POLLOUT */
		if (!(ev & POLLOUT) && sd_bus_is_ready(bus) > 0)
			return 0;
		/* Finishing our write may read the peer's next message (p2p:
		 * the client can answer within microseconds).  Keep it for
		 * next_message(): with a NULL ret, sd-bus would answer a method
		 * call itself (UnknownMethod) and drop it. */
		rc = sd_bus_process(bus, c->early ? NULL : &m);
		if (rc < 0)
			return lost(c, rc);
		if (m) {
			c->early = m;
			m = NULL;
		}
		if (rc > 0)
			continue;
		if (abort && *abort)
			return -ECANCELED;
		/* the socket is full: the bus is not reading as fast as we
		 * send (dbus-daemon throttles a flooding sender this way) */
		if (!waited && sd_bus_is_ready(bus) > 0) {
			c->throttled++;
			waited = 1;
		}
		rc = sd_bus_wait(bus, SDB_WAIT_SLICE_US);
		if (rc < 0 && rc != -EINTR)
			return rc;
	}
}

static int error_to_errno(sd_bus_message *m)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);
	int rc;

	if (e && e->name) {
		/* the server vanished with the call pending: a crashed peer */
		if (!strcmp(e->name, "org.freedesktop.DBus.Error.NoReply") ||
		    !strcmp(e->name,
			    "org.freedesktop.DBus.Error.ServiceUnknown") ||
		    !strcmp(e->name,
			    "org.freedesktop.DBus.Error.NameHasNoOwner"))
			return -EPIPE;
		if (!strcmp(e->name,
			    "org.freedesktop.DBus.Error.LimitsExceeded"))
			return -ENOBUFS;
	}
	rc = sd_bus_message_get_errno(m);
	return rc > 0 ? -rc : -EREMOTEIO;
}

static int is_disconnect(sd_bus_message *m)
{
	return sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local",
					"Disconnected") > 0;
}

/*
 * Next message that satisfies want(), or a negative errno.  sd_bus_process()
 * hands us every message no callback took (we register none), one at a time.
 */
static int
next_message(sd_bus *bus, volatile int *abort,
	     int (*want)(struct tp_conn *, sd_bus_message *, uint64_t),
	     struct tp_conn *c, uint64_t cookie, sd_bus_message **out)
{
	for (;;) {
		sd_bus_message *m = NULL;
		int rc;

		if (c->early && bus == c->buses[0]) {
			m = c->early; /* read by bus_flush() */
			c->early = NULL;
			rc = 1;
		} else {
			rc = sd_bus_process(bus, &m);
		}

		if (rc < 0)
			return lost(c, rc);
		if (m) {
			if (is_disconnect(m)) {
				sd_bus_message_unref(m);
				return lost(c, -ECONNRESET);
			}
			rc = want(c, m, cookie);
			if (rc > 0) {
				*out = m;
				return 0;
			}
			sd_bus_message_unref(m);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc > 0)
			continue;
		if (abort && *abort)
			return -ECANCELED;
		rc = sd_bus_wait(bus, abort ? SDB_WAIT_SLICE_US : (uint64_t)-1);
		if (rc < 0 && rc != -EINTR)
			return rc;
	}
}

static int want_reply(struct tp_conn *c, sd_bus_message *m, uint64_t cookie)
{
	uint64_t rc_cookie;

	(void)c;
	if (sd_bus_message_get_reply_cookie(m, &rc_cookie) < 0 ||
	    rc_cookie != cookie)
		return 0;
	if (sd_bus_message_is_method_error(m, NULL))
		return error_to_errno(m);
	return 1;
}

static int want_request(struct tp_conn *c, sd_bus_message *m, uint64_t cookie)
{
	(void)cookie;
	if (c->role == TP_ROLE_SERVER)
		return sd_bus_message_is_method_call(m, SDB_ECHO_IFACE,
						     "Echo") > 0;
	return sd_bus_message_is_signal(m, SDB_BCAST_IFACE, NULL) > 0;
}

static int sdb_call(struct tp_conn *c, const void *req, size_t len,
		    struct tp_msg *reply)
{
	sd_bus *bus = c->buses[0];
	sd_bus_message *m = NULL;
	uint64_t cookie;
	int rc;

	release_cur(c);
	rc = sd_bus_message_new_method_call(
		bus, &m, c->mode == SDB_P2P ? NULL : c->dest, SDB_ECHO_PATH,
		SDB_ECHO_IFACE, "Echo");
	if (rc < 0)
		return rc;
	rc = append_payload(c, m, req, len);
	if (rc >= 0)
		rc = sd_bus_send(bus, m, &cookie);
	sd_bus_message_unref(m);
	if (rc < 0)
		return lost(c, rc);
	rc = next_message(bus, c->params.abort, want_reply, c, cookie, &c->cur);
	if (rc)
		return rc;
	return read_payload(c, reply);
}

static int sdb_recv(struct tp_conn *c, struct tp_msg *msg)
{
	int rc;

	release_cur(c);
	rc = next_message(c->buses[0], c->params.abort, want_request, c, 0,
			  &c->cur);
	if (rc)
		return rc;
	return read_payload(c, msg);
}

static int sdb_reply(struct tp_conn *c, const void *data, size_t len)
{
	sd_bus_message *m = NULL;
	int rc;

	if (!c->cur)
		return -EPROTO;
	rc = sd_bus_message_new_method_return(c->cur, &m);
	if (rc < 0)
		return rc;
	rc = append_payload(c, m, data, len);
	if (rc >= 0)
		rc = sd_bus_send(c->buses[0], m, NULL);
	sd_bus_message_unref(m);
	if (rc < 0)
		return lost(c, rc);
	/* a large reply may still sit in sd-bus's queue: push it now, the
	 * next recv() would only do so once the next request arrived */
	return bus_flush(c, c->buses[0]);
}

static int send_signal(struct tp_conn *c, sd_bus *bus, const char *member,
		       const void *data, size_t len)
{
	sd_bus_message *m = NULL;
	int rc;

	rc = sd_bus_message_new_signal(bus, &m, c->path, SDB_BCAST_IFACE,
				       member);
	if (rc < 0)
		return rc;
	rc = append_payload(c, m, data, len);
	if (rc >= 0)
		rc = sd_bus_send(bus, m, NULL);
	sd_bus_message_unref(m);
	if (rc < 0)
		return lost(c, rc);
	return 0;
}

static int sdb_publish(struct tp_conn *c, const void *data, size_t len,
		       const uint8_t *interested)
{
	struct msg_hdr h;
	const char *member;
	unsigned i;
	int control, rc;

	if (len < MSG_HDR_SIZE)
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	control = !!(h.flags & (MSG_HELLO | MSG_BYE));
	member = control ? "Control" : "Data";
	if (c->mode != SDB_P2P) {
		/* one signal; the daemon decides who gets it */
		rc = send_signal(c, c->buses[0], member, data, len);
		return rc ? rc : bus_flush(c, c->buses[0]);
	}
	for (i = 0; i < c->n; i++) {
		if (!control && !interested[i])
			continue;
		rc = send_signal(c, c->buses[i], member, data, len);
		if (rc)
			return rc;
	}
	for (i = 0; i < c->n; i++) {
		rc = bus_flush(c, c->buses[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Publishes the bus made us wait for (backpressure), for the result. */
static uint64_t sdb_refused(struct tp_conn *c)
{
	return c->throttled;
}

/* The variants, in enum sdb_mode order. */
static const char *const sdb_variants[] = {
	[SDB_BYTES] = "dbus-sdbus",
	[SDB_MEMFD] = "dbus-sdbus-memfd",
	[SDB_P2P] = "dbus-p2p",
	NULL,
};

const struct transport_ops dbus_sdbus_ops = {
	.name = "dbus-sdbus",
	.variants = sdb_variants,
	.prepare = sdb_prepare,
	.connect = sdb_connect,
	.attach = sdb_attach,
	.call = sdb_call,
	.recv = sdb_recv,
	.reply = sdb_reply,
	.publish = sdb_publish,
	.refused = sdb_refused,
	.close = sdb_close,
};

TRANSPORT_REGISTER(dbus_sdbus_ops);
