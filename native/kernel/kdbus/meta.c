// SPDX-License-Identifier: GPL-2.0-only
/*
 * Metadata (spec 24): collection from the sending task and connection,
 * and emission as 0x1000-range items translated into a receiver's
 * namespaces.
 *
 * Collection happens once per SEND, in the sender's context, for the union
 * of what the receivers will get; the raw values (kuid_t, struct pid, the
 * cred) are kept, so that every receiver's copy can be translated into the
 * namespaces that receiver pinned at HELLO.  Emission is cached per
 * message: receivers with the same mask and namespaces share one buffer.
 * With every effective mask 0 nothing is collected (spec 1.8).
 */
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/version.h>

#include "kdbus_internal.h"

/* M of spec 24.3: the module-wide mask */
static ulong attach_flags_mask = _KDBUS_ATTACH_ALL;
module_param(attach_flags_mask, ulong, 0644);
MODULE_PARM_DESC(attach_flags_mask,
		 "metadata items the module may attach (default 0x3fff)");

static atomic64_t kdbus_seqnum = ATOMIC64_INIT(0);

/**
 * kdbus_meta_seqnum() - the next per-domain message sequence number
 *
 * Return: a value starting at 1, strictly increasing.
 */
u64 kdbus_meta_seqnum(void)
{
	return atomic64_inc_return(&kdbus_seqnum);
}

/**
 * kdbus_meta_msg_mask() - items receiver @dst gets from sender @src
 * @dst:	receiving connection
 * @src:	sending connection
 *
 * Return: M & R(dst) & (S(src) | I), spec 24.3 rule 1.
 */
u64 kdbus_meta_msg_mask(const struct kdbus_conn *dst,
			const struct kdbus_conn *src)
{
	return READ_ONCE(attach_flags_mask) & READ_ONCE(dst->attach_recv) &
	       (READ_ONCE(src->attach_send) | KDBUS_ATTACH_IMPLICIT);
}

/**
 * kdbus_meta_module_mask() - M of spec 24.3
 *
 * Return: the module parameter attach_flags_mask, within _KDBUS_ATTACH_ALL.
 */
u64 kdbus_meta_module_mask(void)
{
	return READ_ONCE(attach_flags_mask) & _KDBUS_ATTACH_ALL;
}

/**
 * kdbus_meta_free() - release a metadata snapshot
 * @m:		snapshot, may be NULL
 */
void kdbus_meta_free(struct kdbus_meta *m)
{
	if (!m)
		return;
	if (m->cred)
		put_cred(m->cred);
	put_pid(m->pid);
	put_pid(m->tid);
	put_pid(m->ppid);
	if (m->have_root)
		path_put(&m->root);
	kfree(m->exe);
	kfree(m->cmdline);
	kfree(m->cgroup);
	kfree(m->seclabel);
	kfree(m->names);
	kvfree(m->emit_buf);
	kfree(m);
}

/**
 * kdbus_meta_new() - an empty snapshot
 *
 * Return: the snapshot or NULL.
 */
struct kdbus_meta *kdbus_meta_new(void)
{
	return kzalloc(sizeof(struct kdbus_meta), GFP_KERNEL);
}

static void kdbus_meta_collect_exe(struct kdbus_meta *m)
{
	struct mm_struct *mm = get_task_mm(current);
	struct file *exe = NULL;
	char *buf, *p;

	if (!mm)
		return;
	/* get_mm_exe_file() is not exported; it is just this */
	rcu_read_lock();
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	exe = get_file_rcu(&mm->exe_file);
#else
	exe = rcu_dereference(mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
#endif
	rcu_read_unlock();
	mmput(mm);
	if (!exe)
		return;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (buf) {
		/* d_path() is relative to our root; kept with the string */
		p = d_path(&exe->f_path, buf, PATH_MAX);
		if (!IS_ERR(p)) {
			m->exe = kstrdup(p, GFP_KERNEL);
			if (m->exe) {
				get_fs_root(current->fs, &m->root);
				m->have_root = true;
			}
		}
		kfree(buf);
	}
	fput(exe);
}

static void kdbus_meta_collect_cmdline(struct kdbus_meta *m)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end;
	size_t len;
	char *buf;

	if (!mm || (current->flags & PF_KTHREAD))
		return;
	spin_lock(&mm->arg_lock);
	start = mm->arg_start;
	end = mm->arg_end;
	spin_unlock(&mm->arg_lock);
	if (end <= start)
		return;
	len = min_t(size_t, end - start, KDBUS_CMDLINE_MAX);
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return;
	/* our own address space, in our own context: may fault, no lock */
	if (copy_from_user(buf, (const void __user *)start, len)) {
		kfree(buf);
		return;
	}
	buf[len - 1] = '\0'; /* truncated (choice): still NUL-ended */
	m->cmdline = buf;
	m->cmdline_len = len;
}

