// SPDX-License-Identifier: GPL-2.0-only
/*
 * Queries (spec 27): CONN_INFO, BUS_CREATOR_INFO and LIST.  Each result
 * is built in a kernel buffer, then written into a new owner slice of the
 * caller's pool (not quota-counted; EXFULL when no range is free) that the
 * caller FREEs.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kdbus_internal.h"

/* Hand @buf to the caller as a user-held slice of its pool. */
static int kdbus_query_publish(struct kdbus_conn *conn, const void *buf,
			       size_t len, u64 *offset)
{
	struct kdbus_slice *s;
	int ret;

	ret = kdbus_conn_reserve(conn, len, false, GLOBAL_ROOT_UID, &s);
	if (ret)
		return ret;
	ret = kdbus_pool_write_kvec(&conn->pool, s->off, buf, len);
	if (ret) {
		kdbus_conn_cancel(conn, s, false);
		return ret;
	}
	mutex_lock(&conn->lock);
	s->user = true;
	mutex_unlock(&conn->lock);
	*offset = s->off;
	return 0;
}

static const u64 kdbus_conn_info_items[] = {
	KDBUS_ITEM_NEGOTIATE,
	KDBUS_ITEM_NAME,
};

/* kdbus_info + the target's metadata, @mask already reduced. */
static void *kdbus_conn_info_build(struct kdbus_conn *caller,
				   struct kdbus_conn *t, u64 mask,
				   struct kdbus_meta *now, size_t *len)
{
	size_t proc, conn_items;
	struct kdbus_info *info;

	proc = kdbus_meta_write_buf(t->meta, mask & KDBUS_ATTACH_PROC,
				    &caller->ns, NULL);
	conn_items = kdbus_meta_write_buf(now, mask & ~KDBUS_ATTACH_PROC,
					  &caller->ns, NULL);
	*len = sizeof(*info) + proc + conn_items;
	info = kzalloc(*len, GFP_KERNEL);
	if (!info)
		return NULL;
	info->size = *len;
	info->id = t->id;
	info->flags = t->flags;
	kdbus_meta_write_buf(t->meta, mask & KDBUS_ATTACH_PROC, &caller->ns,
			     info->items);
	kdbus_meta_write_buf(now, mask & ~KDBUS_ATTACH_PROC, &caller->ns,
			     (u8 *)info->items + proc);
	return info;
}

/**
 * kdbus_cmd_conn_info() - KDBUS_CMD_CONN_INFO (spec 27.2)
 * @conn:	the caller
 * @argp:	user pointer to struct kdbus_cmd_info
 *
 * Return: 0; -EINVAL; -ENXIO (no such connection); -ESRCH (no such
 * name); -EXFULL; -ENOMEM; -ECONNRESET.
 */
int kdbus_cmd_conn_info(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_cmd_info __user *u = argp;
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_meta *now = NULL;
	struct kdbus_conn *t = NULL;
	struct kdbus_cmd_info *cmd;
	const char *name = NULL;
	struct kdbus_item *it;
	struct kdbus_args a;
	void *info = NULL;
	size_t len = 0;
	u64 mask, off;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd), 0);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_conn_info_items,
			     ARRAY_SIZE(kdbus_conn_info_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;
	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		if (it->type == KDBUS_ITEM_NEGOTIATE)
			continue;
		if (it->type != KDBUS_ITEM_NAME || name ||
		    kdbus_item_string(it, &name) ||
		    !kdbus_name_is_valid(name, strlen(name)))
			goto out;
	}
	if (kdbus_check_attach(cmd->attach_flags) || (!cmd->id && !name))
		goto out;
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;

	down_read(&bus->rwsem);
	if (cmd->id) {
		/* monitors are not in the table: ENXIO (spec 32.4) */
		t = kdbus_bus_find_conn(bus, cmd->id);
		if (t && !kdbus_policy_may_see_conn(conn, t))
			t = NULL;
		ret = t ? 0 : -ENXIO;
	} else {
		struct kdbus_name_entry *n = kdbus_name_lookup(bus, name);

		if (n && !kdbus_policy_may_see_name(conn, name))
			n = NULL;
		t = n ? kdbus_name_primary(n) : NULL;
		ret = t ? 0 : -ESRCH;
	}
	if (t)
		kdbus_conn_get(t);
	up_read(&bus->rwsem);
	if (ret)
		goto out;

	/* M & Q & (S | I), no TIMESTAMP (spec 24.3 rule 2, 24.2 rule 3) */
	mask = kdbus_meta_module_mask() & kdbus_attach_norm(cmd->attach_flags) &
	       (READ_ONCE(t->attach_send) | KDBUS_ATTACH_IMPLICIT) &
	       ~KDBUS_ATTACH_TIMESTAMP;
	ret = -ENOMEM;
	now = kdbus_meta_new();
	if (!now)
		goto out;
	ret = kdbus_meta_collect_conn(
		now, t,
		mask & (KDBUS_ATTACH_NAMES | KDBUS_ATTACH_CONN_DESCRIPTION));
	if (ret)
		goto out;
	ret = -ENOMEM;
	info = kdbus_conn_info_build(conn, t, mask, now, &len);
	if (!info)
		goto out;
	ret = kdbus_query_publish(conn, info, len, &off);
	if (!ret &&
	    (put_user(off, &u->offset) || put_user((u64)len, &u->info_size)))
		ret = -EFAULT; /* the slice stays until FREE or close */
