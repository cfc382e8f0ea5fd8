// SPDX-License-Identifier: GPL-2.0-only
/*
 * KDBUS_CMD_SEND (spec 9): validation, staging, routing and the
 * single copy into each receiver's pool.
 *
 * The message header and items are copied into the kernel once (at most
 * 32 KiB) and transformed in place into what the receiver will see
 * (PAYLOAD_VEC -> PAYLOAD_OFF, memfd fd -> -1, src_id filled in).  Payload
 * bytes are never staged: each receiver's slice is written straight from
 * the sender's iovecs with vfs_iter_write() in the sender's context, one
 * copy per receiver (spec 1.1 and 1.4).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "kdbus_internal.h"

#define KDBUS_INLINE_SEGS 4
#define KDBUS_SEAL_MASK 0xf /* SEAL, SHRINK, GROW, WRITE */

/* One piece of the payload stream: user bytes, or zero bytes (addr 0). */
struct kdbus_seg {
	u64 len;
	bool user;
};

struct kdbus_kmsg_memfds {
	struct file *files[KDBUS_MSG_MAX_MEMFD_ITEMS];
	size_t pos[KDBUS_MSG_MAX_MEMFD_ITEMS];
};

struct kdbus_kmsg {
	struct kdbus_msg *msg; /* staged, already transformed */
	size_t hdr_size;       /* header + items, 8-aligned */
	size_t slice_size;
	unsigned int n_segs;
	struct kdbus_seg *segs;
	struct iovec *iov; /* user segments, in order */
	struct kdbus_seg seg_inline[KDBUS_INLINE_SEGS];
	struct iovec iov_inline[KDBUS_INLINE_SEGS];
	unsigned int n_memfds;
	struct kdbus_kmsg_memfds *mf; /* allocated on the first memfd */
	const struct kdbus_bloom_filter *bloom;
	const char *dst_name;
};

static const u8 kdbus_zeros[8];

static void kdbus_kmsg_free(struct kdbus_kmsg *km)
{
	unsigned int i;

	for (i = 0; i < km->n_memfds; i++)
		fput(km->mf->files[i]);
	kfree(km->mf);
	if (km->segs != km->seg_inline)
		kfree(km->segs);
	if (km->iov != km->iov_inline)
		kfree(km->iov);
}

/* spec 9.3 rule 7 */
static int kdbus_stage_memfd(struct kdbus_kmsg *km, struct kdbus_item *it)
{
	struct kdbus_memfd *m = (void *)it->data;
	unsigned int seals;
	struct file *f;
	u64 end;

	if (kdbus_item_payload_size(it) != sizeof(*m) || !m->size)
		return -EINVAL;
	if (check_add_overflow(m->start, m->size, &end))
		return -EMSGSIZE;
	if (km->n_memfds >= KDBUS_MSG_MAX_MEMFD_ITEMS)
		return -E2BIG;
	if (m->fd < 0)
		return -EBADF;
	if (!km->mf) {
		km->mf = kmalloc(sizeof(*km->mf), GFP_KERNEL);
		if (!km->mf)
			return -ENOMEM;
	}
	f = fget(m->fd);
	if (!f)
		return -EBADF;
	if (!kdbus_file_is_shmem(f)) {
		fput(f);
		return -EMEDIUMTYPE;
	}
	/* the seals make the contents immutable, which is what lets us pass
	 * the file by reference without a defensive copy (spec 1.5)
	 */
	seals = READ_ONCE(SHMEM_I(file_inode(f))->seals);
	if ((seals & KDBUS_SEAL_MASK) != KDBUS_SEAL_MASK) {
		fput(f);
		return -ETXTBSY;
	}
	if (end > i_size_read(file_inode(f))) {
		fput(f);
		return -EFAULT;
	}
	km->mf->files[km->n_memfds] = f;
	km->mf->pos[km->n_memfds] = (u8 *)&m->fd - (u8 *)km->msg;
	km->n_memfds++;
	m->fd = -1;
	return 0;
}

