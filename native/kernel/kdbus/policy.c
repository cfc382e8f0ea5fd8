// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy databases (spec 30): groups of one NAME item followed by
 * POLICY_ACCESS items, uploaded by policy holders and activators into the
 * bus database, or given to a custom endpoint.  A database is a list of
 * entries, each tagged with its owner (the uploading connection, or the
 * endpoint); it lives under bus->rwsem.
 */
#include <linux/cred.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kdbus_internal.h"

struct kdbus_policy_rule {
	u64 type;
	u64 access;
	kuid_t uid;
	kgid_t gid;
};

struct kdbus_policy_entry {
	struct list_head entry;
	const void *owner;
	bool wildcard; /* name is the prefix of "<prefix>.*" */
	unsigned int n_rules;
	struct kdbus_policy_rule *rules;
	char name[];
};

static void kdbus_policy_entry_free(struct kdbus_policy_entry *e)
{
	kfree(e->rules);
	kfree(e);
}

/**
 * kdbus_policy_free_list() - free a list of parsed entries
 * @list:	entries not installed in any database
 */
void kdbus_policy_free_list(struct list_head *list)
{
	struct kdbus_policy_entry *e, *tmp;

	list_for_each_entry_safe (e, tmp, list, entry) {
		list_del(&e->entry);
		kdbus_policy_entry_free(e);
	}
}

/* "a.b" of "a.b.*": one or more valid elements (spec 30.1) */
static bool kdbus_policy_prefix_valid(const char *p, size_t len)
{
	char *tmp;
	bool ok;

	if (!len)
		return false;
	tmp = kmalloc(len + 3, GFP_KERNEL);
	if (!tmp)
		return false;
	memcpy(tmp, p, len);
	memcpy(tmp + len, ".x", 3);
	ok = kdbus_name_is_valid(tmp, len + 2);
	kfree(tmp);
	return ok;
}

static struct kdbus_policy_entry *kdbus_policy_find(struct list_head *list,
						    const char *name,
						    size_t len, bool wildcard)
{
	struct kdbus_policy_entry *e;

	list_for_each_entry (e, list, entry)
		if (e->wildcard == wildcard && strlen(e->name) == len &&
		    !memcmp(e->name, name, len))
			return e;
	return NULL;
}

/**
 * kdbus_policy_parse() - turn NAME / POLICY_ACCESS groups into entries
 * @items:	first item (already framed by kdbus_args_parse())
 * @size:	bytes of items
 * @wildcards:	"<prefix>.*" names allowed (policy holders)
 * @need_access: a NAME must be followed by at least one POLICY_ACCESS
 * @out:	empty list; receives the entries (free on error is done here)
 * @n_names:	set to the number of groups
 *
 * Items of other types are skipped: the caller validates them.
 *
 * Return: 0 or -EINVAL (spec 30.1), -ENOMEM.
 */
