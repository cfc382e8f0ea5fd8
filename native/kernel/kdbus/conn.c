// SPDX-License-Identifier: GPL-2.0-only
/*
 * Connections: HELLO (spec 7), the queue and quotas (spec 8.4),
 * RECV (spec 10), FREE, UPDATE, BYEBYE (spec 16), poll, reply trackers
 * and their timeouts and dead-peer notifications (spec 9.5, 12.3).
 */
#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kdbus_internal.h"

/* IDs are never reused (spec 5.1); one counter for the whole module. */
static atomic64_t kdbus_last_id = ATOMIC64_INIT(0);

/**
 * kdbus_next_id() - the next connection or bus ID
 *
 * Return: a nonzero ID, never returned before.
 */
u64 kdbus_next_id(void)
{
	return atomic64_inc_return(&kdbus_last_id);
}

static void kdbus_reply_release(struct kref *kref)
{
	struct kdbus_reply *r = container_of(kref, struct kdbus_reply, kref);

	if (r->msg) /* never consumed; its slice goes with the pool */
		kdbus_queue_entry_free(r->msg);
	kfree(r);
}

/**
 * kdbus_reply_put() - drop a reply tracker reference
 * @r:		tracker
 */
void kdbus_reply_put(struct kdbus_reply *r)
{
	kref_put(&r->kref, kdbus_reply_release);
}

/**
 * kdbus_queue_entry_free() - free a queue entry and its memfd references
 * @e:		entry no longer on any queue; its slice is not touched
 */
void kdbus_queue_entry_free(struct kdbus_queue_entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_memfds; i++)
		if (e->memfds[i])
			fput(e->memfds[i]);
	for (i = 0; i < e->n_fds; i++)
		if (e->fds[i])
			fput(e->fds[i]);
	if (e->fds_dst) {
		mutex_lock(&e->fds_dst->lock);
		e->fds_dst->fds_inflight -= e->n_fds;
		mutex_unlock(&e->fds_dst->lock);
		kdbus_conn_put(e->fds_dst);
	}
	kfree(e->dst_name);
	kfree(e);
}

static void kdbus_conn_release(struct kref *kref)
{
	struct kdbus_conn *conn = container_of(kref, struct kdbus_conn, kref);
	struct kdbus_queue_entry *e, *tmp;

	cancel_delayed_work_sync(&conn->timeout_work);
	/* disconnect emptied both lists unless HELLO failed half-way */
	list_for_each_entry_safe (e, tmp, &conn->queue, entry)
		kdbus_queue_entry_free(e);
	WARN_ON(!list_empty(&conn->replies));
	{
		struct kdbus_quota_user *u, *utmp;

		/* reservations in flight when it died are never given back */
		list_for_each_entry_safe (u, utmp, &conn->quota_users, entry)
			kfree(u);
	}
	kdbus_pool_deinit(&conn->pool);
	kdbus_meta_free(conn->meta);
	if (conn->cred)
		put_cred(conn->cred);
	if (conn->ep)
		kdbus_ep_put(conn->ep);
	kdbus_nsctx_put(&conn->ns);
	kdbus_bus_put(conn->bus);
	kfree(conn);
}

/**
 * kdbus_conn_get() - take a connection reference
 * @conn:	connection
 */
void kdbus_conn_get(struct kdbus_conn *conn)
{
	kref_get(&conn->kref);
}

/**
 * kdbus_conn_put() - drop a connection reference; never call with a lock held
 * @conn:	connection, may be NULL
 */
void kdbus_conn_put(struct kdbus_conn *conn)
{
	if (conn)
		kref_put(&conn->kref, kdbus_conn_release);
}

/**
 * kdbus_conn_check() - may this connection still issue commands
 * @conn:	connection
 *
 * Return: 0, or -ECONNRESET after BYEBYE, close or bus shutdown.
 */
int kdbus_conn_check(struct kdbus_conn *conn)
{
	return READ_ONCE(conn->dead) ? -ECONNRESET : 0;
}

/**
 * kdbus_bus_find_conn() - look up a connection by ID
 * @bus:	bus, rwsem held (read or write)
 * @id:		connection ID
 *
 * Return: the connection (no reference taken) or NULL.
 */
struct kdbus_conn *kdbus_bus_find_conn(struct kdbus_bus *bus, u64 id)
{
	struct kdbus_conn *c;

	hash_for_each_possible(bus->conn_hash, c, hentry,
			       id) if (c->id == id) return c;
	return NULL;
}

/* ---- per-user accounting (spec 33.1): connections in the domain -------- */

struct kdbus_user_acct {
	struct hlist_node node;
	kuid_t uid;
	unsigned int conns;
};

static DEFINE_SPINLOCK(kdbus_users_lock);
static DEFINE_HASHTABLE(kdbus_users, 6);

/* Charge one connection to @uid; -EMFILE beyond 1024 in the domain. */
static int kdbus_user_charge(kuid_t uid)
{
	struct kdbus_user_acct *u, *fresh;
	u32 key = __kuid_val(uid);
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	spin_lock(&kdbus_users_lock);
	hash_for_each_possible(kdbus_users, u, node,
			       key) if (uid_eq(u->uid, uid)) break;
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(kdbus_users, &u->node, key);
	}
	if (u->conns >= KDBUS_USER_MAX_CONN)
		ret = -EMFILE;
	else
		u->conns++;
	spin_unlock(&kdbus_users_lock);
	kfree(fresh);
	return ret;
}

static void kdbus_user_uncharge(kuid_t uid)
{
	struct kdbus_user_acct *u, *gone = NULL;
	u32 key = __kuid_val(uid);

	spin_lock(&kdbus_users_lock);
	hash_for_each_possible(kdbus_users, u, node, key)
	{
		if (!uid_eq(u->uid, uid))
			continue;
		if (!--u->conns) {
			hash_del(&u->node);
			gone = u;
		}
		break;
	}
	spin_unlock(&kdbus_users_lock);
	kfree(gone);
}

/* ---- queue ------------------------------------------------------------- */

/**
 * kdbus_conn_reserve() - reserve a slice in @dst's pool for a message
 * @dst:	destination connection (caller holds a reference)
 * @size:	slice size
 * @quota:	count it against the queue quota (user messages on the queue)
 * @sender:	the sending user, charged when @quota
 * @out:	the reserved slice, private to the caller
 *
 * Return: 0; -ECONNRESET if @dst is gone; -ENOBUFS if the queue quota is
 * exhausted (spec 8.4: at most 256 messages per sending user and pool/2
 * bytes queued);
 * -EXFULL if no free range is big enough; -ENOMEM.
 */