static void kdbus_meta_collect_cgroup(struct kdbus_meta *m)
{
#ifdef CONFIG_CGROUPS
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);
	int len;

	if (!buf)
		return;
	/*
	 * The absolute path on the default (unified) hierarchy. task_cgroup_path()
	 * is gone from newer kernels; cgroup_path() on the task's default-hierarchy
	 * cgroup exists from 6.1 on and takes no sleeping lock, so RCU covers it
	 * (the cgroup cannot go away while current is a member anyway).
	 */
	rcu_read_lock();
	len = cgroup_path(task_dfl_cgroup(current), buf, PATH_MAX);
	rcu_read_unlock();
	if (len >= 0 && buf[0])
		m->cgroup = kstrdup(buf, GFP_KERNEL);
	kfree(buf);
#endif
}

static void kdbus_meta_collect_seclabel(struct kdbus_meta *m)
{
#if defined(CONFIG_SECURITY) && LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	char *ctx = NULL;
	u32 secid = 0, len = 0;

	security_current_getsecid_subj(&secid);
	if (!secid || security_secid_to_secctx(secid, &ctx, &len))
		return;
	if (len && ctx)
		m->seclabel = kstrndup(ctx, len, GFP_KERNEL);
	security_release_secctx(ctx, len);
#endif
}

/**
 * kdbus_meta_collect_proc() - snapshot the current task's process items
 * @m:		snapshot to fill
 * @mask:	attach flags wanted (process items only are looked at)
 *
 * Items that cannot be had (no LSM, no audit, kernel thread) stay unset
 * and are omitted on emission (spec 24.1).
 *
 * Return: 0 or -ENOMEM.
 */
int kdbus_meta_collect_proc(struct kdbus_meta *m, u64 mask)
{
	if (mask & (KDBUS_ATTACH_CREDS | KDBUS_ATTACH_AUXGROUPS |
		    KDBUS_ATTACH_CAPS) &&
	    !m->cred)
		m->cred = get_current_cred();
	if ((mask & KDBUS_ATTACH_PIDS) && !m->pid) {
		m->pid = get_pid(task_tgid(current));
		m->tid = get_pid(task_pid(current));
		rcu_read_lock();
		m->ppid = get_pid(
			task_tgid(rcu_dereference(current->real_parent)));
		rcu_read_unlock();
	}
	if (mask & KDBUS_ATTACH_TID_COMM)
		get_task_comm(m->tid_comm, current);
	if (mask & KDBUS_ATTACH_PID_COMM)
		get_task_comm(m->pid_comm, current->group_leader);
	if ((mask & KDBUS_ATTACH_EXE) && !m->exe)
		kdbus_meta_collect_exe(m);
	if ((mask & KDBUS_ATTACH_CMDLINE) && !m->cmdline)
		kdbus_meta_collect_cmdline(m);
	if ((mask & KDBUS_ATTACH_CGROUP) && !m->cgroup)
		kdbus_meta_collect_cgroup(m);
	if ((mask & KDBUS_ATTACH_SECLABEL) && !m->seclabel)
		kdbus_meta_collect_seclabel(m);
#ifdef CONFIG_AUDIT
	if (mask & KDBUS_ATTACH_AUDIT) {
		m->loginuid = audit_get_loginuid(current);
		m->sessionid = audit_get_sessionid(current);
		m->have_audit = true;
	}
#endif
	m->collected |= mask & KDBUS_ATTACH_PROC;
	return 0;
}

/**
 * kdbus_meta_copy_faked() - the process items of a faked-creds connection
 * @m:		message snapshot to fill
 * @src:	the connection's HELLO snapshot (faked items only)
 * @mask:	process items wanted
 *
 * Spec 24.4 rule 4: the faked CREDS, PIDS and SECLABEL, and no other
 * process item.
 *
 * Return: 0 or -ENOMEM.
 */