out:
	kfree(info);
	kdbus_meta_free(now);
	kdbus_conn_put(t);
	return kdbus_args_finish(&a, ret);
}

/**
 * kdbus_cmd_bus_creator_info() - KDBUS_CMD_BUS_CREATOR_INFO (spec 27.3)
 * @conn:	the caller
 * @argp:	user pointer to struct kdbus_cmd_info
 *
 * Return: 0; -EINVAL; -EXFULL; -ENOMEM; -ECONNRESET.
 */
int kdbus_cmd_bus_creator_info(struct kdbus_conn *conn, void __user *argp)
{
	static const u64 types[] = { KDBUS_ITEM_NEGOTIATE };
	struct kdbus_cmd_info __user *u = argp;
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_cmd_info *cmd;
	struct kdbus_info *info;
	struct kdbus_item *it;
	struct kdbus_args a;
	size_t name_len, name_item, meta, len;
	u64 mask, off;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd), 0);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, types, ARRAY_SIZE(types));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;
	kdbus_items_foreach(it, a.items, a.items_size) if (
		it->type !=
		KDBUS_ITEM_NEGOTIATE) return kdbus_args_finish(&a, -EINVAL);
	if (kdbus_check_attach(cmd->attach_flags))
		return kdbus_args_finish(&a, -EINVAL);
	ret = kdbus_conn_check(conn);
	if (ret)
		return kdbus_args_finish(&a, ret);

	/* M & Q & B; MAKE_NAME always, first (spec 24.3 rule 3) */
	mask = kdbus_meta_module_mask() & kdbus_attach_norm(cmd->attach_flags) &
	       bus->attach_flags & KDBUS_ATTACH_PROC;
	name_len = strlen(bus->name) + 1;
	name_item = KDBUS_ALIGN8(KDBUS_ITEM_HEADER_SIZE + name_len);
	meta = kdbus_meta_write_buf(bus->meta, mask, &conn->ns, NULL);
	len = sizeof(*info) + name_item + meta;
	info = kzalloc(len, GFP_KERNEL);
	if (!info)
		return kdbus_args_finish(&a, -ENOMEM);
	info->size = len;
	info->id = bus->id;
	info->flags = bus->flags;
	info->items[0].size = KDBUS_ITEM_HEADER_SIZE + name_len;
	info->items[0].type = KDBUS_ITEM_MAKE_NAME;
	memcpy(info->items[0].data, bus->name, name_len);
	kdbus_meta_write_buf(bus->meta, mask, &conn->ns,
			     (u8 *)info->items + name_item);
	ret = kdbus_query_publish(conn, info, len, &off);
	if (!ret &&
	    (put_user(off, &u->offset) || put_user((u64)len, &u->info_size)))
		ret = -EFAULT;
	kfree(info);
	return kdbus_args_finish(&a, ret);
}

#define KDBUS_LIST_ALL                                                  \
	(KDBUS_LIST_UNIQUE | KDBUS_LIST_NAMES | KDBUS_LIST_ACTIVATORS | \
	 KDBUS_LIST_QUEUED)

/* One LIST record; @buf NULL measures.  Returns its 8-aligned length. */
static size_t kdbus_list_record(u8 *buf, struct kdbus_conn *c,
				struct kdbus_name_owner *o)
{
	size_t len = sizeof(struct kdbus_info);
	struct kdbus_info *info = (void *)buf;
	size_t name_len = o ? strlen(o->name->name) + 1 : 0;

