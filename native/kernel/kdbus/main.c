// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module setup, the character-device node layout of spec 2.2,
 * descriptor states (spec 3) and buses (spec 6).
 *
 * /dev/kdbus/control is minor 0; every bus gets its own minor whose node
 * devtmpfs places at /dev/kdbus/<uid>-<name>/bus.  All nodes share one
 * file_operations; what a descriptor is (nothing yet, bus owner,
 * connection) is decided by the first successful BUS_MAKE or HELLO.
 */
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <linux/version.h>

#include "kdbus_internal.h"

enum kdbus_handle_type {
	KDBUS_HANDLE_NONE,
	KDBUS_HANDLE_BUS_OWNER,
	KDBUS_HANDLE_EP_OWNER,
	KDBUS_HANDLE_CONN,
};

struct kdbus_handle {
	struct mutex lock;	     /* serialises BUS_MAKE / HELLO */
	enum kdbus_handle_type type; /* set once, read with acquire */
	bool control;		     /* opened /dev/kdbus/control */
	struct kdbus_bus *bus;	     /* endpoint: bus opened; owner: bus */
	struct kdbus_ep *ep;	     /* custom endpoint opened or made */
	struct kdbus_conn *conn;
};

/* Minors of custom endpoints are tagged in the IDR (buses are not). */
#define KDBUS_MINOR_EP 1UL

struct kdbus_node_dev {
	struct device dev;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	char path[KDBUS_NAME_MAX_LEN + 16];
};

static DEFINE_MUTEX(kdbus_global_lock);
static LIST_HEAD(kdbus_buses);
static DEFINE_IDR(kdbus_minor_idr);
static dev_t kdbus_devt;
static struct cdev kdbus_cdev;
static struct class *kdbus_class;
static struct kdbus_node_dev *kdbus_control_node;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static char *kdbus_devnode(const struct device *dev, umode_t *mode, kuid_t *uid,
			   kgid_t *gid)
#else
static char *kdbus_devnode(struct device *dev, umode_t *mode, kuid_t *uid,
			   kgid_t *gid)
#endif
{
	struct kdbus_node_dev *n =
		container_of(dev, struct kdbus_node_dev, dev);

	if (mode)
		*mode = n->mode;
	if (uid)
		*uid = n->uid;
	if (gid)
		*gid = n->gid;
	return kstrdup(n->path, GFP_KERNEL);
}

static const struct device_type kdbus_node_type = {
	.name = "kdbus",
	.devnode = kdbus_devnode,
};

static void kdbus_node_release(struct device *dev)
{
	kfree(container_of(dev, struct kdbus_node_dev, dev));
}

static struct kdbus_node_dev *kdbus_node_add(int minor, const char *path,
					     umode_t mode, kuid_t uid,
					     kgid_t gid)
{
	struct kdbus_node_dev *n;
	int ret;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return ERR_PTR(-ENOMEM);
	device_initialize(&n->dev);
	n->dev.class = kdbus_class;
	n->dev.type = &kdbus_node_type;
	n->dev.devt = MKDEV(MAJOR(kdbus_devt), minor);
	n->dev.release = kdbus_node_release;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	strscpy(n->path, path, sizeof(n->path));
	/* the sysfs name may not contain '/', devtmpfs uses n->path */
	ret = dev_set_name(&n->dev, "kdbus!%d", minor);
	if (!ret)
		ret = device_add(&n->dev);
	if (ret) {
		put_device(&n->dev);
		return ERR_PTR(ret);
	}
	return n;
}

static void kdbus_node_remove(struct kdbus_node_dev *n)
{
	device_del(&n->dev);
	put_device(&n->dev);
}

/* ---- buses ------------------------------------------------------------ */

static void kdbus_bus_release(struct kref *kref)
{
	struct kdbus_bus *bus = container_of(kref, struct kdbus_bus, kref);

	kdbus_meta_free(bus->meta);
	kfree(bus);
}

/**
 * kdbus_bus_put() - drop a bus reference
 * @bus:	bus, may be NULL
 */
void kdbus_bus_put(struct kdbus_bus *bus)
{
	if (bus)
		kref_put(&bus->kref, kdbus_bus_release);
}

