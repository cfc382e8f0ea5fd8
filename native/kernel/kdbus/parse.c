// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic command framing (spec section 4): copy-in with the size
 * checks, item chain validation, negotiation and return_flags write-back.
 */
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kdbus_internal.h"

/* Structure only; each command checks the item types it accepts. */
static int kdbus_items_validate(struct kdbus_item *items, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		struct kdbus_item *it = (void *)((u8 *)items + pos);

		if (len - pos < KDBUS_ITEM_HEADER_SIZE)
			return -EINVAL;
		if (it->size < KDBUS_ITEM_HEADER_SIZE || it->size > len - pos)
			return -EINVAL;
		pos += KDBUS_ALIGN8(it->size);
	}
	/* pos is 8-aligned and the last item ended inside len, so the walk
	 * ends exactly at ALIGN8(len) as spec 4.3 rule 3 demands.
	 */
	return 0;
}

static void kdbus_args_free(struct kdbus_args *a)
{
	if (a->allocated)
		kfree(a->buf);
	a->buf = NULL;
}

static int kdbus_copy_in(struct kdbus_args *a, void __user *uptr, size_t fixed)
{
	u64 size;

	a->uptr = uptr;
	a->fixed = fixed;
	a->allocated = false;
	a->buf = NULL;
	a->negotiate = NULL;
	a->negotiating = false;

	/* spec 4.3 rule 1: commands are read as u64 arrays */
	if (!IS_ALIGNED((unsigned long)uptr, 8))
		return -EFAULT;
	if (get_user(size, (u64 __user *)uptr))
		return -EFAULT;
	if (size < fixed)
		return -EINVAL;
	if (size > KDBUS_CMD_MAX_SIZE)
		return -EMSGSIZE;

	if (KDBUS_ALIGN8(size) <= sizeof(a->stack)) {
		a->buf = a->stack;
	} else {
		a->buf = kmalloc(KDBUS_ALIGN8(size), GFP_KERNEL);
		if (!a->buf)
			return -ENOMEM;
		a->allocated = true;
	}
	if (copy_from_user(a->buf, uptr, size))
		goto fault;
	memset((u8 *)a->buf + size, 0, KDBUS_ALIGN8(size) - size);
	/* a second thread may have changed the size between the two reads */
	if (*(u64 *)a->buf != size) {
		kdbus_args_free(a);
		return -EINVAL;
	}
	a->size = size;
	a->items = (struct kdbus_item *)((u8 *)a->buf + fixed);
	a->items_size = size - fixed;
	return 0;
fault:
	kdbus_args_free(a);
	return -EFAULT;
}

static int kdbus_args_check(struct kdbus_args *a, u64 valid_flags);

/**
 * kdbus_args_parse() - copy a command from userspace and validate its framing
 * @a:		caller-owned parse state; release with kdbus_args_finish()
 * @uptr:	user pointer to the command
 * @fixed:	size of the fixed part of the command struct
 * @valid_flags: flags the command implements (NEGOTIATE is implied)
 *
 * Checks alignment, size bounds, the size re-read, unknown flags and the
 * item chain, zeroes return_flags and records the NEGOTIATE item.  If the
 * caller set KDBUS_FLAG_NEGOTIATE the valid flags are written back and 1 is
 * returned: the command must do nothing else.
 *
 * Return: 0 to execute, 1 when negotiating, or a negative errno; on error
 * nothing is held and kdbus_args_finish() must not be called.
 */
int kdbus_args_parse(struct kdbus_args *a, void __user *uptr, size_t fixed,
		     u64 valid_flags)
{
	int ret;

	ret = kdbus_copy_in(a, uptr, fixed);
	if (ret)
		return ret;
	a->has_return_flags = true;
	return kdbus_args_check(a, valid_flags);
}

/**
 * kdbus_args_parse_msg() - kdbus_args_parse() for a struct kdbus_msg
 * @a:		caller-owned parse state
 * @uptr:	user pointer to the message
 * @valid_flags: message flags implemented
 *
 * Same as kdbus_args_parse() except that a message has no return_flags
 * (its +16 is the priority), so nothing is zeroed or written back there.
 *
 * Return: 0, 1 when the message carries KDBUS_FLAG_NEGOTIATE, or a
 * negative errno (nothing held).
 */
int kdbus_args_parse_msg(struct kdbus_args *a, void __user *uptr,
			 u64 valid_flags)
{
	int ret;

	ret = kdbus_copy_in(a, uptr, sizeof(struct kdbus_msg));
	if (ret)
		return ret;
	a->has_return_flags = false;
	return kdbus_args_check(a, valid_flags);
}

