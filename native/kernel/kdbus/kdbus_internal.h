/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared state of our kdbus ABI module.
 *
 * Locking, outermost first:
 *   kdbus_global_lock (mutex)  bus list, minor table
 *   bus->rwsem                 connection table, name registry, every
 *                              connection's match list and name list
 *   conn->lock (mutex)         that connection's queue, pool allocator,
 *                              quota counters, reply trackers it made,
 *                              dead flag
 * Never two conn->lock at once; payload copies into a pool run with no lock
 * held (they fault on the sender's memory), only the slice is reserved.
 */
#ifndef KDBUS_INTERNAL_H
#define KDBUS_INTERNAL_H

#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kdbus-uapi.h"

#define KDBUS_MINORS 1024
#define KDBUS_POOL_MAX (1ULL << 30) /* spec: MUST accept >= 64 MiB */

/* ---- parse.c ---------------------------------------------------------- */

/*
 * One parsed command: the kernel copy of the user's struct plus where its
 * items and the optional NEGOTIATE item are, so the handler can write back.
 */
struct kdbus_args {
	void __user *uptr;
	void *buf; /* kernel copy; 'size' bytes, zero padded to 8 */
	u64 size;
	size_t fixed; /* sizeof the fixed part */
	struct kdbus_item *items;
	size_t items_size;
	struct kdbus_item *negotiate;
	bool allocated;	       /* buf came from kmalloc, not the caller */
	bool negotiating;      /* KDBUS_FLAG_NEGOTIATE was set */
	bool has_return_flags; /* commands yes, struct kdbus_msg no */
	u8 stack[128];	       /* enough for a call with one vector */
};

#define kdbus_item_payload_size(it) ((it)->size - KDBUS_ITEM_HEADER_SIZE)
#define kdbus_item_next(it) \
	((struct kdbus_item *)((u8 *)(it) + KDBUS_ALIGN8((it)->size)))
#define kdbus_items_foreach(it, first, len)                      \
	for ((it) = (first); (u8 *)(it) < (u8 *)(first) + (len); \
	     (it) = kdbus_item_next(it))

int kdbus_args_parse(struct kdbus_args *a, void __user *uptr, size_t fixed,
		     u64 valid_flags);
int kdbus_args_parse_msg(struct kdbus_args *a, void __user *uptr,
			 u64 valid_flags);
int kdbus_args_finish(struct kdbus_args *a, int ret);
void kdbus_args_negotiate(struct kdbus_args *a, const u64 *types, size_t n);
int kdbus_item_string(const struct kdbus_item *it, const char **str);
bool kdbus_name_is_valid(const char *name, size_t len);
int kdbus_check_attach(u64 v);
u64 kdbus_attach_norm(u64 v);

/* ---- pool.c ----------------------------------------------------------- */

struct kdbus_slice {
	struct list_head entry; /* pool->slices, ordered by offset */
	struct rb_node node;	/* free tree (by size) or busy tree (by off) */
	size_t off;
	size_t size;
	bool free;
	bool user;	  /* published to userspace, released by FREE */
	bool peeked;	  /* queued, shown by PEEK: FREE only unmarks */
	kuid_t quota_uid; /* quota-counted: the sending user */
};

struct kdbus_pool {
	struct file *f; /* shmem backing, owned */
	size_t size;
	struct list_head slices;
	struct rb_root free_tree;
	struct rb_root busy_tree;
};

int kdbus_pool_init(struct kdbus_pool *pool, size_t size);
void kdbus_pool_deinit(struct kdbus_pool *pool);
struct kdbus_slice *kdbus_pool_alloc(struct kdbus_pool *pool, size_t size);
void kdbus_pool_release(struct kdbus_pool *pool, struct kdbus_slice *s);
struct kdbus_slice *kdbus_pool_find(struct kdbus_pool *pool, size_t off);
int kdbus_pool_write_kvec(struct kdbus_pool *pool, size_t off, const void *buf,
			  size_t len);
int kdbus_pool_write_iter(struct kdbus_pool *pool, size_t off,
			  struct iov_iter *iter);
int kdbus_pool_mmap(struct kdbus_pool *pool, struct vm_area_struct *vma);
bool kdbus_file_is_shmem(struct file *f);
bool kdbus_file_is_kdbus(struct file *f);
int kdbus_pool_module_init(void);
void kdbus_pool_module_exit(void);

/* ---- meta.c ----------------------------------------------------------- */

/* I of spec 24.3: attached whenever the receiver asks */
#define KDBUS_ATTACH_IMPLICIT                                              \
	(KDBUS_ATTACH_TIMESTAMP | KDBUS_ATTACH_CREDS | KDBUS_ATTACH_PIDS | \
	 KDBUS_ATTACH_NAMES | KDBUS_ATTACH_CONN_DESCRIPTION)
/* the items taken from the task rather than the connection */
#define KDBUS_ATTACH_PROC                                                   \
	(KDBUS_ATTACH_CREDS | KDBUS_ATTACH_PIDS | KDBUS_ATTACH_AUXGROUPS |  \
	 KDBUS_ATTACH_TID_COMM | KDBUS_ATTACH_PID_COMM | KDBUS_ATTACH_EXE | \
	 KDBUS_ATTACH_CMDLINE | KDBUS_ATTACH_CGROUP | KDBUS_ATTACH_CAPS |   \
	 KDBUS_ATTACH_SECLABEL | KDBUS_ATTACH_AUDIT)

/* The namespaces a receiver pinned at HELLO (spec 24.5 rule 1). */
struct kdbus_nsctx {
	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
	struct path root;
};

struct kdbus_meta {
	u64 collected; /* attach bits looked at */
	struct kdbus_timestamp ts;
	const struct cred *cred; /* CREDS, AUXGROUPS, CAPS */
	struct pid *pid, *tid, *ppid;
	char tid_comm[TASK_COMM_LEN];
	char pid_comm[TASK_COMM_LEN];
	char *exe; /* relative to root */
	struct path root;
	bool have_root;
	char *cmdline;
	size_t cmdline_len;
	char *cgroup;
	char *seclabel;
	bool have_audit;
	kuid_t loginuid;
	u32 sessionid;
	bool faked_creds, faked_pids; /* HELLO CREDS / PIDS (spec 24.4) */
	kuid_t fake_uid[4];
	kgid_t fake_gid[4];
	u8 *names; /* packed struct kdbus_name, 8-aligned */
	size_t names_len;
	char description[KDBUS_NAME_MAX_LEN + 1];
	/* emission cache */
	void *emit_buf;
	size_t emit_size, emit_len;
	u64 emit_mask;
	struct kdbus_nsctx emit_ns;
};

struct kdbus_conn;

u64 kdbus_meta_seqnum(void);
u64 kdbus_meta_module_mask(void);
u64 kdbus_meta_msg_mask(const struct kdbus_conn *dst,
			const struct kdbus_conn *src);
struct kdbus_meta *kdbus_meta_new(void);
void kdbus_meta_free(struct kdbus_meta *m);
int kdbus_meta_collect_proc(struct kdbus_meta *m, u64 mask);
int kdbus_meta_copy_faked(struct kdbus_meta *m, const struct kdbus_meta *src,
			  u64 mask);
int kdbus_meta_collect_conn(struct kdbus_meta *m, struct kdbus_conn *conn,
			    u64 mask);
size_t kdbus_meta_write_buf(const struct kdbus_meta *m, u64 mask,
			    const struct kdbus_nsctx *ns, void *buf);
int kdbus_meta_emit(struct kdbus_meta *m, u64 mask,
		    const struct kdbus_nsctx *ns, const void **out,
		    size_t *len);
void kdbus_nsctx_init(struct kdbus_nsctx *ns);
void kdbus_nsctx_put(struct kdbus_nsctx *ns);

/* ---- main.c: buses ---------------------------------------------------- */

struct kdbus_node_dev;

struct kdbus_bus {
	struct kref kref;
	struct list_head entry; /* kdbus_buses */
	char name[KDBUS_NAME_MAX_LEN + 1];
	u64 flags; /* BUS_MAKE flags, returned by HELLO */
	u64 bloom_size;
	u64 bloom_n_hash;
	u8 id128[16];
	kuid_t uid;
	kgid_t gid;
	int minor;
	struct kdbus_node_dev *node;
	u64 id;			 /* from the connection ID counter */
	u64 attach_flags;	 /* B: BUS_MAKE ATTACH_FLAGS_SEND */
	struct kdbus_meta *meta; /* the creator, at BUS_MAKE */

	struct rw_semaphore rwsem;
	bool dead; /* under rwsem */
	DECLARE_HASHTABLE(conn_hash, 8);
	struct list_head conns;
	unsigned int n_conns;
	DECLARE_HASHTABLE(name_hash, 6);
	struct list_head policy;    /* bus database (spec 30.2) */
	struct list_head monitors;  /* monitor connections (spec 32.4) */
	unsigned int n_monitors;    /* read without the lock by SEND */
	struct list_head endpoints; /* custom endpoints (spec 31) */
};

/* A custom endpoint (spec 31); its owner descriptor holds one reference. */
struct kdbus_ep {
	struct kref kref;
	struct kdbus_bus *bus;	 /* ref held */
	struct list_head entry;	 /* bus->endpoints, under bus->rwsem */
	struct list_head policy; /* endpoint database, under bus->rwsem */
	bool dead;		 /* under bus->rwsem */
	int minor;
	struct kdbus_node_dev *node;
	kuid_t uid;
	char name[KDBUS_NAME_MAX_LEN + 1];
};

void kdbus_ep_get(struct kdbus_ep *ep);
void kdbus_ep_put(struct kdbus_ep *ep);

void kdbus_bus_put(struct kdbus_bus *bus);
u64 kdbus_next_id(void);

/* ---- conn.c ------------------------------------------------------------ */

enum kdbus_reply_state {
	KDBUS_REPLY_PENDING, /* on caller->replies, waiting */
	KDBUS_REPLY_CLAIMED, /* a replier is copying (sync: still linked) */
	KDBUS_REPLY_DONE,    /* result (or error) filled in */
};

/* A pending call, owned by the caller's list (one ref) and by whoever is
 * working on it (one ref each).
 */
struct kdbus_reply {
	struct kref kref;
	struct list_head entry; /* caller->replies */
	u64 callee_id;
	u64 cookie;
	u64 deadline_ns;
	bool sync;
	bool interrupted;	      /* sync wait hit a signal (spec 29.5) */
	bool linked;		      /* on caller->replies, under its lock */
	enum kdbus_reply_state state; /* under caller->lock */
	int err;
	struct kdbus_queue_entry
		*msg;		   /* sync: the reply, in the caller's pool */
	struct kdbus_conn *notify; /* async, being notified: caller (ref) */
};

struct kdbus_queue_entry {
	struct list_head entry;
	struct kdbus_slice *slice;
	u64 msg_size;
	bool quota;   /* counted against the sender quota */
	s64 priority; /* the sender's; kernel messages 0 */
	u64 call_src; /* a call: its caller's ID, else 0 */
	u64 call_cookie;
	unsigned int n_fds; /* FDS item (spec 28) */
	struct file *fds[KDBUS_MSG_MAX_FDS];
	size_t fds_pos;		    /* of the FDS payload in the message */
	struct kdbus_conn *fds_dst; /* whose in-flight count it holds */
	unsigned int n_memfds;
	struct file *memfds[KDBUS_MSG_MAX_MEMFD_ITEMS];
	size_t memfd_pos[KDBUS_MSG_MAX_MEMFD_ITEMS]; /* of kdbus_memfd.fd */
	char *dst_name; /* sent by a name with an activator (spec 32.3) */
};

/* Queued messages of one sending user at one destination (spec 8.4 r3). */
struct kdbus_quota_user {
	struct list_head entry;
	kuid_t uid;
	unsigned int msgs;
};

struct kdbus_conn {
	struct kref kref;
	struct kdbus_bus *bus; /* ref held */
	u64 id;
	u64 flags;
	u64 attach_send;
	u64 attach_recv;
	kuid_t uid;
	kuid_t acct_uid;	 /* charged: the opener's real uid */
	bool privileged;	 /* bus owner or CAP_IPC_OWNER */
	bool faked;		 /* HELLO CREDS/PIDS/SECLABEL (spec 24.4) */
	const struct cred *cred; /* at HELLO: policy decisions (spec 30) */
	struct kdbus_ep *ep;	 /* custom endpoint (ref), or NULL */
	char description[KDBUS_NAME_MAX_LEN + 1];
	struct kdbus_nsctx ns;	 /* pinned at HELLO */
	struct kdbus_meta *meta; /* HELLO snapshot, for CONN_INFO */

	/* under bus->rwsem */
	struct hlist_node hentry;
	struct list_head bus_entry;
	bool linked;
	struct list_head matches;
	unsigned int n_matches;
	struct list_head names;
	unsigned int n_names;

	/* under lock */
	struct mutex lock;
	bool dead;
	struct kdbus_pool pool;
	struct list_head queue;
	unsigned int queue_len;	      /* entries on queue (poll reads it) */
	unsigned int quota_msgs;      /* reserved or queued user messages */
	struct list_head quota_users; /* kdbus_quota_user: per sending uid */
	size_t quota_bytes;
	u64 dropped;
	unsigned int fds_inflight; /* FDS queued here (spec 28.2 rule 7) */
	struct list_head replies;  /* calls this connection made */
	unsigned int n_replies;
	u64 next_deadline; /* earliest async deadline armed */

	wait_queue_head_t wait;
	struct delayed_work timeout_work;
};

#define KDBUS_HELLO_ROLES                                    \
	(KDBUS_HELLO_ACTIVATOR | KDBUS_HELLO_POLICY_HOLDER | \
	 KDBUS_HELLO_MONITOR)

static inline bool kdbus_conn_ordinary(const struct kdbus_conn *c)
{
	return !(c->flags & KDBUS_HELLO_ROLES);
}

int kdbus_cmd_hello(struct kdbus_bus *bus, struct kdbus_ep *ep,
		    void __user *argp, struct kdbus_conn **out);
void kdbus_conn_get(struct kdbus_conn *conn);
void kdbus_conn_put(struct kdbus_conn *conn);
int kdbus_conn_disconnect(struct kdbus_conn *conn, bool ensure_empty);
int kdbus_conn_check(struct kdbus_conn *conn);
struct kdbus_conn *kdbus_bus_find_conn(struct kdbus_bus *bus, u64 id);
int kdbus_cmd_byebye(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_update(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_free(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_recv(struct kdbus_conn *conn, void __user *argp);
__poll_t kdbus_conn_poll(struct kdbus_conn *conn, struct file *file,
			 poll_table *wait);
void kdbus_reply_put(struct kdbus_reply *r);
void kdbus_conn_arm_timeout(struct kdbus_conn *conn, u64 deadline);
void kdbus_conn_timeout_work(struct work_struct *work);
void kdbus_notify_reply(struct kdbus_conn *caller, u64 cookie, u64 type);
void kdbus_conn_drop_call(struct kdbus_conn *callee, u64 caller_id, u64 cookie);
int kdbus_conn_reserve(struct kdbus_conn *dst, size_t size, bool quota,
		       kuid_t sender, struct kdbus_slice **out);
void kdbus_conn_cancel(struct kdbus_conn *dst, struct kdbus_slice *s,
		       bool quota);
int kdbus_conn_enqueue(struct kdbus_conn *dst, struct kdbus_queue_entry *e);
void kdbus_conn_lost(struct kdbus_conn *dst);
void kdbus_queue_entry_free(struct kdbus_queue_entry *e);
u64 kdbus_recv_install(struct kdbus_conn *conn, struct kdbus_queue_entry *e);
void kdbus_conn_move_msgs(struct kdbus_conn *from, struct kdbus_conn *to,
			  const char *name, struct list_head *dead);
void kdbus_conn_move_finish(struct kdbus_conn *from, struct list_head *dead);
int kdbus_pool_read(struct kdbus_pool *pool, size_t off, void *buf, size_t len);

/* ---- send.c ------------------------------------------------------------ */

int kdbus_cmd_send(struct kdbus_conn *conn, void __user *argp);

/* ---- match.c ----------------------------------------------------------- */

bool kdbus_match_kernel(struct kdbus_conn *dst, const struct kdbus_item *n);

/* ---- names.c ----------------------------------------------------------- */

/* A registered well-known name: exists while it has owners. */
struct kdbus_name_entry {
	struct hlist_node hentry; /* bus->name_hash */
	struct list_head owners;  /* kdbus_name_owner; primary first */
	u32 hash;
	char name[];
};

/* One connection's entry in a name's owner list (spec 25.1). */
struct kdbus_name_owner {
	struct list_head name_entry; /* name->owners */
	struct list_head conn_entry; /* conn->names, acquisition order */
	struct kdbus_name_entry *name;
	struct kdbus_conn *conn; /* no ref: unlinked before it dies */
	u64 flags;		 /* stored ALLOW_REPLACEMENT | QUEUE */
};

static inline struct kdbus_name_owner *
kdbus_name_first(struct kdbus_name_entry *n)
{
	return list_first_entry(&n->owners, struct kdbus_name_owner,
				name_entry);
}

static inline struct kdbus_conn *kdbus_name_primary(struct kdbus_name_entry *n)
{
	return kdbus_name_first(n)->conn;
}

static inline bool kdbus_name_owner_primary(struct kdbus_name_owner *o)
{
	return kdbus_name_first(o->name) == o;
}

/* The activator's entry of @n (always last, spec 25.1 rule 3), or NULL. */
static inline struct kdbus_name_owner *
kdbus_name_activator(struct kdbus_name_entry *n)
{
	struct kdbus_name_owner *o = list_last_entry(
		&n->owners, struct kdbus_name_owner, name_entry);

	return (o->flags & KDBUS_NAME_ACTIVATOR) ? o : NULL;
}

/* ---- policy.c ---------------------------------------------------------- */

void kdbus_policy_free_list(struct list_head *list);
int kdbus_policy_parse(struct kdbus_item *items, size_t size, bool wildcards,
		       bool need_access, struct list_head *out,
		       unsigned int *n_names);
int kdbus_policy_install(struct list_head *db, struct list_head *new,
			 const void *owner, bool exclusive);
void kdbus_policy_remove_owner(struct list_head *db, const void *owner);
int kdbus_policy_level(struct list_head *db, const struct cred *cred,
		       const char *name);
int kdbus_policy_conn_level(struct list_head *db, const struct cred *cred,
			    struct kdbus_conn *t);
bool kdbus_policy_may_talk(struct kdbus_conn *c, struct kdbus_conn *t);
bool kdbus_policy_may_own(struct kdbus_conn *c, const char *name);
bool kdbus_policy_may_see_name(struct kdbus_conn *c, const char *name);
bool kdbus_policy_may_see_conn(struct kdbus_conn *c, struct kdbus_conn *t);

/* ---- query.c ----------------------------------------------------------- */

int kdbus_cmd_conn_info(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_bus_creator_info(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_list(struct kdbus_conn *conn, void __user *argp);

/* ---- notify.c ---------------------------------------------------------- */

struct kdbus_notify {
	struct list_head entry;
	size_t size;
	struct kdbus_item *item; /* the notification item in msg */
	struct kdbus_msg msg;	 /* followed by its items */
};

void kdbus_notify_id(struct list_head *list, u64 type, u64 id, u64 flags);
void kdbus_notify_name(struct list_head *list, u64 type, u64 old_id,
		       u64 old_flags, u64 new_id, u64 new_flags,
		       const char *name);
void kdbus_notify_flush(struct kdbus_bus *bus, struct list_head *list);
void kdbus_conn_enqueue_kernel(struct kdbus_conn *dst, const void *buf,
			       size_t size);

int kdbus_cmd_match_add(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_match_remove(struct kdbus_conn *conn, void __user *argp);
void kdbus_match_flush(struct kdbus_conn *conn);
bool kdbus_match_signal(struct kdbus_conn *dst, struct kdbus_conn *src,
			const struct kdbus_msg *msg,
			const struct kdbus_bloom_filter *bloom);
int kdbus_cmd_name_acquire(struct kdbus_conn *conn, void __user *argp);
int kdbus_cmd_name_release(struct kdbus_conn *conn, void __user *argp);
void kdbus_names_release_all(struct kdbus_conn *conn, struct list_head *notify,
			     struct list_head *dead);
struct kdbus_name_entry *kdbus_name_lookup(struct kdbus_bus *bus,
					   const char *name);
int kdbus_names_pack(struct kdbus_conn *conn, u8 **out, size_t *len);
int kdbus_name_add_activator(struct kdbus_conn *conn, const char *name,
			     struct list_head *notify);

#endif /* KDBUS_INTERNAL_H */
