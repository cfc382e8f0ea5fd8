// SPDX-License-Identifier: GPL-2.0-only
/*
 * kdbus-test - ABI tests for our kdbus module, one test per rule group of
 * shared/kdbus-abi.md, plus a bounded-time fuzz test.  Runs as root inside
 * the lab VM with the module loaded:
 *
 *   kdbus-test [--base /dev/kdbus] [--fuzz-seconds N] [test ...]
 *
 * Prints one line per test and exits non-zero if any failed.
 */
#define _GNU_SOURCE
#include "../kdbus-uapi.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POOL_SIZE (16u << 20)
#define BLOOM_SIZE 64
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static const char *base = "/dev/kdbus";
static unsigned fuzz_seconds = 20;
static int failures;
static const char *current;
static unsigned bus_counter;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr,                                          \
				"  %s:%d: %s: check failed: %s (errno %d %s)\n", \
				__FILE__, __LINE__, current, #cond, errno,       \
				strerror(errno));                                \
			return -1;                                               \
		}                                                                \
	} while (0)

/* ioctl that returns -errno, so CHECK(call(...) == -EINVAL) reads well */
static int call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- command builder -------------------------------------------------- */

struct buf {
	uint64_t w[4096 + 64]; /* 8-aligned, 32 KiB + slack */
	size_t len;
};

static void *buf_init(struct buf *b, size_t fixed)
{
	memset(b->w, 0, fixed + 64);
	b->len = fixed;
	b->w[0] = fixed;
	return b->w;
}

static struct kdbus_item *buf_item(struct buf *b, uint64_t type,
				   const void *data, size_t n)
{
	struct kdbus_item *it = (void *)((uint8_t *)b->w + b->len);

	memset(it, 0, ALIGN8(KDBUS_ITEM_HEADER_SIZE + n));
	it->size = KDBUS_ITEM_HEADER_SIZE + n;
	it->type = type;
	if (data)
		memcpy(it->data, data, n);
	b->len += ALIGN8(it->size);
	((uint64_t *)b->w)[0] = b->len;
	return it;
}

static void buf_str(struct buf *b, uint64_t type, const char *s)
{
	buf_item(b, type, s, strlen(s) + 1);
}

static void buf_u64(struct buf *b, uint64_t type, uint64_t v)
{
	buf_item(b, type, &v, 8);
}

static void buf_done(struct buf *b)
{
	((uint64_t *)b->w)[0] = b->len;
}

/* ---- bus and connections ----------------------------------------------- */

struct conn {
	int fd;
	uint64_t id;
	uint8_t *pool;
	size_t pool_size;
};

