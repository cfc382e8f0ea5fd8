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
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/socket.h>
#include <net/sock.h>
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
	unsigned int n_fds;
	bool have_fds;
	struct file *fds[KDBUS_MSG_MAX_FDS];
	size_t fds_pos;
	const struct kdbus_bloom_filter *bloom;
	const char *dst_name;
	bool keep_name; /* the name has an activator: record it (spec 32.3) */
	struct kdbus_conn *src;
	struct kdbus_meta *meta;     /* NULL: nobody wants metadata */
	struct kdbus_cancel *cancel; /* SYNC_REPLY with CANCEL_FD */
};

static const u8 kdbus_zeros[8];

static void kdbus_kmsg_free(struct kdbus_kmsg *km)
{
	unsigned int i;

	for (i = 0; i < km->n_memfds; i++)
		fput(km->mf->files[i]);
	for (i = 0; i < km->n_fds; i++)
		fput(km->fds[i]);
	kfree(km->mf);
	kdbus_meta_free(km->meta);
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

/* spec 28.1, 28.2 rules 1 to 3: pin the passed files, entries become -1 */
static int kdbus_stage_fds(struct kdbus_kmsg *km, struct kdbus_item *it)
{
	size_t len = kdbus_item_payload_size(it);
	s32 *fds = (s32 *)it->data;
	unsigned int i, n = len / 4;

	if (km->have_fds || !len || len % 4)
		return -EINVAL;
	km->have_fds = true;
	if (n > KDBUS_MSG_MAX_FDS)
		return -EMFILE;
	for (i = 0; i < n; i++) {
		struct file *f = fds[i] < 0 ? NULL : fget_raw(fds[i]);
		struct socket *sock;

		if (!f)
			return -EBADF;
		km->fds[km->n_fds++] = f;
		/* reference cycles: our own nodes and UNIX sockets */
		if (kdbus_file_is_kdbus(f))
			return -EOPNOTSUPP;
		sock = (f->f_mode & FMODE_PATH) ? NULL : sock_from_file(f);
		if (sock && sock->sk && sock->sk->sk_family == AF_UNIX)
			return -EOPNOTSUPP;
		fds[i] = -1;
	}
	km->fds_pos = (u8 *)it->data - (u8 *)km->msg;
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
	km->src = conn;
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
	if (expect && (!msg->timeout_ns || !msg->cookie))
		return -EINVAL; /* cookie 0: spec 29.6 */
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
			ret = kdbus_stage_fds(km, it);
			if (ret)
				return ret;
			if (bcast)
				return -ENOTUNIQ;
			break;
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

/* Shift the PAYLOAD_OFF offsets of the staged header by @delta. */
static void kdbus_kmsg_shift(struct kdbus_kmsg *km, s64 delta)
{
	struct kdbus_item *it;

	kdbus_items_foreach(it, km->msg->items,
			    km->hdr_size - sizeof(struct kdbus_msg))
	{
		struct kdbus_vec *v = (void *)it->data;

		if (it->type == KDBUS_ITEM_PAYLOAD_OFF && v->offset != ~0ULL)
			v->offset += delta;
	}
}

/*
 * Write the staged message into @dst's pool at @off: the single copy.
 * @meta/@meta_len: this receiver's metadata items, placed between the
 * sender's items and the payload (spec 11), which moves by @meta_len.
 */
static int kdbus_kmsg_write(struct kdbus_conn *dst, struct kdbus_kmsg *km,
			    size_t off, const void *meta, size_t meta_len)
{
	struct kdbus_pool *pool = &dst->pool;
	size_t pos = off + km->hdr_size + meta_len;
	size_t end = off + km->slice_size + meta_len;
	unsigned int i = 0, u = 0;
	int ret;

	if (meta_len) {
		/* the header is ours (staged per SEND, one writer): patch
		 * it for this receiver and restore it afterwards
		 */
		km->msg->size = km->hdr_size + meta_len;
		kdbus_kmsg_shift(km, meta_len);
	}
	ret = kdbus_pool_write_kvec(pool, off, km->msg, km->hdr_size);
	if (meta_len) {
		km->msg->size = km->hdr_size;
		kdbus_kmsg_shift(km, -(s64)meta_len);
		if (!ret)
			ret = kdbus_pool_write_kvec(pool, off + km->hdr_size,
						    meta, meta_len);
	}
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
	if (!ret && pos < end)
		ret = kdbus_pool_write_kvec(pool, pos, kdbus_zeros, end - pos);
	return ret;
}

/*
 * Collect, in the sender's context, the metadata of @mask: the union of
 * what this message's receivers will get.  Nothing happens for 0.
 */
static int kdbus_kmsg_collect(struct kdbus_kmsg *km, u64 mask)
{
	struct kdbus_meta *m;
	int ret;

	mask &= ~(km->meta ? km->meta->collected : 0);
	if (!mask)
		return 0;
	if (!km->meta) {
		km->meta = kdbus_meta_new();
		if (!km->meta)
			return -ENOMEM;
	}
	m = km->meta;
	if (mask & KDBUS_ATTACH_TIMESTAMP) {
		m->ts.seqnum = kdbus_meta_seqnum();
		m->ts.monotonic_ns = ktime_get_ns();
		m->ts.realtime_ns = ktime_get_real_ns();
		m->collected |= KDBUS_ATTACH_TIMESTAMP;
	}
	if (km->src->faked)
		/* faked CREDS/PIDS/SECLABEL only, no other process item
		 * (spec 24.4 rule 4)
		 */
		ret = kdbus_meta_copy_faked(m, km->src->meta,
					    mask & KDBUS_ATTACH_PROC);
	else
		ret = kdbus_meta_collect_proc(m, mask & KDBUS_ATTACH_PROC);
	if (!ret)
		ret = kdbus_meta_collect_conn(
			m, km->src,
			mask & (KDBUS_ATTACH_NAMES |
				KDBUS_ATTACH_CONN_DESCRIPTION));
	return ret;
}

/*
 * Copy the message into @dst's pool.  Queued (quota-counted) unless @out is
 * given, in which case the entry is returned instead (sync replies, which
 * never enter the caller's queue).
 */
static int kdbus_deliver_ex(struct kdbus_conn *dst, struct kdbus_kmsg *km,
			    struct kdbus_queue_entry **out, bool monitor)
{
	struct kdbus_queue_entry *e;
	const void *meta = NULL;
	size_t meta_len = 0;
	struct kdbus_slice *s;
	unsigned int i;
	int ret = 0;

	/* a monitor without ACCEPT_FD sees -1 entries (spec 28.4) */
	bool fds =
		km->n_fds && (!monitor || (dst->flags & KDBUS_HELLO_ACCEPT_FD));

	if (fds && !(dst->flags & KDBUS_HELLO_ACCEPT_FD))
		return -ECOMM;
	if (km->meta) {
		ret = kdbus_meta_emit(km->meta,
				      kdbus_meta_msg_mask(dst, km->src),
				      &dst->ns, &meta, &meta_len);
		if (ret)
			return ret;
	}
	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->n_fds = 0;
	e->fds_dst = NULL;
	e->dst_name = NULL;
	if (km->keep_name && !monitor) {
		e->dst_name = kstrdup(km->dst_name, GFP_KERNEL);
		if (!e->dst_name) {
			kfree(e);
			return -ENOMEM;
		}
	}
	if (fds && !monitor) {
		/* spec 28.2 rule 7, per destination (docs/kdbus.md) */
		mutex_lock(&dst->lock);
		if (dst->fds_inflight + km->n_fds > KDBUS_CONN_MAX_FDS_PER_USER)
			ret = -EMFILE;
		else
			dst->fds_inflight += km->n_fds;
		mutex_unlock(&dst->lock);
		if (ret)
			goto err;
		kdbus_conn_get(dst);
		e->fds_dst = dst;
	}
	ret = kdbus_conn_reserve(dst, km->slice_size + meta_len, !out,
				 km->src->uid, &s);
	if (ret)
		goto err;
	ret = kdbus_kmsg_write(dst, km, s->off, meta, meta_len);
	if (ret) {
		kdbus_conn_cancel(dst, s, !out);
		goto err;
	}
	e->slice = s;
	e->n_fds = fds ? km->n_fds : 0;
	e->fds_pos = km->fds_pos;
	for (i = 0; i < e->n_fds; i++)
		e->fds[i] = get_file(km->fds[i]);
	e->msg_size = s->size;
	e->quota = !out;
	e->priority = km->msg->priority;
	e->call_src = 0;
	e->call_cookie = 0;
	if ((km->msg->flags & KDBUS_MSG_EXPECT_REPLY) && !monitor) {
		e->call_src = km->src->id;
		e->call_cookie = km->msg->cookie;
	}
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
	if (e->fds_dst) {
		mutex_lock(&dst->lock);
		dst->fds_inflight -= km->n_fds;
		mutex_unlock(&dst->lock);
		kdbus_conn_put(dst);
	}
	kfree(e->dst_name);
	kfree(e);
	return ret;
}

static int kdbus_deliver(struct kdbus_conn *dst, struct kdbus_kmsg *km,
			 struct kdbus_queue_entry **out)
{
	return kdbus_deliver_ex(dst, km, out, false);
}

/*
 * A copy for every monitor (spec 32.5): before the destination's, never
 * an error for the sender; a copy that does not fit is counted as a drop.
 */
static void kdbus_send_monitors(struct kdbus_conn *conn, struct kdbus_kmsg *km)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_conn **mons, *c;
	unsigned int n = 0, i;
	u64 mask = 0;

	if (!READ_ONCE(bus->n_monitors))
		return;
	down_read(&bus->rwsem);
	mons = kmalloc_array(bus->n_monitors ?: 1, sizeof(*mons), GFP_KERNEL);
	if (!mons) {
		up_read(&bus->rwsem);
		return;
	}
	list_for_each_entry (c, &bus->monitors, bus_entry) {
		if (READ_ONCE(c->dead))
			continue;
		kdbus_conn_get(c);
		mons[n++] = c;
		mask |= kdbus_meta_msg_mask(c, conn);
	}
	up_read(&bus->rwsem);
	if (kdbus_kmsg_collect(km, mask)) {
		kdbus_meta_free(km->meta);
		km->meta = NULL;
	}
	for (i = 0; i < n; i++) {
		int ret = kdbus_deliver_ex(mons[i], km, NULL, true);

		if (ret && ret != -ECONNRESET)
			kdbus_conn_lost(mons[i]);
		kdbus_conn_put(mons[i]);
	}
	kfree(mons);
}

static int kdbus_send_broadcast(struct kdbus_conn *conn, struct kdbus_kmsg *km)
{
	struct kdbus_bus *bus = conn->bus;
	struct kdbus_conn **dsts, *c;
	unsigned int n = 0, i;
	u64 mask = 0;

	down_read(&bus->rwsem);
	dsts = kmalloc_array(bus->n_conns ?: 1, sizeof(*dsts), GFP_KERNEL);
	if (!dsts) {
		up_read(&bus->rwsem);
		return -ENOMEM;
	}
	/* the sender is included if its own matches accept the signal */
	list_for_each_entry (c, &bus->conns, bus_entry) {
		if (READ_ONCE(c->dead) || !kdbus_conn_ordinary(c))
			continue;
		/* spec 30.5: receivers that SEE and may TALK to the sender,
		 * with their HELLO credentials
		 */
		if (!kdbus_policy_may_see_conn(c, conn) ||
		    !kdbus_policy_may_talk(c, conn))
			continue;
		if (!kdbus_match_signal(c, conn, km->msg, km->bloom))
			continue;
		kdbus_conn_get(c);
		dsts[n++] = c;
		mask |= kdbus_meta_msg_mask(c, conn);
	}
	up_read(&bus->rwsem);

	kdbus_send_monitors(conn, km);
	/* once for all receivers; a failure only costs the metadata */
	if (kdbus_kmsg_collect(km, mask)) {
		kdbus_meta_free(km->meta);
		km->meta = NULL;
	}
	for (i = 0; i < n; i++) {
		int ret = kdbus_deliver(dsts[i], km, NULL);

		if (ret && ret != -ECONNRESET)
			kdbus_conn_lost(dsts[i]);
		kdbus_conn_put(dsts[i]);
	}
	kfree(dsts);
	return 0;
}

/* Unlink @r (conn->lock held); the caller then drops the list's ref. */
static void kdbus_reply_unlink_locked(struct kdbus_conn *conn,
				      struct kdbus_reply *r)
{
	list_del(&r->entry);
	r->linked = false;
	conn->n_replies--;
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
		    r->cookie == km->msg->cookie_reply &&
		    r->state == KDBUS_REPLY_PENDING) {
			found = r;
			break;
		}
	}
	if (!found) {
		mutex_unlock(&dst->lock);
		return -EBADSLT;
	}
	if (km->n_fds && !(dst->flags & KDBUS_HELLO_ACCEPT_FD)) {
		/* spec 28.4: the replier gets ECOMM; a sync caller's wait
		 * ends with EREMOTEIO, an async call stays pending
		 */
		if (found->sync) {
			kdbus_reply_unlink_locked(dst, found);
			found->state = KDBUS_REPLY_DONE;
			found->err = -EREMOTEIO;
		}
		mutex_unlock(&dst->lock);
		if (found->sync) {
			wake_up_all(&dst->wait);
			kdbus_reply_put(found); /* the list's */
		}
		return -ECOMM;
	}
	if (!found->sync) {
		list_del(&found->entry);
		found->linked = false;
		dst->n_replies--;
		mutex_unlock(&dst->lock);
		kdbus_reply_put(found);
		kdbus_send_monitors(conn, km);
		return kdbus_deliver(dst, km, NULL);
	}
	/* a sync tracker stays linked (an interrupted caller finds it when
	 * it restarts, spec 29.5); CLAIMED keeps other repliers and the
	 * timeout away while we copy, and the caller waits for DONE, so it
	 * cannot go away meanwhile (copying may fault: no lock held)
	 */
	kref_get(&found->kref);
	found->state = KDBUS_REPLY_CLAIMED;
	mutex_unlock(&dst->lock);

	kdbus_send_monitors(conn, km);
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

