// SPDX-License-Identifier: GPL-2.0-only
/*
 * Match databases (spec 13) and the single-owner well-known name
 * registry (spec 14).  Both live under bus->rwsem: written by MATCH_* and
 * NAME_*, read by every SEND that has to route a signal or a name.
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kdbus_internal.h"

struct kdbus_match_rule {
	u64 type;
	union {
		struct {
			const u64 *mask;
			u64 generations;
		} bloom;
		u64 id;
		const char *name;
	};
};

struct kdbus_match_entry {
	struct list_head entry; /* conn->matches */
	u64 cookie;
	unsigned int n_rules;
	struct kdbus_match_rule *rules;
	/* followed by the rules, then a copy of the items they point into */
};

static const u64 kdbus_match_items[] = {
	KDBUS_ITEM_NEGOTIATE, KDBUS_ITEM_BLOOM_MASK, KDBUS_ITEM_ID,
	KDBUS_ITEM_DST_ID,    KDBUS_ITEM_NAME,
};

/* spec 13.4: every mask bit of the chosen generation must be in the filter */
static bool kdbus_bloom_match(const struct kdbus_match_rule *r,
			      const struct kdbus_bloom_filter *f, size_t words)
{
	u64 g = min_t(u64, f->generation, r->bloom.generations - 1);
	const u64 *m = r->bloom.mask + g * words;
	size_t i;

	for (i = 0; i < words; i++)
		if ((f->data[i] & m[i]) != m[i])
			return false;
	return true;
}

/**
 * kdbus_match_signal() - does @dst's match database accept a signal
 * @dst:	candidate receiver, bus rwsem held
 * @src:	sender
 * @msg:	the staged message
 * @bloom:	its bloom filter (always present on a valid signal)
 *
 * Return: true if any entry has all of its rules passing.
 */
bool kdbus_match_signal(struct kdbus_conn *dst, struct kdbus_conn *src,
			const struct kdbus_msg *msg,
			const struct kdbus_bloom_filter *bloom)
{
	size_t words = dst->bus->bloom_size / 8;
	struct kdbus_match_entry *e;
	unsigned int i;

	list_for_each_entry (e, &dst->matches, entry) {
		for (i = 0; i < e->n_rules; i++) {
			const struct kdbus_match_rule *r = &e->rules[i];
			struct kdbus_name_entry *n;
			bool pass;

			switch (r->type) {
			case KDBUS_ITEM_BLOOM_MASK:
				pass = bloom &&
				       kdbus_bloom_match(r, bloom, words);
				break;
			case KDBUS_ITEM_ID:
				pass = r->id == KDBUS_MATCH_ID_ANY ||
				       r->id == src->id;
				break;
			case KDBUS_ITEM_DST_ID:
				pass = r->id == KDBUS_MATCH_ID_ANY ||
				       r->id == msg->dst_id;
				break;
			case KDBUS_ITEM_NAME:
				n = kdbus_name_lookup(dst->bus, r->name);
				pass = n && n->owner == src;
				break;
			default:
				pass = false;
				break;
			}
			if (!pass)
				break;
		}
		if (i == e->n_rules)
			return true;
	}
	return false;
}

/* Remove entries with @cookie; bus rwsem held for writing. */
static unsigned int kdbus_match_remove_cookie(struct kdbus_conn *conn,
					      u64 cookie)
{
	struct kdbus_match_entry *e, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe (e, tmp, &conn->matches, entry) {
		if (e->cookie != cookie)
			continue;
		list_del(&e->entry);
		conn->n_matches--;
		kfree(e);
		n++;
	}
	return n;
}

/**
 * kdbus_match_flush() - free every match entry of a disconnecting connection
 * @conn:	connection, bus rwsem held for writing
 */
void kdbus_match_flush(struct kdbus_conn *conn)
{
	struct kdbus_match_entry *e, *tmp;

	list_for_each_entry_safe (e, tmp, &conn->matches, entry) {
		list_del(&e->entry);
		kfree(e);
	}
	conn->n_matches = 0;
}

