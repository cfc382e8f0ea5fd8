// SPDX-License-Identifier: GPL-2.0-only
/*
 * The well-known name registry (spec 25): per name an ordered owner list,
 * the first entry primary, the others queued; NAME_ACQUIRE follows the
 * decision table of spec 25.3, NAME_RELEASE and disconnect spec 25.5/25.6.
 * Everything lives under bus->rwsem.  Name notifications are collected in
 * a list while the lock is held and queued on the receivers right after
 * (spec 26.5: before the ioctl returns).
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kdbus_internal.h"

#define KDBUS_NAME_SAVED (KDBUS_NAME_ALLOW_REPLACEMENT | KDBUS_NAME_QUEUE)

/**
 * kdbus_name_lookup() - find a registered well-known name
 * @bus:	bus, rwsem held
 * @name:	NUL-terminated name
 *
 * Return: the entry (it has at least one owner) or NULL.
 */
struct kdbus_name_entry *kdbus_name_lookup(struct kdbus_bus *bus,
					   const char *name)
{
	u32 hash = jhash(name, strlen(name), 0);
	struct kdbus_name_entry *n;

	hash_for_each_possible(bus->name_hash, n, hentry,
			       hash) if (n->hash == hash &&
					 !strcmp(n->name, name)) return n;
	return NULL;
}

/* The name flags reported for an owner entry (spec 25.7). */
static u64 kdbus_owner_flags(struct kdbus_name_owner *o)
{
	return o->flags | (kdbus_name_owner_primary(o) ? KDBUS_NAME_PRIMARY
						       : KDBUS_NAME_IN_QUEUE);
}

static struct kdbus_name_owner *
kdbus_name_find_owner(struct kdbus_name_entry *n, struct kdbus_conn *conn)
{
	struct kdbus_name_owner *o;

	list_for_each_entry (o, &n->owners, name_entry)
		if (o->conn == conn)
			return o;
	return NULL;
}

static struct kdbus_name_owner *
kdbus_owner_new(struct kdbus_name_entry *n, struct kdbus_conn *conn, u64 flags)
{
	struct kdbus_name_owner *o = kmalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return NULL;
	o->name = n;
	o->conn = conn;
	o->flags = flags;
	INIT_LIST_HEAD(&o->name_entry);
	list_add_tail(&o->conn_entry, &conn->names);
	conn->n_names++;
	return o;
}

static void kdbus_owner_free(struct kdbus_name_owner *o)
{
	list_del(&o->name_entry);
	list_del(&o->conn_entry);
	o->conn->n_names--;
	kfree(o);
}

/*
 * Remove @o from its name (spec 25.5 effects): a primary hands over to
 * the next entry (NAME_CHANGE) or the name disappears (NAME_REMOVE); a
 * queued entry just goes.
 */
static void kdbus_owner_release(struct kdbus_name_owner *o,
				struct list_head *notify,
				struct list_head *dead)
{
	struct kdbus_conn *conn = o->conn;
	struct kdbus_name_entry *n = o->name;
	bool primary = kdbus_name_owner_primary(o);
	u64 old_id = o->conn->id, old_flags = o->flags;
	struct kdbus_name_owner *next;

	kdbus_owner_free(o);
	if (!primary)
		return;
	if (list_empty(&n->owners)) {
		kdbus_notify_name(notify, KDBUS_ITEM_NAME_REMOVE, old_id,
				  old_flags, 0, 0, n->name);
		hash_del(&n->hentry);
		kfree(n);
		return;
	}
	next = kdbus_name_first(n);
	/* take-back: the activator is primary again (spec 32.3 rule 2) */
	if ((next->flags & KDBUS_NAME_ACTIVATOR) &&
	    !(old_flags & KDBUS_NAME_ACTIVATOR))
		kdbus_conn_move_msgs(conn, next->conn, n->name, dead);
	kdbus_notify_name(notify, KDBUS_ITEM_NAME_CHANGE, old_id, old_flags,
			  next->conn->id, kdbus_owner_flags(next), n->name);
}

