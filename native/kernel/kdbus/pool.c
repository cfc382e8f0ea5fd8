// SPDX-License-Identifier: GPL-2.0-only
/*
 * The receiver-owned, shmem-backed message pool (spec section 8).
 *
 * Payloads are copied into the pool's page cache directly (see
 * kdbus_pool_write_iter()).
 *
 * Slices live on one offset-ordered list, so a released slice merges with
 * its free neighbours in O(1).  Free slices are also in a size-ordered
 * rbtree (best fit, O(log n)); busy slices in an offset-ordered rbtree so
 * FREE finds its slice in O(log n).  All functions run under the owning
 * connection's lock; only the write helpers may run without it, on a slice
 * the caller has reserved.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/version.h>

#include "kdbus_internal.h"

/* A shmem file of our own, so that we can recognise memfds (also shmem
 * files) by their file_operations: shmem_mapping() is not exported.
 */
static struct file *kdbus_shmem_probe;

static void kdbus_free_insert(struct kdbus_pool *pool, struct kdbus_slice *s)
{
	struct rb_node **n = &pool->free_tree.rb_node, *parent = NULL;

	while (*n) {
		struct kdbus_slice *o = rb_entry(*n, struct kdbus_slice, node);

		parent = *n;
		if (s->size < o->size)
			n = &(*n)->rb_left;
		else
			n = &(*n)->rb_right;
	}
	rb_link_node(&s->node, parent, n);
	rb_insert_color(&s->node, &pool->free_tree);
	s->free = true;
}

static void kdbus_busy_insert(struct kdbus_pool *pool, struct kdbus_slice *s)
{
	struct rb_node **n = &pool->busy_tree.rb_node, *parent = NULL;

	while (*n) {
		struct kdbus_slice *o = rb_entry(*n, struct kdbus_slice, node);

		parent = *n;
		if (s->off < o->off)
			n = &(*n)->rb_left;
		else
			n = &(*n)->rb_right;
	}
	rb_link_node(&s->node, parent, n);
	rb_insert_color(&s->node, &pool->busy_tree);
	s->free = false;
}

/**
 * kdbus_pool_init() - create the shmem backing and one free slice
 * @pool:	zeroed pool embedded in a connection
 * @size:	pool size, nonzero and page aligned (checked by HELLO)
 *
 * Return: 0, -ENOMEM, or the error of shmem_file_setup().
 */
int kdbus_pool_init(struct kdbus_pool *pool, size_t size)
{
	struct kdbus_slice *s;
	struct file *f;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	/* VM_NORESERVE: pages are only charged when a message touches them */
	f = shmem_file_setup("kdbus-pool", size, VM_NORESERVE);
	if (IS_ERR(f)) {
		kfree(s);
		return PTR_ERR(f);
	}
	/* nobody ever looks at pool times or privileges: let no generic
	 * path (mmap, page faults) spend time updating them
	 */
	file_inode(f)->i_flags |= S_NOCMTIME | S_NOSEC;
	pool->f = f;
	pool->size = size;
	INIT_LIST_HEAD(&pool->slices);
	pool->free_tree = RB_ROOT;
	pool->busy_tree = RB_ROOT;
	s->off = 0;
	s->size = size;
	list_add(&s->entry, &pool->slices);
	kdbus_free_insert(pool, s);
	return 0;
}

/**
 * kdbus_pool_deinit() - free all slices and drop the shmem file
 * @pool:	pool of a connection nobody references any more
 */
void kdbus_pool_deinit(struct kdbus_pool *pool)
{
	struct kdbus_slice *s, *tmp;

	if (!pool->f)
		return;
	list_for_each_entry_safe (s, tmp, &pool->slices, entry) {
		list_del(&s->entry);
		kfree(s);
	}
	fput(pool->f);
	pool->f = NULL;
}