static int kdbus_stage_alloc_segs(struct kdbus_kmsg *km, unsigned int n)
{
	km->segs = km->seg_inline;
	km->iov = km->iov_inline;
	if (n <= KDBUS_INLINE_SEGS)
		return 0;
	km->segs = kmalloc_array(n, sizeof(*km->segs), GFP_KERNEL);
	km->iov = kmalloc_array(n, sizeof(*km->iov), GFP_KERNEL);
	if (!km->segs || !km->iov)
		return -ENOMEM;
	return 0;
}

/*
 * Validate the message (spec 9.3, in the original's order) and transform
 * it in place.  @bus_bloom: the bus bloom size in bytes.
 */
static int kdbus_stage(struct kdbus_conn *conn, struct kdbus_args *ma,
		       struct kdbus_kmsg *km, bool sync)
{
	struct kdbus_msg *msg = ma->buf;
	bool bcast = msg->dst_id == KDBUS_DST_ID_BROADCAST;
	bool signal = msg->flags & KDBUS_MSG_SIGNAL;
	bool expect = msg->flags & KDBUS_MSG_EXPECT_REPLY;
	u64 vec_total = 0, pos;
	unsigned int n_items = 0, n_user = 0;
	struct kdbus_item *it;
	int ret;

	km->msg = msg;
	km->segs = km->seg_inline;
	km->iov = km->iov_inline;

	if (msg->payload_type == KDBUS_PAYLOAD_KERNEL)
		return -EINVAL;
	if (msg->src_id != 0 && msg->src_id != conn->id)
		return -EINVAL;
	if (bcast && !signal)
		return -EBADMSG;
	if (bcast && msg->timeout_ns)
		return -ENOTUNIQ;
	if (expect && !msg->timeout_ns)
		return -EINVAL;
	if (expect && signal)
		return -ENOTUNIQ;
	if (sync && !expect)
		return -EINVAL;
	if (!expect && msg->cookie_reply && signal)
		return -EINVAL;

	kdbus_items_foreach(it, ma->items, ma->items_size) n_items++;
	ret = kdbus_stage_alloc_segs(km, n_items * 2);
	if (ret)
		return ret;

	pos = KDBUS_ALIGN8(ma->size);
	kdbus_items_foreach(it, ma->items, ma->items_size)
	{
		switch (it->type) {
		case KDBUS_ITEM_PAYLOAD_VEC: {
			struct kdbus_vec *v = (void *)it->data;

			if (kdbus_item_payload_size(it) != sizeof(*v) ||
			    !v->size)
				return -EINVAL;
			vec_total += v->size;
			if (vec_total > KDBUS_MSG_MAX_PAYLOAD_VEC_SIZE)
				return -EMSGSIZE;
			it->type = KDBUS_ITEM_PAYLOAD_OFF;
			if (!v->address) {
				/* padding vector: size % 8 zero bytes */
				v->offset = ~0ULL;
				if (v->size % 8) {
					km->segs[km->n_segs].user = false;
					km->segs[km->n_segs++].len =
						v->size % 8;
					pos += v->size % 8;
				}
				break;
			}
			if (!access_ok(u64_to_user_ptr(v->address), v->size))
				return -EFAULT;
			km->iov[n_user].iov_base = u64_to_user_ptr(v->address);
			km->iov[n_user++].iov_len = v->size;
			km->segs[km->n_segs].user = true;
			km->segs[km->n_segs++].len = v->size;
			v->offset = pos;
			pos += v->size;
			break;
		}
		case KDBUS_ITEM_PAYLOAD_MEMFD: {
			struct kdbus_memfd *m = (void *)it->data;

			ret = kdbus_stage_memfd(km, it);
			if (ret)
				return ret;
			if (m->size % 8) {
				km->segs[km->n_segs].user = false;
				km->segs[km->n_segs++].len = m->size % 8;
				pos += m->size % 8;
			}
			break;
		}
		case KDBUS_ITEM_FDS:
			return -EOPNOTSUPP; /* spec 19.5: not measured */
		case KDBUS_ITEM_BLOOM_FILTER: {
			size_t len = kdbus_item_payload_size(it);

			if (km->bloom ||
			    len < sizeof(struct kdbus_bloom_filter))
				return -EINVAL;
			if ((len - sizeof(struct kdbus_bloom_filter)) % 8)
				return -EFAULT;
			if (len - sizeof(struct kdbus_bloom_filter) !=
			    conn->bus->bloom_size)
				return -EDOM;
			km->bloom = (void *)it->data;
			break;
		}
		case KDBUS_ITEM_DST_NAME: {
			const char *name;

			if (km->dst_name || kdbus_item_string(it, &name) ||
			    !kdbus_name_is_valid(name, strlen(name)))
				return -EINVAL;
			km->dst_name = name;
			break;
		}
		default:
			/* NEGOTIATE is only valid while negotiating */
			return -EINVAL;
		}
	}
	if (!!km->bloom != signal)
		return -EBADMSG;
	if (km->dst_name && bcast)
		return -EBADMSG;
	if (msg->dst_id == KDBUS_DST_ID_NAME && !km->dst_name)
		return -EDESTADDRREQ;