static int bus_make_named(const char *name, uint64_t flags, int *out)
{
	struct kdbus_bloom_parameter bp = { BLOOM_SIZE, 1 };
	struct buf b;
	struct kdbus_cmd *cmd = buf_init(&b, sizeof(*cmd));
	int fd, ret;
	char path[256];

	snprintf(path, sizeof(path), "%s/control", base);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	cmd->flags = flags;
	buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &bp, sizeof(bp));
	buf_str(&b, KDBUS_ITEM_MAKE_NAME, name);
	ret = call(fd, KDBUS_CMD_BUS_MAKE, b.w);
	if (ret) {
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

/* A fresh bus "<euid>-t<pid>-<n>"; fills name. */
static int bus_make(char *name, size_t len, int *out)
{
	snprintf(name, len, "%u-t%d-%u", geteuid(), (int)getpid(),
		 bus_counter++);
	return bus_make_named(name, KDBUS_MAKE_ACCESS_WORLD, out);
}

static int ep_open(const char *bus)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/bus", base, bus);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int hello_sized(const char *bus, struct conn *c, size_t pool_size)
{
	struct buf b;
	struct kdbus_cmd_hello *h = buf_init(&b, sizeof(*h));
	struct kdbus_cmd_free f = { sizeof(f), 0, 0, 0 };
	const struct kdbus_item *it;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = ep_open(bus);
	if (c->fd < 0)
		return -errno;
	h->flags = KDBUS_HELLO_ACCEPT_FD;
	h->pool_size = pool_size;
	buf_str(&b, KDBUS_ITEM_CONN_DESCRIPTION, "test");
	ret = call(c->fd, KDBUS_CMD_HELLO, b.w);
	if (ret)
		goto err;
	c->id = h->id;
	c->pool_size = pool_size;
	c->pool = mmap(NULL, pool_size, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	it = (const void *)(c->pool + h->offset);
	if (h->items_size != 32 || it->type != KDBUS_ITEM_BLOOM_PARAMETER ||
	    ((const struct kdbus_bloom_parameter *)it->data)->size !=
		    BLOOM_SIZE) {
		ret = -EPROTO;
		goto err;
	}
	f.offset = h->offset;
	ret = call(c->fd, KDBUS_CMD_FREE, &f);
	if (ret)
		goto err;
	return 0;
err:
	close(c->fd);
	c->fd = -1;
	return ret;
}

static int hello(const char *bus, struct conn *c)
{
	return hello_sized(bus, c, POOL_SIZE);
}

static void conn_close(struct conn *c)
{
	if (c->pool && c->pool != MAP_FAILED)
		munmap(c->pool, c->pool_size);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->pool = NULL;
}

struct msgspec {
	uint64_t dst;
	uint64_t flags;
	uint64_t cookie;
	uint64_t timeout_or_reply;
	uint64_t send_flags;
	const void *data;
	size_t len;
	int memfd; /* >= 0: add a PAYLOAD_MEMFD item */
	size_t memfd_size;
	const uint64_t *bloom; /* BLOOM_SIZE bytes */
	uint64_t generation;
	const char *dst_name;
	const int *fds; /* n_fds > 0: add an FDS item */
	int n_fds;
};

/* Returns -errno; *reply filled for sync calls. */
static int send_msg(struct conn *c, const struct msgspec *s,
		    struct kdbus_msg_info *reply)
{
	struct buf mb;
	struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
	struct kdbus_cmd_send cmd = { 0 };
	int ret;

	m->flags = s->flags;
	m->dst_id = s->dst;
	m->payload_type = KDBUS_PAYLOAD_DBUS;
	m->cookie = s->cookie;
	m->timeout_ns = s->timeout_or_reply;
	if (s->len) {
		struct kdbus_vec v = { s->len, { (uintptr_t)s->data } };

		buf_item(&mb, KDBUS_ITEM_PAYLOAD_VEC, &v, sizeof(v));
	}
	if (s->memfd >= 0) {
		struct kdbus_memfd mf = { 0, s->memfd_size, s->memfd, 0 };

		buf_item(&mb, KDBUS_ITEM_PAYLOAD_MEMFD, &mf, sizeof(mf));
	}
	if (s->bloom) {
		struct kdbus_item *it = buf_item(&mb, KDBUS_ITEM_BLOOM_FILTER,
						 NULL, 8 + BLOOM_SIZE);

		it->data[0] = s->generation;
		memcpy(&it->data[1], s->bloom, BLOOM_SIZE);
	}
	if (s->dst_name)
		buf_str(&mb, KDBUS_ITEM_DST_NAME, s->dst_name);
	if (s->n_fds > 0)
		buf_item(&mb, KDBUS_ITEM_FDS, s->fds, 4 * (size_t)s->n_fds);
	buf_done(&mb);
	cmd.size = sizeof(cmd);
	cmd.flags = s->send_flags;
	cmd.msg_address = (uintptr_t)m;
	ret = call(c->fd, KDBUS_CMD_SEND, &cmd);
	if (reply)
		*reply = cmd.reply;
	return ret;
}

static struct msgspec spec_to(uint64_t dst, const void *data, size_t len)
{
	struct msgspec s = {
		.dst = dst, .cookie = 1, .data = data, .len = len, .memfd = -1
	};
	return s;
}

struct rmsg {
	struct kdbus_msg *msg;
	uint64_t offset;
	uint64_t dropped;
	const uint8_t *data; /* first PAYLOAD_OFF */
	size_t len;
	int memfd;
	uint64_t memfd_size;
	uint64_t notify; /* first 0x8000 item type */
};

static int recv_msg(struct conn *c, struct rmsg *r)
{
	struct kdbus_cmd_recv cmd = { .size = sizeof(cmd) };
	const struct kdbus_item *it;
	int ret;

	memset(r, 0, sizeof(*r));
	r->memfd = -1;
	ret = call(c->fd, KDBUS_CMD_RECV, &cmd);
	r->dropped = cmd.dropped_msgs;
	r->offset = cmd.msg.offset;
	if (ret)
		return ret;
	r->msg = (void *)(c->pool + cmd.msg.offset);
	for (it = r->msg->items;
	     (uint8_t *)it < (uint8_t *)r->msg + r->msg->size;
	     it = (void *)((uint8_t *)it + ALIGN8(it->size))) {
		if (it->type == KDBUS_ITEM_PAYLOAD_OFF && !r->data) {
			const struct kdbus_vec *v = (const void *)it->data;

			r->data = (uint8_t *)r->msg + v->offset;
			r->len = v->size;
		} else if (it->type == KDBUS_ITEM_PAYLOAD_MEMFD) {
			const struct kdbus_memfd *m = (const void *)it->data;

			r->memfd = m->fd;
			r->memfd_size = m->size;
		} else if (it->type >= 0x8000 && !r->notify) {
			r->notify = it->type;
		}
	}
	return 0;
}

static int free_off(struct conn *c, uint64_t off)
{
	struct kdbus_cmd_free f = { sizeof(f), 0, 0, off };

	return call(c->fd, KDBUS_CMD_FREE, &f);
}

static int match_add(struct conn *c, uint64_t cookie, const uint64_t *mask,
		     size_t mask_len, int id_rule, uint64_t id)
{
	struct buf b;
	struct kdbus_cmd_match *m = buf_init(&b, sizeof(*m));

	m->cookie = cookie;
	if (mask)
		buf_item(&b, KDBUS_ITEM_BLOOM_MASK, mask, mask_len);
	if (id_rule)
		buf_u64(&b, KDBUS_ITEM_ID, id);
	buf_done(&b);
	return call(c->fd, KDBUS_CMD_MATCH_ADD, b.w);
}

static int name_cmd(struct conn *c, unsigned long cmd, const char *name,
		    uint64_t flags, uint64_t *rflags)
{
	struct buf b;
	struct kdbus_cmd *k = buf_init(&b, sizeof(*k));
	int ret;

	k->flags = flags;
	if (name)
		buf_str(&b, KDBUS_ITEM_NAME, name);
	buf_done(&b);
	ret = call(c->fd, cmd, b.w);
	if (rflags)
		*rflags = k->return_flags;
	return ret;
}

static int make_memfd(size_t size, int seal)
{
	int fd = memfd_create("kdbus-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *p;
	size_t i;

	if (fd < 0 || ftruncate(fd, (off_t)size))
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7);
	munmap(p, size);
	if (seal &&
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		return -1;
	return fd;
}

/* ---- tests ------------------------------------------------------------- */

static int test_framing(void)
{
	char name[64], path[256];
	struct buf b;
	struct kdbus_cmd *cmd;
	struct kdbus_cmd_hello *h;
	struct conn c;
	uint64_t types[4];
	int bus, fd, fd2, ret;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	/* EBADFD: second BUS_MAKE, HELLO on control, SEND before HELLO */
	cmd = buf_init(&b, sizeof(*cmd));
	CHECK(call(bus, KDBUS_CMD_BUS_MAKE, b.w) == -EBADFD);
	h = buf_init(&b, sizeof(*h));
	h->pool_size = POOL_SIZE;
	CHECK(call(bus, KDBUS_CMD_HELLO, b.w) == -EBADFD);
	fd = ep_open(name);
	CHECK(fd >= 0);
	cmd = buf_init(&b, sizeof(struct kdbus_cmd_send));
	CHECK(call(fd, KDBUS_CMD_SEND, b.w) == -EBADFD);
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EBADFD);
	CHECK(call(fd, _IOW(KDBUS_IOCTL_MAGIC, 0x42, struct kdbus_cmd), b.w) ==
	      -ENOTTY);
	CHECK(call(fd, 0x1234, b.w) == -ENOTTY);
	close(fd);

	/* size checks, alignment, size re-read, unknown flags, item chain */
	snprintf(path, sizeof(path), "%s/control", base);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	cmd = buf_init(&b, sizeof(*cmd));
	cmd->size = 16;
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	cmd->size = 32769;
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EMSGSIZE);
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, (uint8_t *)b.w + 4) == -EFAULT);
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, (void *)8) == -EFAULT);
	cmd->size = sizeof(*cmd);
	cmd->flags = 1ull << 5;
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	/* item with size < 16, item past the end, trailing garbage */
	cmd = buf_init(&b, sizeof(*cmd));
	buf_str(&b, KDBUS_ITEM_MAKE_NAME, "x");
	cmd->items[0].size = 8;
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	cmd->items[0].size = 400;
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	cmd = buf_init(&b, sizeof(*cmd));
	cmd->size = sizeof(*cmd) + 8;
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	/* missing mandatory items, bad bloom, bad names, duplicates */
	cmd = buf_init(&b, sizeof(*cmd));
	buf_str(&b, KDBUS_ITEM_MAKE_NAME, "0-nobloom");
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	{
		struct kdbus_bloom_parameter bad = { 12, 1 }, ok = { 8, 1 };
		char longname[100];

		cmd = buf_init(&b, sizeof(*cmd));
		buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &bad, sizeof(bad));
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, "0-badbloom");
		CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
		cmd = buf_init(&b, sizeof(*cmd));
		buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &ok, sizeof(ok));
		snprintf(longname, sizeof(longname), "%u-nouid", geteuid() + 1);
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, longname);
		CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
		cmd = buf_init(&b, sizeof(*cmd));
		buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &ok, sizeof(ok));
		memset(longname, 'a', sizeof(longname));
		snprintf(longname, 8, "%u-", geteuid());
		longname[strlen(longname)] = 'a';
		longname[80] = 0;
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, longname);
		CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -ENAMETOOLONG);
		cmd = buf_init(&b, sizeof(*cmd));
		buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &ok, sizeof(ok));
		buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &ok, sizeof(ok));
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, name);
		CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	}
	/* an existing name */
	CHECK(bus_make_named(name, 0, &fd2) == -EEXIST);

	/* negotiation: flags written back, unsupported item types zeroed */
	cmd = buf_init(&b, sizeof(*cmd));
	cmd->flags = KDBUS_FLAG_NEGOTIATE;
	types[0] = KDBUS_ITEM_MAKE_NAME;
	types[1] = KDBUS_ITEM_CANCEL_FD;
	types[2] = KDBUS_ITEM_BLOOM_PARAMETER;
	types[3] = 0x1234;
	buf_item(&b, KDBUS_ITEM_NEGOTIATE, types, sizeof(types));
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == 0);
	CHECK(cmd->flags ==
	      (KDBUS_MAKE_ACCESS_GROUP | KDBUS_MAKE_ACCESS_WORLD));
	CHECK(cmd->items[0].data[0] == KDBUS_ITEM_MAKE_NAME);
	CHECK(cmd->items[0].data[1] == 0);
	CHECK(cmd->items[0].data[2] == KDBUS_ITEM_BLOOM_PARAMETER);
	CHECK(cmd->items[0].data[3] == 0);
	/* negotiating did not make a bus: the fd is still fresh */
	CHECK(bus_make_named(name, 0, &fd2) == -EEXIST);
	close(fd);

	fd = ep_open(name);
	h = buf_init(&b, sizeof(*h));
	h->flags = KDBUS_FLAG_NEGOTIATE;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == 0);
	CHECK(h->flags == (KDBUS_HELLO_ACCEPT_FD | KDBUS_HELLO_ACTIVATOR |
			   KDBUS_HELLO_POLICY_HOLDER | KDBUS_HELLO_MONITOR));
	h = buf_init(&b, sizeof(*h));
	h->pool_size = POOL_SIZE;
	h->flags = KDBUS_HELLO_MONITOR;
	buf_str(&b, KDBUS_ITEM_NAME, "org.k.m"); /* monitors take no names */
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	h = buf_init(&b, sizeof(*h));
	h->pool_size = POOL_SIZE;
	h->flags = KDBUS_HELLO_MONITOR | KDBUS_HELLO_ACTIVATOR;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	h->flags = 0;
	h->attach_flags_recv = 1ull << 20;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	close(fd);

	/* queries and RECV flags (the conformance tests go further) */
	CHECK(hello(name, &c) == 0);
	{
		struct kdbus_cmd_info info = { sizeof(info), 0, 0, 0, 0, 0, 0 };
		struct kdbus_cmd_list list = { sizeof(list), 0, 0, 0, 0 };
		struct kdbus_cmd_recv r = { .size = sizeof(r),
					    .flags = KDBUS_RECV_PEEK };

		CHECK(call(c.fd, KDBUS_CMD_CONN_INFO, &info) == -EINVAL);
		CHECK(call(c.fd, KDBUS_CMD_LIST, &list) == 0 &&
		      list.list_size == 0);
		CHECK(call(c.fd, KDBUS_CMD_RECV, &r) == -EAGAIN);
		r.flags = KDBUS_FLAG_NEGOTIATE;
		CHECK(call(c.fd, KDBUS_CMD_RECV, &r) == 0 &&
		      r.flags == (KDBUS_RECV_PEEK | KDBUS_RECV_DROP |
				  KDBUS_RECV_USE_PRIORITY));
		r.flags = KDBUS_RECV_DROP | KDBUS_RECV_USE_PRIORITY;
		CHECK(call(c.fd, KDBUS_CMD_RECV, &r) == -EINVAL);
		CHECK(call(c.fd, KDBUS_CMD_HELLO, b.w) == -EBADFD);
	}
	/* UPDATE takes the attach items */
	cmd = buf_init(&b, sizeof(*cmd));
	buf_u64(&b, KDBUS_ITEM_ATTACH_FLAGS_SEND, 0);
	buf_u64(&b, KDBUS_ITEM_ATTACH_FLAGS_RECV, _KDBUS_ATTACH_ANY);
	CHECK(call(c.fd, KDBUS_CMD_UPDATE, b.w) == 0);
	cmd = buf_init(&b, sizeof(*cmd));
	buf_u64(&b, KDBUS_ITEM_ATTACH_FLAGS_RECV, 1ull << 30);
	CHECK(call(c.fd, KDBUS_CMD_UPDATE, b.w) == -EINVAL);
	/* SEND negotiation reports the message flags */
	{
		struct kdbus_msg m = { .size = sizeof(m),
				       .flags = KDBUS_FLAG_NEGOTIATE };
		struct kdbus_cmd_send s = { .size = sizeof(s),
					    .msg_address = (uintptr_t)&m };

		s.flags = KDBUS_FLAG_NEGOTIATE;
		CHECK(call(c.fd, KDBUS_CMD_SEND, &s) == 0);
		CHECK(s.flags == KDBUS_SEND_SYNC_REPLY);
		CHECK(m.flags == (KDBUS_MSG_EXPECT_REPLY |
				  KDBUS_MSG_NO_AUTO_START | KDBUS_MSG_SIGNAL));
		s.flags = 0;
		m.flags = KDBUS_FLAG_NEGOTIATE;
		CHECK(call(c.fd, KDBUS_CMD_SEND, &s) == -EINVAL);
	}
	conn_close(&c);
	close(bus);
	ret = 0;
	return ret;
}

static int test_hello_pool(void)
{
	char name[64];
	struct buf b;
	struct kdbus_cmd_hello *h;
	struct conn c1, c2;
	void *p;
	int bus, fd;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	fd = ep_open(name);
	CHECK(fd >= 0);
	h = buf_init(&b, sizeof(*h));
	h->pool_size = 0;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	h->pool_size = 4097;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EBADFD);
	close(fd);

	CHECK(hello(name, &c1) == 0);
	CHECK(hello(name, &c2) == 0);
	CHECK(c1.id && c2.id > c1.id);
	/* mapping rules */
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c1.fd, 0) ==
		      MAP_FAILED &&
	      errno == EPERM);
	CHECK(mmap(NULL, POOL_SIZE + 4096, PROT_READ, MAP_SHARED, c1.fd, 0) ==
		      MAP_FAILED &&
	      errno == EFAULT);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, c1.fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(mprotect(p, 4096, PROT_READ | PROT_WRITE) < 0);
	munmap(p, 4096);
	/* FREE: only slices userspace holds; pool_size is a no-op */
	CHECK(free_off(&c1, 0) == -ENXIO);
	CHECK(free_off(&c1, 8) == -ENXIO);
	CHECK(free_off(&c1, POOL_SIZE) == 0);
	CHECK(free_off(&c1, ~0ull) == -ENXIO);
	/* poll: writable, not readable */
	{
		struct pollfd pfd = { c1.fd, POLLIN | POLLOUT, 0 };

		CHECK(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLOUT);
	}
	conn_close(&c1);
	conn_close(&c2);
	/* closing the owner kills the bus: the node goes away */
	close(bus);
	CHECK(ep_open(name) < 0);
	return 0;
}

struct server_arg {
	struct conn *c;
	int mode; /* 0: echo one call; 1: never reply; 2: close; 3: memfd */
};