/* Queue @o behind the others, but before an activator (spec 25.1 r3). */
static void kdbus_owner_append(struct kdbus_name_entry *n,
			       struct kdbus_name_owner *o)
{
	struct kdbus_name_owner *act = kdbus_name_activator(n);

	if (act)
		list_add_tail(&o->name_entry, &act->name_entry);
	else
		list_add_tail(&o->name_entry, &n->owners);
}

/**
 * kdbus_name_add_activator() - register an activator's entry (spec 32.1)
 * @conn:	the activator, being linked; bus rwsem held for writing
 * @name:	its valid name, which has no activator yet
 * @notify:	NAME_ADD goes here if the name is new
 *
 * Return: 0 or -ENOMEM.
 */
int kdbus_name_add_activator(struct kdbus_conn *conn, const char *name,
			     struct list_head *notify)
{
	struct kdbus_name_entry *n = kdbus_name_lookup(conn->bus, name);
	struct kdbus_name_owner *o;
	size_t len = strlen(name);
	bool fresh = !n;

	if (fresh) {
		n = kmalloc(sizeof(*n) + len + 1, GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		memcpy(n->name, name, len + 1);
		n->hash = jhash(name, len, 0);
		INIT_LIST_HEAD(&n->owners);
	}
	o = kdbus_owner_new(n, conn, KDBUS_NAME_ACTIVATOR);
	if (!o) {
		if (fresh)
			kfree(n);
		return -ENOMEM;
	}
	list_add_tail(&o->name_entry, &n->owners);
	if (fresh) {
		hash_add(conn->bus->name_hash, &n->hentry, n->hash);
		kdbus_notify_name(notify, KDBUS_ITEM_NAME_ADD, 0, 0, conn->id,
				  kdbus_owner_flags(o), n->name);
	}
	return 0;
}

/* The one NAME item of NAME_ACQUIRE / NAME_RELEASE (spec 14.2). */
static int kdbus_name_item(struct kdbus_args *a, const char **name)
{
	struct kdbus_item *it;

	*name = NULL;
	kdbus_items_foreach(it, a->items, a->items_size)
	{
		if (it->type == KDBUS_ITEM_NEGOTIATE)
			continue;
		if (it->type != KDBUS_ITEM_NAME || *name ||
		    kdbus_item_string(it, name))
			return -EINVAL;
	}
	if (!*name || !kdbus_name_is_valid(*name, strlen(*name)))
		return -EINVAL;
	return 0;
}

static const u64 kdbus_name_items[] = {
	KDBUS_ITEM_NEGOTIATE,
	KDBUS_ITEM_NAME,
};

/* Spec 25.3 on an existing name; bus rwsem held for writing. */
static int kdbus_name_acquire_existing(struct kdbus_conn *conn,
				       struct kdbus_name_entry *n, u64 flags,
				       u64 *rflags, struct list_head *notify,
				       struct list_head *dead,
				       struct kdbus_conn **act)
{
	struct kdbus_name_owner *p = kdbus_name_first(n);
	struct kdbus_name_owner *mine = kdbus_name_find_owner(n, conn);
	u64 sf = flags & KDBUS_NAME_SAVED;
	bool acquired = false;