int kdbus_policy_parse(struct kdbus_item *items, size_t size, bool wildcards,
		       bool need_access, struct list_head *out,
		       unsigned int *n_names)
{
	struct kdbus_policy_entry *cur = NULL;
	struct kdbus_item *it;
	unsigned int n = 0;
	int ret = -EINVAL;

	*n_names = 0;
	kdbus_items_foreach(it, items, size)
	{
		if (it->type == KDBUS_ITEM_NAME) {
			const char *name;
			size_t len;
			bool wild = false;

			if (cur && need_access && !cur->n_rules)
				goto err;
			if (kdbus_item_string(it, &name))
				goto err;
			len = strlen(name);
			if (len > 2 && !strcmp(name + len - 2, ".*")) {
				if (!wildcards ||
				    !kdbus_policy_prefix_valid(name, len - 2))
					goto err;
				wild = true;
				len -= 2;
			} else if (!kdbus_name_is_valid(name, len)) {
				goto err;
			}
			if (kdbus_policy_find(out, name, len, wild))
				goto err; /* the same name twice (choice) */
			ret = -ENOMEM;
			cur = kzalloc(sizeof(*cur) + len + 1, GFP_KERNEL);
			if (!cur)
				goto err;
			memcpy(cur->name, name, len);
			cur->wildcard = wild;
			list_add_tail(&cur->entry, out);
			n++;
			ret = -EINVAL;
		} else if (it->type == KDBUS_ITEM_POLICY_ACCESS) {
			struct kdbus_policy_access *pa = (void *)it->data;
			struct kdbus_policy_rule *r;

			if (!cur || kdbus_item_payload_size(it) != sizeof(*pa))
				goto err;
			if (pa->type < KDBUS_POLICY_ACCESS_USER ||
			    pa->type > KDBUS_POLICY_ACCESS_WORLD ||
			    pa->access > KDBUS_POLICY_OWN)
				goto err;
			ret = -ENOMEM;
			r = krealloc_array(cur->rules, cur->n_rules + 1,
					   sizeof(*r), GFP_KERNEL);
			if (!r)
				goto err;
			cur->rules = r;
			r += cur->n_rules;
			ret = -EINVAL;
			r->type = pa->type;
			r->access = pa->access;
			r->uid = INVALID_UID;
			r->gid = INVALID_GID;
			if (pa->type == KDBUS_POLICY_ACCESS_USER) {
				r->uid = make_kuid(current_user_ns(), pa->id);
				if (pa->id > U32_MAX || !uid_valid(r->uid))
					goto err;
			} else if (pa->type == KDBUS_POLICY_ACCESS_GROUP) {
				r->gid = make_kgid(current_user_ns(), pa->id);
				if (pa->id > U32_MAX || !gid_valid(r->gid))
					goto err;
			}
			cur->n_rules++;
		}
	}
	if (cur && need_access && !cur->n_rules)
		goto err;
	*n_names = n;
	return 0;
err:
	kdbus_policy_free_list(out);
	return ret;
}

/**
 * kdbus_policy_install() - replace @owner's entries in @db by @new
 * @db:		database, bus rwsem held for writing
 * @new:	parsed entries, emptied on success
 * @owner:	their owner
 * @exclusive:	a name may be held by one owner only (the bus database)
 *
 * Return: 0, or -EEXIST if another owner holds one of the names; then
 * nothing changed.
 */
int kdbus_policy_install(struct list_head *db, struct list_head *new,
			 const void *owner, bool exclusive)
{
	struct kdbus_policy_entry *e, *o, *tmp;

	if (exclusive) {
		list_for_each_entry (e, new, entry) {
			o = kdbus_policy_find(db, e->name, strlen(e->name),
					      e->wildcard);
			if (o && o->owner != owner)
				return -EEXIST;
		}
	}
	kdbus_policy_remove_owner(db, owner);
	list_for_each_entry_safe (e, tmp, new, entry) {
		e->owner = owner;
		list_move_tail(&e->entry, db);
	}
	return 0;
}

/**
 * kdbus_policy_remove_owner() - drop every entry of @owner
 * @db:		database, bus rwsem held for writing
 * @owner:	owner
 */
void kdbus_policy_remove_owner(struct list_head *db, const void *owner)
{
	struct kdbus_policy_entry *e, *tmp;

	list_for_each_entry_safe (e, tmp, db, entry) {
		if (e->owner != owner)
			continue;
		list_del(&e->entry);
		kdbus_policy_entry_free(e);
	}
}

static bool kdbus_policy_rule_applies(const struct kdbus_policy_rule *r,
				      const struct cred *cred)
{
	switch (r->type) {
	case KDBUS_POLICY_ACCESS_WORLD:
		return true;
	case KDBUS_POLICY_ACCESS_USER:
		return uid_eq(r->uid, cred->euid);
	case KDBUS_POLICY_ACCESS_GROUP: {
		const struct group_info *gi = cred->group_info;
		int i;

		if (gid_eq(r->gid, cred->egid))
			return true;
		/* supplementary groups (choice); groups_search() is not
		 * exported
		 */
		for (i = 0; gi && i < gi->ngroups; i++)
			if (gid_eq(gi->gid[i], r->gid))
				return true;
		return false;
	}
	}
	return false;
}