static void *server_thread(void *p)
{
	struct server_arg *a = p;
	struct pollfd pfd = { a->c->fd, POLLIN, 0 };
	struct rmsg r;
	struct msgspec s;

	if (poll(&pfd, 1, 5000) != 1 || recv_msg(a->c, &r))
		return (void *)1;
	if (a->mode == 2) {
		conn_close(a->c);
		return NULL;
	}
	if (a->mode == 1)
		return NULL;
	s = spec_to(r.msg->src_id, r.data, r.len);
	s.timeout_or_reply = r.msg->cookie;
	s.cookie = 99;
	if (a->mode == 3) { /* reply with a sealed memfd */
		s.len = 0;
		s.memfd = make_memfd(8192, 1);
		s.memfd_size = 8192;
	}
	if (send_msg(a->c, &s, NULL))
		return (void *)2;
	if (s.memfd >= 0)
		close(s.memfd);
	free_off(a->c, r.offset);
	return NULL;
}

static int test_unicast(void)
{
	static const char hello_data[] = "hello, kdbus!";
	char name[64], payload[100];
	struct conn a, b;
	struct rmsg r;
	struct msgspec s;
	struct kdbus_msg_info info;
	struct server_arg sa = { &b, 0 };
	pthread_t t;
	void *tret;
	int bus, i;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello(name, &a) == 0);
	CHECK(hello(name, &b) == 0);

	/* RECV on an empty queue */
	CHECK(recv_msg(&b, &r) == -EAGAIN && r.offset == POOL_SIZE);

	/* one message with two vectors and a padding vector in between */
	{
		struct buf mb;
		struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
		struct kdbus_cmd_send cmd = { .size = sizeof(cmd) };
		struct kdbus_vec v1 = { 5, { (uintptr_t) "abcde" } };
		struct kdbus_vec pad = { 3, { 0 } };
		struct kdbus_vec v2 = { 4, { (uintptr_t) "wxyz" } };
		const struct kdbus_item *it;
		int n = 0;

		m->dst_id = b.id;
		m->payload_type = KDBUS_PAYLOAD_DBUS;
		m->cookie = 7;
		buf_item(&mb, KDBUS_ITEM_PAYLOAD_VEC, &v1, sizeof(v1));
		buf_item(&mb, KDBUS_ITEM_PAYLOAD_VEC, &pad, sizeof(pad));
		buf_item(&mb, KDBUS_ITEM_PAYLOAD_VEC, &v2, sizeof(v2));
		cmd.msg_address = (uintptr_t)m;
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == 0);
		CHECK(cmd.reply.offset == POOL_SIZE && cmd.reply.msg_size == 0);
		CHECK(m->src_id == 0); /* the sender's copy is not written */
		CHECK(recv_msg(&b, &r) == 0);
		CHECK(r.msg->src_id == a.id && r.msg->dst_id == b.id);
		CHECK(r.msg->cookie == 7);
		for (it = r.msg->items;
		     (uint8_t *)it < (uint8_t *)r.msg + r.msg->size;
		     it = (void *)((uint8_t *)it + ALIGN8(it->size))) {
			const struct kdbus_vec *v = (const void *)it->data;

			CHECK(it->type == KDBUS_ITEM_PAYLOAD_OFF);
			if (n == 0)
				CHECK(!memcmp((uint8_t *)r.msg + v->offset,
					      "abcde", 5));
			if (n == 1)
				CHECK(v->offset == ~0ull);
			if (n == 2) {
				CHECK(!memcmp((uint8_t *)r.msg + v->offset,
					      "wxyz", 4));
				/* padding vector added size % 8 zero bytes */
				CHECK(((uint8_t *)r.msg)[v->offset - 1] == 0);
			}
			n++;
		}
		CHECK(n == 3);
		CHECK(free_off(&b, r.offset) == 0);
		CHECK(free_off(&b, r.offset) == -ENXIO);
	}

	/* FIFO */
	for (i = 0; i < 3; i++) {
		payload[0] = (char)i;
		s = spec_to(b.id, payload, 1);
		CHECK(send_msg(&a, &s, NULL) == 0);
	}
	for (i = 0; i < 3; i++) {
		CHECK(recv_msg(&b, &r) == 0 && r.len == 1 && r.data[0] == i);
		CHECK(free_off(&b, r.offset) == 0);
	}

	/* validation errors of spec 9.3 */
	s = spec_to(b.id, payload, 10);
	s.dst = 0;
	CHECK(send_msg(&a, &s, NULL) == -EDESTADDRREQ);
	s.dst = 0xfffffff0;
	CHECK(send_msg(&a, &s, NULL) == -ENXIO);
	s.dst = KDBUS_DST_ID_BROADCAST;
	CHECK(send_msg(&a, &s, NULL) == -EBADMSG);
	s.dst = b.id;
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	CHECK(send_msg(&a, &s, NULL) == -EINVAL); /* timeout 0 */
	s.flags = 0;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	CHECK(send_msg(&a, &s, NULL) == -EINVAL);
	s.send_flags = 0;
	s.flags = 1ull << 10;
	CHECK(send_msg(&a, &s, NULL) == -EINVAL);
	s.flags = 0;
	s.timeout_or_reply = 12345; /* a reply nobody waits for */
	CHECK(send_msg(&a, &s, NULL) == -EBADSLT);
	s = spec_to(b.id, (void *)8, 10); /* unreadable */
	CHECK(send_msg(&a, &s, NULL) == -EFAULT);
	s = spec_to(b.id, payload, 3u << 20);
	CHECK(send_msg(&a, &s, NULL) == -EMSGSIZE);
	{
		struct kdbus_msg m = { .size = sizeof(m), .dst_id = b.id };
		struct kdbus_cmd_send cmd = { .size = sizeof(cmd),
					      .msg_address = (uintptr_t)&m };

		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) ==
		      -EINVAL); /* payload 0 */
		m.payload_type = KDBUS_PAYLOAD_DBUS;
		m.src_id = b.id;
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == -EINVAL); /* forged */
		m.src_id = a.id;
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == 0);
		cmd.msg_address = (uintptr_t)&m + 4;
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == -EFAULT);
		CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
	}

	/* synchronous call: one SEND, reply in our pool */
	CHECK(pthread_create(&t, NULL, server_thread, &sa) == 0);
	s = spec_to(b.id, hello_data, sizeof(hello_data));
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	s.cookie = 42;
	s.timeout_or_reply = now_ns() + 5000000000ull;
	CHECK(send_msg(&a, &s, &info) == 0);
	pthread_join(t, &tret);
	CHECK(tret == NULL);
	CHECK(info.offset < POOL_SIZE && info.msg_size >= 64);
	{
		struct kdbus_msg *m = (void *)(a.pool + info.offset);
		const struct kdbus_vec *v = (const void *)m->items[0].data;

		CHECK(m->src_id == b.id && m->cookie_reply == 42);
		CHECK(m->items[0].type == KDBUS_ITEM_PAYLOAD_OFF);
		CHECK(!memcmp((uint8_t *)m + v->offset, hello_data,
			      sizeof(hello_data)));
	}
	CHECK(free_off(&a, info.offset) == 0);
	/* the reply never entered the queue */
	CHECK(recv_msg(&a, &r) == -EAGAIN);

	/* asynchronous call + reply through the queue */
	s = spec_to(b.id, "q", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 77;
	s.timeout_or_reply = now_ns() + 5000000000ull;
	CHECK(send_msg(&a, &s, NULL) == 0);
	CHECK(recv_msg(&b, &r) == 0 && r.msg->flags == KDBUS_MSG_EXPECT_REPLY);
	CHECK(free_off(&b, r.offset) == 0);
	s = spec_to(a.id, "r", 1);
	s.timeout_or_reply = 78; /* wrong cookie */
	CHECK(send_msg(&b, &s, NULL) == -EBADSLT);
	s.timeout_or_reply = 77;
	CHECK(send_msg(&a, &s, NULL) == -EBADSLT); /* wrong peer (a to a) */
	CHECK(send_msg(&b, &s, NULL) == 0);
	CHECK(send_msg(&b, &s, NULL) == -EBADSLT); /* only once */
	CHECK(recv_msg(&a, &r) == 0 && r.msg->cookie_reply == 77 &&
	      r.data[0] == 'r');
	CHECK(free_off(&a, r.offset) == 0);

	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int test_timeouts(void)
{
	char name[64];
	struct conn a, b;
	struct rmsg r;
	struct msgspec s;
	struct kdbus_msg_info info;
	struct server_arg sa = { &b, 1 };
	pthread_t t;
	uint64_t t0;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello(name, &a) == 0);
	CHECK(hello(name, &b) == 0);

	/* deadline already passed: nothing is sent */
	s = spec_to(b.id, "x", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	s.timeout_or_reply = now_ns() - 1;
	CHECK(send_msg(&a, &s, NULL) == -ETIMEDOUT);
	CHECK(recv_msg(&b, &r) == -EAGAIN);

	/* sync call nobody answers: ETIMEDOUT after ~200 ms */
	CHECK(pthread_create(&t, NULL, server_thread, &sa) == 0);
	t0 = now_ns();
	s.cookie = 5;
	s.timeout_or_reply = t0 + 200000000ull;
	CHECK(send_msg(&a, &s, &info) == -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 190000000ull);
	pthread_join(t, NULL);
	/* late reply: the tracker is gone */
	s = spec_to(a.id, "y", 1);
	s.timeout_or_reply = 5;
	CHECK(send_msg(&b, &s, NULL) == -EBADSLT);

	/* async call times out: REPLY_TIMEOUT notification */
	s = spec_to(b.id, "z", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 6;
	s.timeout_or_reply = now_ns() + 100000000ull;
	CHECK(send_msg(&a, &s, NULL) == 0);
	usleep(400000);
	CHECK(recv_msg(&a, &r) == 0);
	CHECK(r.msg->src_id == 0 && r.msg->payload_type == 0);
	CHECK(r.msg->cookie_reply == 6 && r.notify == KDBUS_ITEM_REPLY_TIMEOUT);
	CHECK(free_off(&a, r.offset) == 0);
	s = spec_to(a.id, "w", 1);
	s.timeout_or_reply = 6;
	CHECK(send_msg(&b, &s, NULL) == -EBADSLT);

	/* BYEBYE: EBUSY with a queue, then dead */
	/* the server thread took "x" of the sync call; "z" is queued */
	CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
	{
		struct kdbus_cmd bye = { sizeof(bye), 0, 0 };
		struct pollfd pfd = { b.fd, POLLIN, 0 };

		s = spec_to(b.id, "q", 1);
		CHECK(send_msg(&a, &s, NULL) == 0);
		CHECK(call(b.fd, KDBUS_CMD_BYEBYE, &bye) == -EBUSY);
		CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
		/* an async call pending on b: b's goodbye sends REPLY_DEAD */
		s.flags = KDBUS_MSG_EXPECT_REPLY;
		s.cookie = 9;
		s.timeout_or_reply = now_ns() + 5000000000ull;
		CHECK(send_msg(&a, &s, NULL) == 0);
		CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
		CHECK(call(b.fd, KDBUS_CMD_BYEBYE, &bye) == 0);
		CHECK(call(b.fd, KDBUS_CMD_BYEBYE, &bye) == -ECONNRESET);
		CHECK(recv_msg(&b, &r) == -ECONNRESET);
		CHECK(poll(&pfd, 1, 0) == 1 &&
		      (pfd.revents & (POLLERR | POLLHUP)));
		CHECK(recv_msg(&a, &r) == 0 &&
		      r.notify == KDBUS_ITEM_REPLY_DEAD &&
		      r.msg->cookie_reply == 9);
		CHECK(free_off(&a, r.offset) == 0);
		s = spec_to(b.id, "q", 1);
		CHECK(send_msg(&a, &s, NULL) == -ENXIO);
	}
	conn_close(&b);

	/* sync call whose callee closes: EPIPE */
	CHECK(hello(name, &b) == 0);
	sa.mode = 2;
	CHECK(pthread_create(&t, NULL, server_thread, &sa) == 0);
	s = spec_to(b.id, "x", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	s.timeout_or_reply = now_ns() + 5000000000ull;
	CHECK(send_msg(&a, &s, NULL) == -EPIPE);
	pthread_join(t, NULL);

	/* the bus owner goes away: connections die */
	close(bus);
	CHECK(recv_msg(&a, &r) == -ECONNRESET);
	conn_close(&a);
	return 0;
}

static int test_broadcast(void)
{
	enum {
		N = 5
	};
	char name[64];
	struct conn pub, sub[N];
	uint64_t mask[N][BLOOM_SIZE / 8], filter[BLOOM_SIZE / 8];
	struct rmsg r;
	struct msgspec s;
	int bus, i;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello(name, &pub) == 0);
	memset(mask, 0, sizeof(mask));
	memset(filter, 0, sizeof(filter));
	for (i = 0; i < N; i++) {
		CHECK(hello(name, &sub[i]) == 0);
		mask[i][i % 8] = 1ull << i; /* bit i: "subscriber i" */
		/* sub 4 subscribes with no rule at all: it gets nothing */
		if (i < 4)
			CHECK(match_add(&sub[i], 1, mask[i], BLOOM_SIZE, 0,
					0) == 0);
	}
	/* wrong mask length */
	CHECK(match_add(&sub[4], 1, mask[0], 12, 0, 0) == -EDOM);
	CHECK(match_add(&sub[4], 1, mask[0], BLOOM_SIZE - 8, 0, 0) == -EDOM);

	/* the filter names subscribers 0 and 2 */
	filter[0] = 1ull << 0;
	filter[2] = 1ull << 2;
	s = spec_to(KDBUS_DST_ID_BROADCAST, "sig", 3);
	s.flags = KDBUS_MSG_SIGNAL;
	s.bloom = filter;
	CHECK(send_msg(&pub, &s, NULL) == 0);
	for (i = 0; i < N; i++) {
		int ret = recv_msg(&sub[i], &r);

		if (i == 0 || i == 2) {
			CHECK(ret == 0 && r.len == 3 &&
			      !memcmp(r.data, "sig", 3));
			CHECK(r.msg->dst_id == KDBUS_DST_ID_BROADCAST);
			CHECK(free_off(&sub[i], r.offset) == 0);
		} else {
			CHECK(ret == -EAGAIN);
		}
	}
	CHECK(recv_msg(&pub, &r) == -EAGAIN); /* no matches: no signals */

	/* framing rules for signals */
	s.bloom = NULL;
	CHECK(send_msg(&pub, &s, NULL) == -EBADMSG);
	s.bloom = filter;
	s.flags = 0;
	CHECK(send_msg(&pub, &s, NULL) == -EBADMSG);
	s.flags = KDBUS_MSG_SIGNAL;
	s.timeout_or_reply = 5;
	CHECK(send_msg(&pub, &s, NULL) == -ENOTUNIQ);
	s.timeout_or_reply = 0;
	s.dst_name = "org.example.x";
	CHECK(send_msg(&pub, &s, NULL) == -EBADMSG);
	s.dst_name = NULL;

	/* an empty entry matches every signal, MATCH_REMOVE takes it away */
	CHECK(match_add(&sub[4], 7, NULL, 0, 0, 0) == 0);
	CHECK(send_msg(&pub, &s, NULL) == 0);
	CHECK(recv_msg(&sub[4], &r) == 0 && free_off(&sub[4], r.offset) == 0);
	{
		struct kdbus_cmd_match m = { sizeof(m), 0, 0, 7 };

		CHECK(call(sub[4].fd, KDBUS_CMD_MATCH_REMOVE, &m) == 0);
		CHECK(call(sub[4].fd, KDBUS_CMD_MATCH_REMOVE, &m) == -EBADSLT);
	}
	/* ID rule: only signals from pub */
	CHECK(match_add(&sub[4], 8, NULL, 0, 1, pub.id) == 0);
	CHECK(send_msg(&sub[1], &s, NULL) == 0);
	CHECK(recv_msg(&sub[4], &r) == -EAGAIN);
	CHECK(send_msg(&pub, &s, NULL) == 0);
	CHECK(recv_msg(&sub[4], &r) == 0 && free_off(&sub[4], r.offset) == 0);
	for (i = 0; i < 4; i++)
		while (recv_msg(&sub[i], &r) == 0)
			free_off(&sub[i], r.offset);

	/* the selftest's generation case: byte 0 = 0x55, byte 63 = 0x80 */
	{
		uint64_t m2[BLOOM_SIZE / 8] = { 0 }, f2[BLOOM_SIZE / 8];

		struct kdbus_cmd_match rm = { sizeof(rm), 0, 0, 8 };

		CHECK(call(sub[4].fd, KDBUS_CMD_MATCH_REMOVE, &rm) == 0);
		((uint8_t *)m2)[0] = 0x55;
		((uint8_t *)m2)[63] = 0x80;
		CHECK(match_add(&sub[4], 9, m2, BLOOM_SIZE, 0, 0) == 0);
		memset(f2, 0, sizeof(f2));
		s.bloom = f2;
		s.generation = 3; /* newer than the mask: last block */
		CHECK(send_msg(&pub, &s, NULL) == 0);
		CHECK(recv_msg(&sub[4], &r) == -EAGAIN);
		((uint8_t *)f2)[0] = 0xff;
		((uint8_t *)f2)[63] = 0xff;
		CHECK(send_msg(&pub, &s, NULL) == 0);
		CHECK(recv_msg(&sub[4], &r) == 0 &&
		      free_off(&sub[4], r.offset) == 0);
	}

	/* unicast signal: delivered only through a match */
	s = spec_to(sub[3].id, "u", 1);
	s.flags = KDBUS_MSG_SIGNAL;
	s.bloom = filter; /* bits 0 and 2: sub 3 does not match */
	CHECK(send_msg(&pub, &s, NULL) == 0);
	CHECK(recv_msg(&sub[3], &r) == -EAGAIN);
	s.dst = sub[2].id;
	CHECK(send_msg(&pub, &s, NULL) == 0);
	CHECK(recv_msg(&sub[2], &r) == 0 && free_off(&sub[2], r.offset) == 0);

	/* a full receiver loses broadcasts and is told how many */
	{
		struct conn small;
		int lost = 0, k;

		CHECK(hello_sized(name, &small, 4 * 4096) == 0);
		CHECK(match_add(&small, 1, NULL, 0, 0, 0) == 0);
		s = spec_to(KDBUS_DST_ID_BROADCAST, filter, 1000);
		s.flags = KDBUS_MSG_SIGNAL;
		s.bloom = filter;
		for (k = 0; k < 20; k++)
			CHECK(send_msg(&pub, &s, NULL) == 0);
		while (recv_msg(&small, &r) == 0) {
			lost += (int)r.dropped;
			free_off(&small, r.offset);
		}
		lost += (int)r.dropped;
		CHECK(lost > 0);
		conn_close(&small);
	}
	for (i = 0; i < N; i++)
		conn_close(&sub[i]);
	conn_close(&pub);
	close(bus);
	return 0;
}

static int test_memfd(void)
{
	char name[64];
	struct conn a, b;
	struct rmsg r;
	struct msgspec s;
	int bus, fd, pfd[2], i;
	uint8_t *p;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello(name, &a) == 0);
	CHECK(hello(name, &b) == 0);

	fd = make_memfd(65536, 0);
	CHECK(fd >= 0);
	s = spec_to(b.id, NULL, 0);
	s.memfd = fd;
	s.memfd_size = 65536;
	CHECK(send_msg(&a, &s, NULL) == -ETXTBSY);
	CHECK(fcntl(fd, F_ADD_SEALS,
		    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0);
	CHECK(send_msg(&a, &s, NULL) == -ETXTBSY); /* SEAL missing */
	close(fd);

	fd = make_memfd(65536, 1);
	CHECK(fd >= 0);
	s.memfd = fd;
	s.memfd_size = 65537;
	CHECK(send_msg(&a, &s, NULL) == -EFAULT); /* beyond the file */
	s.memfd_size = 0;
	CHECK(send_msg(&a, &s, NULL) == -EINVAL);
	s.memfd_size = 65536;
	s.memfd = -1;
	{
		/* negative fd: build by hand */
		struct buf mb;
		struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
		struct kdbus_memfd mf = { 0, 10, -1, 0 };
		struct kdbus_cmd_send cmd = { .size = sizeof(cmd),
					      .msg_address = (uintptr_t)m };

		m->dst_id = b.id;
		m->payload_type = KDBUS_PAYLOAD_DBUS;
		buf_item(&mb, KDBUS_ITEM_PAYLOAD_MEMFD, &mf, sizeof(mf));
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == -EBADF);
		CHECK(pipe(pfd) == 0);
		m = buf_init(&mb, sizeof(*m));
		m->dst_id = b.id;
		m->payload_type = KDBUS_PAYLOAD_DBUS;
		mf.fd = pfd[0];
		buf_item(&mb, KDBUS_ITEM_PAYLOAD_MEMFD, &mf, sizeof(mf));
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == -EMEDIUMTYPE);
		close(pfd[0]);
		close(pfd[1]);
		/* 17 memfds */
		m = buf_init(&mb, sizeof(*m));
		m->dst_id = b.id;
		m->payload_type = KDBUS_PAYLOAD_DBUS;
		mf.fd = fd;
		for (i = 0; i < 17; i++)
			buf_item(&mb, KDBUS_ITEM_PAYLOAD_MEMFD, &mf,
				 sizeof(mf));
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == -E2BIG);
		/* start + size overflow */
		m = buf_init(&mb, sizeof(*m));
		m->dst_id = b.id;
		m->payload_type = KDBUS_PAYLOAD_DBUS;
		mf.start = ~0ull - 4;
		buf_item(&mb, KDBUS_ITEM_PAYLOAD_MEMFD, &mf, sizeof(mf));
		CHECK(call(a.fd, KDBUS_CMD_SEND, &cmd) == -EMSGSIZE);
	}
	s.memfd = fd;
	CHECK(send_msg(&a, &s, NULL) == 0);
	close(fd); /* the sender may close right away */
	CHECK(recv_msg(&b, &r) == 0);
	CHECK(r.memfd >= 0 && r.memfd_size == 65536);
	CHECK(fcntl(r.memfd, F_GETFD) == FD_CLOEXEC);
	p = mmap(NULL, 65536, PROT_READ, MAP_SHARED, r.memfd, 0);
	CHECK(p != MAP_FAILED);
	for (i = 0; i < 65536; i++)
		if (p[i] != (uint8_t)(i * 7))
			break;
	CHECK(i == 65536);
	munmap(p, 65536);
	close(r.memfd);
	CHECK(free_off(&b, r.offset) == 0);

	/* a synchronous reply carrying a memfd: installed in the caller */
	{
		struct server_arg sa = { &b, 3 };
		struct kdbus_msg_info info;
		const struct kdbus_item *it;
		struct kdbus_msg *m;
		pthread_t t;
		void *tret;

		CHECK(pthread_create(&t, NULL, server_thread, &sa) == 0);
		s = spec_to(b.id, "call", 4);
		s.flags = KDBUS_MSG_EXPECT_REPLY;
		s.send_flags = KDBUS_SEND_SYNC_REPLY;
		s.timeout_or_reply = now_ns() + 5000000000ull;
		CHECK(send_msg(&a, &s, &info) == 0);
		pthread_join(t, &tret);
		CHECK(tret == NULL);
		m = (void *)(a.pool + info.offset);
		it = m->items;
		CHECK(it->type == KDBUS_ITEM_PAYLOAD_MEMFD);
		fd = ((const struct kdbus_memfd *)it->data)->fd;
		CHECK(fd >= 0);
		p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(p != MAP_FAILED && p[8191] == (uint8_t)(8191 * 7));
		munmap(p, 8192);
		close(fd);
		CHECK(free_off(&a, info.offset) == 0);
	}

	/* a queued memfd message dropped with its receiver leaks nothing */
	fd = make_memfd(4096, 1);
	s = spec_to(b.id, NULL, 0);
	s.memfd = fd;
	s.memfd_size = 4096;
	CHECK(send_msg(&a, &s, NULL) == 0);
	close(fd);
	conn_close(&b);
	conn_close(&a);
	close(bus);
	return 0;
}