	if (o)
		len += KDBUS_ITEM_HEADER_SIZE + sizeof(struct kdbus_name) +
		       name_len;
	if (buf) {
		memset(buf, 0, KDBUS_ALIGN8(len));
		info->size = len;
		info->id = c->id;
		info->flags = c->flags;
		if (o) {
			struct kdbus_name *kn = (void *)info->items[0].data;

			info->items[0].size =
				KDBUS_ITEM_HEADER_SIZE + sizeof(*kn) + name_len;
			info->items[0].type = KDBUS_ITEM_OWNED_NAME;
			kn->flags = o->flags | (kdbus_name_owner_primary(o)
							? KDBUS_NAME_PRIMARY
							: KDBUS_NAME_IN_QUEUE);
			memcpy(kn->name, o->name->name, name_len);
		}
	}
	return KDBUS_ALIGN8(len);
}

/* Both passes of LIST generation (spec 27.4); bus rwsem held. */
static size_t kdbus_list_walk(struct kdbus_conn *caller, u64 flags, u8 *buf)
{
	struct kdbus_bus *bus = caller->bus;
	struct kdbus_name_owner *o;
	struct kdbus_conn *c;
	size_t pos = 0;

	/* monitors are not on bus->conns */
	list_for_each_entry (c, &bus->conns, bus_entry) {
		bool any = false;

		if ((c->flags & KDBUS_HELLO_ACTIVATOR) &&
		    !(flags & KDBUS_LIST_ACTIVATORS))
			continue;
		if (!kdbus_policy_may_see_conn(caller, c))
			continue;
		list_for_each_entry (o, &c->names, conn_entry) {
			u64 want;

			if (o->flags & KDBUS_NAME_ACTIVATOR)
				want = KDBUS_LIST_ACTIVATORS;
			else if (kdbus_name_owner_primary(o))
				want = KDBUS_LIST_NAMES;
			else
				want = KDBUS_LIST_QUEUED;
			if (!(flags & want) ||
			    !kdbus_policy_may_see_name(caller, o->name->name))
				continue;
			pos += kdbus_list_record(buf ? buf + pos : NULL, c, o);
			any = true;
		}
		if (!any && (flags & KDBUS_LIST_UNIQUE))
			pos += kdbus_list_record(buf ? buf + pos : NULL, c,
						 NULL);
	}
	return pos;
}

/**
 * kdbus_cmd_list() - KDBUS_CMD_LIST (spec 27.4)
 * @conn:	the caller
 * @argp:	user pointer to struct kdbus_cmd_list
 *
 * Return: 0; -EINVAL; -EXFULL; -ENOMEM; -ECONNRESET.
 */
int kdbus_cmd_list(struct kdbus_conn *conn, void __user *argp)
{
	static const u64 types[] = { KDBUS_ITEM_NEGOTIATE };
	struct kdbus_cmd_list __user *u = argp;
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_cmd_list *cmd;
	struct kdbus_item *it;
	struct kdbus_args a;
	size_t len;
	u8 *buf = NULL;
	u64 off;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd), KDBUS_LIST_ALL);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, types, ARRAY_SIZE(types));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;
	kdbus_items_foreach(it, a.items, a.items_size) if (
		it->type !=
		KDBUS_ITEM_NEGOTIATE) return kdbus_args_finish(&a, -EINVAL);
	ret = kdbus_conn_check(conn);
	if (ret)
		return kdbus_args_finish(&a, ret);

	down_read(&bus->rwsem);
	len = kdbus_list_walk(conn, cmd->flags, NULL);
	if (len) {
		buf = kvmalloc(len, GFP_KERNEL);
		if (buf)
			kdbus_list_walk(conn, cmd->flags, buf);
	}
	up_read(&bus->rwsem);
	if (len && !buf)
		return kdbus_args_finish(&a, -ENOMEM);

	off = conn->pool.size; /* no records: "no slice" (choice, 27.1) */
	if (len)
		ret = kdbus_query_publish(conn, buf, len, &off);
	kvfree(buf);
	if (!ret &&
	    (put_user(off, &u->offset) || put_user((u64)len, &u->list_size)))
		ret = -EFAULT;
	return kdbus_args_finish(&a, ret);
}