/* Bus names: "<euid>-<suffix>", [A-Za-z0-9_], '-' and '.' not at the ends. */
static int kdbus_bus_name_check(const char *name)
{
	char prefix[16];
	size_t len = strlen(name), i;

	if (len > KDBUS_NAME_MAX_LEN)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (isalnum(c) || c == '_')
			continue;
		if ((c == '-' || c == '.') && i > 0 && i < len - 1)
			continue;
		return -EINVAL;
	}
	snprintf(prefix, sizeof(prefix), "%u-",
		 from_kuid(current_user_ns(), current_euid()));
	if (strncmp(name, prefix, strlen(prefix)) || len == strlen(prefix))
		return -EINVAL;
	return 0;
}

static const u64 kdbus_bus_make_items[] = {
	KDBUS_ITEM_NEGOTIATE,
	KDBUS_ITEM_MAKE_NAME,
	KDBUS_ITEM_BLOOM_PARAMETER,
	KDBUS_ITEM_ATTACH_FLAGS_SEND,
};

static int kdbus_cmd_bus_make(struct kdbus_handle *h, void __user *argp)
{
	struct kdbus_bloom_parameter *bloom = NULL;
	const char *name = NULL;
	struct kdbus_bus *bus = NULL, *b;
	struct kdbus_args a;
	struct kdbus_item *it;
	struct kdbus_cmd *cmd;
	u64 attach = 0;
	bool have_attach = false;
	unsigned int n_user = 0;
	char path[KDBUS_NAME_MAX_LEN + 16];
	umode_t mode;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(struct kdbus_cmd),
			       KDBUS_MAKE_ACCESS_GROUP |
				       KDBUS_MAKE_ACCESS_WORLD);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_bus_make_items,
			     ARRAY_SIZE(kdbus_bus_make_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;

	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		switch (it->type) {
		case KDBUS_ITEM_NEGOTIATE:
			break;
		case KDBUS_ITEM_MAKE_NAME:
			if (name || kdbus_item_string(it, &name))
				goto out;
			break;
		case KDBUS_ITEM_BLOOM_PARAMETER:
			if (bloom ||
			    kdbus_item_payload_size(it) != sizeof(*bloom))
				goto out;
			bloom = (void *)it->data;
			break;
		case KDBUS_ITEM_ATTACH_FLAGS_SEND:
			if (have_attach || kdbus_item_payload_size(it) != 8 ||
			    kdbus_check_attach(it->data[0]))
				goto out;
			have_attach = true;
			attach = kdbus_attach_norm(it->data[0]);
			break;
		default:
			goto out;
		}
	}
	if (!name || !bloom)
		goto out;
	if (bloom->size < KDBUS_BUS_BLOOM_MIN ||
	    bloom->size > KDBUS_BUS_BLOOM_MAX || bloom->size % 8 ||
	    bloom->n_hash < 1)
		goto out;
	ret = kdbus_bus_name_check(name);
	if (ret)
		goto out;

	ret = -ENOMEM;
	bus = kzalloc(sizeof(*bus), GFP_KERNEL);
	if (!bus)
		goto out;
	kref_init(&bus->kref);
	strscpy(bus->name, name, sizeof(bus->name));
	bus->flags = cmd->flags;
	bus->bloom_size = bloom->size;
	bus->bloom_n_hash = bloom->n_hash;
	generate_random_uuid(bus->id128);
	bus->uid = current_euid();
	bus->gid = current_egid();
	bus->id = kdbus_next_id();
	bus->attach_flags = attach;
	/* the creator's process items, for BUS_CREATOR_INFO (spec 24.2) */
	bus->meta = kdbus_meta_new();
	if (!bus->meta) {
		kfree(bus);
		goto out;
	}
	kdbus_meta_collect_proc(bus->meta, attach & KDBUS_ATTACH_PROC);
	init_rwsem(&bus->rwsem);
	hash_init(bus->conn_hash);
	hash_init(bus->name_hash);
	INIT_LIST_HEAD(&bus->conns);
	INIT_LIST_HEAD(&bus->policy);
	INIT_LIST_HEAD(&bus->monitors);
	INIT_LIST_HEAD(&bus->endpoints);

	mutex_lock(&kdbus_global_lock);
	list_for_each_entry (b, &kdbus_buses, entry) {
		if (!strcmp(b->name, bus->name)) {
			ret = -EEXIST;
			goto unlock;
		}
		if (uid_eq(b->uid, bus->uid))
			n_user++;
	}
	ret = -EMFILE;
	if (n_user >= KDBUS_USER_MAX_BUSES)
		goto unlock;
	ret = idr_alloc(&kdbus_minor_idr, bus, 1, KDBUS_MINORS, GFP_KERNEL);
	if (ret < 0) {
		ret = ret == -ENOSPC ? -EMFILE : ret;
		goto unlock;
	}
	bus->minor = ret;
	mode = 0600;
	if (bus->flags & (KDBUS_MAKE_ACCESS_GROUP | KDBUS_MAKE_ACCESS_WORLD))
		mode |= 0060;
	if (bus->flags & KDBUS_MAKE_ACCESS_WORLD)
		mode |= 0006;
	snprintf(path, sizeof(path), "kdbus/%s/bus", bus->name);
	bus->node = kdbus_node_add(bus->minor, path, mode, bus->uid, bus->gid);
	if (IS_ERR(bus->node)) {
		ret = PTR_ERR(bus->node);
		idr_remove(&kdbus_minor_idr, bus->minor);
		goto unlock;
	}
	list_add_tail(&bus->entry, &kdbus_buses);
	mutex_unlock(&kdbus_global_lock);

	h->bus = bus;
	/* publish h->bus before the type: pairs with smp_load_acquire()
	 * in kdbus_handle_type()
	 */
	smp_store_release(&h->type, KDBUS_HANDLE_BUS_OWNER);
	return kdbus_args_finish(&a, 0);