	msg->src_id = conn->id;
	msg->size = KDBUS_ALIGN8(ma->size);
	km->hdr_size = msg->size;
	km->slice_size = KDBUS_ALIGN8(pos);
	return 0;
}

/* Write the staged message into @dst's pool at @off: the single copy. */
static int kdbus_kmsg_write(struct kdbus_conn *dst, struct kdbus_kmsg *km,
			    size_t off)
{
	struct kdbus_pool *pool = &dst->pool;
	size_t pos = off + km->hdr_size;
	unsigned int i = 0, u = 0;
	int ret;

	ret = kdbus_pool_write_kvec(pool, off, km->msg, km->hdr_size);
	while (!ret && i < km->n_segs) {
		if (km->segs[i].user) {
			struct iov_iter iter;
			unsigned int first = u;
			size_t len = 0;

			/* one iterator over every consecutive user segment */
			while (i < km->n_segs && km->segs[i].user) {
				len += km->segs[i++].len;
				u++;
			}
			iov_iter_init(&iter, ITER_SOURCE, km->iov + first,
				      u - first, len);
			ret = kdbus_pool_write_iter(pool, pos, &iter);
			pos += len;
		} else {
			ret = kdbus_pool_write_kvec(pool, pos, kdbus_zeros,
						    km->segs[i].len);
			pos += km->segs[i++].len;
		}
	}
	/* stale bytes of an earlier message must not show in the padding */
	if (!ret && pos < off + km->slice_size)
		ret = kdbus_pool_write_kvec(pool, pos, kdbus_zeros,
					    off + km->slice_size - pos);
	return ret;
}

/*
 * Copy the message into @dst's pool.  Queued (quota-counted) unless @out is
 * given, in which case the entry is returned instead (sync replies, which
 * never enter the caller's queue).
 */
static int kdbus_deliver(struct kdbus_conn *dst, struct kdbus_kmsg *km,
			 struct kdbus_queue_entry **out)
{
	struct kdbus_queue_entry *e;
	struct kdbus_slice *s;
	unsigned int i;
	int ret;

	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	ret = kdbus_conn_reserve(dst, km->slice_size, !out, &s);
	if (ret)
		goto err;
	ret = kdbus_kmsg_write(dst, km, s->off);
	if (ret) {
		kdbus_conn_cancel(dst, s, !out);
		goto err;
	}
	e->slice = s;
	e->msg_size = s->size;
	e->quota = !out;
	e->n_memfds = km->n_memfds;
	for (i = 0; i < km->n_memfds; i++) {
		e->memfds[i] = get_file(km->mf->files[i]);
		e->memfd_pos[i] = km->mf->pos[i];
	}
	if (out) {
		*out = e;
		return 0;
	}
	return kdbus_conn_enqueue(dst, e);
err:
	kfree(e);
	return ret;
}

static int kdbus_send_broadcast(struct kdbus_conn *conn, struct kdbus_kmsg *km)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_conn **dsts, *c;
	unsigned int n = 0, i;

	down_read(&bus->rwsem);
	dsts = kmalloc_array(bus->n_conns ?: 1, sizeof(*dsts), GFP_KERNEL);
	if (!dsts) {
		up_read(&bus->rwsem);
		return -ENOMEM;
	}
	/* the sender is included if its own matches accept the signal */
	list_for_each_entry (c, &bus->conns, bus_entry) {
		if (READ_ONCE(c->dead))
			continue;
		/* spec 15.3: only receivers that may TALK to the sender */
		if (!c->privileged && !uid_eq(c->uid, conn->uid))
			continue;
		if (!kdbus_match_signal(c, conn, km->msg, km->bloom))
			continue;
		kdbus_conn_get(c);
		dsts[n++] = c;
	}
	up_read(&bus->rwsem);

	for (i = 0; i < n; i++) {
		int ret = kdbus_deliver(dsts[i], km, NULL);

		if (ret && ret != -ECONNRESET)
			kdbus_conn_lost(dsts[i]);
		kdbus_conn_put(dsts[i]);
	}
	kfree(dsts);
	return 0;
}