int kdbus_meta_copy_faked(struct kdbus_meta *m, const struct kdbus_meta *src,
			  u64 mask)
{
	mask &= src->collected & (KDBUS_ATTACH_CREDS | KDBUS_ATTACH_PIDS |
				  KDBUS_ATTACH_SECLABEL);
	if ((mask & KDBUS_ATTACH_CREDS) && !m->faked_creds) {
		memcpy(m->fake_uid, src->fake_uid, sizeof(m->fake_uid));
		memcpy(m->fake_gid, src->fake_gid, sizeof(m->fake_gid));
		m->faked_creds = true;
	}
	if ((mask & KDBUS_ATTACH_PIDS) && !m->faked_pids) {
		m->pid = get_pid(src->pid);
		m->tid = get_pid(src->tid);
		m->ppid = get_pid(src->ppid);
		m->faked_pids = true;
	}
	if ((mask & KDBUS_ATTACH_SECLABEL) && !m->seclabel && src->seclabel) {
		m->seclabel = kstrdup(src->seclabel, GFP_KERNEL);
		if (!m->seclabel)
			return -ENOMEM;
	}
	m->collected |= mask;
	return 0;
}

/**
 * kdbus_meta_collect_conn() - snapshot a connection's names and description
 * @m:		snapshot to fill
 * @conn:	the connection (its bus rwsem NOT held)
 * @mask:	NAMES and/or CONN_DESCRIPTION
 *
 * Return: 0 or -ENOMEM.
 */
int kdbus_meta_collect_conn(struct kdbus_meta *m, struct kdbus_conn *conn,
			    u64 mask)
{
	if (mask & KDBUS_ATTACH_CONN_DESCRIPTION)
		strscpy(m->description, conn->description,
			sizeof(m->description));
	if (mask & KDBUS_ATTACH_NAMES) {
		int ret;

		down_read(&conn->bus->rwsem);
		ret = kdbus_names_pack(conn, &m->names, &m->names_len);
		up_read(&conn->bus->rwsem);
		if (ret)
			return ret;
	}
	m->collected |=
		mask & (KDBUS_ATTACH_NAMES | KDBUS_ATTACH_CONN_DESCRIPTION);
	return 0;
}

/* ---- emission ----------------------------------------------------------- */

static u64 kdbus_uid(struct user_namespace *ns, kuid_t k)
{
	if (!uid_valid(k))
		return (u32)-1;
	return from_kuid_munged(ns, k);
}

static u64 kdbus_gid(struct user_namespace *ns, kgid_t k)
{
	if (!gid_valid(k))
		return (u32)-1;
	return from_kgid_munged(ns, k);
}

static void kdbus_cap_words(const kernel_cap_t *c, u32 *w)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	w[0] = lower_32_bits(c->val);
	w[1] = upper_32_bits(c->val);
#else
	w[0] = c->cap[0];
	w[1] = c->cap[1];
#endif
}

#define KDBUS_CAP_WORDS (CAP_LAST_CAP / 32 + 1)

struct kdbus_emit {
	u8 *buf; /* NULL: only count */
	size_t pos;
};

static void *kdbus_emit_item(struct kdbus_emit *e, u64 type, size_t payload)
{
	size_t size = KDBUS_ITEM_HEADER_SIZE + payload;
	struct kdbus_item *it;

	if (!e->buf) {
		e->pos += KDBUS_ALIGN8(size);
		return NULL;
	}
	it = (void *)(e->buf + e->pos);
	memset(it, 0, KDBUS_ALIGN8(size));
	it->size = size;
	it->type = type;
	e->pos += KDBUS_ALIGN8(size);
	return it->data;
}

