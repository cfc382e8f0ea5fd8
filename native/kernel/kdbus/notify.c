// SPDX-License-Identifier: GPL-2.0-only
/*
 * Name and ID change notifications (spec 26): built while the registry
 * lock is held, queued on every connection whose match database accepts
 * them once it is dropped, before the causing ioctl returns.  Each carries
 * one notification item and one TIMESTAMP.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "kdbus_internal.h"

static struct kdbus_notify *kdbus_notify_new(u64 type, size_t payload)
{
	size_t item = KDBUS_ALIGN8(KDBUS_ITEM_HEADER_SIZE + payload);
	size_t size = sizeof(struct kdbus_msg) + item + KDBUS_ITEM_HEADER_SIZE +
		      sizeof(struct kdbus_timestamp);
	struct kdbus_notify *nt;
	struct kdbus_item *ts;

	nt = kzalloc(sizeof(*nt) + size - sizeof(struct kdbus_msg), GFP_KERNEL);
	if (!nt)
		return NULL;
	nt->size = size;
	nt->msg.size = size;
	nt->msg.flags = KDBUS_MSG_SIGNAL;
	nt->msg.dst_id = KDBUS_DST_ID_BROADCAST;
	nt->msg.src_id = KDBUS_SRC_ID_KERNEL;
	nt->msg.payload_type = KDBUS_PAYLOAD_KERNEL;
	nt->item = nt->msg.items;
	nt->item->size = KDBUS_ITEM_HEADER_SIZE + payload;
	nt->item->type = type;
	ts = (void *)((u8 *)nt->item + item);
	ts->size = KDBUS_ITEM_HEADER_SIZE + sizeof(struct kdbus_timestamp);
	ts->type = KDBUS_ITEM_TIMESTAMP;
	((struct kdbus_timestamp *)ts->data)->seqnum = kdbus_meta_seqnum();
	((struct kdbus_timestamp *)ts->data)->monotonic_ns = ktime_get_ns();
	((struct kdbus_timestamp *)ts->data)->realtime_ns = ktime_get_real_ns();
	return nt;
}

/**
 * kdbus_notify_id() - add an ID_ADD / ID_REMOVE notification to @list
 * @list:	pending notifications
 * @type:	KDBUS_ITEM_ID_ADD or KDBUS_ITEM_ID_REMOVE
 * @id:		the connection
 * @flags:	its HELLO flags
 *
 * A notification that cannot be allocated is lost for everyone; there is
 * no receiver yet to count it against.
 */
void kdbus_notify_id(struct list_head *list, u64 type, u64 id, u64 flags)
{
	struct kdbus_notify *nt;
	struct kdbus_notify_id_change *c;

	nt = kdbus_notify_new(type, sizeof(*c));
	if (!nt)
		return;
	c = (void *)nt->item->data;
	c->id = id;
	c->flags = flags;
	list_add_tail(&nt->entry, list);
}

/**
 * kdbus_notify_name() - add a NAME_* notification to @list
 * @list:	pending notifications
 * @type:	KDBUS_ITEM_NAME_ADD, _REMOVE or _CHANGE
 * @old_id:	former primary owner, or 0
 * @old_flags:	its name flags after the change
 * @new_id:	new primary owner, or 0
 * @new_flags:	its name flags
 * @name:	the name
 */
void kdbus_notify_name(struct list_head *list, u64 type, u64 old_id,
		       u64 old_flags, u64 new_id, u64 new_flags,
		       const char *name)
{
	size_t len = strlen(name) + 1;
	struct kdbus_notify_name_change *c;
	struct kdbus_notify *nt;

	nt = kdbus_notify_new(type, sizeof(*c) + len);
	if (!nt)
		return;
	c = (void *)nt->item->data;
	c->old_id.id = old_id;
	c->old_id.flags = old_id ? old_flags : 0;
	c->new_id.id = new_id;
	c->new_id.flags = new_id ? new_flags : 0;
	memcpy(c->name, name, len);
	list_add_tail(&nt->entry, list);
}

/**
 * kdbus_notify_flush() - queue and free the pending notifications
 * @bus:	the bus (rwsem NOT held)
 * @list:	pending notifications, emptied
 *
 * Every ordinary connection whose match database accepts one gets a copy;
 * one that cannot take it counts it in dropped_msgs (spec 26.4).
 */
void kdbus_notify_flush(struct kdbus_bus *bus, struct list_head *list)
{
	struct kdbus_notify *nt, *tmp;
	struct kdbus_conn *c;

	if (list_empty(list))
		return;
	down_read(&bus->rwsem);
	list_for_each_entry (nt, list, entry) {
		bool name = nt->item->type <= KDBUS_ITEM_NAME_CHANGE;
		const char *nm = name ? ((struct kdbus_notify_name_change *)
						 nt->item->data)
						 ->name
				      : NULL;

		/* monitors first, unmatched (spec 32.5 rule 2) */
		list_for_each_entry (c, &bus->monitors, bus_entry)
			if (!READ_ONCE(c->dead))
				kdbus_conn_enqueue_kernel(c, &nt->msg,
							  nt->size);
		list_for_each_entry (c, &bus->conns, bus_entry) {
			if (READ_ONCE(c->dead) || !kdbus_conn_ordinary(c) ||
			    !kdbus_match_kernel(c, nt->item))
				continue;
			/* custom endpoints: only names they SEE (26.4 r2) */
			if (name && !kdbus_policy_may_see_name(c, nm))
				continue;
			kdbus_conn_enqueue_kernel(c, &nt->msg, nt->size);
		}
	}
	up_read(&bus->rwsem);
	list_for_each_entry_safe (nt, tmp, list, entry) {
		list_del(&nt->entry);
		kfree(nt);
	}
}