unlock:
	mutex_unlock(&kdbus_global_lock);
	kdbus_meta_free(bus->meta);
	kfree(bus);
out:
	return kdbus_args_finish(&a, ret);
}

/* ---- custom endpoints (spec 31) ----------------------------------------- */

static void kdbus_ep_release(struct kref *kref)
{
	struct kdbus_ep *ep = container_of(kref, struct kdbus_ep, kref);

	/* no connection refers to it any more: nobody reads the policy */
	kdbus_policy_remove_owner(&ep->policy, ep);
	kdbus_bus_put(ep->bus);
	kfree(ep);
}

/**
 * kdbus_ep_get() - take an endpoint reference
 * @ep:		endpoint
 */
void kdbus_ep_get(struct kdbus_ep *ep)
{
	kref_get(&ep->kref);
}

/**
 * kdbus_ep_put() - drop an endpoint reference
 * @ep:		endpoint, may be NULL
 */
void kdbus_ep_put(struct kdbus_ep *ep)
{
	if (ep)
		kref_put(&ep->kref, kdbus_ep_release);
}

/* Disconnect, one at a time, every connection of @list that @pick wants. */
static void kdbus_bus_disconnect_all(struct kdbus_bus *bus,
				     struct list_head *list,
				     struct kdbus_ep *only)
{
	struct kdbus_conn *conn, *c;

	for (;;) {
		conn = NULL;
		down_read(&bus->rwsem);
		list_for_each_entry (c, list, bus_entry) {
			if (only && c->ep != only)
				continue;
			if (READ_ONCE(c->dead))
				continue;
			conn = c;
			kdbus_conn_get(conn);
			break;
		}
		up_read(&bus->rwsem);
		if (!conn)
			break;
		kdbus_conn_disconnect(conn, false);
		kdbus_conn_put(conn);
		cond_resched();
	}
}

/* Remove @ep's node; its connections are disconnected (spec 31.2 r3). */
static void kdbus_ep_shutdown(struct kdbus_ep *ep)
{
	struct kdbus_bus *bus = ep->bus;
	struct kdbus_node_dev *node;

	mutex_lock(&kdbus_global_lock);
	node = ep->node;
	ep->node = NULL;
	if (node)
		idr_remove(&kdbus_minor_idr, ep->minor);
	mutex_unlock(&kdbus_global_lock);
	if (node)
		kdbus_node_remove(node);
	down_write(&bus->rwsem);
	if (!ep->dead) {
		ep->dead = true;
		list_del_init(&ep->entry);
	}
	up_write(&bus->rwsem);
	kdbus_bus_disconnect_all(bus, &bus->conns, ep);
}

static const u64 kdbus_ep_make_items[] = {
	KDBUS_ITEM_NEGOTIATE,
	KDBUS_ITEM_MAKE_NAME,
	KDBUS_ITEM_NAME,
	KDBUS_ITEM_POLICY_ACCESS,
};