/**
 * kdbus_pool_alloc() - reserve a slice (best fit)
 * @pool:	the pool, owner's lock held
 * @size:	bytes needed; rounded up to 8
 *
 * Return: the slice (owned by the caller until released or published), or
 * ERR_PTR(-EXFULL) if no free range is large enough, ERR_PTR(-ENOMEM).
 */
struct kdbus_slice *kdbus_pool_alloc(struct kdbus_pool *pool, size_t size)
{
	struct rb_node *n = pool->free_tree.rb_node;
	struct kdbus_slice *best = NULL, *rest;

	size = KDBUS_ALIGN8(size);
	if (!size || size > pool->size)
		return ERR_PTR(-EXFULL);
	while (n) {
		struct kdbus_slice *s = rb_entry(n, struct kdbus_slice, node);

		if (s->size >= size) {
			best = s;
			if (s->size == size)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (!best)
		return ERR_PTR(-EXFULL);
	if (best->size > size) {
		rest = kzalloc(sizeof(*rest), GFP_KERNEL);
		if (!rest)
			return ERR_PTR(-ENOMEM);
		rb_erase(&best->node, &pool->free_tree);
		rest->off = best->off + size;
		rest->size = best->size - size;
		best->size = size;
		list_add(&rest->entry, &best->entry);
		kdbus_free_insert(pool, rest);
	} else {
		rb_erase(&best->node, &pool->free_tree);
	}
	best->user = false;
	best->peeked = false;
	kdbus_busy_insert(pool, best);
	return best;
}

/**
 * kdbus_pool_release() - give a busy slice back and merge free neighbours
 * @pool:	the pool, owner's lock held
 * @s:		a slice returned by kdbus_pool_alloc(); freed or merged here
 */
void kdbus_pool_release(struct kdbus_pool *pool, struct kdbus_slice *s)
{
	struct kdbus_slice *prev, *next;

	rb_erase(&s->node, &pool->busy_tree);
	if (s->entry.prev != &pool->slices) {
		prev = list_prev_entry(s, entry);
		if (prev->free) {
			rb_erase(&prev->node, &pool->free_tree);
			prev->size += s->size;
			list_del(&s->entry);
			kfree(s);
			s = prev;
		}
	}
	if (s->entry.next != &pool->slices) {
		next = list_next_entry(s, entry);
		if (next->free) {
			rb_erase(&next->node, &pool->free_tree);
			s->size += next->size;
			list_del(&next->entry);
			kfree(next);
		}
	}
	s->user = false;
	kdbus_free_insert(pool, s);
}

/**
 * kdbus_pool_find() - the busy slice starting at @off
 * @pool:	the pool, owner's lock held
 * @off:	offset as handed to userspace
 *
 * Return: the slice or NULL.
 */
struct kdbus_slice *kdbus_pool_find(struct kdbus_pool *pool, size_t off)
{
	struct rb_node *n = pool->busy_tree.rb_node;

	while (n) {
		struct kdbus_slice *s = rb_entry(n, struct kdbus_slice, node);

		if (off < s->off)
			n = n->rb_left;
		else if (off > s->off)
			n = n->rb_right;
		else
			return s;
	}
	return NULL;
}

/**
 * kdbus_pool_write_iter() - copy from an iterator into the pool
 * @pool:	the pool (no lock needed: the range is reserved by the caller)
 * @off:	pool offset
 * @iter:	source; user iovecs for payloads (the single copy, done in the
 *		sender's context) or a kvec for kernel-built headers
 *
 * Copies page by page straight into the shmem page cache.  This is what
 * vfs_iter_write() on the pool file would end in, minus the inode lock,
 * write_begin/write_end, dirty throttling and time updates that a file
 * write needs and a pool does not: nobody else writes to a reserved range,
 * and the owner only ever maps the pool read-only.  No lock is held, so a
 * fault on the sender's memory (even on its own pool) is harmless.
 *
 * Return: 0; -EFAULT if the source was not fully readable; -EXFULL if shmem
 * could not provide a page (out of memory or swap).
 */
int kdbus_pool_write_iter(struct kdbus_pool *pool, size_t off,
			  struct iov_iter *iter)
{
	struct address_space *mapping = pool->f->f_mapping;

	while (iov_iter_count(iter)) {
		size_t poff = offset_in_page(off);
		size_t n =
			min_t(size_t, PAGE_SIZE - poff, iov_iter_count(iter));
		struct page *page;
		size_t copied;

		page = shmem_read_mapping_page(mapping, off >> PAGE_SHIFT);
		if (IS_ERR(page))
			return PTR_ERR(page) == -EFAULT ? -EFAULT : -EXFULL;
		copied = copy_page_from_iter(page, poff, n, iter);
		flush_dcache_page(page);
		set_page_dirty(page); /* shmem: keep it on swap, never drop */
		put_page(page);
		if (copied != n)
			return -EFAULT;
		off += n;
	}
	return 0;
}

/**
 * kdbus_pool_write_kvec() - copy kernel memory into the pool
 * @pool:	the pool
 * @off:	pool offset
 * @buf:	kernel buffer
 * @len:	bytes
 *
 * Return: 0 or a negative errno.
 */
int kdbus_pool_write_kvec(struct kdbus_pool *pool, size_t off, const void *buf,
			  size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, len);
	return kdbus_pool_write_iter(pool, off, &iter);
}

/**
 * kdbus_pool_read() - copy pool contents into kernel memory
 * @pool:	the pool
 * @off:	pool offset
 * @buf:	kernel buffer
 * @len:	bytes
 *
 * Used when queued messages move between pools (spec 32.3).
 *
 * Return: 0 or -EXFULL if shmem could not provide a page.
 */
int kdbus_pool_read(struct kdbus_pool *pool, size_t off, void *buf, size_t len)
{
	struct address_space *mapping = pool->f->f_mapping;
	u8 *d = buf;

	while (len) {
		size_t poff = offset_in_page(off);
		size_t n = min_t(size_t, PAGE_SIZE - poff, len);
		struct page *page;

		page = shmem_read_mapping_page(mapping, off >> PAGE_SHIFT);
		if (IS_ERR(page))
			return -EXFULL;
		memcpy_from_page(d, page, poff, n);
		put_page(page);
		d += n;
		off += n;
		len -= n;
	}
	return 0;
}

/**
 * kdbus_pool_mmap() - map the pool read-only into the owner (spec 8.1)
 * @pool:	the pool
 * @vma:	the new mapping
 *
 * Return: 0, -EPERM for a writable mapping, -EFAULT beyond the pool.
 */
int kdbus_pool_mmap(struct kdbus_pool *pool, struct vm_area_struct *vma)
{
	u64 pages = pool->size >> PAGE_SHIFT;

	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	if (vma->vm_pgoff > pages || vma_pages(vma) > pages - vma->vm_pgoff)
		return -EFAULT;
		/* so that mprotect() can never add write access later */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, VM_MAYWRITE);
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
	vma_set_file(vma, pool->f);
	return pool->f->f_op->mmap(pool->f, vma);
}

/**
 * kdbus_file_is_shmem() - is @f a shmem (memfd) file
 * @f:		any file
 *
 * Return: true for shmem-backed regular files.
 */
bool kdbus_file_is_shmem(struct file *f)
{
	return f->f_op == kdbus_shmem_probe->f_op &&
	       S_ISREG(file_inode(f)->i_mode);
}

/**
 * kdbus_pool_module_init() - create the shmem probe file
 *
 * Return: 0 or a negative errno.
 */
int kdbus_pool_module_init(void)
{
	kdbus_shmem_probe = shmem_file_setup("kdbus-probe", 0, VM_NORESERVE);
	if (IS_ERR(kdbus_shmem_probe))
		return PTR_ERR(kdbus_shmem_probe);
	return 0;
}

/**
 * kdbus_pool_module_exit() - drop the shmem probe file
 */
void kdbus_pool_module_exit(void)
{
	fput(kdbus_shmem_probe);
}