/* CANCEL_FD (spec 28.5): a wait queue entry on the descriptor's poll queue */
struct kdbus_cancel {
	poll_table pt;
	struct file *f;
	wait_queue_head_t *wqh;
	wait_queue_entry_t wait;
	bool fired;
};

static int kdbus_cancel_wake(wait_queue_entry_t *w, unsigned int mode, int sync,
			     void *key)
{
	struct kdbus_cancel *c = container_of(w, struct kdbus_cancel, wait);

	if (key && !(key_to_poll(key) & EPOLLIN))
		return 0;
	WRITE_ONCE(c->fired, true);
	return default_wake_function(w, mode, sync, key);
}

static void kdbus_cancel_queue(struct file *f, wait_queue_head_t *wqh,
			       poll_table *pt)
{
	struct kdbus_cancel *c = container_of(pt, struct kdbus_cancel, pt);

	if (c->wqh)
		return;
	c->wqh = wqh;
	init_waitqueue_func_entry(&c->wait, kdbus_cancel_wake);
	c->wait.private = current;
	add_wait_queue(wqh, &c->wait);
}

/* Start watching; true if the descriptor is readable already. */
static bool kdbus_cancel_arm(struct kdbus_cancel *c)
{
	init_poll_funcptr(&c->pt, kdbus_cancel_queue);
	c->wqh = NULL;
	c->fired = false;
	if (vfs_poll(c->f, &c->pt) & EPOLLIN)
		WRITE_ONCE(c->fired, true);
	return READ_ONCE(c->fired);
}