/* A reply: needs a live tracker for (callee = us, cookie) on the caller. */
static int kdbus_send_reply(struct kdbus_conn *conn, struct kdbus_conn *dst,
			    struct kdbus_kmsg *km)
{
	struct kdbus_reply *r, *found = NULL;
	struct kdbus_queue_entry *e = NULL;
	int ret;

	mutex_lock(&dst->lock);
	list_for_each_entry (r, &dst->replies, entry) {
		if (r->callee_id == conn->id &&
		    r->cookie == km->msg->cookie_reply) {
			found = r;
			break;
		}
	}
	if (!found) {
		mutex_unlock(&dst->lock);
		return -EBADSLT;
	}
	list_del(&found->entry);
	found->linked = false;
	dst->n_replies--;
	if (!found->sync) {
		mutex_unlock(&dst->lock);
		kdbus_reply_put(found);
		return kdbus_deliver(dst, km, NULL);
	}
	/* the caller waits for DONE once it sees CLAIMED, so it cannot go
	 * away while we copy (and copying may fault: no lock held)
	 */
	found->state = KDBUS_REPLY_CLAIMED;
	mutex_unlock(&dst->lock);

	ret = kdbus_deliver(dst, km, &e);

	mutex_lock(&dst->lock);
	if (ret) {
		found->err = ret == -ECONNRESET ? -ECONNRESET : -EREMOTEIO;
	} else {
		/* only the caller learns the offset: publishing it now is
		 * safe even though its memfds are installed later
		 */
		e->slice->user = true;
		found->msg = e;
	}
	found->state = KDBUS_REPLY_DONE;
	mutex_unlock(&dst->lock);
	wake_up_all(&dst->wait);
	kdbus_reply_put(found);
	return ret;
}

/* Record a call before it is delivered, so a fast reply finds it. */
static struct kdbus_reply *kdbus_reply_new(struct kdbus_conn *conn,
					   struct kdbus_conn *dst,
					   const struct kdbus_msg *msg,
					   bool sync)
{
	struct kdbus_reply *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	kref_init(&r->kref); /* ours */
	kref_get(&r->kref);  /* the list's */
	r->callee_id = dst->id;
	r->cookie = msg->cookie;
	r->deadline_ns = msg->timeout_ns;
	r->sync = sync;
	r->state = KDBUS_REPLY_PENDING;

	mutex_lock(&conn->lock);
	if (conn->dead || conn->n_replies >= KDBUS_CONN_MAX_REQUESTS_PENDING) {
		int err = conn->dead ? -ECONNRESET : -EMLINK;

		mutex_unlock(&conn->lock);
		kfree(r);
		return ERR_PTR(err);
	}
	list_add_tail(&r->entry, &conn->replies);
	r->linked = true;
	conn->n_replies++;
	if (!sync)
		kdbus_conn_arm_timeout(conn, r->deadline_ns);
	mutex_unlock(&conn->lock);
	return r;
}

/* Take @r off the caller's list if nobody else did; drop the list's ref. */
static void kdbus_reply_unlink(struct kdbus_conn *conn, struct kdbus_reply *r)
{
	bool unlinked = false;

	mutex_lock(&conn->lock);
	if (r->linked) {
		list_del(&r->entry);
		r->linked = false;
		conn->n_replies--;
		unlinked = true;
	}
	mutex_unlock(&conn->lock);
	if (unlinked)
		kdbus_reply_put(r);
}

/* Block until the reply, the deadline, a signal or a dead peer. */
static int kdbus_sync_wait(struct kdbus_conn *conn, struct kdbus_reply *r,
			   struct kdbus_msg_info *info)
{
	struct kdbus_queue_entry *e;
	u64 now = ktime_get_ns();
	long ret = 0;