static struct kdbus_quota_user *kdbus_quota_user(struct kdbus_conn *dst,
						 kuid_t uid)
{
	struct kdbus_quota_user *u;

	list_for_each_entry (u, &dst->quota_users, entry)
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

int kdbus_conn_reserve(struct kdbus_conn *dst, size_t size, bool quota,
		       kuid_t sender, struct kdbus_slice **out)
{
	struct kdbus_quota_user *u = NULL;
	struct kdbus_slice *s;
	int ret = 0;

	size = KDBUS_ALIGN8(size);
	mutex_lock(&dst->lock);
	if (dst->dead) {
		ret = -ECONNRESET;
		goto out;
	}
	if (quota) {
		u = kdbus_quota_user(dst, sender);
		if ((u && u->msgs >= KDBUS_CONN_MAX_MSGS) ||
		    dst->quota_bytes + size > dst->pool.size / 2) {
			ret = -ENOBUFS;
			goto out;
		}
		if (!u) {
			u = kzalloc(sizeof(*u), GFP_KERNEL);
			if (!u) {
				ret = -ENOMEM;
				goto out;
			}
			u->uid = sender;
			list_add(&u->entry, &dst->quota_users);
		}
	}
	s = kdbus_pool_alloc(&dst->pool, size);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		if (u && !u->msgs) {
			list_del(&u->entry);
			kfree(u);
		}
		goto out;
	}
	if (quota) {
		u->msgs++;
		dst->quota_msgs++;
		dst->quota_bytes += s->size;
		s->quota_uid = sender;
	}
	*out = s;
out:
	mutex_unlock(&dst->lock);
	return ret;
}

static void kdbus_conn_unaccount(struct kdbus_conn *dst, struct kdbus_slice *s,
				 bool quota)
{
	struct kdbus_quota_user *u;

	if (!quota)
		return;
	dst->quota_msgs--;
	dst->quota_bytes -= s->size;
	u = kdbus_quota_user(dst, s->quota_uid);
	if (u && !--u->msgs) {
		list_del(&u->entry);
		kfree(u);
	}
}

/**
 * kdbus_conn_cancel() - give back a slice reserved with kdbus_conn_reserve()
 * @dst:	destination
 * @s:		the slice
 * @quota:	as passed to kdbus_conn_reserve()
 */
void kdbus_conn_cancel(struct kdbus_conn *dst, struct kdbus_slice *s,
		       bool quota)
{
	mutex_lock(&dst->lock);
	kdbus_conn_unaccount(dst, s, quota);
	kdbus_pool_release(&dst->pool, s);
	mutex_unlock(&dst->lock);
}

/**
 * kdbus_conn_enqueue() - queue a fully written message and wake the owner
 * @dst:	destination
 * @e:		entry with slice, msg_size, quota and memfds set; owned by
 *		@dst's queue on success, freed (slice released) on failure
 *
 * Return: 0, or -ECONNRESET if @dst disconnected meanwhile.
 */
