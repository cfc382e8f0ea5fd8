// SPDX-License-Identifier: MIT
/*
 * Transport plug-ins: shared libraries that fill the public, versioned
 * struct ipcbench_transport_plugin (native/include/ipcbench/
 * transport-plugin.h) are loaded with dlopen() in the harness and in the
 * peer, checked, and adapted to the internal struct transport_ops so that
 * the workload drivers, integrity checks and reports use them unchanged.
 *
 * The public interface is separate from the internal one on purpose: the
 * internal struct may change with ipcbench, the public one only grows by
 * appending optional operations (struct_size says which a library has).
 *
 * Up to PLUGIN_SLOTS plug-ins per process (a gate loads two builds of one
 * library); prepare and attach have no connection to find their plug-in
 * from, so each slot has its own pair of small trampolines.
 */
#define _GNU_SOURCE
#include "plugin.h"

#include <ipcbench/transport-plugin.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_SLOTS 8
#define NAME_MAX_LEN 64

struct slot {
	int used;
	char name[NAME_MAX_LEN];
	char path[4096];
	void *handle;
	const struct ipcbench_transport_plugin *pl;
	struct transport_ops ops;
};

static struct slot slots[PLUGIN_SLOTS];

/* The adapter's connection: the plug-in's own one plus what it needs. */
struct tp_conn {
	const struct ipcbench_transport_plugin *pl;
	struct ipcbench_conn *inner;
	struct ipcbench_params params;
};

static void to_public(const struct tp_params *p, struct ipcbench_params *q)
{
	memset(q, 0, sizeof(*q));
	q->max_msg = p->max_msg;
	q->subscribers = p->subscribers;
	q->index = p->index;
	q->interested = p->interested;
	q->address = p->address;
	q->abort = p->abort;
}

static int wrap(const struct ipcbench_transport_plugin *pl,
		const struct tp_params *p, struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->pl = pl;
	to_public(p, &c->params);
	*out = c;
	return 0;
}

static int slot_prepare(int s, const struct tp_params *p, struct tp_conn **conn,
			struct tp_peer_fds *peers, char *err)
{
	const struct ipcbench_transport_plugin *pl = slots[s].pl;
	struct ipcbench_peer_fds pub[TP_MAX_FDS];
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	int rc, j;

	if (n > TP_MAX_FDS)
		return tp_fail(err, -E2BIG, "%s: at most %d peers per channel",
			       slots[s].name, TP_MAX_FDS);
	rc = wrap(pl, p, &c);
	if (rc)
		return tp_fail(err, rc, "%s: out of memory", slots[s].name);
	memset(pub, 0, sizeof(pub));
	for (i = 0; i < n; i++)
		for (j = 0; j < IPCBENCH_PLUGIN_MAX_FDS; j++)
			pub[i].fds[j] = -1;
	rc = pl->prepare(&c->params, &c->inner, pub, err);
	if (rc) {
		free(c);
		return rc < 0 ? rc : -EIO;
	}
	for (i = 0; i < n; i++) {
		int k = pub[i].n < TP_MAX_FDS ? pub[i].n : TP_MAX_FDS;

		for (j = 0; j < k; j++)
			peers[i].fds[j] = pub[i].fds[j];
		peers[i].n = k;
	}
	*conn = c;
	return 0;
}

static int slot_attach(int s, const struct tp_params *p, enum tp_role role,
		       const int *fds, int n_fds, struct tp_conn **conn,
		       char *err)
{
	const struct ipcbench_transport_plugin *pl = slots[s].pl;
	struct tp_conn *c;
	int rc = wrap(pl, p, &c);

	if (rc)
		return tp_fail(err, rc, "%s: out of memory", slots[s].name);
	rc = pl->attach(&c->params, (enum ipcbench_role)role, fds, n_fds,
			&c->inner, err);
	if (rc) {
		free(c);
		return rc < 0 ? rc : -EIO;
	}
	*conn = c;
	return 0;
}