static int kdbus_cmd_ep_make(struct kdbus_handle *h, void __user *argp)
{
	struct kdbus_bus *bus = h->bus;
	const char *name = NULL;
	struct kdbus_ep *ep = NULL, *e;
	unsigned int n_policy;
	struct kdbus_item *it;
	struct kdbus_cmd *cmd;
	struct kdbus_args a;
	LIST_HEAD(policy);
	char path[2 * KDBUS_NAME_MAX_LEN + 16];
	umode_t mode;
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(struct kdbus_cmd),
			       KDBUS_MAKE_ACCESS_GROUP |
				       KDBUS_MAKE_ACCESS_WORLD);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_ep_make_items,
			     ARRAY_SIZE(kdbus_ep_make_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	cmd = a.buf;
	ret = -EINVAL;
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		switch (it->type) {
		case KDBUS_ITEM_NEGOTIATE:
		case KDBUS_ITEM_NAME:
		case KDBUS_ITEM_POLICY_ACCESS:
			break;
		case KDBUS_ITEM_MAKE_NAME:
			if (name || kdbus_item_string(it, &name))
				goto out;
			break;
		default:
			goto out;
		}
	}
	if (!name)
		goto out;
	ret = kdbus_policy_parse(a.items, a.items_size, false, true, &policy,
				 &n_policy);
	if (ret)
		goto out;
	/* same rules as bus names: "<euid>-<suffix>" (spec 31.1) */
	ret = kdbus_bus_name_check(name);
	if (ret)
		goto out;
	ret = -EPERM;
	if (h->ep ||
	    !(uid_eq(current_euid(), bus->uid) || capable(CAP_IPC_OWNER)))
		goto out;

	ret = -ENOMEM;
	ep = kzalloc(sizeof(*ep), GFP_KERNEL);
	if (!ep)
		goto out;
	kref_init(&ep->kref);
	kref_get(&bus->kref);
	ep->bus = bus;
	INIT_LIST_HEAD(&ep->entry);
	INIT_LIST_HEAD(&ep->policy);
	ep->uid = current_euid();
	strscpy(ep->name, name, sizeof(ep->name));
	kdbus_policy_install(&ep->policy, &policy, ep, false);

	down_write(&bus->rwsem);
	ret = -ESHUTDOWN;
	if (bus->dead)
		goto unlock;
	ret = -EEXIST;
	list_for_each_entry (e, &bus->endpoints, entry)
		if (!strcmp(e->name, ep->name))
			goto unlock;
	/* a bus cannot be dropped while we hold the rwsem: publish */
	list_add_tail(&ep->entry, &bus->endpoints);
	up_write(&bus->rwsem);

	mutex_lock(&kdbus_global_lock);
	ret = idr_alloc(&kdbus_minor_idr,
			(void *)((unsigned long)ep | KDBUS_MINOR_EP), 1,
			KDBUS_MINORS, GFP_KERNEL);
	if (ret < 0) {
		mutex_unlock(&kdbus_global_lock);
		ret = ret == -ENOSPC ? -EMFILE : ret;
		goto unpublish;
	}
	ep->minor = ret;
	mode = 0600;
	if (cmd->flags & (KDBUS_MAKE_ACCESS_GROUP | KDBUS_MAKE_ACCESS_WORLD))
		mode |= 0060;
	if (cmd->flags & KDBUS_MAKE_ACCESS_WORLD)
		mode |= 0006;
	snprintf(path, sizeof(path), "kdbus/%s/%s", bus->name, ep->name);
	ep->node = kdbus_node_add(ep->minor, path, mode, current_euid(),
				  current_fsgid());
	if (IS_ERR(ep->node)) {
		ret = PTR_ERR(ep->node);
		ep->node = NULL;
		idr_remove(&kdbus_minor_idr, ep->minor);
		mutex_unlock(&kdbus_global_lock);
		goto unpublish;
	}
	mutex_unlock(&kdbus_global_lock);
	h->ep = ep;
	smp_store_release(&h->type, KDBUS_HANDLE_EP_OWNER);
	return kdbus_args_finish(&a, 0);

unpublish:
	down_write(&bus->rwsem);
	list_del_init(&ep->entry);
	up_write(&bus->rwsem);
	kdbus_ep_put(ep);
	goto out;
unlock:
	up_write(&bus->rwsem);
	kdbus_ep_put(ep);
out:
	kdbus_policy_free_list(&policy);
	return kdbus_args_finish(&a, ret);
}

static const u64 kdbus_ep_update_items[] = {
	KDBUS_ITEM_NEGOTIATE,
	KDBUS_ITEM_NAME,
	KDBUS_ITEM_POLICY_ACCESS,
};