static int test_pool_full(void)
{
	char name[64], data[4096];
	struct conn a, b;
	struct rmsg r;
	struct msgspec s;
	int bus, i, ret = 0;

	memset(data, 'p', sizeof(data));
	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello(name, &a) == 0);
	/* 256 queued messages per destination */
	CHECK(hello(name, &b) == 0);
	s = spec_to(b.id, data, 8);
	for (i = 0; i < 256; i++)
		CHECK(send_msg(&a, &s, NULL) == 0);
	CHECK(send_msg(&a, &s, NULL) == -ENOBUFS);
	CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
	CHECK(send_msg(&a, &s, NULL) == 0);
	conn_close(&b);

	/* queued bytes: at most pool/2 (64 KiB pool) */
	CHECK(hello_sized(name, &b, 65536) == 0);
	s = spec_to(b.id, data, 4000);
	for (i = 0; i < 100 && (ret = send_msg(&a, &s, NULL)) == 0; i++)
		;
	CHECK(ret == -ENOBUFS && i >= 6 && i <= 8);
	/* received but never freed slices: the allocator runs out (EXFULL) */
	while (recv_msg(&b, &r) == 0)
		;
	for (i = 0; i < 100 && (ret = send_msg(&a, &s, NULL)) == 0; i++)
		recv_msg(&b, &r); /* take it off the queue, keep the slice */
	CHECK(ret == -EXFULL);
	conn_close(&b);
	conn_close(&a);
	close(bus);
	return 0;
}