static int kdbus_args_check(struct kdbus_args *a, u64 valid_flags)
{
	void __user *uptr = a->uptr;
	struct kdbus_cmd *cmd;
	struct kdbus_item *it;
	int ret;

	cmd = a->buf;
	ret = -EINVAL;
	if (cmd->flags & ~(valid_flags | KDBUS_FLAG_NEGOTIATE))
		goto err;
	if (a->has_return_flags)
		cmd->return_flags = 0;
	ret = kdbus_items_validate(a->items, a->items_size);
	if (ret)
		goto err;
	kdbus_items_foreach(it, a->items, a->items_size)
	{
		if (it->type != KDBUS_ITEM_NEGOTIATE)
			continue;
		ret = -EINVAL;
		if (a->negotiate || kdbus_item_payload_size(it) % 8)
			goto err;
		a->negotiate = it;
	}
	if (cmd->flags & KDBUS_FLAG_NEGOTIATE) {
		a->negotiating = true;
		if (put_user(valid_flags,
			     &((struct kdbus_cmd __user *)uptr)->flags)) {
			ret = -EFAULT;
			goto err;
		}
		return 1;
	}
	return 0;
err:
	kdbus_args_free(a);
	return ret;
}

/**
 * kdbus_args_negotiate() - apply a NEGOTIATE item (spec 4.4 rule 3)
 * @a:		parsed command
 * @types:	item types the command accepts
 * @n:		number of entries in @types
 *
 * Zeroes every requested type the command does not accept, in the kernel
 * copy and in the user's copy.  Failure to write back is ignored: the
 * command's own write-back reports EFAULT if the memory went away.
 */
void kdbus_args_negotiate(struct kdbus_args *a, const u64 *types, size_t n)
{
	struct kdbus_item *it = a->negotiate;
	size_t i, k, count;
	u8 __user *dst;

	if (!it)
		return;
	count = kdbus_item_payload_size(it) / 8;
	for (i = 0; i < count; i++) {
		for (k = 0; k < n; k++)
			if (it->data[i] == types[k])
				break;
		if (k == n)
			it->data[i] = 0;
	}
	dst = (u8 __user *)a->uptr + ((u8 *)it->data - (u8 *)a->buf);
	if (copy_to_user(dst, it->data, count * 8))
		pr_debug("kdbus: negotiate write-back faulted\n");
}

/**
 * kdbus_args_finish() - write return_flags back and free the kernel copy
 * @a:		parse state from a successful kdbus_args_parse()
 * @ret:	the command's result, passed through
 *
 * Return: @ret, or -EFAULT if return_flags could not be written and @ret
 * was 0.
 */
int kdbus_args_finish(struct kdbus_args *a, int ret)
{
	struct kdbus_cmd __user *u = a->uptr;

	if (a->buf && a->has_return_flags) {
		u64 rf = ((struct kdbus_cmd *)a->buf)->return_flags;

		if (put_user(rf, &u->return_flags) && !ret)
			ret = -EFAULT;
	}
	kdbus_args_free(a);
	return ret;
}

/**
 * kdbus_item_string() - check that an item's payload is one C string
 * @it:		the item
 * @str:	set to the string on success (points into the item)
 *
 * Return: 0, or -EINVAL unless the payload ends in exactly one NUL.
 */
int kdbus_item_string(const struct kdbus_item *it, const char **str)
{
	size_t len = kdbus_item_payload_size(it);
	const char *s = (const char *)it->data;

	if (len < 2 || strnlen(s, len) != len - 1)
		return -EINVAL;
	*str = s;
	return 0;
}

/**
 * kdbus_name_is_valid() - well-known name rules of spec 14.1
 * @name:	NUL-terminated name
 * @len:	strlen(@name)
 *
 * Return: true if @name has at least two non-empty dot-separated elements of
 * [A-Za-z0-9_-] not starting with a digit, and at most 255 characters.
 */
bool kdbus_name_is_valid(const char *name, size_t len)
{
	bool elem_start = true, dot = false;
	size_t i;

	if (len == 0 || len > KDBUS_WKN_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (elem_start)
				return false; /* leading or doubled dot */
			elem_start = true;
			dot = true;
			continue;
		}
		if (!isalnum(c) && c != '_' && c != '-')
			return false;
		if (elem_start && isdigit(c))
			return false;
		elem_start = false;
	}
	return dot && !elem_start;
}

/**
 * kdbus_check_attach() - validate an attach flags mask (spec 5.3)
 * @v:		the mask
 *
 * Return: 0 or -EINVAL.
 */
int kdbus_check_attach(u64 v)
{
	if (v == _KDBUS_ATTACH_ANY)
		return 0;
	return (v & ~_KDBUS_ATTACH_ALL) ? -EINVAL : 0;
}

/**
 * kdbus_attach_norm() - store form of a validated mask (spec 24.3 rule 5)
 * @v:		the mask
 *
 * Return: _KDBUS_ATTACH_ALL for _KDBUS_ATTACH_ANY, else @v.
 */
u64 kdbus_attach_norm(u64 v)
{
	return v == _KDBUS_ATTACH_ANY ? _KDBUS_ATTACH_ALL : v;
}