#define SLOT_TRAMPOLINES(n)                                                 \
	static int prepare_##n(const struct tp_params *p,                   \
			       struct tp_conn **conn,                       \
			       struct tp_peer_fds *peers, char *err)        \
	{                                                                   \
		return slot_prepare(n, p, conn, peers, err);                \
	}                                                                   \
	static int attach_##n(const struct tp_params *p, enum tp_role role, \
			      const int *fds, int n_fds,                    \
			      struct tp_conn **conn, char *err)             \
	{                                                                   \
		return slot_attach(n, p, role, fds, n_fds, conn, err);      \
	}

SLOT_TRAMPOLINES(0)
SLOT_TRAMPOLINES(1)
SLOT_TRAMPOLINES(2)
SLOT_TRAMPOLINES(3)
SLOT_TRAMPOLINES(4)
SLOT_TRAMPOLINES(5)
SLOT_TRAMPOLINES(6)
SLOT_TRAMPOLINES(7)

static const struct {
	int (*prepare)(const struct tp_params *, struct tp_conn **,
		       struct tp_peer_fds *, char *);
	int (*attach)(const struct tp_params *, enum tp_role, const int *, int,
		      struct tp_conn **, char *);
} trampolines[PLUGIN_SLOTS] = {
	{ prepare_0, attach_0 }, { prepare_1, attach_1 },
	{ prepare_2, attach_2 }, { prepare_3, attach_3 },
	{ prepare_4, attach_4 }, { prepare_5, attach_5 },
	{ prepare_6, attach_6 }, { prepare_7, attach_7 },
};

static int ad_connect(struct tp_conn *c, char *err)
{
	int rc = c->pl->connect(c->inner, err);

	return rc > 0 ? -EIO : rc;
}

static int ad_call(struct tp_conn *c, const void *req, size_t len,
		   struct tp_msg *reply)
{
	struct ipcbench_msg m = { 0 };
	int rc = c->pl->call(c->inner, req, len, &m);

	reply->data = m.data;
	reply->len = m.len;
	return rc > 0 ? -EIO : rc;
}

static int ad_recv(struct tp_conn *c, struct tp_msg *msg)
{
	struct ipcbench_msg m = { 0 };
	int rc = c->pl->recv(c->inner, &m);

	msg->data = m.data;
	msg->len = m.len;
	return rc > 0 ? -EIO : rc;
}

static int ad_reply(struct tp_conn *c, const void *data, size_t len)
{
	int rc = c->pl->reply(c->inner, data, len);

	return rc > 0 ? -EIO : rc;
}

static int ad_publish(struct tp_conn *c, const void *data, size_t len,
		      const uint8_t *interested)
{
	int rc = c->pl->publish(c->inner, data, len, interested);

	return rc > 0 ? -EIO : rc;
}

static int ad_release(struct tp_conn *c, const struct tp_msg *msg)
{
	struct ipcbench_msg m = { .data = msg->data, .len = msg->len };

	return c->pl->release(c->inner, &m);
}

static void ad_close(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->inner)
		c->pl->close(c->inner);
	free(c);
}

/* Does the table reach this member?  (Older, shorter tables lack it.) */
#define HAS(pl, member)                                               \
	((pl)->struct_size >=                                         \
		 offsetof(struct ipcbench_transport_plugin, member) + \
			 sizeof((pl)->member) &&                      \
	 (pl)->member)

static int valid_name(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return n < NAME_MAX_LEN;
}

const struct transport_ops *plugin_find(const char *name)
{
	int i;

	for (i = 0; i < PLUGIN_SLOTS; i++)
		if (slots[i].used && !strcmp(slots[i].name, name))
			return &slots[i].ops;
	return NULL;
}

const struct ipcbench_transport_plugin *
plugin_info(const struct transport_ops *ops)
{
	int i;

	for (i = 0; i < PLUGIN_SLOTS; i++)
		if (slots[i].used && &slots[i].ops == ops)
			return slots[i].pl;
	return NULL;
}