	/* a timer-wheel timeout, not an hrtimer: armed on every call, it
	 * almost never fires, and jiffy resolution (rounded up) is plenty
	 */
	if (r->deadline_ns > now)
		ret = wait_event_interruptible_timeout(
			conn->wait, READ_ONCE(r->state) != KDBUS_REPLY_PENDING,
			nsecs_to_jiffies(r->deadline_ns - now) + 1);

	mutex_lock(&conn->lock);
	if (r->state == KDBUS_REPLY_PENDING) {
		/* sync trackers are PENDING exactly while linked */
		list_del(&r->entry);
		r->linked = false;
		conn->n_replies--;
		mutex_unlock(&conn->lock);
		kdbus_reply_put(r); /* the list's */
		/* no transparent restart: the tracker is gone (docs/kdbus.md) */
		return ret < 0 ? -EINTR : -ETIMEDOUT;
	}
	mutex_unlock(&conn->lock);

	/* a replier claimed it and is copying: that is short, wait it out */
	wait_event(conn->wait, READ_ONCE(r->state) == KDBUS_REPLY_DONE);
	mutex_lock(&conn->lock);
	ret = r->err;
	e = r->msg;
	r->msg = NULL;
	mutex_unlock(&conn->lock);
	if (e) {
		info->offset = e->slice->off;
		info->msg_size = e->msg_size;
		/* we are the caller's process: install its memfds here */
		if (e->n_memfds)
			info->return_flags = kdbus_recv_install(conn, e);
		kdbus_queue_entry_free(e);
	}
	return ret;
}

static int kdbus_send_unicast(struct kdbus_conn *conn, struct kdbus_kmsg *km,
			      bool sync, struct kdbus_msg_info *info)
{
	struct kdbus_msg *msg = km->msg;
	struct kdbus_bus *bus = conn->bus;
	bool expect = msg->flags & KDBUS_MSG_EXPECT_REPLY;
	bool signal = msg->flags & KDBUS_MSG_SIGNAL;
	struct kdbus_reply *r = NULL;
	struct kdbus_conn *dst;
	int ret = 0;

	if (sync && msg->timeout_ns <= ktime_get_ns())
		return -ETIMEDOUT;

	down_read(&bus->rwsem);
	if (km->dst_name) {
		struct kdbus_name_entry *n =
			kdbus_name_lookup(bus, km->dst_name);

		if (!n)
			ret = -ESRCH;
		else if (msg->dst_id && msg->dst_id != n->owner->id)
			ret = -EREMCHG;
		dst = n ? n->owner : NULL;
	} else {
		dst = kdbus_bus_find_conn(bus, msg->dst_id);
		if (!dst)
			ret = -ENXIO;
	}
	if (!ret && signal && !kdbus_match_signal(dst, conn, msg, km->bloom))
		ret = 1; /* spec 9.4 rule 4: dropped silently */
	if (!ret)
		kdbus_conn_get(dst);
	up_read(&bus->rwsem);
	if (ret)
		return ret > 0 ? 0 : ret;

	if (!expect && msg->cookie_reply && !signal) {
		ret = kdbus_send_reply(conn, dst, km);
		goto out;
	}
	/* spec 15: TALK */
	if (!conn->privileged && !uid_eq(conn->uid, dst->uid)) {
		ret = -EPERM;
		goto out;
	}
	if (expect) {
		r = kdbus_reply_new(conn, dst, msg, sync);
		if (IS_ERR(r)) {
			ret = PTR_ERR(r);
			r = NULL;
			goto out;
		}
	}
	ret = kdbus_deliver(dst, km, NULL);
	if (r && ret)
		kdbus_reply_unlink(conn, r);
	else if (r && sync)
		ret = kdbus_sync_wait(conn, r, info);
out:
	if (r)
		kdbus_reply_put(r);
	kdbus_conn_put(dst);
	return ret;
}