/**
 * kdbus_cmd_match_add() - KDBUS_CMD_MATCH_ADD
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd_match
 *
 * Return: 0; -EINVAL; -EDOM for a bloom mask that is not k * bloom size;
 * -EOPNOTSUPP for notification rules (this module sends none); -EMFILE
 * beyond 256 entries; -ENOMEM; -ECONNRESET.
 */
int kdbus_cmd_match_add(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_match_entry *e;
	struct kdbus_cmd_match *cmd;
	struct kdbus_item *it, *copy;
	unsigned int n = 0, i = 0;
	struct kdbus_args a;
	const char *name;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd), KDBUS_MATCH_REPLACE);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_match_items,
			     ARRAY_SIZE(kdbus_match_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;

	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		size_t len = kdbus_item_payload_size(it);

		switch (it->type) {
		case KDBUS_ITEM_NEGOTIATE:
			continue;
		case KDBUS_ITEM_BLOOM_MASK:
			if (!len || len % bus->bloom_size) {
				ret = -EDOM;
				goto out;
			}
			break;
		case KDBUS_ITEM_ID:
		case KDBUS_ITEM_DST_ID:
			if (len != 8)
				goto out;
			break;
		case KDBUS_ITEM_NAME:
			if (kdbus_item_string(it, &name) ||
			    !kdbus_name_is_valid(name, strlen(name)))
				goto out;
			break;
		case KDBUS_ITEM_NAME_ADD:
		case KDBUS_ITEM_NAME_REMOVE:
		case KDBUS_ITEM_NAME_CHANGE:
		case KDBUS_ITEM_ID_ADD:
		case KDBUS_ITEM_ID_REMOVE:
			ret = -EOPNOTSUPP;
			goto out;
		default:
			goto out;
		}
		n++;
	}
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;

	ret = -ENOMEM;
	e = kzalloc(sizeof(*e) + n * sizeof(*e->rules) + a.items_size,
		    GFP_KERNEL);
	if (!e)
		goto out;
	e->cookie = cmd->cookie;
	e->n_rules = n;
	e->rules = (void *)(e + 1);
	copy = (void *)(e->rules + n);
	memcpy(copy, a.items, a.items_size);
	kdbus_items_foreach(it, copy, a.items_size)
	{
		struct kdbus_match_rule *r = &e->rules[i];

		if (it->type == KDBUS_ITEM_NEGOTIATE)
			continue;
		r->type = it->type;
		if (it->type == KDBUS_ITEM_BLOOM_MASK) {
			r->bloom.mask = it->data;
			r->bloom.generations =
				kdbus_item_payload_size(it) / bus->bloom_size;
		} else if (it->type == KDBUS_ITEM_NAME) {
			r->name = (const char *)it->data;
		} else {
			r->id = it->data[0];
		}
		i++;
	}

	down_write(&bus->rwsem);
	if (cmd->flags & KDBUS_MATCH_REPLACE)
		kdbus_match_remove_cookie(conn, cmd->cookie);
	if (!conn->linked) {
		ret = -ECONNRESET;
	} else if (conn->n_matches >= KDBUS_MATCH_MAX) {
		ret = -EMFILE;
	} else {
		list_add_tail(&e->entry, &conn->matches);
		conn->n_matches++;
		e = NULL;
		ret = 0;
	}
	up_write(&bus->rwsem);
	kfree(e);
out:
	return kdbus_args_finish(&a, ret);
}

/**
 * kdbus_cmd_match_remove() - KDBUS_CMD_MATCH_REMOVE
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd_match
 *
 * Return: 0, -EBADSLT if no entry has the cookie, -EINVAL, -ECONNRESET.
 */
int kdbus_cmd_match_remove(struct kdbus_conn *conn, void __user *argp)
{
	static const u64 types[] = { KDBUS_ITEM_NEGOTIATE };
	struct kdbus_cmd_match *cmd;
	struct kdbus_item *it;
	struct kdbus_args a;
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
	ret = kdbus_conn_check(conn);
	if (ret)
		return kdbus_args_finish(&a, ret);
	down_write(&conn->bus->rwsem);
	if (!kdbus_match_remove_cookie(conn, cmd->cookie))
		ret = -EBADSLT;
	up_write(&conn->bus->rwsem);
	return kdbus_args_finish(&a, ret);
}