static int test_names(void)
{
	char name[64];
	struct conn a, b;
	struct rmsg r;
	struct msgspec s;
	uint64_t rf;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello(name, &a) == 0);
	CHECK(hello(name, &b) == 0);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, NULL, 0, NULL) == -EINVAL);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "noelement", 0, NULL) ==
	      -EINVAL);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org..x", 0, NULL) ==
	      -EINVAL);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.1x", 0, NULL) ==
	      -EINVAL);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, ".org.x", 0, NULL) ==
	      -EINVAL);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.x", 1ull << 9, NULL) ==
	      -EINVAL);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.example.bench",
		       KDBUS_NAME_QUEUE, &rf) == 0);
	CHECK(rf ==
	      (KDBUS_NAME_PRIMARY | KDBUS_NAME_ACQUIRED | KDBUS_NAME_QUEUE));
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.example.bench", 0,
		       &rf) == 0);
	CHECK((rf & KDBUS_NAME_PRIMARY) && !(rf & KDBUS_NAME_ACQUIRED));
	CHECK(name_cmd(&b, KDBUS_CMD_NAME_ACQUIRE, "org.example.bench", 0,
		       NULL) == -EEXIST);
	CHECK(name_cmd(&b, KDBUS_CMD_NAME_RELEASE, "org.example.bench", 0,
		       NULL) == -EADDRINUSE);
	CHECK(name_cmd(&b, KDBUS_CMD_NAME_RELEASE, "org.example.none", 0,
		       NULL) == -ESRCH);

	/* routing by name */
	s = spec_to(0, "n", 1);
	s.dst_name = "org.example.bench";
	CHECK(send_msg(&b, &s, NULL) == 0);
	CHECK(recv_msg(&a, &r) == 0 && r.msg->dst_id == 0 && r.data[0] == 'n');
	CHECK(free_off(&a, r.offset) == 0);
	s.dst = b.id;
	CHECK(send_msg(&b, &s, NULL) == -EREMCHG);
	s.dst = 0;
	s.dst_name = "org.example.none";
	CHECK(send_msg(&b, &s, NULL) == -ESRCH);
	s.dst_name = "bad";
	CHECK(send_msg(&b, &s, NULL) == -EINVAL);

	CHECK(name_cmd(&a, KDBUS_CMD_NAME_RELEASE, "org.example.bench", 0,
		       NULL) == 0);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_RELEASE, "org.example.bench", 0,
		       NULL) == -ESRCH);
	/* disconnect releases names */
	CHECK(name_cmd(&b, KDBUS_CMD_NAME_ACQUIRE, "org.example.bench", 0,
		       NULL) == 0);
	conn_close(&b);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.example.bench", 0,
		       NULL) == 0);
	conn_close(&a);
	close(bus);
	return 0;
}

/* ---- fuzz --------------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const unsigned long fuzz_cmds[] = {
	KDBUS_CMD_BUS_MAKE,
	KDBUS_CMD_ENDPOINT_MAKE,
	KDBUS_CMD_ENDPOINT_UPDATE,
	KDBUS_CMD_HELLO,
	KDBUS_CMD_UPDATE,
	KDBUS_CMD_BYEBYE,
	KDBUS_CMD_FREE,
	KDBUS_CMD_CONN_INFO,
	KDBUS_CMD_BUS_CREATOR_INFO,
	KDBUS_CMD_LIST,
	KDBUS_CMD_SEND,
	KDBUS_CMD_RECV,
	KDBUS_CMD_NAME_ACQUIRE,
	KDBUS_CMD_NAME_RELEASE,
	KDBUS_CMD_MATCH_ADD,
	KDBUS_CMD_MATCH_REMOVE,
};

static const uint64_t fuzz_types[] = {
	0,	1,	2,	3,	4,	5,	6,	7,
	8,	9,	10,	11,	12,	13,	14,	15,
	16,	0x1000, 0x1001, 0x1002, 0x100b, 0x100c, 0x100d, 0x2000,
	0x8000, 0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0x8006, ~0ull,
};

static void fuzz_item(struct buf *b, size_t len, uint8_t *scratch, int memfd)
{
	uint64_t type = fuzz_types[rnd() % (sizeof(fuzz_types) / 8)];
	struct kdbus_item *it = buf_item(b, type, NULL, len);
	size_t k;

	for (k = 0; k < len / 8; k++)
		it->data[k] = rnd() % 3 ? rnd() : 0;
	if (type == KDBUS_ITEM_PAYLOAD_VEC && len >= 16) {
		it->data[0] = rnd() % 5000;
		it->data[1] = rnd() % 3 ? (uintptr_t)scratch : rnd();
	}
	if (type == KDBUS_ITEM_PAYLOAD_MEMFD && len >= 24) {
		it->data[0] = rnd() % 8192;
		it->data[1] = rnd() % 8192;
		it->data[2] = rnd() % 2 ? (uint64_t)memfd : rnd();
	}
	if (rnd() % 16 == 0)
		it->size = rnd() % 64; /* break the chain */
}

/* the special kinds and a custom endpoint, defined in conformance.c */
struct kdbus_cmd_hello;
static struct kdbus_cmd_hello *hello_buf(struct buf *b, uint64_t flags);
static int hello_on_bus(const char *bus, struct conn *c, struct buf *b);
static void pol_name(struct buf *b, const char *name);
static void pol_acc(struct buf *b, uint64_t type, uint64_t access, uint64_t id);
static int holder(const char *bus, struct conn *c, const char *name,
		  uint64_t type, uint64_t access, uint64_t id);
static int activator(const char *bus, struct conn *c, const char *name);
static int monitor(const char *bus, struct conn *c, uint64_t flags,
		   uint64_t recv, size_t pool);
static int ep_make(const char *bus, const char *name, uint64_t flags,
		   const char *grant, uint64_t access);
static int ep_hello(const char *bus, const char *ep, struct conn *c,
		    uint64_t flags);
static int msg_fds(struct conn *c, uint64_t off, int *out, int max);

/* The other kinds of one fuzz round: a monitor, an activator for org.a.c,
 * a policy holder for org.a.*, a custom endpoint and a connection on it.
 */
static struct {
	struct conn mon, act, hold, e;
	int ep;
	const char *bus;
	char ep_name[64];
} fx;

