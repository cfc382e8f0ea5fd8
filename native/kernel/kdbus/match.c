// SPDX-License-Identifier: GPL-2.0-only
/*
 * Match databases (spec 13, 26.6).  They live under bus->rwsem: written
 * by MATCH_*, read by every SEND that routes a signal and by every kernel
 * notification.
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
		struct {
			u64 old_id;
			u64 new_id;
			const char *name; /* NULL: any */
		} nc;
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
	KDBUS_ITEM_NEGOTIATE,	KDBUS_ITEM_BLOOM_MASK,	KDBUS_ITEM_ID,
	KDBUS_ITEM_DST_ID,	KDBUS_ITEM_NAME,	KDBUS_ITEM_NAME_ADD,
	KDBUS_ITEM_NAME_REMOVE, KDBUS_ITEM_NAME_CHANGE, KDBUS_ITEM_ID_ADD,
	KDBUS_ITEM_ID_REMOVE,
};

static bool kdbus_is_notify_name(u64 type)
{
	return type == KDBUS_ITEM_NAME_ADD || type == KDBUS_ITEM_NAME_REMOVE ||
	       type == KDBUS_ITEM_NAME_CHANGE;
}

static bool kdbus_is_notify_id(u64 type)
{
	return type == KDBUS_ITEM_ID_ADD || type == KDBUS_ITEM_ID_REMOVE;
}

static bool kdbus_id_matches(u64 rule, u64 v)
{
	return rule == KDBUS_MATCH_ID_ANY || rule == v;
}

/* One notification rule against a notification item (spec 26.6). */
static bool kdbus_match_notify_rule(const struct kdbus_match_rule *r,
				    const struct kdbus_item *n)
{
	if (r->type != n->type)
		return false;
	if (kdbus_is_notify_id(n->type)) {
		const struct kdbus_notify_id_change *c = (const void *)n->data;

		return kdbus_id_matches(r->id, c->id);
	}
	if (kdbus_is_notify_name(n->type)) {
		const struct kdbus_notify_name_change *c =
			(const void *)n->data;

		return kdbus_id_matches(r->nc.old_id, c->old_id.id) &&
		       kdbus_id_matches(r->nc.new_id, c->new_id.id) &&
		       (!r->nc.name || !strcmp(r->nc.name, c->name));
	}
	return false;
}

/**
 * kdbus_match_kernel() - does @dst's match database accept a notification
 * @dst:	candidate receiver, bus rwsem held
 * @n:		the notification item (NAME_* or ID_*)
 *
 * Against a notification every user-message rule fails; an entry with no
 * rules accepts everything (spec 26.6 rule 3).
 *
 * Return: true if any entry has all of its rules passing.
 */
bool kdbus_match_kernel(struct kdbus_conn *dst, const struct kdbus_item *n)
{
	struct kdbus_match_entry *e;
	unsigned int i;

	list_for_each_entry (e, &dst->matches, entry) {
		for (i = 0; i < e->n_rules; i++)
			if (!kdbus_match_notify_rule(&e->rules[i], n))
				break;
		if (i == e->n_rules)
			return true;
	}
	return false;
}

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
				pass = n && kdbus_name_primary(n) == src;
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
 * -EMFILE
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
		case KDBUS_ITEM_ID_ADD:
		case KDBUS_ITEM_ID_REMOVE:
			if (len != sizeof(struct kdbus_notify_id_change))
				goto out;
			break;
		case KDBUS_ITEM_NAME_ADD:
		case KDBUS_ITEM_NAME_REMOVE:
		case KDBUS_ITEM_NAME_CHANGE: {
			const struct kdbus_notify_name_change *c =
				(const void *)it->data;
			size_t nlen;

			if (len < sizeof(*c))
				goto out;
			nlen = len - sizeof(*c);
			if (nlen && (strnlen(c->name, nlen) != nlen - 1 ||
				     !kdbus_name_is_valid(c->name, nlen - 1)))
				goto out;
			break;
		}
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
		} else if (kdbus_is_notify_id(it->type)) {
			r->id = it->data[0];
		} else if (kdbus_is_notify_name(it->type)) {
			const struct kdbus_notify_name_change *c =
				(const void *)it->data;

			r->nc.old_id = c->old_id.id;
			r->nc.new_id = c->new_id.id;
			r->nc.name = kdbus_item_payload_size(it) > sizeof(*c)
					     ? c->name
					     : NULL;
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