static const u64 kdbus_send_items[] = { KDBUS_ITEM_NEGOTIATE };
static const u64 kdbus_msg_items[] = {
	KDBUS_ITEM_NEGOTIATE,	  KDBUS_ITEM_PAYLOAD_VEC,
	KDBUS_ITEM_PAYLOAD_MEMFD, KDBUS_ITEM_BLOOM_FILTER,
	KDBUS_ITEM_DST_NAME,
};

#define KDBUS_MSG_FLAGS \
	(KDBUS_MSG_EXPECT_REPLY | KDBUS_MSG_NO_AUTO_START | KDBUS_MSG_SIGNAL)

/* Negotiation on the message of a negotiating SEND (spec 4.4 rule 4). */
static noinline int kdbus_send_negotiate(u64 msg_address)
{
	struct kdbus_args ma;
	int ret = 0, mret;

	mret = kdbus_args_parse_msg(&ma, u64_to_user_ptr(msg_address),
				    KDBUS_MSG_FLAGS);
	if (mret < 0)
		return mret;
	kdbus_args_negotiate(&ma, kdbus_msg_items, ARRAY_SIZE(kdbus_msg_items));
	if (!mret &&
	    put_user(KDBUS_MSG_FLAGS,
		     &((struct kdbus_msg __user *)u64_to_user_ptr(msg_address))
			      ->flags))
		ret = -EFAULT;
	kdbus_args_finish(&ma, 0);
	return ret;
}

/* The message part of SEND; its own frame keeps kdbus_cmd_send() small. */
static noinline int kdbus_send_msg(struct kdbus_conn *conn, u64 msg_address,
				   bool sync, struct kdbus_msg_info *info)
{
	struct kdbus_kmsg km = {};
	struct kdbus_args ma;
	int ret;

	ret = kdbus_args_parse_msg(&ma, u64_to_user_ptr(msg_address),
				   KDBUS_MSG_FLAGS);
	if (ret < 0)
		return ret;
	/* NEGOTIATE in the message but not in the command; or a NEGOTIATE
	 * item outside negotiation
	 */
	if (ret || ma.negotiate)
		return kdbus_args_finish(&ma, -EINVAL);

	ret = kdbus_stage(conn, &ma, &km, sync);
	if (!ret) {
		if (km.msg->dst_id == KDBUS_DST_ID_BROADCAST)
			ret = kdbus_send_broadcast(conn, &km);
		else
			ret = kdbus_send_unicast(conn, &km, sync, info);
	}
	kdbus_kmsg_free(&km);
	return kdbus_args_finish(&ma, ret);
}

/**
 * kdbus_cmd_send() - KDBUS_CMD_SEND
 * @conn:	the sending connection
 * @argp:	user pointer to struct kdbus_cmd_send
 *
 * Return: 0 or a negative errno as listed in spec 9 and 17.  For a
 * synchronous call, 0 means the reply is in the caller's pool at
 * reply.offset.
 */
int kdbus_cmd_send(struct kdbus_conn *conn, void __user *argp)
{
	struct kdbus_cmd_send __user *u = argp;
	struct kdbus_msg_info info;
	struct kdbus_cmd_send *cmd;
	struct kdbus_args a;
	struct kdbus_item *it;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(*cmd), KDBUS_SEND_SYNC_REPLY);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_send_items,
			     ARRAY_SIZE(kdbus_send_items));
	cmd = a.buf;
	if (ret) {
		ret = cmd->msg_address ? kdbus_send_negotiate(cmd->msg_address)
				       : 0;
		return kdbus_args_finish(&a, ret);
	}
	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		if (it->type == KDBUS_ITEM_NEGOTIATE)
			continue;
		if (it->type == KDBUS_ITEM_CANCEL_FD)
			ret = -EOPNOTSUPP;
		return kdbus_args_finish(&a, ret);
	}
	ret = kdbus_conn_check(conn);
	if (ret)
		return kdbus_args_finish(&a, ret);

	info.offset = conn->pool.size; /* "no slice" (spec 8.2 rule 4) */
	info.msg_size = 0;
	info.return_flags = 0;
	ret = kdbus_send_msg(conn, cmd->msg_address,
			     cmd->flags & KDBUS_SEND_SYNC_REPLY, &info);
	if (copy_to_user(&u->reply, &info, sizeof(info)) && !ret)
		ret = -EFAULT;
	return kdbus_args_finish(&a, ret);
}