static void kdbus_cancel_disarm(struct kdbus_cancel *c)
{
	if (c->wqh)
		remove_wait_queue(c->wqh, &c->wait);
	c->wqh = NULL;
}

/*
 * Block until the reply, the deadline, a signal or a dead peer.  A signal
 * leaves the tracker linked and marked interrupted, with its deadline, and
 * returns -ERESTARTSYS: restarted (SA_RESTART) or repeated, the same SEND
 * finds it and waits on without sending again (spec 29.5).
 */
static int kdbus_sync_wait(struct kdbus_conn *conn, struct kdbus_reply *r,
			   struct kdbus_msg_info *info,
			   struct kdbus_cancel *cancel)
{
	struct kdbus_queue_entry *e;
	u64 now = ktime_get_ns();
	bool cancelled = false;
	bool linked;
	long ret = 0;

	if (cancel)
		cancelled = kdbus_cancel_arm(cancel);

	/* a timer-wheel timeout, not an hrtimer: armed on every call, it
	 * almost never fires, and jiffy resolution (rounded up) is plenty
	 */
	/* jiffies may run ahead of the clock the deadline is in: never
	 * give up before the deadline really passed
	 */
	while (!cancelled && r->deadline_ns > now) {
		ret = wait_event_interruptible_timeout(
			conn->wait,
			READ_ONCE(r->state) != KDBUS_REPLY_PENDING ||
				(cancel && READ_ONCE(cancel->fired)),
			nsecs_to_jiffies(r->deadline_ns - now) + 1);
		if (ret)
			break;
		now = ktime_get_ns();
	}
	if (cancel) {
		kdbus_cancel_disarm(cancel);
		cancelled = READ_ONCE(cancel->fired);
	}