/* ENDPOINT_UPDATE (spec 31.3): replace the endpoint database. */
static int kdbus_cmd_ep_update(struct kdbus_ep *ep, void __user *argp)
{
	unsigned int n_policy;
	struct kdbus_item *it;
	struct kdbus_args a;
	LIST_HEAD(policy);
	int ret;

	ret = kdbus_args_parse(&a, argp, sizeof(struct kdbus_cmd), 0);
	if (ret < 0)
		return ret;
	kdbus_args_negotiate(&a, kdbus_ep_update_items,
			     ARRAY_SIZE(kdbus_ep_update_items));
	if (ret)
		return kdbus_args_finish(&a, 0);
	kdbus_items_foreach(it, a.items, a.items_size)
	{
		if (it->type != KDBUS_ITEM_NEGOTIATE &&
		    it->type != KDBUS_ITEM_NAME &&
		    it->type != KDBUS_ITEM_POLICY_ACCESS)
			return kdbus_args_finish(&a, -EINVAL);
	}
	ret = kdbus_policy_parse(a.items, a.items_size, false, true, &policy,
				 &n_policy);
	if (ret)
		return kdbus_args_finish(&a, ret);
	down_write(&ep->bus->rwsem);
	kdbus_policy_install(&ep->policy, &policy, ep, false);
	up_write(&ep->bus->rwsem);
	kdbus_policy_free_list(&policy);
	return kdbus_args_finish(&a, 0);
}

/* The owner's descriptor closed: the bus dies with every connection. */
static void kdbus_bus_shutdown(struct kdbus_bus *bus)
{
	struct kdbus_ep *ep;

	mutex_lock(&kdbus_global_lock);
	list_del(&bus->entry);
	idr_remove(&kdbus_minor_idr, bus->minor);
	mutex_unlock(&kdbus_global_lock);
	kdbus_node_remove(bus->node);

	down_write(&bus->rwsem);
	bus->dead = true;
	up_write(&bus->rwsem);

	/* endpoint nodes go with the bus; their owners still hold them */
	for (;;) {
		down_read(&bus->rwsem);
		ep = list_first_entry_or_null(&bus->endpoints, struct kdbus_ep,
					      entry);
		if (ep)
			kdbus_ep_get(ep);
		up_read(&bus->rwsem);
		if (!ep)
			break;
		kdbus_ep_shutdown(ep);
		kdbus_ep_put(ep);
	}
	/* disconnect one at a time: disconnecting takes the rwsem itself */
	kdbus_bus_disconnect_all(bus, &bus->conns, NULL);
	kdbus_bus_disconnect_all(bus, &bus->monitors, NULL);
}

/* ---- descriptors -------------------------------------------------------- */

static int kdbus_open(struct inode *inode, struct file *file)
{
	struct kdbus_handle *h;
	unsigned int minor = iminor(inode);
	struct kdbus_bus *bus = NULL;

	struct kdbus_ep *ep = NULL;

	if (minor) {
		void *p;

		mutex_lock(&kdbus_global_lock);
		p = idr_find(&kdbus_minor_idr, minor);
		if ((unsigned long)p & KDBUS_MINOR_EP) {
			ep = (void *)((unsigned long)p & ~KDBUS_MINOR_EP);
			kdbus_ep_get(ep);
			bus = ep->bus;
		} else {
			bus = p;
		}
		if (bus)
			kref_get(&bus->kref);
		mutex_unlock(&kdbus_global_lock);
		if (!bus)
			return -ESHUTDOWN;
	}
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		kdbus_ep_put(ep);
		kdbus_bus_put(bus);
		return -ENOMEM;
	}
	mutex_init(&h->lock);
	h->control = !minor;
	h->bus = bus;
	h->ep = ep;
	file->private_data = h;
	return stream_open(inode, file);
}

static int kdbus_release(struct inode *inode, struct file *file)
{
	struct kdbus_handle *h = file->private_data;

	switch (h->type) {
	case KDBUS_HANDLE_BUS_OWNER:
		kdbus_bus_shutdown(h->bus);
		kdbus_bus_put(h->bus);
		break;
	case KDBUS_HANDLE_EP_OWNER:
		kdbus_ep_shutdown(h->ep);
		kdbus_ep_put(h->ep);
		kdbus_bus_put(h->bus);
		break;
	case KDBUS_HANDLE_CONN:
		kdbus_conn_disconnect(h->conn, false);
		kdbus_conn_put(h->conn);
		kdbus_ep_put(h->ep);
		kdbus_bus_put(h->bus);
		break;
	default:
		kdbus_ep_put(h->ep);
		kdbus_bus_put(h->bus);
		break;
	}
	kfree(h);
	return 0;
}