	if (p == mine) { /* B */
		mine->flags = sf;
		*rflags = KDBUS_NAME_PRIMARY | sf;
		return 0;
	}
	if (p->flags & KDBUS_NAME_ACTIVATOR) { /* C: handover */
		if (mine) /* cannot happen: nobody queues behind an activator */
			return -EEXIST;
		if (conn->n_names >= KDBUS_CONN_MAX_NAMES)
			return -E2BIG;
		mine = kdbus_owner_new(n, conn, sf);
		if (!mine)
			return -ENOMEM;
		list_add(&mine->name_entry, &n->owners);
		kdbus_conn_move_msgs(p->conn, conn, n->name, dead);
		kdbus_conn_get(p->conn);
		*act = p->conn;
		kdbus_notify_name(notify, KDBUS_ITEM_NAME_CHANGE, p->conn->id,
				  kdbus_owner_flags(p), conn->id,
				  kdbus_owner_flags(mine), n->name);
		*rflags = KDBUS_NAME_PRIMARY | KDBUS_NAME_ACQUIRED | sf;
		return 0;
	}
	if ((flags & KDBUS_NAME_REPLACE_EXISTING) &&
	    (p->flags & KDBUS_NAME_ALLOW_REPLACEMENT)) { /* D */
		u64 p_id = p->conn->id, p_flags = p->flags;

		if (!mine) {
			if (conn->n_names >= KDBUS_CONN_MAX_NAMES)
				return -E2BIG;
			mine = kdbus_owner_new(n, conn, sf);
			if (!mine)
				return -ENOMEM;
			acquired = true;
		} else {
			list_del(&mine->name_entry);
		}
		mine->flags = sf;
		list_add(&mine->name_entry, &n->owners);
		if (p->flags & KDBUS_NAME_QUEUE) {
			/* p is now second, right behind us */
			list_move(&p->name_entry, &mine->name_entry);
			p_flags |= KDBUS_NAME_IN_QUEUE;
		} else {
			kdbus_owner_free(p);
		}
		kdbus_notify_name(notify, KDBUS_ITEM_NAME_CHANGE, p_id, p_flags,
				  conn->id, sf | KDBUS_NAME_PRIMARY, n->name);
		*rflags = KDBUS_NAME_PRIMARY | sf |
			  (acquired ? KDBUS_NAME_ACQUIRED : 0);
		return 0;
	}
	if (flags & KDBUS_NAME_QUEUE) { /* E */
		if (!mine) {
			if (conn->n_names >= KDBUS_CONN_MAX_NAMES)
				return -E2BIG;
			mine = kdbus_owner_new(n, conn, sf);
			if (!mine)
				return -ENOMEM;
			kdbus_owner_append(n, mine);
			acquired = true;
		}
		mine->flags = sf;
		*rflags = KDBUS_NAME_IN_QUEUE | sf |
			  (acquired ? KDBUS_NAME_ACQUIRED : 0);
		return 0;
	}
	if (mine) { /* F1 */
		kdbus_owner_free(mine);
		*rflags = 0;
		return 0;
	}
	return -EEXIST; /* F2 */
}

/**
 * kdbus_cmd_name_acquire() - KDBUS_CMD_NAME_ACQUIRE (spec 25.2 to 25.4)
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd
 *
 * Return: 0 with return_flags as in spec 25.4; -EINVAL; -EPERM (OWN
 * policy); -E2BIG; -EEXIST; -ENOMEM; -ECONNRESET.
 */
int kdbus_cmd_name_acquire(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_name_entry *n;
	struct kdbus_name_owner *o;
	struct kdbus_cmd *cmd;
	struct kdbus_conn *act = NULL;
	struct kdbus_args a;
	const char *name;
	LIST_HEAD(notify);
	LIST_HEAD(dead);
	u64 rflags = 0;
	size_t len;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd),
			       KDBUS_NAME_REPLACE_EXISTING | KDBUS_NAME_SAVED);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_name_items,
			     ARRAY_SIZE(kdbus_name_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;
	ret = kdbus_name_item(&a, &name);
	if (ret)
		goto out;
	ret = -EOPNOTSUPP; /* spec 25.2 check 3 */
	if (!kdbus_conn_ordinary(conn))
		goto out;
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;

	len = strlen(name);
	down_write(&bus->rwsem);
	n = kdbus_name_lookup(bus, name);
	if (!conn->linked) {
		ret = -ECONNRESET;
	} else if (!kdbus_policy_may_own(conn, name)) {
		ret = -EPERM; /* check 4 */
	} else if (n) {
		ret = kdbus_name_acquire_existing(conn, n, cmd->flags, &rflags,
						  &notify, &dead, &act);
	} else if (conn->n_names >= KDBUS_CONN_MAX_NAMES) {
		ret = -E2BIG;
	} else { /* A */
		ret = -ENOMEM;
		n = kmalloc(sizeof(*n) + len + 1, GFP_KERNEL);
		if (n) {
			memcpy(n->name, name, len + 1);
			n->hash = jhash(name, len, 0);
			INIT_LIST_HEAD(&n->owners);
			o = kdbus_owner_new(n, conn,
					    cmd->flags & KDBUS_NAME_SAVED);
			if (!o) {
				kfree(n);
			} else {
				list_add(&o->name_entry, &n->owners);
				hash_add(bus->name_hash, &n->hentry, n->hash);
				rflags = KDBUS_NAME_PRIMARY |
					 KDBUS_NAME_ACQUIRED | o->flags;
				kdbus_notify_name(&notify, KDBUS_ITEM_NAME_ADD,
						  0, 0, conn->id,
						  kdbus_owner_flags(o),
						  n->name);
				ret = 0;
			}
		}
	}
	up_write(&bus->rwsem);
	kdbus_notify_flush(bus, &notify);
	if (act) {
		kdbus_conn_move_finish(act, &dead);
		kdbus_conn_put(act);
	}
	if (!ret)
		cmd->return_flags = rflags;
out:
	return kdbus_args_finish(&a, ret);
}