/* Random policy groups, valid or not, for UPDATE / ENDPOINT_UPDATE. */
static void fuzz_policy(struct buf *b, int wild)
{
	static const char *const pn[] = { "org.a.b", "org.a.c", "org.a.*",
					  "x.y", "bad" };
	int n = (int)(rnd() % 4), i;

	for (i = 0; i < n; i++) {
		int k = (int)(rnd() % 3);

		if (rnd() % 8)
			pol_name(b, pn[rnd() % (wild ? 5 : 4)]);
		while (k--)
			pol_acc(b, rnd() % 5, rnd() % 4,
				rnd() % 2 ? 1000 : rnd());
	}
}

/* Work with the other kinds: policy updates, endpoint updates and
 * closing, kinds at HELLO, draining the monitor and the activator. */
static int fuzz_kinds(void)
{
	struct buf b;
	struct conn c;
	struct rmsg r;
	int ret = 0;

	switch (rnd() % 6) {
	case 0:
		buf_init(&b, 24);
		fuzz_policy(&b, 1);
		buf_done(&b);
		return call(fx.hold.fd, KDBUS_CMD_UPDATE, b.w);
	case 1:
		if (fx.ep < 0)
			return -EBADF;
		buf_init(&b, 24);
		fuzz_policy(&b, rnd() % 2);
		buf_done(&b);
		return call(fx.ep, KDBUS_CMD_ENDPOINT_UPDATE, b.w);
	case 2: /* an endpoint closes under its connection */
		if (fx.ep >= 0 && rnd() % 8 == 0) {
			close(fx.ep);
			fx.ep = -1;
		}
		return 0;
	case 3: { /* a HELLO of a random kind, closed again */
		uint64_t k[] = { KDBUS_HELLO_MONITOR, KDBUS_HELLO_ACTIVATOR,
				 KDBUS_HELLO_POLICY_HOLDER, 0,
				 KDBUS_HELLO_MONITOR | KDBUS_HELLO_ACTIVATOR };

		hello_buf(&b, k[rnd() % 5] | (rnd() % 2));
		if (rnd() % 2)
			pol_name(&b, rnd() % 2 ? "org.a.c" : "org.z.*");
		fuzz_policy(&b, 1);
		if (rnd() % 4 == 0) {
			uint64_t cr[8];
			int i;

			for (i = 0; i < 8; i++)
				cr[i] = rnd() % 2 ? rnd() % 2000 : rnd();
			buf_item(&b, KDBUS_ITEM_CREDS, cr,
				 rnd() % 2 ? 64 : 8 * (rnd() % 9));
		}
		ret = rnd() % 3 == 0 && fx.ep >= 0
			      ? ep_hello(fx.bus, fx.ep_name, &c, k[rnd() % 5])
			      : hello_on_bus(fx.bus, &c, &b);
		if (!ret)
			conn_close(&c);
		return ret;
	}
	default: { /* drain or peek the monitor and the activator */
		struct conn *d = rnd() % 2 ? &fx.mon : &fx.act;

		while ((ret = recv_msg(d, &r)) == 0) {
			int got[16], nf, k;

			if (r.memfd >= 0)
				close(r.memfd);
			nf = msg_fds(d, r.offset, got, 16);
			for (k = 0; k < nf && k < 16; k++)
				if (got[k] >= 0)
					close(got[k]);
			free_off(d, r.offset);
			if (rnd() % 4 == 0)
				break;
		}
		return ret;
	}
	}
}

/* A random, mostly well-framed command with random items. */
static void fuzz_fill(struct buf *b, uint8_t *scratch, int memfd, uint64_t dst)
{
	size_t fixed = 24 + 8 * (rnd() % 8), n = rnd() % 6, i;

	b->len = fixed;
	for (i = 0; i < fixed / 8; i++)
		b->w[i] = rnd() % 4 ? rnd() % 4 : rnd();
	if (rnd() % 2)
		b->w[1] = 0; /* flags */
	for (i = 0; i < n; i++) {
		size_t len = rnd() % 4 ? rnd() % 80 : rnd() % 9000;

		if (b->len + KDBUS_ITEM_HEADER_SIZE + len + 8 > sizeof(b->w))
			break;
		fuzz_item(b, len, scratch, memfd);
	}
	b->w[0] = b->len;
	switch (rnd() % 16) {
	case 0:
		b->w[0] = rnd() % 64;
		break;
	case 1:
		b->w[0] = rnd();
		break;
	case 2:
		b->w[0] = b->len + 8 * (rnd() % 4);
		break;
	case 3:
		b->w[0] = b->len - 1 - rnd() % 8;
		break;
	}
	if (fixed >= 56 && rnd() % 2) {
		/* a SEND: point msg_address at a second random command */
		struct buf *m = (struct buf *)(scratch + 8192);

		fuzz_fill(m, scratch, memfd, dst);
		m->w[1] &= 7;
		m->w[3] = rnd() % 3 ? dst : rnd();
		m->w[5] = rnd() % 4 ? KDBUS_PAYLOAD_DBUS : 0;
		b->w[3] = (uintptr_t)m->w;
	}
}

static int fuzz_fds[20];

/* Close what a received message installed: FDS entries and memfds. */
static int msg_fds(struct conn *c, uint64_t off, int *out, int max);

static void fuzz_close_memfd(struct conn *c, uint64_t off)
{
	const struct kdbus_msg *m = (const void *)(c->pool + off);
	const struct kdbus_item *it;

	for (it = m->items; (const uint8_t *)it < (const uint8_t *)m + m->size;
	     it = (const void *)((const uint8_t *)it + ALIGN8(it->size)))
		if (it->type == KDBUS_ITEM_PAYLOAD_MEMFD &&
		    ((const struct kdbus_memfd *)it->data)->fd >= 0)
			close(((const struct kdbus_memfd *)it->data)->fd);
}

static void fuzz_drain_fds(struct conn *c, uint64_t off)
{
	int got[16], n, k;

	if (off >= c->pool_size)
		return;
	n = msg_fds(c, off, got, 16);
	for (k = 0; k < n && k < 16; k++)
		if (got[k] >= 0)
			close(got[k]);
	fuzz_close_memfd(c, off);
	free_off(c, off);
}

static int match_id_rule(struct conn *c, uint64_t cookie, uint64_t type,
			 uint64_t id);
static int match_name_rule(struct conn *c, uint64_t cookie, uint64_t type,
			   uint64_t old_id, uint64_t new_id, const char *name);
static int update_attach(struct conn *c, uint64_t type, uint64_t v);
static int conn_info(struct conn *c, uint64_t id, const char *name,
		     uint64_t attach, const struct kdbus_info **info,
		     uint64_t *off);
static int recv_flags(struct conn *c, uint64_t flags, int64_t prio,
		      struct kdbus_cmd_recv *out);

/* A well-framed command with plausible but random semantics, so the fuzz
 * also reaches routing, quotas, matches and names, not only the parser. */
static int fuzz_structured(struct conn *c, struct conn *other, int memfd,
			   uint64_t *offs)
{
	static const char *const names[] = { "org.a.b", "org.a.c", "x.y" };
	uint64_t mask[BLOOM_SIZE / 8], filter[BLOOM_SIZE / 8];
	struct kdbus_msg_info info;
	struct msgspec s;
	size_t i;

	for (i = 0; i < BLOOM_SIZE / 8; i++) {
		mask[i] = rnd() % 4 ? 0 : 1ull << (rnd() % 64);
		filter[i] = rnd() % 2 ? rnd() : 0;
	}
	switch (rnd() % 16) {
	case 0:
		return match_add(c, rnd() % 4, rnd() % 2 ? mask : NULL,
				 BLOOM_SIZE * (1 + rnd() % 3), (int)(rnd() % 2),
				 rnd() % 2 ? other->id : KDBUS_MATCH_ID_ANY);
	case 8: /* notification rules, sometimes for a name */
		if (rnd() % 2)
			return match_id_rule(
				c, rnd() % 4, KDBUS_ITEM_ID_ADD + rnd() % 2,
				rnd() % 2 ? other->id : KDBUS_MATCH_ID_ANY);
		return match_name_rule(c, rnd() % 4,
				       KDBUS_ITEM_NAME_ADD + rnd() % 3,
				       KDBUS_MATCH_ID_ANY,
				       rnd() % 2 ? c->id : KDBUS_MATCH_ID_ANY,
				       rnd() % 2 ? names[rnd() % 3] : NULL);
	case 9: /* random metadata masks, ANY included */
		return update_attach(c,
				     KDBUS_ITEM_ATTACH_FLAGS_SEND + rnd() % 2,
				     rnd() % 8	 ? rnd() & _KDBUS_ATTACH_ALL
				     : rnd() % 2 ? _KDBUS_ATTACH_ANY
						 : rnd());
	case 10: { /* queries; results are kept or freed like messages */
		const struct kdbus_info *in;
		struct kdbus_cmd_list cl = { sizeof(cl), rnd() % 32, 0, 0, 0 };
		struct kdbus_cmd_info ci = {
			sizeof(ci),
			0,
			0,
			0,
			rnd() % 4 ? _KDBUS_ATTACH_ANY : rnd(),
			0,
			0
		};
		uint64_t off;
		int ret;

		switch (rnd() % 3) {
		case 0:
			ret = conn_info(c, rnd() % 2 ? other->id : rnd() % 64,
					rnd() % 2 ? names[rnd() % 3] : NULL,
					rnd() % 4 ? _KDBUS_ATTACH_ALL : rnd(),
					&in, &off);
			break;
		case 1:
			ret = call(c->fd, KDBUS_CMD_LIST, &cl);
			off = cl.offset;
			break;
		default:
			ret = call(c->fd, KDBUS_CMD_BUS_CREATOR_INFO, &ci);
			off = ci.offset;
			break;
		}
		if (!ret) {
			if (rnd() % 4)
				free_off(c, off);
			else
				offs[rnd() % 8] = off;
		}
		return ret;
	}
	case 11: { /* PEEK / DROP / priorities */
		struct kdbus_cmd_recv rc;
		int ret =
			recv_flags(c, rnd() % 8, (int64_t)(rnd() % 5) - 2, &rc);
		int got[16], n, k;

		if (ret)
			return ret;
		if (!(rc.msg.offset < c->pool_size))
			return 0; /* DROP */
		if (!(rc.flags & KDBUS_RECV_PEEK)) {
			n = msg_fds(c, rc.msg.offset, got, 16);
			for (k = 0; k < n && k < 16; k++)
				if (got[k] >= 0)
					close(got[k]);
			fuzz_close_memfd(c, rc.msg.offset);
		}
		return rnd() % 4 ? free_off(c, rc.msg.offset) : 0;
	}
	case 1: {
		struct kdbus_cmd_match m = { sizeof(m), 0, 0, rnd() % 4 };

		return call(c->fd, KDBUS_CMD_MATCH_REMOVE, &m);
	}
	case 2:
		return name_cmd(c,
				rnd() % 2 ? KDBUS_CMD_NAME_ACQUIRE
					  : KDBUS_CMD_NAME_RELEASE,
				names[rnd() % 3], rnd() % 8, NULL);
	case 3:
		return free_off(c, offs[rnd() % 8]);
	default:
		break;
	}
	s = spec_to(0, NULL, 0);
	switch (rnd() % 5) {
	case 0:
		s.dst = other->id;
		break;
	case 1:
		s.dst = c->id;
		break;
	case 2:
		s.dst = KDBUS_DST_ID_BROADCAST;
		break;
	case 3:
		s.dst = 0;
		break;
	default:
		s.dst = rnd() % 64;
		break;
	}
	s.flags = rnd() % 8;
	s.send_flags = rnd() % 4 == 0;
	s.cookie = rnd() % 8;
	switch (rnd() % 4) {
	case 0:
		s.timeout_or_reply = 0;
		break;
	case 1:
		s.timeout_or_reply = rnd() % 8;
		break; /* a reply */
	case 2:
		s.timeout_or_reply = now_ns() + rnd() % 20000000;
		break;
	default:
		s.timeout_or_reply = now_ns() - rnd() % 1000;
		break;
	}
	s.len = rnd() % 3 ? rnd() % 6000 : rnd() % (3u << 20);
	s.data = rnd() % 8 ? (void *)mask : (void *)(uintptr_t)(rnd() % 4096);
	if (s.len > sizeof(mask) && s.data == mask)
		s.len = sizeof(mask);
	if (rnd() % 4 == 0) {
		s.memfd = memfd;
		s.memfd_size = rnd() % 10000;
	}
	if (rnd() % 2)
		s.bloom = filter;
	s.generation = rnd() % 4;
	if (rnd() % 4 == 0)
		s.dst_name = names[rnd() % 3];
	if (rnd() % 4 == 0) { /* FDs in flight, also when receivers die */
		s.fds = fuzz_fds;
		s.n_fds = (int)(rnd() % 20);
	}
	{
		int ret = send_msg(c, &s, &info);

		if (!ret && s.send_flags)
			fuzz_drain_fds(c, info.offset);
		return ret;
	}
}