static enum kdbus_handle_type kdbus_handle_type(struct kdbus_handle *h)
{
	/* ioctls run without h->lock: see h->bus / h->conn once typed */
	return smp_load_acquire(&h->type);
}

static long kdbus_ioctl_conn(struct kdbus_conn *conn, unsigned int cmd,
			     void __user *argp)
{
	/* what each kind may call (spec 23.1) */
	switch (cmd) {
	case KDBUS_CMD_SEND:
		if (!kdbus_conn_ordinary(conn))
			return -EOPNOTSUPP;
		return kdbus_cmd_send(conn, argp);
	case KDBUS_CMD_RECV:
		if (conn->flags & KDBUS_HELLO_POLICY_HOLDER)
			return -EOPNOTSUPP;
		return kdbus_cmd_recv(conn, argp);
	case KDBUS_CMD_FREE:
		return kdbus_cmd_free(conn, argp);
	case KDBUS_CMD_BYEBYE:
		return kdbus_cmd_byebye(conn, argp);
	case KDBUS_CMD_UPDATE:
		return kdbus_cmd_update(conn, argp);
	case KDBUS_CMD_MATCH_ADD:
		if (!kdbus_conn_ordinary(conn))
			return -EOPNOTSUPP;
		return kdbus_cmd_match_add(conn, argp);
	case KDBUS_CMD_MATCH_REMOVE:
		if (!kdbus_conn_ordinary(conn))
			return -EOPNOTSUPP;
		return kdbus_cmd_match_remove(conn, argp);
	case KDBUS_CMD_NAME_ACQUIRE:
		return kdbus_cmd_name_acquire(conn, argp);
	case KDBUS_CMD_NAME_RELEASE:
		return kdbus_cmd_name_release(conn, argp);
	case KDBUS_CMD_CONN_INFO:
		return kdbus_cmd_conn_info(conn, argp);
	case KDBUS_CMD_BUS_CREATOR_INFO:
		return kdbus_cmd_bus_creator_info(conn, argp);
	case KDBUS_CMD_LIST:
		return kdbus_cmd_list(conn, argp);
	}
	return -EBADFD;
}

static bool kdbus_cmd_known(unsigned int cmd)
{
	switch (cmd) {
	case KDBUS_CMD_BUS_MAKE:
	case KDBUS_CMD_ENDPOINT_MAKE:
	case KDBUS_CMD_ENDPOINT_UPDATE:
	case KDBUS_CMD_HELLO:
	case KDBUS_CMD_UPDATE:
	case KDBUS_CMD_BYEBYE:
	case KDBUS_CMD_FREE:
	case KDBUS_CMD_CONN_INFO:
	case KDBUS_CMD_BUS_CREATOR_INFO:
	case KDBUS_CMD_LIST:
	case KDBUS_CMD_SEND:
	case KDBUS_CMD_RECV:
	case KDBUS_CMD_NAME_ACQUIRE:
	case KDBUS_CMD_NAME_RELEASE:
	case KDBUS_CMD_MATCH_ADD:
	case KDBUS_CMD_MATCH_REMOVE:
		return true;
	}
	return false;
}