/**
 * kdbus_cmd_name_release() - KDBUS_CMD_NAME_RELEASE (spec 25.5)
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd
 *
 * Return: 0, -ESRCH for an unregistered name, -EADDRINUSE if the caller
 * has no entry, -EINVAL, -ECONNRESET.
 */
int kdbus_cmd_name_release(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_name_entry *n;
	struct kdbus_name_owner *o;
	struct kdbus_args a;
	const char *name;
	LIST_HEAD(notify);
	LIST_HEAD(dead);
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(struct kdbus_cmd), 0);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_name_items,
			     ARRAY_SIZE(kdbus_name_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	ret = kdbus_name_item(&a, &name);
	if (ret)
		goto out;
	ret = -EOPNOTSUPP;
	if (!kdbus_conn_ordinary(conn))
		goto out;
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;
	down_write(&bus->rwsem);
	n = kdbus_name_lookup(bus, name);
	o = n ? kdbus_name_find_owner(n, conn) : NULL;
	if (!n || !kdbus_policy_may_see_name(conn, name))
		ret = -ESRCH;
	else if (!o)
		ret = -EADDRINUSE;
	else
		kdbus_owner_release(o, &notify, &dead);
	up_write(&bus->rwsem);
	kdbus_notify_flush(bus, &notify);
	kdbus_conn_move_finish(conn, &dead);
out:
	return kdbus_args_finish(&a, ret);
}

/**
 * kdbus_names_release_all() - drop every entry of a disconnecting connection
 * @conn:	connection, bus rwsem held for writing
 * @notify:	where the resulting name notifications are collected
 * @dead:	calls a take-back could not move (kdbus_conn_move_msgs())
 */
void kdbus_names_release_all(struct kdbus_conn *conn, struct list_head *notify,
			     struct list_head *dead)
{
	struct kdbus_name_owner *o, *tmp;

	list_for_each_entry_safe (o, tmp, &conn->names, conn_entry)
		kdbus_owner_release(o, notify, dead);
}

/**
 * kdbus_names_pack() - the names @conn primarily owns, as kdbus_name records
 * @conn:	connection, bus rwsem held
 * @out:	set to a kmalloc'ed buffer of 8-aligned records, or NULL
 * @len:	set to its length
 *
 * Return: 0 or -ENOMEM.
 */
int kdbus_names_pack(struct kdbus_conn *conn, u8 **out, size_t *len)
{
	struct kdbus_name_owner *o;
	size_t total = 0, pos = 0;
	u8 *buf;

	*out = NULL;
	*len = 0;
	list_for_each_entry (o, &conn->names, conn_entry)
		if (kdbus_name_owner_primary(o))
			total += KDBUS_ALIGN8(8 + strlen(o->name->name) + 1);
	if (!total)
		return 0;
	buf = kzalloc(total, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	list_for_each_entry (o, &conn->names, conn_entry) {
		struct kdbus_name *kn = (void *)(buf + pos);
		size_t l = strlen(o->name->name);

		if (!kdbus_name_owner_primary(o))
			continue;
		kn->flags = kdbus_owner_flags(o);
		memcpy(kn->name, o->name->name, l + 1);
		pos += KDBUS_ALIGN8(8 + l + 1);
	}
	*out = buf;
	*len = pos;
	return 0;
}