	mutex_lock(&conn->lock);
	if (r->state == KDBUS_REPLY_PENDING) {
		if (cancelled) {
			/* the call stays queued; its reply will find no
			 * tracker (EBADSLT), no REPLY_TIMEOUT follows
			 */
			linked = r->linked;
			if (linked)
				kdbus_reply_unlink_locked(conn, r);
			mutex_unlock(&conn->lock);
			if (linked)
				kdbus_reply_put(r);
			return -ECANCELED;
		}
		if (ret < 0 && r->linked) {
			r->interrupted = true;
			kdbus_conn_arm_timeout(conn, r->deadline_ns);
			mutex_unlock(&conn->lock);
			return -ERESTARTSYS;
		}
		linked = r->linked;
		if (linked)
			kdbus_reply_unlink_locked(conn, r);
		mutex_unlock(&conn->lock);
		if (linked)
			kdbus_reply_put(r); /* the list's */
		return ret < 0 ? -EINTR : -ETIMEDOUT;
	}
	mutex_unlock(&conn->lock);

	/* a replier claimed it and is copying: that is short, wait it out */
	wait_event(conn->wait, READ_ONCE(r->state) == KDBUS_REPLY_DONE);
	mutex_lock(&conn->lock);
	ret = r->err;
	e = r->msg;
	r->msg = NULL;
	linked = r->linked;
	if (linked)
		kdbus_reply_unlink_locked(conn, r);
	mutex_unlock(&conn->lock);
	if (linked)
		kdbus_reply_put(r); /* the list's */
	if (e) {
		info->offset = e->slice->off;
		info->msg_size = e->msg_size;
		/* we are the caller's process: install its memfds here */
		if (e->n_memfds || e->n_fds)
			info->return_flags = kdbus_recv_install(conn, e);
		kdbus_queue_entry_free(e);
	}
	return ret;
}