const struct transport_ops *plugin_load(const char *path, const char *name,
					char *err)
{
	const struct ipcbench_transport_plugin *pl;
	ipcbench_transport_plugin_fn fn;
	struct slot *s = NULL;
	const char *missing = NULL;
	void *h;
	int i;

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		tp_fail(err, -ENOEXEC,
			"%s: cannot load it as a shared library: %s", path,
			dlerror());
		return NULL;
	}
	*(void **)&fn = dlsym(h, IPCBENCH_PLUGIN_SYMBOL);
	if (!fn) {
		tp_fail(err, -ENOENT,
			"%s is not an ipcbench transport plug-in: it does not export %s() (see transport-plugin.h)",
			path, IPCBENCH_PLUGIN_SYMBOL);
		goto fail;
	}
	pl = fn();
	if (!pl) {
		tp_fail(err, -EINVAL, "%s: %s() returned NULL", path,
			IPCBENCH_PLUGIN_SYMBOL);
		goto fail;
	}
	if (pl->abi_version != IPCBENCH_PLUGIN_ABI_VERSION) {
		tp_fail(err, -EPROTO,
			"%s: plug-in ABI version %u, but this ipcbench speaks version %u: rebuild the plug-in against this ipcbench's transport-plugin.h",
			path, pl->abi_version, IPCBENCH_PLUGIN_ABI_VERSION);
		goto fail;
	}
	if (pl->struct_size <
	    offsetof(struct ipcbench_transport_plugin, close) +
		    sizeof(pl->close)) {
		tp_fail(err, -EPROTO,
			"%s: struct_size %u is smaller than ABI version 1's table",
			path, pl->struct_size);
		goto fail;
	}
	if (!HAS(pl, prepare))
		missing = "prepare";
	else if (!HAS(pl, connect))
		missing = "connect";
	else if (!HAS(pl, attach))
		missing = "attach";
	else if (!HAS(pl, recv))
		missing = "recv";
	else if (!HAS(pl, close))
		missing = "close";
	else if (!HAS(pl, publish) && !(HAS(pl, call) && HAS(pl, reply)))
		missing = "call and reply (RPC) or publish (broadcast)";
	else if (HAS(pl, call) != HAS(pl, reply))
		missing = HAS(pl, call) ? "reply (it has call)"
					: "call (it has reply)";
	if (missing) {
		tp_fail(err, -EINVAL, "%s: the plug-in lacks %s()", path,
			missing);
		goto fail;
	}
	if (!name || !*name)
		name = pl->name; /* its own name unless told another */
	if (!valid_name(name)) {
		tp_fail(err, -EINVAL,
			"%s: bad plug-in name '%s' (use a-z, 0-9, '-', '_', '.'; at most %d characters)",
			path, name ? name : "", NAME_MAX_LEN - 1);
		goto fail;
	}
	for (i = 0; i < PLUGIN_SLOTS; i++) {
		if (slots[i].used && !strcmp(slots[i].name, name)) {
			if (slots[i].handle == h) {
				dlclose(h); /* the same library again */
				return &slots[i].ops;
			}
			tp_fail(err, -EEXIST,
				"plug-in name '%s' is taken by %s", name,
				slots[i].path);
			goto fail;
		}
		if (!slots[i].used && !s)
			s = &slots[i];
	}
	if (!s) {
		tp_fail(err, -ENOSPC, "at most %d plug-ins per run",
			PLUGIN_SLOTS);
		goto fail;
	}
	memset(s, 0, sizeof(*s));
	s->used = 1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->handle = h;
	s->pl = pl;
	s->ops.name = s->name;
	s->ops.prepare = trampolines[s - slots].prepare;
	s->ops.attach = trampolines[s - slots].attach;
	s->ops.connect = ad_connect;
	s->ops.recv = ad_recv;
	s->ops.close = ad_close;
	if (HAS(pl, call)) {
		s->ops.call = ad_call;
		s->ops.reply = ad_reply;
	}
	if (HAS(pl, publish))
		s->ops.publish = ad_publish;
	if (HAS(pl, release))
		s->ops.release = ad_release;
	return &s->ops;
fail:
	dlclose(h);
	return NULL;
}