static void kdbus_emit_str(struct kdbus_emit *e, u64 type, const char *s,
			   size_t len)
{
	char *d = kdbus_emit_item(e, type, len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
}

/* One pass; with e->buf NULL it only measures. */
static void kdbus_meta_write(const struct kdbus_meta *m, u64 mask,
			     const struct kdbus_nsctx *ns, struct kdbus_emit *e)
{
	const struct cred *cred = m->cred;
	void *d;

	if (mask & KDBUS_ATTACH_TIMESTAMP) {
		d = kdbus_emit_item(e, KDBUS_ITEM_TIMESTAMP,
				    sizeof(struct kdbus_timestamp));
		if (d)
			memcpy(d, &m->ts, sizeof(m->ts));
	}
	if ((mask & KDBUS_ATTACH_CREDS) && (cred || m->faked_creds)) {
		struct kdbus_creds *c;

		c = kdbus_emit_item(e, KDBUS_ITEM_CREDS, sizeof(*c));
		if (c && m->faked_creds) {
			c->uid = kdbus_uid(ns->user_ns, m->fake_uid[0]);
			c->euid = kdbus_uid(ns->user_ns, m->fake_uid[1]);
			c->suid = kdbus_uid(ns->user_ns, m->fake_uid[2]);
			c->fsuid = kdbus_uid(ns->user_ns, m->fake_uid[3]);
			c->gid = kdbus_gid(ns->user_ns, m->fake_gid[0]);
			c->egid = kdbus_gid(ns->user_ns, m->fake_gid[1]);
			c->sgid = kdbus_gid(ns->user_ns, m->fake_gid[2]);
			c->fsgid = kdbus_gid(ns->user_ns, m->fake_gid[3]);
		} else if (c) {
			c->uid = kdbus_uid(ns->user_ns, cred->uid);
			c->euid = kdbus_uid(ns->user_ns, cred->euid);
			c->suid = kdbus_uid(ns->user_ns, cred->suid);
			c->fsuid = kdbus_uid(ns->user_ns, cred->fsuid);
			c->gid = kdbus_gid(ns->user_ns, cred->gid);
			c->egid = kdbus_gid(ns->user_ns, cred->egid);
			c->sgid = kdbus_gid(ns->user_ns, cred->sgid);
			c->fsgid = kdbus_gid(ns->user_ns, cred->fsgid);
		}
	}
	if ((mask & KDBUS_ATTACH_PIDS) && (m->pid || m->faked_pids)) {
		struct kdbus_pids *p;

		p = kdbus_emit_item(e, KDBUS_ITEM_PIDS, sizeof(*p));
		if (p) {
			p->pid = pid_nr_ns(m->pid, ns->pid_ns);
			p->tid = pid_nr_ns(m->tid, ns->pid_ns);
			p->ppid = pid_nr_ns(m->ppid, ns->pid_ns);
		}
	}
	if ((mask & KDBUS_ATTACH_AUXGROUPS) && cred && cred->group_info &&
	    cred->group_info->ngroups) {
		const struct group_info *gi = cred->group_info;
		u64 *g;
		int i;

		g = kdbus_emit_item(e, KDBUS_ITEM_AUXGROUPS,
				    gi->ngroups * sizeof(u64));
		for (i = 0; g && i < gi->ngroups; i++)
			g[i] = kdbus_gid(ns->user_ns, gi->gid[i]);
	}
	if ((mask & KDBUS_ATTACH_NAMES) && m->names_len) {
		const u8 *p = m->names;

		/* packed kdbus_name records: flags, then a NUL-ended name */
		while (p < m->names + m->names_len) {
			const struct kdbus_name *n = (const void *)p;
			size_t len = 8 + strlen(n->name) + 1;

			d = kdbus_emit_item(e, KDBUS_ITEM_OWNED_NAME, len);
			if (d)
				memcpy(d, n, len);
			p += KDBUS_ALIGN8(len);
		}
	}
	if ((mask & KDBUS_ATTACH_TID_COMM) && m->tid_comm[0])
		kdbus_emit_str(e, KDBUS_ITEM_TID_COMM, m->tid_comm,
			       strnlen(m->tid_comm, sizeof(m->tid_comm)));
	if ((mask & KDBUS_ATTACH_PID_COMM) && m->pid_comm[0])
		kdbus_emit_str(e, KDBUS_ITEM_PID_COMM, m->pid_comm,
			       strnlen(m->pid_comm, sizeof(m->pid_comm)));
	/* spec 24.5 rule 5: only if the receiver has our root */
	if ((mask & KDBUS_ATTACH_EXE) && m->exe && m->have_root &&
	    path_equal(&m->root, &ns->root))
		kdbus_emit_str(e, KDBUS_ITEM_EXE, m->exe, strlen(m->exe));
	if ((mask & KDBUS_ATTACH_CMDLINE) && m->cmdline) {
		d = kdbus_emit_item(e, KDBUS_ITEM_CMDLINE, m->cmdline_len);
		if (d)
			memcpy(d, m->cmdline, m->cmdline_len);
	}
	if ((mask & KDBUS_ATTACH_CGROUP) && m->cgroup)
		kdbus_emit_str(e, KDBUS_ITEM_CGROUP, m->cgroup,
			       strlen(m->cgroup));
	/* spec 24.5 rule 4, the permitted simplification: omitted unless
	 * sender and receiver share the user namespace
	 */
	if ((mask & KDBUS_ATTACH_CAPS) && cred &&
	    cred->user_ns == ns->user_ns) {
		struct kdbus_caps *c;

		c = kdbus_emit_item(e, KDBUS_ITEM_CAPS,
				    sizeof(*c) +
					    4 * KDBUS_CAP_WORDS * sizeof(u32));
		if (c) {
			c->last_cap = CAP_LAST_CAP;
			kdbus_cap_words(&cred->cap_inheritable, &c->caps[0]);
			kdbus_cap_words(&cred->cap_permitted,
					&c->caps[KDBUS_CAP_WORDS]);
			kdbus_cap_words(&cred->cap_effective,
					&c->caps[2 * KDBUS_CAP_WORDS]);
			kdbus_cap_words(&cred->cap_bset,
					&c->caps[3 * KDBUS_CAP_WORDS]);
		}
	}
	if ((mask & KDBUS_ATTACH_SECLABEL) && m->seclabel)
		kdbus_emit_str(e, KDBUS_ITEM_SECLABEL, m->seclabel,
			       strlen(m->seclabel));
	if ((mask & KDBUS_ATTACH_AUDIT) && m->have_audit) {
		struct kdbus_audit *a;

		a = kdbus_emit_item(e, KDBUS_ITEM_AUDIT, sizeof(*a));
		if (a) {
			a->sessionid = m->sessionid;
			a->loginuid = kdbus_uid(ns->user_ns, m->loginuid);
		}
	}
	if ((mask & KDBUS_ATTACH_CONN_DESCRIPTION) && m->description[0])
		kdbus_emit_str(e, KDBUS_ITEM_CONN_DESCRIPTION, m->description,
			       strlen(m->description));
}

/**
 * kdbus_meta_write_buf() - write (or measure) items without the cache
 * @m:		snapshot, not modified (may be shared)
 * @mask:	items wanted
 * @ns:		the reader's namespaces
 * @buf:	destination, or NULL to measure
 *
 * Return: the length written (or needed), 8-aligned.
 */
size_t kdbus_meta_write_buf(const struct kdbus_meta *m, u64 mask,
			    const struct kdbus_nsctx *ns, void *buf)
{
	struct kdbus_emit e = { .buf = buf };

	kdbus_meta_write(m, mask & m->collected, ns, &e);
	return e.pos;
}

/**
 * kdbus_meta_emit() - the metadata items for one receiver
 * @m:		snapshot (its emission cache is updated)
 * @mask:	the receiver's effective mask
 * @ns:		the receiver's namespaces
 * @out:	set to the items (owned by @m, valid until the next call)
 * @len:	set to their length (8-aligned); 0 if there is nothing
 *
 * Return: 0 or -ENOMEM.
 */
int kdbus_meta_emit(struct kdbus_meta *m, u64 mask,
		    const struct kdbus_nsctx *ns, const void **out, size_t *len)
{
	struct kdbus_emit e = {};

	mask &= m->collected;
	*out = NULL;
	*len = 0;
	if (!mask)
		return 0;
	if (m->emit_buf && m->emit_mask == mask &&
	    m->emit_ns.user_ns == ns->user_ns &&
	    m->emit_ns.pid_ns == ns->pid_ns &&
	    path_equal(&m->emit_ns.root, &ns->root)) {
		*out = m->emit_buf;
		*len = m->emit_len;
		return 0;
	}
	kdbus_meta_write(m, mask, ns, &e);
	if (!e.pos)
		return 0;
	if (e.pos > m->emit_size) {
		kvfree(m->emit_buf);
		m->emit_size = 0;
		m->emit_buf = kvmalloc(e.pos, GFP_KERNEL);
		if (!m->emit_buf)
			return -ENOMEM;
		m->emit_size = e.pos;
	}
	e.buf = m->emit_buf;
	e.pos = 0;
	kdbus_meta_write(m, mask, ns, &e);
	m->emit_mask = mask;
	/* compared by pointer only; the receiver holds the references */
	m->emit_ns = *ns;
	m->emit_len = e.pos;
	*out = m->emit_buf;
	*len = e.pos;
	return 0;
}

/**
 * kdbus_nsctx_init() - pin the current task's namespaces (HELLO)
 * @ns:		context to fill
 */
void kdbus_nsctx_init(struct kdbus_nsctx *ns)
{
	ns->user_ns = get_user_ns(current_user_ns());
	ns->pid_ns = get_pid_ns(task_active_pid_ns(current));
	get_fs_root(current->fs, &ns->root);
}

/**
 * kdbus_nsctx_put() - release what kdbus_nsctx_init() pinned
 * @ns:		context, may be all NULL
 */
void kdbus_nsctx_put(struct kdbus_nsctx *ns)
{
	if (ns->user_ns)
		put_user_ns(ns->user_ns);
	if (ns->pid_ns)
		put_pid_ns(ns->pid_ns);
	if (ns->root.mnt)
		path_put(&ns->root);
	memset(ns, 0, sizeof(*ns));
}
