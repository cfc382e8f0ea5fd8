// SPDX-License-Identifier: MIT
/* ipcbench-pkg-config: dbus-1 (libdbus-1-dev) */
/*
 * dbus-libdbus: D-Bus through libdbus (the reference client library), on a
 * private bus started by the harness (tp_params.address).  The same
 * protocol as dbus-sdbus (see dbus-sdbus.c): method org.ipcbench.Echo.Echo
 * with an `ay` payload echoed back; broadcast as signals Control (HELLO and
 * BYE, every subscriber matches) and Data (only interested subscribers'
 * rules match; the others match DataIgnored, so the daemon filters).  It
 * exists so that the report can tell the client library's cost
 * (libdbus vs sd-bus) from the daemon's, with the daemon held fixed.
 *
 * The payload is read in place (dbus_message_get_args on a byte array
 * returns a pointer into the message), as sd-bus does.  Waits use
 * dbus_connection_read_write() with a SLICE_MS timeout so that a set
 * *tp_params.abort makes them give up.  Losing the bus connection is
 * -ECONNRESET (daemon died or dropped us); a server that vanished with a
 * call pending shows as a NoReply error, -EPIPE.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"
#include "dbus-chanid.h"

#include <dbus/dbus.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_MS 200 /* abort is checked at least this often */
#define ECHO_PATH "/org/ipcbench/Echo"
#define ECHO_IFACE "org.ipcbench.Echo"
#define BCAST_PATH "/org/ipcbench/Bcast/"
#define BCAST_IFACE "org.ipcbench.Bcast"
/* libdbus's own defaults (32 MiB per message, 63 MiB queued) are below the
 * sweep; the D-Bus specification allows 128 MiB messages */
#define MAX_MESSAGE (128l * 1024 * 1024)
#define MAX_QUEUED (1024l * 1024 * 1024)

struct tp_conn {
	enum tp_role role;
	struct tp_params params;
	char *address;
	char id[CHANID_LEN];
	char dest[CHANID_LEN + 32];
	char path[CHANID_LEN + 32];
	DBusConnection *conn;
	DBusMessage *cur;   /* last received message, kept until next op */
	uint64_t throttled; /* sends the bus did not take at once */
};

static int ldb_alloc(const struct tp_params *p, enum tp_role role,
		     const char *id, struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->role = role;
	c->params = *p;
	c->params.address = NULL;
	c->address = strdup(p->address);
	if (!c->address) {
		free(c);
		return -ENOMEM;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dest, sizeof(c->dest), ECHO_IFACE ".%s", c->id);
	snprintf(c->path, sizeof(c->path), BCAST_PATH "%s", c->id);
	*out = c;
	return 0;
}

static void release_cur(struct tp_conn *c)
{
	if (c->cur)
		dbus_message_unref(c->cur);
	c->cur = NULL;
}

static void ldb_close(struct tp_conn *c)
{
	if (!c)
		return;
	release_cur(c);
	if (c->conn) {
		/* a peer flushes its last reply; the harness never waits on a
		 * daemon that may be hung or gone */
		if (c->role == TP_ROLE_SERVER || c->role == TP_ROLE_SUBSCRIBER)
			dbus_connection_flush(c->conn);
		dbus_connection_close(c->conn);
		dbus_connection_unref(c->conn);
	}
	free(c->address);
	free(c);
}

static int ldb_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	unsigned npeers = p->subscribers ? p->subscribers : 1, i;
	char id[CHANID_LEN];
	int rc;

	if (!p->address || !p->address[0])
		return tp_fail(
			err, -EINVAL,
			"no bus address: the transport's setup() must start a bus");
	chanid_make("Ld", id, sizeof(id));
	rc = ldb_alloc(p, p->subscribers ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT,
		       id, out);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	for (i = 0; i < npeers; i++) {
		rc = chanid_pipe(id, &peers[i].fds[0], err);
		if (rc) {
			while (i--) {
				close(peers[i].fds[0]);
				peers[i].n = 0;
			}
			ldb_close(*out);
			*out = NULL;
			return rc;
		}
		peers[i].n = 1;
	}
	return 0;
}

static int open_bus(struct tp_conn *c, char *err)
{
	DBusError e;

	dbus_error_init(&e);
	/* private: never shared with (or mistaken for) another connection */
	c->conn = dbus_connection_open_private(c->address, &e);
	if (!c->conn)
		goto fail;
	dbus_connection_set_exit_on_disconnect(c->conn, FALSE);
	dbus_connection_set_max_message_size(c->conn, MAX_MESSAGE);
	dbus_connection_set_max_received_size(c->conn, MAX_QUEUED);
	if (!dbus_bus_register(c->conn, &e))
		goto fail;
	return 0;
fail:
	tp_fail(err, -ECONNREFUSED, "connecting to the bus at %s: %s",
		c->address, e.message ? e.message : "failed");
	dbus_error_free(&e);
	return -ECONNREFUSED;
}