/* ---- names ----------------------------------------------------------------- */

/**
 * kdbus_name_lookup() - find a well-known name
 * @bus:	bus, rwsem held
 * @name:	NUL-terminated name
 *
 * Return: the entry or NULL.
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

/**
 * kdbus_cmd_name_acquire() - KDBUS_CMD_NAME_ACQUIRE (single owner)
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd
 *
 * REPLACE_EXISTING, ALLOW_REPLACEMENT and QUEUE are accepted and have no
 * effect: there is no queueing or replacement (spec 14.2).
 *
 * Return: 0 (return_flags PRIMARY|ACQUIRED, or PRIMARY if already ours);
 * -EINVAL; -EPERM (OWN policy); -E2BIG; -EEXIST; -ENOMEM; -ECONNRESET.
 */
int kdbus_cmd_name_acquire(struct kdbus_conn *conn, void __user *argp)
{
	const u64 kept = KDBUS_NAME_ALLOW_REPLACEMENT | KDBUS_NAME_QUEUE;
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_name_entry *n;
	struct kdbus_cmd *cmd;
	struct kdbus_args a;
	const char *name;
	size_t len;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd),
			       KDBUS_NAME_REPLACE_EXISTING | kept);
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
	ret = -EPERM;
	if (!conn->privileged)
		goto out;
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;

	len = strlen(name);
	down_write(&bus->rwsem);
	n = kdbus_name_lookup(bus, name);
	if (n) {
		if (n->owner == conn) {
			cmd->return_flags =
				KDBUS_NAME_PRIMARY | (n->flags & kept);
			ret = 0;
		} else {
			ret = -EEXIST;
		}
	} else if (!conn->linked) {
		ret = -ECONNRESET;
	} else if (conn->n_names >= KDBUS_CONN_MAX_NAMES) {
		ret = -E2BIG;
	} else {
		n = kmalloc(sizeof(*n) + len + 1, GFP_KERNEL);
		if (!n) {
			ret = -ENOMEM;
		} else {
			memcpy(n->name, name, len + 1);
			n->hash = jhash(name, len, 0);
			n->owner = conn;
			n->flags = cmd->flags & kept;
			hash_add(bus->name_hash, &n->hentry, n->hash);
			list_add_tail(&n->conn_entry, &conn->names);
			conn->n_names++;
			cmd->return_flags = KDBUS_NAME_PRIMARY |
					    KDBUS_NAME_ACQUIRED | n->flags;
			ret = 0;
		}
	}
	up_write(&bus->rwsem);
out:
	return kdbus_args_finish(&a, ret);
}

static void kdbus_name_free(struct kdbus_conn *conn, struct kdbus_name_entry *n)
{
	hash_del(&n->hentry);
	list_del(&n->conn_entry);
	conn->n_names--;
	kfree(n);
}

/**
 * kdbus_cmd_name_release() - KDBUS_CMD_NAME_RELEASE
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd
 *
 * Return: 0, -ESRCH for an unknown name, -EADDRINUSE for someone else's,
 * -EINVAL, -ECONNRESET.
 */
int kdbus_cmd_name_release(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_name_entry *n;
	struct kdbus_args a;
	const char *name;
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
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;
	down_write(&bus->rwsem);
	n = kdbus_name_lookup(bus, name);
	if (!n)
		ret = -ESRCH;
	else if (n->owner != conn)
		ret = -EADDRINUSE;
	else
		kdbus_name_free(conn, n);
	up_write(&bus->rwsem);
out:
	return kdbus_args_finish(&a, ret);
}

/**
 * kdbus_names_release_all() - drop every name of a disconnecting connection
 * @conn:	connection, bus rwsem held for writing
 */
void kdbus_names_release_all(struct kdbus_conn *conn)
{
	struct kdbus_name_entry *n, *tmp;

	list_for_each_entry_safe (n, tmp, &conn->names, conn_entry)
		kdbus_name_free(conn, n);
}