static long kdbus_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kdbus_handle *h = file->private_data;
	void __user *argp = (void __user *)arg;
	struct kdbus_conn *conn;
	long ret;

	if (!kdbus_cmd_known(cmd))
		return -ENOTTY;

	switch (kdbus_handle_type(h)) {
	case KDBUS_HANDLE_CONN:
		return kdbus_ioctl_conn(h->conn, cmd, argp);
	case KDBUS_HANDLE_EP_OWNER:
		if (cmd == KDBUS_CMD_ENDPOINT_UPDATE)
			return kdbus_cmd_ep_update(h->ep, argp);
		return -EBADFD;
	case KDBUS_HANDLE_BUS_OWNER:
		return -EBADFD;
	case KDBUS_HANDLE_NONE:
		break;
	}

	if (cmd == KDBUS_CMD_BUS_MAKE && h->control) {
		mutex_lock(&h->lock);
		ret = h->type == KDBUS_HANDLE_NONE ? kdbus_cmd_bus_make(h, argp)
						   : -EBADFD;
		mutex_unlock(&h->lock);
		return ret;
	}
	if (cmd == KDBUS_CMD_HELLO && !h->control) {
		mutex_lock(&h->lock);
		if (h->type != KDBUS_HANDLE_NONE) {
			ret = -EBADFD;
		} else {
			ret = kdbus_cmd_hello(h->bus, h->ep, argp, &conn);
			if (ret == 0 && conn) {
				h->conn = conn;
				/* h->conn before the type, as for owners */
				smp_store_release(&h->type, KDBUS_HANDLE_CONN);
			}
		}
		mutex_unlock(&h->lock);
		return ret;
	}
	if (cmd == KDBUS_CMD_ENDPOINT_MAKE && !h->control) {
		mutex_lock(&h->lock);
		ret = h->type == KDBUS_HANDLE_NONE ? kdbus_cmd_ep_make(h, argp)
						   : -EBADFD;
		mutex_unlock(&h->lock);
		return ret;
	}
	return -EBADFD;
}

static __poll_t kdbus_poll(struct file *file, poll_table *wait)
{
	struct kdbus_handle *h = file->private_data;

	if (kdbus_handle_type(h) != KDBUS_HANDLE_CONN)
		return EPOLLERR | EPOLLHUP;
	return kdbus_conn_poll(h->conn, file, wait);
}

static int kdbus_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kdbus_handle *h = file->private_data;

	if (kdbus_handle_type(h) != KDBUS_HANDLE_CONN)
		return -EBADFD;
	return kdbus_pool_mmap(&h->conn->pool, vma);
}

static const struct file_operations kdbus_fops = {
	.owner = THIS_MODULE,
	.open = kdbus_open,
	.release = kdbus_release,
	.unlocked_ioctl = kdbus_ioctl,
	.compat_ioctl = compat_ptr_ioctl, /* identical layouts, spec 3.6 */
	.poll = kdbus_poll,
	.mmap = kdbus_mmap,
	.llseek = noop_llseek,
};

/**
 * kdbus_file_is_kdbus() - is @f one of our nodes (spec 28.2 rule 3)
 * @f:		file
 *
 * Return: true for control, endpoint, owner and connection descriptors.
 */
bool kdbus_file_is_kdbus(struct file *f)
{
	return f->f_op == &kdbus_fops;
}

static int __init kdbus_init(void)
{
	int ret;

	ret = kdbus_pool_module_init();
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&kdbus_devt, 0, KDBUS_MINORS, "kdbus");
	if (ret)
		goto err_pool;
	cdev_init(&kdbus_cdev, &kdbus_fops);
	kdbus_cdev.owner = THIS_MODULE;
	ret = cdev_add(&kdbus_cdev, kdbus_devt, KDBUS_MINORS);
	if (ret)
		goto err_region;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	kdbus_class = class_create("kdbus");
#else
	kdbus_class = class_create(THIS_MODULE, "kdbus");
#endif
	if (IS_ERR(kdbus_class)) {
		ret = PTR_ERR(kdbus_class);
		goto err_cdev;
	}
	kdbus_control_node = kdbus_node_add(0, "kdbus/control", 0666,
					    GLOBAL_ROOT_UID, GLOBAL_ROOT_GID);
	if (IS_ERR(kdbus_control_node)) {
		ret = PTR_ERR(kdbus_control_node);
		goto err_class;
	}
	pr_info("kdbus: ipcbench kdbus ABI loaded (/dev/kdbus)\n");
	return 0;

err_class:
	class_destroy(kdbus_class);
err_cdev:
	cdev_del(&kdbus_cdev);
err_region:
	unregister_chrdev_region(kdbus_devt, KDBUS_MINORS);
err_pool:
	kdbus_pool_module_exit();
	return ret;
}

static void __exit kdbus_exit(void)
{
	/* every bus holds an open owner fd, which pins the module */
	kdbus_node_remove(kdbus_control_node);
	class_destroy(kdbus_class);
	cdev_del(&kdbus_cdev);
	unregister_chrdev_region(kdbus_devt, KDBUS_MINORS);
	idr_destroy(&kdbus_minor_idr);
	kdbus_pool_module_exit();
}

module_init(kdbus_init);
module_exit(kdbus_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ipcbench: independent implementation of the kdbus ABI");
MODULE_AUTHOR("ipcbench");