struct fuzz_peer {
	struct conn *c;
	uint64_t target;
	volatile int stop;
	uint64_t rng;
};

/* Concurrent synchronous calls and broadcasts while the main thread fuzzes,
 * disconnects and finally closes the bus owner underneath them. */
static void *fuzz_thread(void *p)
{
	struct fuzz_peer *f = p;
	uint64_t filter[BLOOM_SIZE / 8] = { 0 };

	while (!f->stop) {
		struct kdbus_msg_info info;
		struct msgspec s = spec_to(f->target, filter, 16);

		f->rng = f->rng * 6364136223846793005ull +
			 1442695040888963407ull;
		if (f->rng >> 62) {
			s.flags = KDBUS_MSG_EXPECT_REPLY;
			s.send_flags = KDBUS_SEND_SYNC_REPLY;
			s.cookie = (f->rng >> 32) % 8;
			s.timeout_or_reply =
				now_ns() + (f->rng >> 40) % 5000000;
		} else {
			s.dst = KDBUS_DST_ID_BROADCAST;
			s.flags = KDBUS_MSG_SIGNAL;
			s.bloom = filter;
		}
		if (send_msg(f->c, &s, &info) == 0 && s.send_flags)
			fuzz_drain_fds(f->c, info.offset);
		/* name queues change under the broadcasts */
		if ((f->rng >> 20) % 4 == 0)
			name_cmd(f->c,
				 (f->rng >> 24) % 2 ? KDBUS_CMD_NAME_ACQUIRE
						    : KDBUS_CMD_NAME_RELEASE,
				 "org.a.b", (f->rng >> 26) % 8, NULL);
	}
	return NULL;
}