int kdbus_conn_enqueue(struct kdbus_conn *dst, struct kdbus_queue_entry *e)
{
	mutex_lock(&dst->lock);
	if (dst->dead) {
		kdbus_conn_unaccount(dst, e->slice, e->quota);
		kdbus_pool_release(&dst->pool, e->slice);
		mutex_unlock(&dst->lock);
		kdbus_queue_entry_free(e);
		return -ECONNRESET;
	}
	list_add_tail(&e->entry, &dst->queue);
	WRITE_ONCE(dst->queue_len, dst->queue_len + 1);
	mutex_unlock(&dst->lock);
	wake_up_interruptible_poll(&dst->wait, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/**
 * kdbus_conn_lost() - count a broadcast that could not be queued for @dst
 * @dst:	destination
 */
void kdbus_conn_lost(struct kdbus_conn *dst)
{
	mutex_lock(&dst->lock);
	dst->dropped++;
	mutex_unlock(&dst->lock);
	wake_up_interruptible_poll(&dst->wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * kdbus_conn_enqueue_kernel() - queue a kernel message (spec 12)
 * @dst:	receiver
 * @buf:	the whole message
 * @size:	its size
 *
 * Not quota-counted (the kernel has its own slot); counted as lost if it
 * does not fit.
 */
void kdbus_conn_enqueue_kernel(struct kdbus_conn *dst, const void *buf,
			       size_t size)
{
	struct kdbus_queue_entry *e;
	struct kdbus_slice *s;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		goto lost;
	if (kdbus_conn_reserve(dst, size, false, GLOBAL_ROOT_UID, &s))
		goto lost_free;
	if (kdbus_pool_write_kvec(&dst->pool, s->off, buf, size)) {
		kdbus_conn_cancel(dst, s, false);
		goto lost_free;
	}
	e->slice = s;
	e->msg_size = s->size;
	kdbus_conn_enqueue(dst, e);
	return;
lost_free:
	kfree(e);
lost:
	kdbus_conn_lost(dst);
}

/**
 * kdbus_notify_reply() - queue REPLY_TIMEOUT or REPLY_DEAD to a caller
 * @caller:	the connection that made the call (reference held by caller)
 * @cookie:	the call's cookie
 * @type:	KDBUS_ITEM_REPLY_TIMEOUT or KDBUS_ITEM_REPLY_DEAD
 */
void kdbus_notify_reply(struct kdbus_conn *caller, u64 cookie, u64 type)
{
	struct {
		struct kdbus_msg msg;
		struct kdbus_item notify;
		struct kdbus_item ts_hdr;
		struct kdbus_timestamp ts;
	} m = {};

	BUILD_BUG_ON(sizeof(m) != 64 + 16 + 40);
	m.msg.size = sizeof(m);
	m.msg.dst_id = caller->id;
	m.msg.src_id = KDBUS_SRC_ID_KERNEL;
	m.msg.payload_type = KDBUS_PAYLOAD_KERNEL;
	m.msg.cookie_reply = cookie;
	m.notify.size = KDBUS_ITEM_HEADER_SIZE;
	m.notify.type = type;
	m.ts_hdr.size = KDBUS_ITEM_HEADER_SIZE + sizeof(m.ts);
	m.ts_hdr.type = KDBUS_ITEM_TIMESTAMP;
	m.ts.seqnum = kdbus_meta_seqnum();
	m.ts.monotonic_ns = ktime_get_ns();
	m.ts.realtime_ns = ktime_get_real_ns();
	kdbus_conn_enqueue_kernel(caller, &m, sizeof(m));
}

/* ---- reply timeouts ----------------------------------------------------- */

/**
 * kdbus_conn_arm_timeout() - make sure the timeout work runs by @deadline
 * @conn:	the caller, lock held
 * @deadline:	CLOCK_MONOTONIC ns of an asynchronous call just recorded
 */
void kdbus_conn_arm_timeout(struct kdbus_conn *conn, u64 deadline)
{
	u64 now = ktime_get_ns();

	if (deadline >= conn->next_deadline)
		return;
	conn->next_deadline = deadline;
	mod_delayed_work(system_wq, &conn->timeout_work,
			 deadline > now ? nsecs_to_jiffies(deadline - now) + 1
					: 0);
}

/**
 * kdbus_conn_timeout_work() - expire asynchronous calls of one connection
 * @work:	the connection's timeout_work
 *
 * Synchronous callers time themselves out; this only handles asynchronous
 * trackers, which turn into REPLY_TIMEOUT notifications.
 */
void kdbus_conn_timeout_work(struct work_struct *work)
{
	struct kdbus_conn *conn = container_of(to_delayed_work(work),
					       struct kdbus_conn, timeout_work);
	struct kdbus_reply *r, *tmp;
	u64 now = ktime_get_ns(), next = U64_MAX;
	LIST_HEAD(expired);

	mutex_lock(&conn->lock);
	if (conn->dead) {
		mutex_unlock(&conn->lock);
		return;
	}
	list_for_each_entry_safe (r, tmp, &conn->replies, entry) {
		/* a sync caller times itself out, unless a signal made it
		 * leave: then the tracker (and a reply kept with it) goes
		 * silently at the deadline (spec 29.5 rule 4)
		 */
		if (r->sync &&
		    (!r->interrupted || r->state == KDBUS_REPLY_CLAIMED)) {
			if (r->interrupted && r->deadline_ns < next)
				next = max(r->deadline_ns, now + 1);
			continue;
		}
		if (r->deadline_ns <= now) {
			list_move_tail(&r->entry, &expired);
			r->linked = false;
			conn->n_replies--;
			/* the kept reply's slice; the entry goes with r */
			if (r->sync && r->msg)
				kdbus_pool_release(&conn->pool, r->msg->slice);
		} else if (r->deadline_ns < next) {
			next = r->deadline_ns;
		}
	}
	conn->next_deadline = next;
	if (next != U64_MAX)
		mod_delayed_work(system_wq, &conn->timeout_work,
				 nsecs_to_jiffies(next - now) + 1);
	mutex_unlock(&conn->lock);

	list_for_each_entry_safe (r, tmp, &expired, entry) {
		list_del(&r->entry);
		if (!r->sync)
			kdbus_notify_reply(conn, r->cookie,
					   KDBUS_ITEM_REPLY_TIMEOUT);
		kdbus_reply_put(r);
	}
}

/* ---- HELLO ---------------------------------------------------------------- */

static const u64 kdbus_hello_items[] = {
	KDBUS_ITEM_NEGOTIATE, KDBUS_ITEM_CONN_DESCRIPTION,
	KDBUS_ITEM_NAME,      KDBUS_ITEM_POLICY_ACCESS,
	KDBUS_ITEM_CREDS,     KDBUS_ITEM_PIDS,
	KDBUS_ITEM_SECLABEL,
};

static bool kdbus_description_valid(const char *s)
{
	size_t len = strlen(s), i;

	if (len > KDBUS_NAME_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(s[i]) && s[i] != '_' &&
		    !((s[i] == '-' || s[i] == '.') && i > 0 && i < len - 1))
			return false;
	return true;
}

/* One id of a HELLO CREDS item (spec 24.4 rule 3); false: unmappable. */
static bool kdbus_fake_uid(u64 v, kuid_t *out)
{
	if (v == (u32)-1 || v == (u64)-1) {
		*out = INVALID_UID;
		return true;
	}
	*out = make_kuid(current_user_ns(), (uid_t)v);
	return v <= U32_MAX && uid_valid(*out);
}

static bool kdbus_fake_gid(u64 v, kgid_t *out)
{
	if (v == (u32)-1 || v == (u64)-1) {
		*out = INVALID_GID;
		return true;
	}
	*out = make_kgid(current_user_ns(), (gid_t)v);
	return v <= U32_MAX && gid_valid(*out);
}

/* HELLO CREDS / PIDS / SECLABEL into @m (spec 24.4); -EINVAL if bad. */
static int kdbus_hello_fake(struct kdbus_meta *m,
			    const struct kdbus_item *creds,
			    const struct kdbus_item *pids, const char *label)
{
	unsigned int i;

	if (creds) {
		const struct kdbus_creds *c = (const void *)creds->data;
		const u64 u[4] = { c->uid, c->euid, c->suid, c->fsuid };
		const u64 g[4] = { c->gid, c->egid, c->sgid, c->fsgid };

		for (i = 0; i < 4; i++)
			if (!kdbus_fake_uid(u[i], &m->fake_uid[i]) ||
			    !kdbus_fake_gid(g[i], &m->fake_gid[i]))
				return -EINVAL;
		m->faked_creds = true;
		m->collected |= KDBUS_ATTACH_CREDS;
	}
	if (pids) {
		const struct kdbus_pids *p = (const void *)pids->data;

		/* resolved in the caller's pid namespace; gone: unknown */
		if (p->pid && p->pid <= INT_MAX)
			m->pid = find_get_pid(p->pid);
		if (p->tid && p->tid <= INT_MAX)
			m->tid = find_get_pid(p->tid);
		if (p->ppid && p->ppid <= INT_MAX)
			m->ppid = find_get_pid(p->ppid);
		m->faked_pids = true;
		m->collected |= KDBUS_ATTACH_PIDS;
	}
	if (label) {
		m->seclabel = kstrdup(label, GFP_KERNEL);
		if (!m->seclabel)
			return -ENOMEM;
		m->collected |= KDBUS_ATTACH_SECLABEL;
	}
	return 0;
}

/**
 * kdbus_cmd_hello() - KDBUS_CMD_HELLO: create a connection on @bus
 * @bus:	the bus whose endpoint was opened (reference held by handle)
 * @ep:		the custom endpoint opened, or NULL for the default one
 * @argp:	user pointer to struct kdbus_cmd_hello
 * @out:	the new connection (one reference for the handle), or NULL
 *		when the caller only negotiated
 *
 * Checks in the order of spec 7 and 23.4.
 *
 * Return: 0, or a negative errno (EINVAL, EOPNOTSUPP, EPERM, ESHUTDOWN,
 * EMFILE, EEXIST, ENOMEM, EFAULT).  Nothing is left behind on error.
 */
int kdbus_cmd_hello(struct kdbus_bus *bus, struct kdbus_ep *ep,
		    void __user *argp, struct kdbus_conn **out)
{
	const struct kdbus_item *creds = NULL, *pids = NULL;
	const char *desc = NULL, *label = NULL;
	struct kdbus_cmd_hello *cmd;
	struct kdbus_conn *conn;
	struct kdbus_slice *s;
	struct kdbus_item *it;
	struct kdbus_args a;
	LIST_HEAD(policy);
	LIST_HEAD(notify);
	bool policy_items = false, privileged;
	unsigned int n_policy = 0;
	const char *act_name = NULL;
	u64 roles;
	struct {
		struct kdbus_item hdr;
		struct kdbus_bloom_parameter bloom;
	} bloom_item;
	int ret;

	*out = NULL;
	ret = kdbus_args_parse(&a, argp, sizeof(*cmd),
			       KDBUS_HELLO_ACCEPT_FD | KDBUS_HELLO_ROLES);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_hello_items,
			     ARRAY_SIZE(kdbus_hello_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;
	roles = cmd->flags & KDBUS_HELLO_ROLES;

	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		switch (it->type) {
		case KDBUS_ITEM_NEGOTIATE:
			break;
		case KDBUS_ITEM_CONN_DESCRIPTION:
			if (desc || kdbus_item_string(it, &desc))
				goto out;
			if (!kdbus_description_valid(desc))
				goto out;
			break;
		case KDBUS_ITEM_NAME:
		case KDBUS_ITEM_POLICY_ACCESS:
			policy_items = true;
			break;
		case KDBUS_ITEM_CREDS:
			if (creds || kdbus_item_payload_size(it) !=
					     sizeof(struct kdbus_creds))
				goto out;
			creds = it;
			break;
		case KDBUS_ITEM_PIDS:
			if (pids || kdbus_item_payload_size(it) !=
					    sizeof(struct kdbus_pids))
				goto out;
			pids = it;
			break;
		case KDBUS_ITEM_SECLABEL:
			/* at most 4096 bytes with the NUL (choice) */
			if (label || kdbus_item_payload_size(it) > 4096 ||
			    kdbus_item_string(it, &label))
				goto out;
			break;
		default:
			goto out;
		}
	}
	/* spec 23.4 check 1 */
	if (hweight64(roles) > 1)
		goto out;
	if (kdbus_check_attach(cmd->attach_flags_send) ||
	    kdbus_check_attach(cmd->attach_flags_recv))
		goto out;
	if (!cmd->pool_size || !PAGE_ALIGNED(cmd->pool_size) ||
	    cmd->pool_size > KDBUS_POOL_MAX)
		goto out;
	/* check 2: the policy groups */
	if (policy_items &&
	    !(roles & (KDBUS_HELLO_ACTIVATOR | KDBUS_HELLO_POLICY_HOLDER)))
		goto out;
	if (roles & (KDBUS_HELLO_ACTIVATOR | KDBUS_HELLO_POLICY_HOLDER)) {
		bool act = roles & KDBUS_HELLO_ACTIVATOR;
		struct kdbus_item *first = NULL;

		ret = kdbus_policy_parse(a.items, a.items_size, !act, !act,
					 &policy, &n_policy);
		if (ret)
			goto out;
		ret = -EINVAL;
		if (act ? n_policy != 1 : n_policy < 1)
			goto out_policy;
		/* a POLICY_ACCESS before the first NAME */
		kdbus_items_foreach(it, a.items, a.items_size)
		{
			if (it->type == KDBUS_ITEM_NAME ||
			    it->type == KDBUS_ITEM_POLICY_ACCESS) {
				first = it;
				break;
			}
		}
		if (!first || first->type != KDBUS_ITEM_NAME)
			goto out_policy;
		if (act) {
			kdbus_item_string(first, &act_name);
			if (!kdbus_name_is_valid(act_name, strlen(act_name)))
				goto out_policy;
		}
	}
	/* check 3: no special kind on a custom endpoint (choice 34.2.11) */
	ret = -EOPNOTSUPP;
	if (ep && roles)
		goto out_policy;
	/* check 4: privilege (spec 23.2) */
	privileged = !ep && (uid_eq(current_euid(), bus->uid) ||
			     capable(CAP_IPC_OWNER));
	ret = -EPERM;
	if ((roles || creds || pids || label) && !privileged)
		goto out_policy;

	ret = -ENOMEM;
	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		goto out_policy;
	kref_init(&conn->kref);
	kref_get(&bus->kref);
	conn->bus = bus;
	if (ep) {
		kdbus_ep_get(ep);
		conn->ep = ep;
	}
	conn->flags = cmd->flags;
	conn->attach_send = kdbus_attach_norm(cmd->attach_flags_send);
	conn->attach_recv = kdbus_attach_norm(cmd->attach_flags_recv);
	conn->uid = current_euid();
	conn->acct_uid = current_uid();
	conn->cred = get_current_cred();
	/* faked credentials end privilege (spec 23.2 rule 3) */
	conn->faked = creds || pids || label;
	conn->privileged = privileged && !conn->faked;
	if (desc)
		strscpy(conn->description, desc, sizeof(conn->description));
	INIT_LIST_HEAD(&conn->matches);
	INIT_LIST_HEAD(&conn->names);
	INIT_LIST_HEAD(&conn->queue);
	INIT_LIST_HEAD(&conn->replies);
	INIT_LIST_HEAD(&conn->bus_entry);
	INIT_LIST_HEAD(&conn->quota_users);
	mutex_init(&conn->lock);
	init_waitqueue_head(&conn->wait);
	INIT_DELAYED_WORK(&conn->timeout_work, kdbus_conn_timeout_work);
	conn->next_deadline = U64_MAX;
	conn->id = kdbus_next_id();
	kdbus_nsctx_init(&conn->ns);

	ret = kdbus_pool_init(&conn->pool, cmd->pool_size);
	if (ret)
		goto err_put;
	/* the process items CONN_INFO reports (spec 24.2) */
	conn->meta = kdbus_meta_new();
	if (!conn->meta) {
		ret = -ENOMEM;
		goto err_put;
	}
	if (conn->faked) {
		ret = kdbus_hello_fake(conn->meta, creds, pids, label);
		if (ret)
			goto err_put;
		/* accounting charges the faked uid (spec 33.1 rule 2) */
		if (conn->meta->faked_creds &&
		    uid_valid(conn->meta->fake_uid[0]))
			conn->acct_uid = conn->meta->fake_uid[0];
	} else {
		kdbus_meta_collect_proc(conn->meta, KDBUS_ATTACH_PROC);
	}

	/* the HELLO result slice: the bus bloom parameters (spec 7 rule 5) */
	bloom_item.hdr.size = sizeof(bloom_item);
	bloom_item.hdr.type = KDBUS_ITEM_BLOOM_PARAMETER;
	bloom_item.bloom.size = bus->bloom_size;
	bloom_item.bloom.n_hash = bus->bloom_n_hash;
	ret = kdbus_conn_reserve(conn, sizeof(bloom_item), false,
				 GLOBAL_ROOT_UID, &s);
	if (ret)
		goto err_put;
	ret = kdbus_pool_write_kvec(&conn->pool, s->off, &bloom_item,
				    sizeof(bloom_item));
	if (ret)
		goto err_put;
	s->user = true;

	down_write(&bus->rwsem);
	if (bus->dead || (ep && ep->dead)) {
		ret = -ESHUTDOWN;
		goto err_unlock;
	}
	/* every connection counts, on every bus (spec 33.2) */
	ret = kdbus_user_charge(conn->acct_uid);
	if (ret)
		goto err_unlock;
	/* check 6: one activator per name, one holder per policy name */
	if (act_name) {
		struct kdbus_name_entry *n = kdbus_name_lookup(bus, act_name);

		if (n && kdbus_name_activator(n)) {
			ret = -EEXIST;
			goto err_uncharge;
		}
	}
	if (!list_empty(&policy)) {
		ret = kdbus_policy_install(&bus->policy, &policy, conn, true);
		if (ret)
			goto err_uncharge;
	}
	if (act_name) {
		ret = kdbus_name_add_activator(conn, act_name, &notify);
		if (ret) {
			kdbus_policy_remove_owner(&bus->policy, conn);
			goto err_uncharge;
		}
	}
	if (roles & KDBUS_HELLO_MONITOR) {
		/* invisible: no ID, no notification (spec 32.4) */
		list_add_tail(&conn->bus_entry, &bus->monitors);
		WRITE_ONCE(bus->n_monitors, bus->n_monitors + 1);
	} else {
		hash_add(bus->conn_hash, &conn->hentry, conn->id);
		list_add_tail(&conn->bus_entry, &bus->conns);
		bus->n_conns++;
	}
	conn->linked = true;
	up_write(&bus->rwsem);

	if (!(roles & KDBUS_HELLO_MONITOR)) {
		LIST_HEAD(first);

		/* ID_ADD, then the activator's NAME_ADD (spec 23.4) */
		kdbus_notify_id(&first, KDBUS_ITEM_ID_ADD, conn->id,
				conn->flags);
		list_splice_tail_init(&notify, &first);
		kdbus_notify_flush(bus, &first);
	}
	cmd->bus_flags = bus->flags;
	cmd->id = conn->id;
	cmd->offset = s->off;
	cmd->items_size = sizeof(bloom_item);
	memcpy(cmd->id128, bus->id128, sizeof(cmd->id128));
	if (copy_to_user(argp, cmd, sizeof(*cmd))) {
		kdbus_conn_disconnect(conn, false);
		kdbus_conn_put(conn);
		return kdbus_args_finish(&a, -EFAULT);
	}
	*out = conn;
	return kdbus_args_finish(&a, 0);

err_uncharge:
	kdbus_user_uncharge(conn->acct_uid);
err_unlock:
	up_write(&bus->rwsem);
err_put:
	kdbus_conn_put(conn);
out_policy:
	kdbus_policy_free_list(&policy);
out:
	return kdbus_args_finish(&a, ret);
}

/* ---- disconnect ------------------------------------------------------------ */

/* Fail every call still waiting on @conn as callee (spec 9.5 rule 6). */
static void kdbus_conn_fail_callers(struct kdbus_conn *conn)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_reply *r, *tmp;
	struct kdbus_conn *c;
	LIST_HEAD(dead);

	down_read(&bus->rwsem);
	list_for_each_entry (c, &bus->conns, bus_entry) {
		bool woke = false;

		mutex_lock(&c->lock);
		list_for_each_entry_safe (r, tmp, &c->replies, entry) {
			if (r->callee_id != conn->id)
				continue;
			/* a replier is copying: it finishes the tracker */
			if (r->state != KDBUS_REPLY_PENDING)
				continue;
			list_del(&r->entry);
			r->linked = false;
			c->n_replies--;
			if (r->sync) {
				/* an interrupted one just goes (spec 29.5 r5) */
				r->state = KDBUS_REPLY_DONE;
				r->err = -EPIPE;
				kdbus_reply_put(r); /* the list's ref */
				woke = true;
			} else {
				kdbus_conn_get(c);
				r->notify = c;
				list_add_tail(&r->entry, &dead);
			}
		}
		mutex_unlock(&c->lock);
		if (woke)
			wake_up_all(&c->wait);
	}
	up_read(&bus->rwsem);

	list_for_each_entry_safe (r, tmp, &dead, entry) {
		list_del(&r->entry);
		kdbus_notify_reply(r->notify, r->cookie, KDBUS_ITEM_REPLY_DEAD);
		kdbus_conn_put(r->notify);
		kdbus_reply_put(r);
	}
}

/**
 * kdbus_conn_drop_call() - a queued call was dropped by its callee (DROP)
 * @callee:	the connection that dropped it
 * @caller_id:	who made the call
 * @cookie:	its cookie
 *
 * Ends the caller's wait like a dead callee would (spec 29.2 rule 2):
 * EPIPE for a synchronous caller, REPLY_DEAD for an asynchronous one.
 */
void kdbus_conn_drop_call(struct kdbus_conn *callee, u64 caller_id, u64 cookie)
{
	struct kdbus_bus *bus = callee->bus;
	struct kdbus_reply *r, *found = NULL;
	struct kdbus_conn *c;

	down_read(&bus->rwsem);
	c = kdbus_bus_find_conn(bus, caller_id);
	if (c)
		kdbus_conn_get(c);
	up_read(&bus->rwsem);
	if (!c)
		return;
	mutex_lock(&c->lock);
	list_for_each_entry (r, &c->replies, entry) {
		if (r->callee_id == callee->id && r->cookie == cookie &&
		    r->state == KDBUS_REPLY_PENDING) {
			found = r;
			break;
		}
	}
	if (found) {
		list_del(&found->entry);
		found->linked = false;
		c->n_replies--;
		if (found->sync) {
			found->state = KDBUS_REPLY_DONE;
			found->err = -EPIPE;
		}
	}
	mutex_unlock(&c->lock);
	if (found) {
		if (found->sync)
			wake_up_all(&c->wait);
		else
			kdbus_notify_reply(c, cookie, KDBUS_ITEM_REPLY_DEAD);
		kdbus_reply_put(found); /* the list's */
	}
	kdbus_conn_put(c);
}

/* A moved call that could not be delivered (spec 32.3 rule 1). */
struct kdbus_dead_call {
	struct list_head entry;
	u64 caller_id;
	u64 cookie;
};

/* Point the caller's tracker of a moved call at its new callee. */
static void kdbus_reply_retarget(struct kdbus_bus *bus, u64 caller_id,
				 u64 cookie, u64 from_id, u64 to_id)
{
	struct kdbus_conn *c = kdbus_bus_find_conn(bus, caller_id);
	struct kdbus_reply *r;

	if (!c)
		return;
	mutex_lock(&c->lock);
	list_for_each_entry (r, &c->replies, entry) {
		if (r->callee_id == from_id && r->cookie == cookie) {
			r->callee_id = to_id;
			break;
		}
	}
	mutex_unlock(&c->lock);
}

/* Copy one unlinked queue entry of @from into @to's queue. */
static int kdbus_conn_move_one(struct kdbus_conn *from, struct kdbus_conn *to,
			       struct kdbus_queue_entry *e)
{
	struct kdbus_slice *old = e->slice, *s;
	void *buf;
	int ret;

	if (e->n_fds && !(to->flags & KDBUS_HELLO_ACCEPT_FD))
		return -ECOMM;
	buf = kvmalloc(old->size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = kdbus_pool_read(&from->pool, old->off, buf, old->size);
	if (!ret)
		ret = kdbus_conn_reserve(to, old->size, e->quota,
					 old->quota_uid, &s);
	if (!ret) {
		ret = kdbus_pool_write_kvec(&to->pool, s->off, buf, old->size);
		if (ret)
			kdbus_conn_cancel(to, s, e->quota);
	}
	kvfree(buf);
	if (ret)
		return ret;
	mutex_lock(&from->lock);
	kdbus_pool_release(&from->pool, old);
	if (e->fds_dst == from)
		from->fds_inflight -= e->n_fds;
	mutex_unlock(&from->lock);
	e->slice = s;
	if (e->fds_dst == from) {
		mutex_lock(&to->lock);
		to->fds_inflight += e->n_fds;
		mutex_unlock(&to->lock);
		kdbus_conn_get(to);
		e->fds_dst = to;
		kdbus_conn_put(from); /* @from is alive: never the last ref */
	}
	return 0;
}

/**
 * kdbus_conn_move_msgs() - hand messages sent to @name over (spec 32.3)
 * @from:	the former primary owner of @name
 * @to:		the new one
 * @name:	the name
 * @dead:	calls that could not be moved are added here; pass it to
 *		kdbus_conn_move_finish() once the bus rwsem is dropped
 *
 * Bus rwsem held for writing.  Moved messages keep their order; calls keep
 * their trackers, now naming @to; one that does not fit, or carries FDS
 * for a receiver without ACCEPT_FD, is counted in @to's dropped_msgs.
 */
void kdbus_conn_move_msgs(struct kdbus_conn *from, struct kdbus_conn *to,
			  const char *name, struct list_head *dead)
{
	struct kdbus_queue_entry *e, *tmp;
	LIST_HEAD(moving);

	mutex_lock(&from->lock);
	list_for_each_entry_safe (e, tmp, &from->queue, entry) {
		if (!e->dst_name || strcmp(e->dst_name, name))
			continue;
		list_move_tail(&e->entry, &moving);
		WRITE_ONCE(from->queue_len, from->queue_len - 1);
		kdbus_conn_unaccount(from, e->slice, e->quota);
		e->slice->peeked = false;
	}
	mutex_unlock(&from->lock);

	list_for_each_entry_safe (e, tmp, &moving, entry) {
		list_del(&e->entry);
		if (!kdbus_conn_move_one(from, to, e)) {
			if (e->call_src)
				kdbus_reply_retarget(from->bus, e->call_src,
						     e->call_cookie, from->id,
						     to->id);
			kdbus_conn_enqueue(to, e);
			continue;
		}
		mutex_lock(&to->lock);
		to->dropped++;
		mutex_unlock(&to->lock);
		if (e->call_src) {
			struct kdbus_dead_call *d =
				kmalloc(sizeof(*d), GFP_KERNEL);

			if (d) {
				d->caller_id = e->call_src;
				d->cookie = e->call_cookie;
				list_add_tail(&d->entry, dead);
			}
		}
		mutex_lock(&from->lock);
		kdbus_pool_release(&from->pool, e->slice);
		mutex_unlock(&from->lock);
		kdbus_queue_entry_free(e);
	}
}

/**
 * kdbus_conn_move_finish() - end the calls kdbus_conn_move_msgs() dropped
 * @from:	their callee
 * @dead:	the list; emptied
 *
 * Bus rwsem not held.
 */
void kdbus_conn_move_finish(struct kdbus_conn *from, struct list_head *dead)
{
	struct kdbus_dead_call *d, *tmp;

	list_for_each_entry_safe (d, tmp, dead, entry) {
		list_del(&d->entry);
		kdbus_conn_drop_call(from, d->caller_id, d->cookie);
		kfree(d);
	}
}

/**
 * kdbus_conn_disconnect() - shut a connection down (BYEBYE, close, bus end)
 * @conn:	connection (reference held by the caller)
 * @ensure_empty: BYEBYE semantics: fail with -EBUSY if messages are queued
 *
 * Releases names and matches, drops the queue, fails calls this connection
 * made (ECONNRESET) and calls made to it (EPIPE / REPLY_DEAD).  The pool
 * stays until the last reference goes.
 *
 * Return: 0, -EBUSY, or -ECONNRESET if it was already disconnected.
 */
int kdbus_conn_disconnect(struct kdbus_conn *conn, bool ensure_empty)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_queue_entry *e, *etmp;
	struct kdbus_reply *r, *rtmp;
	LIST_HEAD(queue);
	LIST_HEAD(replies);
	LIST_HEAD(notify);
	LIST_HEAD(dead_calls);
	bool was_linked;

	/* names first, while the queue is still there: messages for a name
	 * an activator takes back move to it (spec 32.3 rule 2)
	 */
	if (!ensure_empty && kdbus_conn_ordinary(conn) &&
	    !READ_ONCE(conn->dead)) {
		down_write(&bus->rwsem);
		kdbus_names_release_all(conn, &notify, &dead_calls);
		up_write(&bus->rwsem);
		kdbus_notify_flush(bus, &notify);
		kdbus_conn_move_finish(conn, &dead_calls);
	}

	mutex_lock(&conn->lock);
	if (conn->dead) {
		mutex_unlock(&conn->lock);
		return -ECONNRESET;
	}
	if (ensure_empty && !list_empty(&conn->queue)) {
		mutex_unlock(&conn->lock);
		return -EBUSY;
	}
	WRITE_ONCE(conn->dead, true);
	list_splice_init(&conn->queue, &queue);
	list_for_each_entry (e, &queue, entry) {
		kdbus_conn_unaccount(conn, e->slice, e->quota);
		kdbus_pool_release(&conn->pool, e->slice);
	}
	WRITE_ONCE(conn->queue_len, 0);
	list_splice_init(&conn->replies, &replies);
	conn->n_replies = 0;
	list_for_each_entry (r, &replies, entry) {
		r->linked = false;
		r->state = KDBUS_REPLY_DONE;
		r->err = -ECONNRESET;
	}
	mutex_unlock(&conn->lock);
	wake_up_all(&conn->wait);

	list_for_each_entry_safe (e, etmp, &queue, entry)
		kdbus_queue_entry_free(e);
	list_for_each_entry_safe (r, rtmp, &replies, entry) {
		list_del(&r->entry);
		kdbus_reply_put(r);
	}

	down_write(&bus->rwsem);
	was_linked = conn->linked;
	if (conn->linked && (conn->flags & KDBUS_HELLO_MONITOR)) {
		list_del_init(&conn->bus_entry);
		WRITE_ONCE(bus->n_monitors, bus->n_monitors - 1);
		conn->linked = false;
	} else if (conn->linked) {
		hash_del(&conn->hentry);
		list_del_init(&conn->bus_entry);
		conn->linked = false;
		bus->n_conns--;
	}
	/* name notifications first, then ID_REMOVE (spec 26.5 rule 2) */
	kdbus_names_release_all(conn, &notify, &dead_calls);
	kdbus_policy_remove_owner(&bus->policy, conn);
	if (was_linked) {
		if (!(conn->flags & KDBUS_HELLO_MONITOR))
			kdbus_notify_id(&notify, KDBUS_ITEM_ID_REMOVE, conn->id,
					conn->flags);
		kdbus_user_uncharge(conn->acct_uid);
	}
	kdbus_match_flush(conn);
	up_write(&bus->rwsem);
	kdbus_notify_flush(bus, &notify);
	kdbus_conn_move_finish(conn, &dead_calls);

	kdbus_conn_fail_callers(conn);
	return 0;
}

/* ---- simple commands -------------------------------------------------------- */

static const u64 kdbus_negotiate_only[] = { KDBUS_ITEM_NEGOTIATE };

/* Commands whose only item is NEGOTIATE. */
static int kdbus_parse_simple(struct kdbus_args *a, void __user *argp,
			      size_t fixed, u64 flags)
{
	struct kdbus_item *it;
	int ret;

	ret = kdbus_args_parse(a, argp, fixed, flags);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(a, kdbus_negotiate_only,
			     ARRAY_SIZE(kdbus_negotiate_only));
	if (ret)
		return 1;
	kdbus_items_foreach(
		it, a->items,
		a->items_size) if (it->type !=
				   KDBUS_ITEM_NEGOTIATE) return -EINVAL;
	return 0;
}

/**
 * kdbus_cmd_byebye() - KDBUS_CMD_BYEBYE
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd
 *
 * Return: 0, -EBUSY with a non-empty queue, -ECONNRESET if already dead,
 * or a framing error.
 */
int kdbus_cmd_byebye(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_args a;
	int ret;

	ret = kdbus_parse_simple(&a, argp, sizeof(struct kdbus_cmd), 0);
	if (ret < 0 && !a.buf)
		return ret;
	if (ret)
		return kdbus_args_finish(&a, ret < 0 ? ret : 0);
	return kdbus_args_finish(&a, kdbus_conn_disconnect(conn, true));
}

/**
 * kdbus_cmd_free() - KDBUS_CMD_FREE: release a slice userspace holds
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd_free
 *
 * Return: 0; -ENXIO if @offset names no user-held slice; -ECONNRESET.
 */
int kdbus_cmd_free(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_cmd_free *cmd;
	struct kdbus_slice *s;
	struct kdbus_args a;
	int ret;

	ret = kdbus_parse_simple(&a, argp, sizeof(*cmd), 0);
	if (ret < 0 && !a.buf)
		return ret;
	if (ret)
		return kdbus_args_finish(&a, ret < 0 ? ret : 0);
	cmd = a.buf;
	mutex_lock(&conn->lock);
	if (conn->dead) {
		ret = -ECONNRESET;
	} else if (cmd->offset != conn->pool.size) {
		/* offset == pool_size is "no slice": a successful no-op */
		s = cmd->offset < conn->pool.size
			    ? kdbus_pool_find(&conn->pool, cmd->offset)
			    : NULL;
		if (s && !s->user && s->peeked)
			s->peeked = false; /* the message stays queued */
		else if (!s || !s->user)
			ret = -ENXIO;
		else
			kdbus_pool_release(&conn->pool, s);
	}
	mutex_unlock(&conn->lock);
	return kdbus_args_finish(&a, ret);
}

static const u64 kdbus_update_items[] = {
	KDBUS_ITEM_NEGOTIATE,	      KDBUS_ITEM_ATTACH_FLAGS_SEND,
	KDBUS_ITEM_ATTACH_FLAGS_RECV, KDBUS_ITEM_NAME,
	KDBUS_ITEM_POLICY_ACCESS,
};

/**
 * kdbus_cmd_update() - KDBUS_CMD_UPDATE: store new attach masks
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP for policy items, -ECONNRESET.
 */
int kdbus_cmd_update(struct kdbus_conn *conn, void __user *argp)
{
	u64 send = conn->attach_send, recv = conn->attach_recv;
	bool have_send = false, have_recv = false, have_policy = false;
	unsigned int n_policy;
	struct kdbus_item *it;
	LIST_HEAD(policy);
	struct kdbus_args a;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(struct kdbus_cmd), 0);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_update_items,
			     ARRAY_SIZE(kdbus_update_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		switch (it->type) {
		case KDBUS_ITEM_NEGOTIATE:
			break;
		case KDBUS_ITEM_ATTACH_FLAGS_SEND:
		case KDBUS_ITEM_ATTACH_FLAGS_RECV: {
			bool *seen = it->type == KDBUS_ITEM_ATTACH_FLAGS_SEND
					     ? &have_send
					     : &have_recv;

			if (*seen || kdbus_item_payload_size(it) != 8 ||
			    kdbus_check_attach(it->data[0]))
				goto out;
			*seen = true;
			if (it->type == KDBUS_ITEM_ATTACH_FLAGS_SEND)
				send = kdbus_attach_norm(it->data[0]);
			else
				recv = kdbus_attach_norm(it->data[0]);
			break;
		}
		case KDBUS_ITEM_NAME:
		case KDBUS_ITEM_POLICY_ACCESS:
			/* policy holders only (spec 23.1) */
			if (!(conn->flags & KDBUS_HELLO_POLICY_HOLDER)) {
				ret = -EOPNOTSUPP;
				goto out;
			}
			have_policy = true;
			break;
		default:
			goto out;
		}
	}
	if (have_policy) {
		struct kdbus_item *first = NULL;

		ret = kdbus_policy_parse(a.items, a.items_size, true, true,
					 &policy, &n_policy);
		if (ret)
			goto out;
		ret = -EINVAL;
		kdbus_items_foreach(it, a.items, a.items_size)
		{
			if (it->type == KDBUS_ITEM_NAME ||
			    it->type == KDBUS_ITEM_POLICY_ACCESS) {
				first = it;
				break;
			}
		}
		if (!first || first->type != KDBUS_ITEM_NAME)
			goto out;
	}
	ret = kdbus_conn_check(conn);
	if (ret)
		goto out;
	if (have_policy) {
		/* the whole set, atomically (spec 30.2) */
		down_write(&conn->bus->rwsem);
		ret = conn->linked ? kdbus_policy_install(&conn->bus->policy,
							  &policy, conn, true)
				   : -ECONNRESET;
		up_write(&conn->bus->rwsem);
		if (ret)
			goto out;
	}
	/* later SENDs and queries only (spec 24.3 rule 6) */
	WRITE_ONCE(conn->attach_send, send);
	WRITE_ONCE(conn->attach_recv, recv);
out:
	kdbus_policy_free_list(&policy);
	return kdbus_args_finish(&a, ret);
}

/* ---- RECV ---------------------------------------------------------------- */

/**
 * kdbus_recv_install() - install the memfds and FDS of a dequeued message
 * @conn:	the receiving connection; runs in its owner's context
 * @e:		the message; installed files are taken out of it
 *
 * Spec 22.3: fd_install() only after every number has been written.
 *
 * Return: KDBUS_RECV_RETURN_INCOMPLETE_FDS if some could not be installed.
 */
u64 kdbus_recv_install(struct kdbus_conn *conn, struct kdbus_queue_entry *e)
{
	int fds[KDBUS_MSG_MAX_MEMFD_ITEMS + KDBUS_MSG_MAX_FDS];
	struct file **files[KDBUS_MSG_MAX_MEMFD_ITEMS + KDBUS_MSG_MAX_FDS];
	unsigned int i, n = 0;
	u64 rflags = 0;

	/* memfds, then FDS entries: number every descriptor first */
	for (i = 0; i < e->n_memfds + e->n_fds; i++) {
		bool memfd = i < e->n_memfds;
		size_t pos = memfd ? e->memfd_pos[i]
				   : e->fds_pos + 4 * (i - e->n_memfds);
		struct file **f =
			memfd ? &e->memfds[i] : &e->fds[i - e->n_memfds];
		s32 fd = get_unused_fd_flags(O_CLOEXEC);

		if (fd < 0)
			fd = -1;
		if (kdbus_pool_write_kvec(&conn->pool, e->slice->off + pos, &fd,
					  sizeof(fd)) &&
		    fd >= 0) {
			put_unused_fd(fd);
			fd = -1;
		}
		if (fd < 0)
			rflags |= KDBUS_RECV_RETURN_INCOMPLETE_FDS;
		fds[n] = fd;
		files[n++] = f;
	}
	/* spec 22.3: fd_install() only after every number is written */
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		fd_install(fds[i], *files[i]); /* consumes the ref */
		*files[i] = NULL;
	}
	return rflags;
}

/* The entry RECV takes (spec 29.3); conn->lock held. */
static struct kdbus_queue_entry *kdbus_recv_pick(struct kdbus_conn *conn,
						 bool prio, s64 max)
{
	struct kdbus_queue_entry *e, *best = NULL;

	if (!prio)
		return list_first_entry_or_null(
			&conn->queue, struct kdbus_queue_entry, entry);
	/* lowest value, oldest first among equals */
	list_for_each_entry (e, &conn->queue, entry)
		if (!best || e->priority < best->priority)
			best = e;
	return best && best->priority <= max ? best : NULL;
}

/**
 * kdbus_cmd_recv() - KDBUS_CMD_RECV (spec 10, 29)
 * @conn:	connection
 * @argp:	user pointer to struct kdbus_cmd_recv
 *
 * Never blocks.  Plain RECV dequeues (FIFO, or by priority with
 * USE_PRIORITY); the slice becomes user-held until FREE and memfds are
 * installed in the caller.  PEEK reports the next message and leaves it
 * queued; DROP discards it (a dropped call ends its caller's wait).
 *
 * Return: 0, -EAGAIN if nothing is (eligible) queued, -EINVAL for PEEK|DROP
 * or DROP|USE_PRIORITY, -ECONNRESET, or a framing error.
 */
int kdbus_cmd_recv(struct kdbus_conn *conn, void __user *argp)
{
	const u64 known =
		KDBUS_RECV_PEEK | KDBUS_RECV_DROP | KDBUS_RECV_USE_PRIORITY;
	struct kdbus_cmd_recv __user *u = argp;
	struct kdbus_queue_entry *e;
	struct kdbus_cmd_recv *cmd;
	struct kdbus_args a;
	bool peek, drop;
	struct {
		u64 dropped_msgs;
		struct kdbus_msg_info msg;
	} res = {};
	int ret;

	ret = kdbus_parse_simple(&a, argp, sizeof(*cmd), known);
	if (ret < 0 && !a.buf)
		return ret;
	if (ret)
		return kdbus_args_finish(&a, ret < 0 ? ret : 0);
	cmd = a.buf;
	peek = cmd->flags & KDBUS_RECV_PEEK;
	drop = cmd->flags & KDBUS_RECV_DROP;
	if (drop && (peek || (cmd->flags & KDBUS_RECV_USE_PRIORITY)))
		return kdbus_args_finish(&a, -EINVAL);

	mutex_lock(&conn->lock);
	if (conn->dead) {
		mutex_unlock(&conn->lock);
		return kdbus_args_finish(&a, -ECONNRESET);
	}
	res.dropped_msgs = conn->dropped;
	conn->dropped = 0;
	e = kdbus_recv_pick(conn, cmd->flags & KDBUS_RECV_USE_PRIORITY,
			    cmd->priority);
	if (e && peek) {
		e->slice->peeked = true;
		res.msg.offset = e->slice->off;
		res.msg.msg_size = e->msg_size;
		e = NULL;
		mutex_unlock(&conn->lock);
		goto done;
	}
	if (e) {
		list_del(&e->entry);
		WRITE_ONCE(conn->queue_len, conn->queue_len - 1);
		kdbus_conn_unaccount(conn, e->slice, e->quota);
		e->slice->peeked = false;
		if (drop)
			kdbus_pool_release(&conn->pool, e->slice);
		else if (!e->n_memfds && !e->n_fds)
			e->slice->user = true;
	}
	mutex_unlock(&conn->lock);

	if (!e) {
		res.msg.offset = conn->pool.size;
		ret = -EAGAIN;
	} else if (drop) {
		res.msg.offset = conn->pool.size;
		if (e->call_src)
			kdbus_conn_drop_call(conn, e->call_src, e->call_cookie);
		kdbus_queue_entry_free(e);
	} else {
		if (e->n_memfds || e->n_fds) {
			res.msg.return_flags = kdbus_recv_install(conn, e);
			mutex_lock(&conn->lock);
			e->slice->user = true;
			mutex_unlock(&conn->lock);
		}
		res.msg.offset = e->slice->off;
		res.msg.msg_size = e->msg_size;
		kdbus_queue_entry_free(e);
	}
done:
	if (res.dropped_msgs)
		cmd->return_flags |= KDBUS_RECV_RETURN_DROPPED_MSGS;
	if (copy_to_user(&u->dropped_msgs, &res, sizeof(res)) && !ret)
		ret = -EFAULT;
	return kdbus_args_finish(&a, ret);
}

/**
 * kdbus_conn_poll() - poll on a connection (spec 10.2 rule 5)
 * @conn:	connection
 * @file:	its file
 * @wait:	poll table
 *
 * Return: the event mask.
 */
__poll_t kdbus_conn_poll(struct kdbus_conn *conn, struct file *file,
			 poll_table *wait)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &conn->wait, wait);
	if (READ_ONCE(conn->dead))
		return EPOLLERR | EPOLLHUP;
	if (READ_ONCE(conn->queue_len) || READ_ONCE(conn->dropped))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}