static int ldb_connect(struct tp_conn *c, char *err)
{
	return open_bus(c, err);
}

static int ldb_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	char id[CHANID_LEN] = "Default", rule[512];
	struct tp_conn *c;
	DBusError e;
	int rc;

	if (!p->address || !p->address[0])
		return tp_fail(err, -EINVAL, "no bus address (--address)");
	if (n_fds >= 1) {
		rc = chanid_take(fds[0], id, sizeof(id), err);
		if (rc)
			return rc;
	}
	rc = ldb_alloc(p, role, id, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	rc = open_bus(c, err);
	if (rc)
		goto fail;
	dbus_error_init(&e);
	if (role == TP_ROLE_SERVER) {
		int r = dbus_bus_request_name(c->conn, c->dest,
					      DBUS_NAME_FLAG_DO_NOT_QUEUE, &e);

		if (r != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
			rc = tp_fail(err, -EADDRINUSE, "RequestName(%s): %s",
				     c->dest,
				     e.message ? e.message : "name taken");
			dbus_error_free(&e);
			goto fail;
		}
	} else {
		const char *members[2] = { "Control", p->interested
							      ? "Data"
							      : "DataIgnored" };
		int i;

		for (i = 0; i < 2; i++) {
			snprintf(
				rule, sizeof(rule),
				"type='signal',path='%s',interface='" BCAST_IFACE
				"',member='%s'",
				c->path, members[i]);
			dbus_bus_add_match(c->conn, rule, &e);
			if (dbus_error_is_set(&e)) {
				rc = tp_fail(err, -EIO, "AddMatch(%s): %s",
					     rule, e.message);
				dbus_error_free(&e);
				goto fail;
			}
		}
	}
	*out = c;
	return 0;
fail:
	ldb_close(c);
	return rc;
}

static int error_to_errno(DBusMessage *m)
{
	const char *name = dbus_message_get_error_name(m);

	if (!name)
		return -EREMOTEIO;
	/* the server vanished with the call pending: a crashed peer */
	if (!strcmp(name, DBUS_ERROR_NO_REPLY) ||
	    !strcmp(name, DBUS_ERROR_SERVICE_UNKNOWN) ||
	    !strcmp(name, DBUS_ERROR_NAME_HAS_NO_OWNER))
		return -ECONNRESET;
	if (!strcmp(name, DBUS_ERROR_LIMITS_EXCEEDED))
		return -ENOBUFS;
	if (!strcmp(name, DBUS_ERROR_NO_MEMORY))
		return -ENOMEM;
	if (!strcmp(name, DBUS_ERROR_ACCESS_DENIED))
		return -EACCES;
	if (!strcmp(name, DBUS_ERROR_TIMEOUT) ||
	    !strcmp(name, DBUS_ERROR_TIMED_OUT))
		return -ETIMEDOUT;
	return -EREMOTEIO;
}

/* Write out everything queued (large messages take several writes). */
static int flush_out(struct tp_conn *c)
{
	int waited = 0;

	while (dbus_connection_has_messages_to_send(c->conn)) {
		/* still queued after a write: the bus is not reading as fast
		 * as we send (backpressure) */
		if (waited++ == 1)
			c->throttled++;
		if (!dbus_connection_read_write(c->conn, SLICE_MS))
			return -ECONNRESET;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
	}
	return 0;
}

/*
 * Next incoming message that want() accepts (> 0), or a negative errno.
 * pop_message bypasses libdbus's handlers: we see every message ourselves.
 */
static int next_message(struct tp_conn *c,
			int (*want)(struct tp_conn *, DBusMessage *,
				    dbus_uint32_t),
			dbus_uint32_t serial, DBusMessage **out)
{
	for (;;) {
		DBusMessage *m = dbus_connection_pop_message(c->conn);

		if (m) {
			int rc;

			if (dbus_message_is_signal(m, DBUS_INTERFACE_LOCAL,
						   "Disconnected")) {
				dbus_message_unref(m);
				return -ECONNRESET;
			}
			rc = want(c, m, serial);
			if (rc > 0) {
				*out = m;
				return 0;
			}
			dbus_message_unref(m);
			if (rc < 0)
				return rc;
			continue;
		}
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		if (!dbus_connection_read_write(
			    c->conn, c->params.abort ? SLICE_MS : -1))
			return -ECONNRESET;
	}
}