static int test_fuzz(void)
{
	char name[64];
	struct conn a, b, p;
	uint8_t *scratch;
	struct buf *cmd;
	uint64_t end = now_ns() + (uint64_t)fuzz_seconds * 1000000000ull;
	unsigned long n = 0, ok = 0;
	int bus, memfd;

	scratch = mmap(NULL, 8192 + sizeof(struct buf) * 2,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	cmd = malloc(sizeof(*cmd));
	CHECK(scratch != MAP_FAILED && cmd);
	memfd = make_memfd(8192, rnd() % 2);
	rng_state ^= (uint64_t)getpid() << 20;
	{
		int pp[2], k;

		CHECK(pipe(pp) == 0);
		for (k = 0; k < 20; k++)
			fuzz_fds[k] = k % 3 == 0   ? pp[0]
				      : k % 3 == 1 ? pp[1]
				      : k == 17	   ? 1000
						   : memfd;
	}
	while (now_ns() < end) {
		struct fuzz_peer peer = { &p, 0, 0, rnd() };
		uint64_t offs[8] = { 0 };
		pthread_t t;
		int fds[9], i;

		CHECK(bus_make(name, sizeof(name), &bus) == 0);
		CHECK(hello(name, &a) == 0);
		CHECK(hello(name, &b) == 0);
		CHECK(hello_sized(name, &p, 65536) == 0);
		fx.bus = name;
		CHECK(monitor(name, &fx.mon, rnd() % 2,
			      rnd() % 2 ? _KDBUS_ATTACH_ANY : rnd() % 0x4000,
			      rnd() % 2 ? 16384 : POOL_SIZE) == 0);
		CHECK(activator(name, &fx.act, "org.a.c") == 0);
		CHECK(holder(name, &fx.hold, "org.a.*",
			     KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_TALK,
			     0) == 0);
		snprintf(fx.ep_name, sizeof(fx.ep_name), "%u-fz", geteuid());
		fx.ep = ep_make(name, fx.ep_name, KDBUS_MAKE_ACCESS_WORLD,
				"org.a.b", KDBUS_POLICY_TALK);
		CHECK(fx.ep >= 0);
		CHECK(ep_hello(name, fx.ep_name, &fx.e, 0) == 0);
		peer.target = a.id;
		CHECK(pthread_create(&t, NULL, fuzz_thread, &peer) == 0);
		fds[0] = bus;
		fds[1] = a.fd;
		fds[2] = b.fd;
		fds[3] = ep_open(name);
		fds[4] = fx.mon.fd;
		fds[5] = fx.act.fd;
		fds[6] = fx.hold.fd;
		fds[7] = fx.e.fd;
		fds[8] = fx.ep;
		for (i = 0; i < 2000; i++) {
			int fd;

			fds[8] = fx.ep >= 0 ? fx.ep : bus;
			fd = fds[rnd() % 9];
			unsigned long c =
				fuzz_cmds[rnd() % (sizeof(fuzz_cmds) /
						   sizeof(fuzz_cmds[0]))];
			void *arg = cmd->w;

			if (rnd() % 8 == 0) {
				if (fuzz_kinds() == 0)
					ok++;
				n++;
				goto received;
			}
			if (rnd() % 2) {
				struct conn *sc = rnd() % 2 ? &a : &b;

				if (rnd() % 8 == 0)
					sc = &fx.e; /* through the endpoint */
				if (fuzz_structured(sc, &b, memfd, offs) == 0)
					ok++;
				n++;
				goto received;
			}
			fuzz_fill(cmd, scratch, memfd, rnd() % 2 ? a.id : b.id);
			switch (rnd() % 32) {
			case 0:
				arg = NULL;
				break;
			case 1:
				arg = (uint8_t *)cmd->w + 1 + rnd() % 7;
				break;
			case 2:
				arg = (void *)(uintptr_t)rnd();
				break;
			/* truncated: the command ends at the end of a mapping */
			case 3:
				arg = scratch + 8192 - 8 * (1 + rnd() % 8);
				memcpy(arg, cmd->w, 8 * (1 + rnd() % 1));
				break;
			}
			if (ioctl(fd, c, arg) == 0)
				ok++;
			n++;
received:
			if (rnd() % 4 == 0) {
				struct conn *rc = rnd() % 2 ? &a : &b;
				struct rmsg r;

				while (recv_msg(rc, &r) == 0) {
					int got[16], nf, k;

					if (r.memfd >= 0)
						close(r.memfd);
					nf = msg_fds(rc, r.offset, got, 16);
					for (k = 0; k < nf && k < 16; k++)
						if (got[k] >= 0)
							close(got[k]);
					/* reply to calls now and then */
					if (r.msg->flags &
						    KDBUS_MSG_EXPECT_REPLY &&
					    rnd() % 2) {
						struct msgspec s = spec_to(
							r.msg->src_id, "r", 1);

						s.timeout_or_reply =
							r.msg->cookie;
						send_msg(rc, &s, NULL);
					}
					/* keep some slices: the pool fills */
					if (rnd() % 4)
						free_off(rc, r.offset);
					else
						offs[rnd() % 8] = r.offset;
				}
			}
			if (rnd() % 64 == 0) {
				struct pollfd pfd = { fd, POLLIN, 0 };

				poll(&pfd, 1, 0);
			}
		}
		close(fds[3]);
		/* close in a random order: owner first or last */
		if (rnd() % 2)
			close(bus); /* under the thread's calls */
		peer.stop = 1;
		pthread_join(t, NULL);
		conn_close(&p);
		/* FDs still in flight while receivers die, in any order */
		if (rnd() % 2)
			conn_close(&fx.act);
		conn_close(&a);
		conn_close(&fx.e);
		if (fx.ep >= 0)
			close(fx.ep);
		conn_close(&fx.mon);
		conn_close(&fx.hold);
		conn_close(&fx.act);
		conn_close(&b);
		if (fcntl(bus, F_GETFD) >= 0)
			close(bus);
	}
	printf("  fuzz: %lu ioctls in %u s, %lu succeeded\n", n, fuzz_seconds,
	       ok);
	close(memfd);
	close(fuzz_fds[0]);
	close(fuzz_fds[1]);
	free(cmd);
	munmap(scratch, 8192 + sizeof(struct buf) * 2);
	return 0;
}

#include "conformance.c"

static const struct {
	const char *name;
	int (*fn)(void);
	const char *group;
} tests[] = {
	{ "framing", test_framing, "base" },
	{ "hello-pool", test_hello_pool, "base" },
	{ "unicast-sync-reply", test_unicast, "base" },
	{ "timeouts-dead-peer", test_timeouts, "base" },
	{ "broadcast-bloom", test_broadcast, "base" },
	{ "memfd-seals", test_memfd, "base" },
	{ "pool-full", test_pool_full, "base" },
	{ "names", test_names, "base" },
	/* shared/kdbus-abi-full.md section 35, by line number */
	{ "c01-negotiate-flags", c01_negotiate_flags, "kinds" },
	{ "c02-negotiate-items", c02_negotiate_items, "kinds" },
	{ "c03-hello-two-kinds", c03_hello_two_kinds, "kinds" },
	{ "c04-hello-unprivileged", c04_hello_unprivileged, "kinds" },
	{ "c05-hello-name-item", c05_hello_name_item, "kinds" },
	{ "c06-kinds-commands", c06_kinds_commands, "kinds" },
	{ "c07-no-bus-required-mask", c07_no_bus_required_mask, "kinds" },
	{ "c08-meta-creds-implicit", c08_meta_creds_implicit, "metadata" },
	{ "c09-meta-recv-zero", c09_meta_recv_zero, "metadata" },
	{ "c10-meta-send-mask", c10_meta_send_mask, "metadata" },
	{ "c11-meta-pids", c11_meta_pids, "metadata" },
	{ "c12-meta-auxgroups", c12_meta_auxgroups, "metadata" },
	{ "c13-meta-names", c13_meta_names, "metadata" },
	{ "c14-meta-description", c14_meta_description, "metadata" },
	{ "c15-meta-caps", c15_meta_caps, "metadata" },
	{ "c16-meta-optional-items", c16_meta_optional_items, "metadata" },
	{ "c17-meta-timestamp-seqnum", c17_meta_timestamp_seqnum, "metadata" },
	{ "c18-meta-per-receiver", c18_meta_per_receiver, "metadata" },
	{ "c19-meta-snapshot-at-send", c19_meta_snapshot_at_send, "metadata" },
	{ "c20-meta-faked-creds", c20_meta_faked_creds, "metadata" },
	{ "c21-faked-unprivileged", c21_faked_unprivileged, "metadata" },
	{ "c22-meta-namespaces", c22_meta_namespaces, "metadata" },
	{ "c23-name-acquire-free", c23_name_acquire_free, "names" },
	{ "c24-name-reacquire", c24_name_reacquire, "names" },
	{ "c25-name-queue", c25_name_queue, "names" },
	{ "c26-name-queue-repeat", c26_name_queue_repeat, "names" },
	{ "c27-name-eexist", c27_name_eexist, "names" },
	{ "c28-name-leave-queue", c28_name_leave_queue, "names" },
	{ "c29-name-replace", c29_name_replace, "names" },
	{ "c30-name-replaced-owner", c30_name_replaced_owner, "names" },
	{ "c31-name-jump-queue", c31_name_jump_queue, "names" },
	{ "c32-name-fifo", c32_name_fifo, "names" },
	{ "c33-name-limit", c33_name_limit, "names" },
	{ "c34-name-release", c34_name_release, "names" },
	{ "c35-name-disconnect", c35_name_disconnect, "names" },
	{ "c36-name-bad-flags", c36_name_bad_flags, "names" },
	{ "c37-name-own-policy", c37_name_own_policy, "names" },
	{ "c38-notify-id", c38_notify_id, "notify" },
	{ "c39-notify-specific", c39_notify_specific, "notify" },
	{ "c40-notify-shape", c40_notify_shape, "notify" },
	{ "c41-notify-match-entry", c41_notify_match_entry, "notify" },
	{ "c42-reply-notify-unmatched", c42_reply_notify_unmatched, "notify" },
	{ "c43-notify-no-monitor", c43_notify_no_monitor, "notify" },
	{ "c44-notify-before-return", c44_notify_before_return, "notify" },
	{ "c45-notify-dropped", c45_notify_dropped, "notify" },
	{ "c46-notify-activator", c46_notify_activator, "notify" },
	{ "c47-conn-info", c47_conn_info, "queries" },
	{ "c48-conn-info-errors", c48_conn_info_errors, "queries" },
	{ "c49-conn-info-meta", c49_conn_info_meta, "queries" },
	{ "c50-bus-creator-info", c50_bus_creator_info, "queries" },
	{ "c51-list-unique", c51_list_unique, "queries" },
	{ "c52-list-names", c52_list_names, "queries" },
	{ "c53-list-unique-names", c53_list_unique_names, "queries" },
	{ "c54-list-flags", c54_list_flags, "queries" },
	{ "c55-query-pool", c55_query_pool, "queries" },
	{ "c56-fds-install", c56_fds_install, "fds" },
	{ "c57-fds-no-accept", c57_fds_no_accept, "fds" },
	{ "c58-fds-kinds", c58_fds_kinds, "fds" },
	{ "c59-fds-broadcast", c59_fds_broadcast, "fds" },
	{ "c60-fds-inflight", c60_fds_inflight, "fds" },
	{ "c61-fds-rlimit", c61_fds_rlimit, "fds" },
	{ "c62-fds-peek-drop", c62_fds_peek_drop, "fds" },
	{ "c63-fds-sync-reply", c63_fds_sync_reply, "fds" },
	{ "c64-cancel-fd", c64_cancel_fd, "cancel" },
	{ "c65-cancel-fd-rules", c65_cancel_fd_rules, "cancel" },
	{ "c66-recv-peek", c66_recv_peek, "recv" },
	{ "c67-recv-drop", c67_recv_drop, "recv" },
	{ "c68-drop-priority", c68_drop_priority, "recv" },
	{ "c69-recv-priority", c69_recv_priority, "recv" },
	{ "c70-dropped-counter", c70_dropped_counter, "recv" },
	{ "c71-sync-sa-restart", c71_sync_sa_restart, "sync" },
	{ "c72-sync-eintr-repeat", c72_sync_eintr_repeat, "sync" },
	{ "c73-sync-interrupted-deadline", c73_sync_interrupted_deadline,
	  "sync" },
	{ "c74-timeouts", c74_timeouts, "sync" },
	{ "c75-cookie-zero", c75_cookie_zero, "sync" },
	{ "c76-policy-default-talk", c76_policy_default_talk, "policy" },
	{ "c77-policy-talk-grant", c77_policy_talk_grant, "policy" },
	{ "c78-policy-reply-window", c78_policy_reply_window, "policy" },
	{ "c79-policy-broadcast", c79_policy_broadcast, "policy" },
	{ "c80-policy-user-group", c80_policy_user_group, "policy" },
	{ "c81-policy-wildcard", c81_policy_wildcard, "policy" },
	{ "c82-policy-holder-unique", c82_policy_holder_unique, "policy" },
	{ "c83-policy-update-atomic", c83_policy_update_atomic, "policy" },
	{ "c84-policy-item-order", c84_policy_item_order, "policy" },
	{ "c85-policy-update-ordinary", c85_policy_update_ordinary, "policy" },
	{ "c86-endpoint-make", c86_endpoint_make, "endpoints" },
	{ "c87-endpoint-empty-policy", c87_endpoint_empty_policy, "endpoints" },
	{ "c88-endpoint-grant", c88_endpoint_grant, "endpoints" },
	{ "c89-endpoint-notify-see", c89_endpoint_notify_see, "endpoints" },
	{ "c90-endpoint-kinds", c90_endpoint_kinds, "endpoints" },
	{ "c91-endpoint-close", c91_endpoint_close, "endpoints" },
	{ "c92-endpoint-update-badfd", c92_endpoint_update_badfd, "endpoints" },
	{ "c93-activator-queue", c93_activator_queue, "activators" },
	{ "c94-activator-unique", c94_activator_unique, "activators" },
	{ "c95-activator-handover", c95_activator_handover, "activators" },
	{ "c96-activator-sync-call", c96_activator_sync_call, "activators" },
	{ "c97-activator-take-back", c97_activator_take_back, "activators" },
	{ "c98-activator-fds-dropped", c98_activator_fds_dropped,
	  "activators" },
	{ "c99-monitor-traffic", c99_monitor_traffic, "monitors" },
	{ "c100-monitor-meta-fds", c100_monitor_meta_fds, "monitors" },
	{ "c101-monitor-invisible", c101_monitor_invisible, "monitors" },
	{ "c102-monitor-drops", c102_monitor_drops, "monitors" },
	{ "c103-conn-limit", c103_conn_limit, "quotas" },
	{ "c104-queue-per-user", c104_queue_per_user, "quotas" },
	{ "c105-kernel-slot", c105_kernel_slot, "quotas" },
	{ "c106-match-limit", c106_match_limit, "quotas" },
	{ "fuzz", test_fuzz, "base" },
};

#define N_TESTS (sizeof(tests) / sizeof(tests[0]))

int main(int argc, char **argv)
{
	int st[N_TESTS], k, ran = 0, notimpl_n = 0, env_n = 0;
	const char *groups[N_TESTS];
	size_t i, j, n_groups = 0;

	signal(SIGPIPE, SIG_IGN);
	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--base") && k + 1 < argc)
			base = argv[++k];
		else if (!strcmp(argv[k], "--fuzz-seconds") && k + 1 < argc)
			fuzz_seconds = (unsigned)atoi(argv[++k]);
		else
			break;
	}
	for (i = 0; i < N_TESTS; i++) {
		int want = k >= argc, jj, rc;

		st[i] = -2;
		for (jj = k; jj < argc; jj++)
			if (!strcmp(argv[jj], tests[i].name) ||
			    !strcmp(argv[jj], tests[i].group))
				want = 1;
		if (!want)
			continue;
		current = tests[i].name;
		skip_reason[0] = '\0';
		rc = tests[i].fn();
		st[i] = rc;
		if (rc == NOTIMPL)
			printf("SKIP %s (not implemented: %s)\n", tests[i].name,
			       skip_reason);
		else if (rc == ENVSKIP)
			printf("SKIP %s (environment: %s)\n", tests[i].name,
			       skip_reason);
		else
			printf("%s %s\n", rc ? "FAIL" : "ok  ", tests[i].name);
		fflush(stdout);
		failures += rc != 0 && rc != NOTIMPL && rc != ENVSKIP;
		notimpl_n += rc == NOTIMPL;
		env_n += rc == ENVSKIP;
		ran++;
	}
	/* per group: passed / not implemented / environment / failed */
	for (i = 0; i < N_TESTS; i++) {
		for (j = 0; j < n_groups; j++)
			if (!strcmp(groups[j], tests[i].group))
				break;
		if (j == n_groups)
			groups[n_groups++] = tests[i].group;
	}
	for (j = 0; j < n_groups; j++) {
		int p = 0, n = 0, e = 0, f = 0;

		for (i = 0; i < N_TESTS; i++) {
			if (strcmp(tests[i].group, groups[j]) || st[i] == -2)
				continue;
			p += st[i] == 0;
			n += st[i] == NOTIMPL;
			e += st[i] == ENVSKIP;
			f += st[i] != 0 && st[i] != NOTIMPL && st[i] != ENVSKIP;
		}
		if (p + n + e + f)
			printf("group %-10s %2d passed, %2d not implemented, %d environment, %d failed\n",
			       groups[j], p, n, e, f);
	}
	printf("%d of %d tests failed (%d not implemented, %d skipped for the environment)\n",
	       failures, ran, notimpl_n, env_n);
	return failures ? 1 : 0;
}