/**
 * kdbus_policy_level() - the access a database grants for a name
 * @db:		database, bus rwsem held
 * @cred:	whose credentials
 * @name:	well-known name
 *
 * Spec 30.3: the exact entry, else the wildcard "<name minus its last
 * element>.*", else none.
 *
 * Return: KDBUS_POLICY_SEE, _TALK, _OWN, or -1 for none.
 */
int kdbus_policy_level(struct list_head *db, const struct cred *cred,
		       const char *name)
{
	struct kdbus_policy_entry *e;
	const char *dot;
	unsigned int i;
	int level = -1;

	e = kdbus_policy_find(db, name, strlen(name), false);
	if (!e) {
		dot = strrchr(name, '.');
		if (dot)
			e = kdbus_policy_find(db, name, dot - name, true);
	}
	if (!e)
		return -1;
	for (i = 0; i < e->n_rules; i++)
		if ((int)e->rules[i].access > level &&
		    kdbus_policy_rule_applies(&e->rules[i], cred))
			level = e->rules[i].access;
	return level;
}

/**
 * kdbus_policy_conn_level() - the highest level over @t's primary names
 * @db:		database, bus rwsem held
 * @cred:	whose credentials
 * @t:		the connection asked about
 *
 * Return: as kdbus_policy_level(); -1 for a nameless connection.
 */
int kdbus_policy_conn_level(struct list_head *db, const struct cred *cred,
			    struct kdbus_conn *t)
{
	struct kdbus_name_owner *o;
	int level = -1;

	list_for_each_entry (o, &t->names, conn_entry)
		if (kdbus_name_owner_primary(o))
			level = max(level, kdbus_policy_level(db, cred,
							      o->name->name));
	return level;
}

/**
 * kdbus_policy_may_talk() - may @c talk to @t (spec 30.4)
 * @c:		the talking connection (its HELLO credentials are used)
 * @t:		the other side
 *
 * Bus rwsem held.
 *
 * Return: true if allowed.
 */
bool kdbus_policy_may_talk(struct kdbus_conn *c, struct kdbus_conn *t)
{
	if (c->ep && kdbus_policy_conn_level(&c->ep->policy, c->cred, t) <
			     KDBUS_POLICY_TALK)
		return false;
	if (c->privileged || uid_eq(c->uid, t->uid))
		return true;
	return kdbus_policy_conn_level(&c->bus->policy, c->cred, t) >=
	       KDBUS_POLICY_TALK;
}

/**
 * kdbus_policy_may_own() - may @c acquire @name (spec 30.4)
 * @c:		connection
 * @name:	name
 *
 * Bus rwsem held.
 *
 * Return: true if allowed.
 */
bool kdbus_policy_may_own(struct kdbus_conn *c, const char *name)
{
	if (c->ep && kdbus_policy_level(&c->ep->policy, c->cred, name) <
			     KDBUS_POLICY_OWN)
		return false;
	if (c->privileged)
		return true;
	return kdbus_policy_level(&c->bus->policy, c->cred, name) >=
	       KDBUS_POLICY_OWN;
}

/**
 * kdbus_policy_may_see_name() - may @c see @name (spec 30.4)
 * @c:		connection
 * @name:	name
 *
 * Bus rwsem held.  The bus database never restricts SEE.
 *
 * Return: true if allowed.
 */
bool kdbus_policy_may_see_name(struct kdbus_conn *c, const char *name)
{
	return !c->ep || kdbus_policy_level(&c->ep->policy, c->cred, name) >= 0;
}

/**
 * kdbus_policy_may_see_conn() - may @c see connection @t (spec 30.4)
 * @c:		connection
 * @t:		the other
 *
 * Bus rwsem held.
 *
 * Return: true if allowed.
 */
bool kdbus_policy_may_see_conn(struct kdbus_conn *c, struct kdbus_conn *t)
{
	return !c->ep ||
	       kdbus_policy_conn_level(&c->ep->policy, c->cred, t) >= 0;
}