/* An interrupted synchronous call of ours to @dst with @cookie, or NULL. */
static struct kdbus_reply *
kdbus_reply_resume(struct kdbus_conn *conn, struct kdbus_conn *dst, u64 cookie)
{
	struct kdbus_reply *r;

	mutex_lock(&conn->lock);
	list_for_each_entry (r, &conn->replies, entry) {
		if (r->sync && r->interrupted && r->callee_id == dst->id &&
		    r->cookie == cookie) {
			r->interrupted = false;
			kref_get(&r->kref);
			mutex_unlock(&conn->lock);
			return r;
		}
	}
	mutex_unlock(&conn->lock);
	return NULL;
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
	bool talk = true, unmatched = false;
	int ret = 0;

	if (sync && msg->timeout_ns <= ktime_get_ns())
		return -ETIMEDOUT;

	down_read(&bus->rwsem);
	if (km->dst_name) {
		struct kdbus_name_entry *n =
			kdbus_name_lookup(bus, km->dst_name);

		if (n && !kdbus_policy_may_see_name(conn, km->dst_name))
			n = NULL;
		dst = n ? kdbus_name_primary(n) : NULL;
		if (!n)
			ret = -ESRCH;
		else if (msg->dst_id && msg->dst_id != dst->id)
			ret = -EREMCHG;
		else if ((dst->flags & KDBUS_HELLO_ACTIVATOR) &&
			 (msg->flags & KDBUS_MSG_NO_AUTO_START))
			ret = -EADDRNOTAVAIL; /* spec 32.2 rule 1 */
		else if (!kdbus_conn_ordinary(dst) &&
			 !(dst->flags & KDBUS_HELLO_ACTIVATOR))
			ret = -ESRCH;
		/* an activator may take it back later: remember the name */
		if (!ret && kdbus_name_activator(n))
			km->keep_name = true;
	} else {
		/* only ordinary connections by ID (spec 23.1); a reply needs
		 * no SEE either: the call opened a window (spec 30.5)
		 */
		dst = kdbus_bus_find_conn(bus, msg->dst_id);
		if (!dst || !kdbus_conn_ordinary(dst) ||
		    (!(!expect && msg->cookie_reply && !signal) &&
		     !kdbus_policy_may_see_conn(conn, dst)))
			ret = -ENXIO;
	}
	if (!ret && signal) {
		/* spec 30.5: the receiver must SEE and TALK to the sender;
		 * refused or unmatched, it is dropped silently (spec 9.4
		 * rule 4), but monitors see an unmatched one
		 */
		if (!kdbus_policy_may_see_conn(dst, conn) ||
		    !kdbus_policy_may_talk(dst, conn))
			ret = 1;
		else if (!kdbus_match_signal(dst, conn, msg, km->bloom))
			unmatched = true;
	} else if (!ret) {
		talk = kdbus_policy_may_talk(conn, dst);
	}
	if (!ret)
		kdbus_conn_get(dst);
	up_read(&bus->rwsem);
	if (ret)
		return ret > 0 ? 0 : ret;
	if (unmatched) {
		kdbus_send_monitors(conn, km);
		kdbus_conn_put(dst);
		return 0;
	}

	ret = kdbus_kmsg_collect(km, kdbus_meta_msg_mask(dst, conn));
	if (ret)
		goto out;
	if (!expect && msg->cookie_reply && !signal) {
		ret = kdbus_send_reply(conn, dst, km);
		goto out;
	}
	if (sync) {
		r = kdbus_reply_resume(conn, dst, msg->cookie);
		if (r) {
			/* restarted after a signal: nothing is sent again */
			ret = kdbus_sync_wait(conn, r, info, km->cancel);
			goto out;
		}
	}
	/* spec 30.4: TALK */
	if (!talk) {
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
	kdbus_send_monitors(conn, km);
	ret = kdbus_deliver(dst, km, NULL);
	if (signal && ret == -ECOMM) {
		/* spec 28.2 rule 6: a unicast signal is lost, not refused */
		kdbus_conn_lost(dst);
		ret = 0;
	}
	if (r && ret)
		kdbus_reply_unlink(conn, r);
	else if (r && sync)
		ret = kdbus_sync_wait(conn, r, info, km->cancel);
out:
	if (r)
		kdbus_reply_put(r);
	kdbus_conn_put(dst);
	return ret;
}

static const u64 kdbus_send_items[] = {
	KDBUS_ITEM_NEGOTIATE,
	KDBUS_ITEM_CANCEL_FD,
};
static const u64 kdbus_msg_items[] = {
	KDBUS_ITEM_NEGOTIATE, KDBUS_ITEM_PAYLOAD_VEC,  KDBUS_ITEM_PAYLOAD_MEMFD,
	KDBUS_ITEM_FDS,	      KDBUS_ITEM_BLOOM_FILTER, KDBUS_ITEM_DST_NAME,
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
				   bool sync, struct kdbus_msg_info *info,
				   struct kdbus_cancel *cancel)
{
	struct kdbus_kmsg km = { .cancel = cancel };
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
	struct kdbus_cancel cancel = {};
	struct kdbus_msg_info info;
	struct kdbus_cmd_send *cmd;
	bool have_cancel = false;
	s32 cancel_fd = -1;
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
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		if (it->type == KDBUS_ITEM_NEGOTIATE)
			continue;
		/* spec 28.5 rule 1: one int32, once */
		if (it->type != KDBUS_ITEM_CANCEL_FD || have_cancel ||
		    kdbus_item_payload_size(it) != sizeof(s32))
			return kdbus_args_finish(&a, -EINVAL);
		have_cancel = true;
		cancel_fd = *(s32 *)it->data;
	}
	ret = kdbus_conn_check(conn);
	if (ret)
		return kdbus_args_finish(&a, ret);
	/* ignored entirely without SYNC_REPLY (rule 2) */
	if (have_cancel && (cmd->flags & KDBUS_SEND_SYNC_REPLY)) {
		cancel.f = cancel_fd < 0 ? NULL : fget(cancel_fd);
		if (!cancel.f)
			return kdbus_args_finish(&a, -EBADF);
		if (!file_can_poll(cancel.f)) {
			fput(cancel.f);
			return kdbus_args_finish(&a, -EINVAL);
		}
	}

	info.offset = conn->pool.size; /* "no slice" (spec 8.2 rule 4) */
	info.msg_size = 0;
	info.return_flags = 0;
	ret = kdbus_send_msg(conn, cmd->msg_address,
			     cmd->flags & KDBUS_SEND_SYNC_REPLY, &info,
			     cancel.f ? &cancel : NULL);
	if (cancel.f)
		fput(cancel.f);
	if (copy_to_user(&u->reply, &info, sizeof(info)) && !ret)
		ret = -EFAULT;
	return kdbus_args_finish(&a, ret);
}