static int want_reply(struct tp_conn *c, DBusMessage *m, dbus_uint32_t serial)
{
	(void)c;
	if (dbus_message_get_reply_serial(m) != serial)
		return 0;
	if (dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_ERROR)
		return error_to_errno(m);
	return 1;
}

static int want_request(struct tp_conn *c, DBusMessage *m, dbus_uint32_t serial)
{
	(void)serial;
	if (c->role == TP_ROLE_SERVER)
		return dbus_message_is_method_call(m, ECHO_IFACE, "Echo");
	return dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_SIGNAL &&
	       dbus_message_has_interface(m, BCAST_IFACE);
}

static int append_bytes(DBusMessage *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	int n = (int)len;

	if (len > (size_t)MAX_MESSAGE)
		return -EMSGSIZE;
	if (!dbus_message_append_args(m, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &p, n,
				      DBUS_TYPE_INVALID))
		return -ENOMEM;
	return 0;
}

static int read_bytes(DBusMessage *m, struct tp_msg *msg)
{
	DBusMessageIter it, sub;
	const unsigned char *p = NULL;
	int n = 0;

	if (!dbus_message_iter_init(m, &it) ||
	    dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_ARRAY ||
	    dbus_message_iter_get_element_type(&it) != DBUS_TYPE_BYTE)
		return -EBADMSG;
	dbus_message_iter_recurse(&it, &sub);
	dbus_message_iter_get_fixed_array(&sub, &p, &n);
	msg->data = (void *)p;
	msg->len = (size_t)n;
	return 0;
}

static int send_msg(struct tp_conn *c, DBusMessage *m, dbus_uint32_t *serial)
{
	if (!dbus_connection_send(c->conn, m, serial))
		return dbus_connection_get_is_connected(c->conn) ? -ENOMEM
								 : -ECONNRESET;
	return flush_out(c);
}

/* Append the payload as `ay` and send; takes the reference to m. */
static int send_bytes(struct tp_conn *c, DBusMessage *m, const void *data,
		      size_t len, dbus_uint32_t *serial)
{
	int rc;

	if (!m)
		return -ENOMEM;
	rc = append_bytes(m, data, len);
	if (!rc)
		rc = send_msg(c, m, serial);
	dbus_message_unref(m);
	return rc;
}

static int ldb_call(struct tp_conn *c, const void *req, size_t len,
		    struct tp_msg *reply)
{
	DBusMessage *m;
	dbus_uint32_t serial = 0;
	int rc;

	release_cur(c);
	m = dbus_message_new_method_call(c->dest, ECHO_PATH, ECHO_IFACE,
					 "Echo");
	rc = send_bytes(c, m, req, len, &serial);
	if (rc)
		return rc;
	rc = next_message(c, want_reply, serial, &c->cur);
	if (rc)
		return rc;
	return read_bytes(c->cur, reply);
}

static int ldb_recv(struct tp_conn *c, struct tp_msg *msg)
{
	int rc;

	release_cur(c);
	rc = next_message(c, want_request, 0, &c->cur);
	if (rc)
		return rc;
	return read_bytes(c->cur, msg);
}

static int ldb_reply(struct tp_conn *c, const void *data, size_t len)
{
	if (!c->cur)
		return -EPROTO;
	return send_bytes(c, dbus_message_new_method_return(c->cur), data, len,
			  NULL);
}

static int ldb_publish(struct tp_conn *c, const void *data, size_t len,
		       const uint8_t *interested)
{
	struct msg_hdr h;

	(void)interested; /* the daemon filters, by the subscribers' rules */
	if (len < MSG_HDR_SIZE)
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	return send_bytes(
		c,
		dbus_message_new_signal(
			c->path, BCAST_IFACE,
			h.flags & (MSG_HELLO | MSG_BYE) ? "Control" : "Data"),
		data, len, NULL);
}

/* Publishes the bus made us wait for (backpressure), for the result. */
static uint64_t ldb_refused(struct tp_conn *c)
{
	return c->throttled;
}

const struct transport_ops dbus_libdbus_ops = {
	.name = "dbus-libdbus",
	.prepare = ldb_prepare,
	.connect = ldb_connect,
	.attach = ldb_attach,
	.call = ldb_call,
	.recv = ldb_recv,
	.reply = ldb_reply,
	.publish = ldb_publish,
	.refused = ldb_refused,
	.close = ldb_close,
};

TRANSPORT_REGISTER(dbus_libdbus_ops);
