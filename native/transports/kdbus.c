// SPDX-License-Identifier: MIT
/*
 * kdbus and kdbus-memfd: the kdbus ABI (ours in native/kernel/kdbus, or the
 * original's) through raw ioctls, written against kdbus-uapi.h only.
 *
 * Bus.  tp_params.address is the base directory: /dev/kdbus for our
 * module, /sys/fs/kdbus for the original kdbusfs.  Every channel makes its
 * own bus in prepare() (BUS_MAKE on <base>/control, name
 * "<euid>-ipcbench-<pid>-<n>"); the harness keeps the owner descriptor in
 * the channel and closing the channel ends the bus, which disconnects any
 * peer still on it.  The harness also says HELLO for the peers and hands
 * each peer its connection descriptor: a kdbus connection belongs to its
 * file, not to the process, so the peer only maps the pool.  That way the
 * client knows the server's ID without a name lookup.
 *
 * RPC.  One call is one SEND with EXPECT_REPLY and SYNC_REPLY: the kernel
 * copies the request from our buffer straight into the server's pool,
 * blocks, and returns the offset of the reply, which the server's SEND
 * copied straight into our pool.  We read it in place and FREE it with the
 * next call.  The server polls, RECVs, reads the request in place, replies
 * with cookie_reply and FREEs the request.
 *
 * Broadcast.  One SEND to KDBUS_DST_ID_BROADCAST with SIGNAL and a bloom
 * filter: the kernel copies the message once into every subscriber whose
 * match accepts it.  Subscriber i's MATCH_ADD mask is bloom bit i mod 512
 * (64-byte bloom); publish() sets the bits of the subscribers its
 * `interested` argument names, so the K uninterested subscribers' masks do
 * not match data messages and the kernel never wakes them.
 *
 * kdbus-memfd.  The payload travels as a sealed memfd by reference: every
 * message is a fresh memfd (sealed memfds are immutable, so they cannot be
 * reused), written once with pwrite() and sealed; the receiver maps the
 * descriptor it got at RECV and reads in place.  The server's echo builds
 * its own memfd like any server producing a reply of that size.
 *
 * kdbus-meta.  Every connection allows all metadata to be attached
 * (attach_flags_send = _KDBUS_ATTACH_ANY) and asks for what systemd's
 * sd-bus asked kdbus for on every message it received: timestamp, creds,
 * pids, auxgroups, names, comms, exe, cmdline, cgroup, caps, seclabel,
 * audit, description.  The kernel collects them in the sender's SEND and
 * writes them into every receiver's copy; nothing else differs from kdbus.
 *
 * kdbus-name.  The server's connection owns the well-known name
 * KD_SERVICE_NAME (acquired by the harness before handing it over) and
 * the client addresses every call by name (dst_id 0 + DST_NAME), so the
 * kernel's name lookup is part of each call; RPC only.
 *
 * Pools are mapped read-only (the kernel refuses writable mappings), so
 * the peers' "corrupt" fault injection cannot be used with this transport.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/types.h>) && __has_include(<linux/ioctl.h>)
#define IPCBENCH_HAVE_KDBUS 1
#endif
#endif

#ifdef IPCBENCH_HAVE_KDBUS

#include "../kernel/kdbus/kdbus-uapi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define KD_DEFAULT_BASE "/dev/kdbus"
#define KD_BLOOM_SIZE 64	/* bytes; what the original selftests use */
#define KD_POOL_MIN (16u << 20) /* what the original benchmark uses */
#define KD_CALL_TIMEOUT_NS (30ull * 1000000000ull)
#define KD_WAIT_SLICE_MS 200
#define KD_BACKOFF_NS 50000l
#define KD_BACKOFF_MAX_NS (10ll * 1000000000ll)
#define KD_ALIGN8(x) (((x) + 7) & ~(size_t)7)

#define KD_SERVICE_NAME "org.ipcbench.Server"

/* Message buffer: header + VEC or MEMFD item + bloom filter or DST_NAME. */
#define KD_MSG_BUF                                               \
	(sizeof(struct kdbus_msg) + 2 * KDBUS_ITEM_HEADER_SIZE + \
	 sizeof(struct kdbus_memfd) + 8 + KD_BLOOM_SIZE)

/* What sd-bus requested on every received message (attach_flags_recv). */
#define KD_SDBUS_ATTACH                                                        \
	(KDBUS_ATTACH_TIMESTAMP | KDBUS_ATTACH_CREDS | KDBUS_ATTACH_PIDS |     \
	 KDBUS_ATTACH_AUXGROUPS | KDBUS_ATTACH_NAMES | KDBUS_ATTACH_TID_COMM | \
	 KDBUS_ATTACH_PID_COMM | KDBUS_ATTACH_EXE | KDBUS_ATTACH_CMDLINE |     \
	 KDBUS_ATTACH_CGROUP | KDBUS_ATTACH_CAPS | KDBUS_ATTACH_SECLABEL |     \
	 KDBUS_ATTACH_AUDIT | KDBUS_ATTACH_CONN_DESCRIPTION)

/* The variants: one set of functions, parameterised by this. */
struct kd_mode {
	int memfd;	      /* payloads as sealed memfds */
	uint64_t attach_send; /* HELLO masks of every connection */
	uint64_t attach_recv;
	int by_name; /* RPC addressed by DST_NAME */
};

enum kd_variant {
	KD_VEC,
	KD_MEMFD,
	KD_META,
	KD_NAME
};

static const struct kd_mode kd_modes[] = {
	[KD_VEC] = { 0, 0, 0, 0 },
	[KD_MEMFD] = { 1, 0, 0, 0 },
	[KD_META] = { 0, _KDBUS_ATTACH_ANY, KD_SDBUS_ATTACH, 0 },
	[KD_NAME] = { 0, 0, 0, 1 },
};

struct tp_conn {
	struct tp_params params;
	enum tp_role role;
	const struct kd_mode *mode;
	int memfd_mode;
	int bus_fd; /* harness: owner of the channel's bus */
	int fd;
	int epfd; /* receivers: epoll on fd (no per-wait setup) */
	uint64_t id;
	uint8_t *pool;
	size_t pool_size;
	uint64_t peer_id; /* client: the server */
	uint64_t cookie;
	/* the received message we hand out, released at the next operation */
	uint64_t held_off;
	int held;
	int rx_memfd;
	void *rx_map;
	size_t rx_map_len;
	/* server: whom to answer */
	uint64_t req_src;
	uint64_t req_cookie;
	uint64_t msg_buf[KD_MSG_BUF / 8 + 1];
	uint64_t bloom[KD_BLOOM_SIZE / 8];
};

static uint64_t kd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *kd_base(const struct tp_params *p)
{
	return p->address && *p->address ? p->address : KD_DEFAULT_BASE;
}

/* Same on both sides: the peer cannot ask the kernel for its pool size.
 * Half the pool may hold queued messages (spec 8.4), and a received slice
 * stays held until the next operation, so leave room for several. */
static size_t kd_pool_size(const struct tp_params *p)
{
	size_t need = 8 * (p->max_msg + 4096), pool = KD_POOL_MIN;

	while (pool < need && pool < (512u << 20))
		pool <<= 1;
	return pool;
}

static struct kdbus_item *kd_item(void *at, uint64_t type, size_t payload)
{
	struct kdbus_item *it = at;

	it->size = KDBUS_ITEM_HEADER_SIZE + payload;
	it->type = type;
	return it;
}

static int kd_bus_make(const struct tp_params *p, char *name, size_t len,
		       int *out, char *err)
{
	static unsigned counter;
	uint64_t buf[64] = { 0 };
	struct kdbus_cmd *cmd = (void *)buf;
	struct kdbus_item *it;
	char path[PATH_MAX];
	size_t n;
	int fd;

	snprintf(name, len, "%u-ipcbench-%d-%u", geteuid(), (int)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	snprintf(path, sizeof(path), "%s/control", kd_base(p));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return tp_fail(err, -errno,
			       "open %s: %s (is the kdbus module loaded?)",
			       path, strerror(errno));
	cmd->flags = KDBUS_MAKE_ACCESS_WORLD;
	it = kd_item(cmd->items, KDBUS_ITEM_BLOOM_PARAMETER,
		     sizeof(struct kdbus_bloom_parameter));
	it->data[0] = KD_BLOOM_SIZE;
	it->data[1] = 1;
	it = (void *)((uint8_t *)it + KD_ALIGN8(it->size));
	n = strlen(name) + 1;
	kd_item(it, KDBUS_ITEM_MAKE_NAME, n);
	memcpy(it->data, name, n);
	cmd->size = (uint8_t *)it + KD_ALIGN8(it->size) - (uint8_t *)cmd;
	if (ioctl(fd, KDBUS_CMD_BUS_MAKE, cmd) < 0) {
		int e = errno;

		close(fd);
		return tp_fail(err, -e, "BUS_MAKE %s: %s", name, strerror(e));
	}
	*out = fd;
	return 0;
}

/* Open the bus endpoint and say HELLO; returns the connection fd. */
static int kd_hello(const struct tp_params *p, const struct kd_mode *mode,
		    const char *bus, uint64_t *id, int *out, char *err)
{
	struct kdbus_cmd_hello h;
	struct kdbus_cmd_free f;
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/bus", kd_base(p), bus);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return tp_fail(err, -errno, "open %s: %s", path,
			       strerror(errno));
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = KDBUS_HELLO_ACCEPT_FD;
	h.pool_size = kd_pool_size(p);
	h.attach_flags_send = mode->attach_send; /* 0, 0: no metadata */
	h.attach_flags_recv = mode->attach_recv;
	if (ioctl(fd, KDBUS_CMD_HELLO, &h) < 0) {
		int e = errno;

		close(fd);
		return tp_fail(err, -e, "HELLO: %s", strerror(e));
	}
	/* the bloom parameters are ours; release the slice unread */
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.offset = h.offset;
	if (ioctl(fd, KDBUS_CMD_FREE, &f) < 0) {
		int e = errno;

		close(fd);
		return tp_fail(err, -e, "FREE: %s", strerror(e));
	}
	*id = h.id;
	*out = fd;
	return 0;
}

static int kd_map(struct tp_conn *c, char *err)
{
	c->pool_size = kd_pool_size(&c->params);
	c->pool = mmap(NULL, c->pool_size, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED) {
		c->pool = NULL;
		return tp_fail(err, -errno, "mmap pool: %s", strerror(errno));
	}
	return 0;
}

static struct tp_conn *kd_alloc(const struct tp_params *p,
				const struct kd_mode *mode, enum tp_role role)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->params = *p;
	c->mode = mode;
	c->memfd_mode = mode->memfd;
	c->role = role;
	c->bus_fd = -1;
	c->fd = -1;
	c->epfd = -1;
	c->rx_memfd = -1;
	return c;
}

/* Give back what the last received message held: its slice, its memfd. */
static void kd_release_held(struct tp_conn *c)
{
	if (c->rx_map) {
		munmap(c->rx_map, c->rx_map_len);
		c->rx_map = NULL;
	}
	if (c->rx_memfd >= 0) {
		close(c->rx_memfd);
		c->rx_memfd = -1;
	}
	if (c->held) {
		struct kdbus_cmd_free f = { sizeof(f), 0, 0, c->held_off };

		ioctl(c->fd, KDBUS_CMD_FREE, &f);
		c->held = 0;
	}
}

static void kd_close(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		kd_release_held(c);
	if (c->pool)
		munmap(c->pool, c->pool_size);
	if (c->fd >= 0)
		close(c->fd);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->bus_fd >= 0)
		close(c->bus_fd); /* the bus ends here */
	free(c);
}

/* NAME_ACQUIRE on a connection fd (the server's, before handing it over). */
static int kd_acquire(int fd, const char *name, char *err)
{
	uint64_t buf[(sizeof(struct kdbus_cmd) + KDBUS_ITEM_HEADER_SIZE + 64) /
		     8] = { 0 };
	struct kdbus_cmd *cmd = (void *)buf;
	struct kdbus_item *it =
		kd_item(cmd->items, KDBUS_ITEM_NAME, strlen(name) + 1);

	memcpy(it->data, name, strlen(name) + 1);
	cmd->size = sizeof(*cmd) + KD_ALIGN8(it->size);
	if (ioctl(fd, KDBUS_CMD_NAME_ACQUIRE, cmd) < 0)
		return tp_fail(err, -errno, "NAME_ACQUIRE %s: %s", name,
			       strerror(errno));
	return 0;
}

static int kd_prepare_mode(const struct tp_params *p,
			   const struct kd_mode *mode, struct tp_conn **out,
			   struct tp_peer_fds *peers, char *err)
{
	int memfd_mode = mode->memfd;
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	char bus[96];
	uint64_t id;
	int rc;

	if (!memfd_mode && p->max_msg > KDBUS_MSG_MAX_PAYLOAD_VEC_SIZE)
		return tp_fail(
			err, -EMSGSIZE,
			"kdbus copies at most 2 MiB of PAYLOAD_VEC per message (use kdbus-memfd)");
	c = kd_alloc(p, mode,
		     p->subscribers ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT);
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	rc = kd_bus_make(p, bus, sizeof(bus), &c->bus_fd, err);
	if (!rc)
		rc = kd_hello(p, mode, bus, &c->id, &c->fd, err);
	if (!rc)
		rc = kd_map(c, err);
	for (i = 0; !rc && i < n; i++) {
		rc = kd_hello(p, mode, bus, &id, &peers[i].fds[0], err);
		if (!rc && mode->by_name && !p->subscribers) {
			rc = kd_acquire(peers[i].fds[0], KD_SERVICE_NAME, err);
			if (rc)
				close(peers[i].fds[0]);
		}
		if (rc) {
			while (i--)
				close(peers[i].fds[0]);
			break;
		}
		peers[i].n = 1;
		c->peer_id = id; /* RPC: the only peer is the server */
	}
	if (rc) {
		kd_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int kd_connect(struct tp_conn *c, char *err)
{
	(void)c;
	(void)err;
	return 0;
}

static int kd_attach_mode(const struct tp_params *p, const struct kd_mode *mode,
			  enum tp_role role, const int *fds, int n_fds,
			  struct tp_conn **out, char *err)
{
	struct tp_conn *c;
	int rc;

	if (n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	c = kd_alloc(p, mode, role);
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	c->fd = fds[0];
	rc = kd_map(c, err);
	if (!rc) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

		c->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (c->epfd < 0 ||
		    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->fd, &ev))
			rc = tp_fail(err, -errno, "epoll: %s", strerror(errno));
	}
	if (!rc && role == TP_ROLE_SUBSCRIBER) {
		uint64_t buf[(sizeof(struct kdbus_cmd_match) +
			      KDBUS_ITEM_HEADER_SIZE + KD_BLOOM_SIZE) /
			     8] = { 0 };
		struct kdbus_cmd_match *m = (void *)buf;
		struct kdbus_item *it =
			kd_item(m->items, KDBUS_ITEM_BLOOM_MASK, KD_BLOOM_SIZE);
		unsigned bit = p->index % (KD_BLOOM_SIZE * 8);

		m->size = sizeof(buf);
		m->cookie = 1;
		it->data[bit / 64] = 1ull << (bit % 64);
		if (ioctl(c->fd, KDBUS_CMD_MATCH_ADD, m) < 0)
			rc = tp_fail(err, -errno, "MATCH_ADD: %s",
				     strerror(errno));
	}
	if (rc) {
		kd_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* A sealed memfd holding data (kdbus-memfd): the one copy the sender makes. */
static int kd_make_memfd(const void *data, size_t len)
{
	int fd =
		memfd_create("ipcbench-kdbus", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	const uint8_t *p = data;
	size_t done = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len))
		goto fail;
	while (done < len) {
		ssize_t w = pwrite(fd, p + done, len - done, (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		goto fail;
	return fd;
fail : {
	int e = errno ? errno : EIO;

	close(fd);
	return -e;
}
}

/* Build the message in c->msg_buf; *memfd gets the fd to close after SEND. */
static struct kdbus_msg *kd_build(struct tp_conn *c, uint64_t dst,
				  uint64_t flags, const void *data, size_t len,
				  int bloom, int *memfd)
{
	struct kdbus_msg *m = (void *)c->msg_buf;
	struct kdbus_item *it = m->items;

	memset(m, 0, sizeof(*m));
	m->flags = flags;
	m->dst_id = dst;
	m->payload_type = KDBUS_PAYLOAD_DBUS;
	m->cookie = ++c->cookie;
	*memfd = -1;
	if (c->memfd_mode) {
		struct kdbus_memfd *mf;
		int fd = kd_make_memfd(data, len);

		if (fd < 0) {
			errno = -fd;
			return NULL;
		}
		it = kd_item(it, KDBUS_ITEM_PAYLOAD_MEMFD, sizeof(*mf));
		mf = (void *)it->data;
		mf->start = 0;
		mf->size = len;
		mf->fd = fd;
		mf->__pad = 0;
		*memfd = fd;
	} else {
		struct kdbus_vec *v;

		it = kd_item(it, KDBUS_ITEM_PAYLOAD_VEC, sizeof(*v));
		v = (void *)it->data;
		v->size = len;
		v->address = (uintptr_t)data;
	}
	it = (void *)((uint8_t *)it + KD_ALIGN8(it->size));
	if (dst == KDBUS_DST_ID_NAME) {
		kd_item(it, KDBUS_ITEM_DST_NAME, sizeof(KD_SERVICE_NAME));
		memcpy(it->data, KD_SERVICE_NAME, sizeof(KD_SERVICE_NAME));
		it = (void *)((uint8_t *)it + KD_ALIGN8(it->size));
	}
	if (bloom) {
		kd_item(it, KDBUS_ITEM_BLOOM_FILTER, 8 + KD_BLOOM_SIZE);
		it->data[0] = 0; /* generation */
		memcpy(&it->data[1], c->bloom, KD_BLOOM_SIZE);
		it = (void *)((uint8_t *)it + KD_ALIGN8(it->size));
	}
	m->size = (uint8_t *)it - (uint8_t *)m;
	return m;
}

/* SEND; a full receiver (ENOBUFS/EXFULL) means back off and retry. */
static int kd_send(struct tp_conn *c, struct kdbus_msg *m, uint64_t flags,
		   struct kdbus_cmd_send *cmd)
{
	uint64_t waited = 0;

	for (;;) {
		memset(cmd, 0, sizeof(*cmd));
		cmd->size = sizeof(*cmd);
		cmd->flags = flags;
		cmd->msg_address = (uintptr_t)m;
		if (ioctl(c->fd, KDBUS_CMD_SEND, cmd) == 0)
			return 0;
		if (errno != ENOBUFS && errno != EXFULL)
			return errno == ECONNRESET || errno == ENXIO ? -EPIPE
								     : -errno;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		if (waited > KD_BACKOFF_MAX_NS)
			return -errno;
		{
			struct timespec ts = { 0, KD_BACKOFF_NS };

			nanosleep(&ts, NULL);
			waited += KD_BACKOFF_NS;
		}
	}
}

/* Find the payload of the message at off; maps a memfd payload. */
static int kd_parse(struct tp_conn *c, uint64_t off, struct tp_msg *out)
{
	struct kdbus_msg *m = (void *)(c->pool + off);
	const struct kdbus_item *it;

	for (it = m->items; (uint8_t *)it < (uint8_t *)m + m->size;
	     it = (void *)((uint8_t *)it + KD_ALIGN8(it->size))) {
		if (it->type == KDBUS_ITEM_PAYLOAD_OFF) {
			const struct kdbus_vec *v = (const void *)it->data;

			out->data = (uint8_t *)m + v->offset;
			out->len = v->size;
			return 0;
		}
		if (it->type == KDBUS_ITEM_PAYLOAD_MEMFD) {
			const struct kdbus_memfd *mf = (const void *)it->data;
			void *map;

			if (mf->fd < 0)
				return -EBADF;
			c->rx_memfd = mf->fd;
			map = mmap(NULL, mf->size, PROT_READ, MAP_SHARED,
				   mf->fd, (off_t)mf->start);
			if (map == MAP_FAILED)
				return -errno;
			c->rx_map = map;
			c->rx_map_len = mf->size;
			out->data = map;
			out->len = mf->size;
			return 0;
		}
	}
	return -EBADMSG;
}

static int kd_call(struct tp_conn *c, const void *req, size_t len,
		   struct tp_msg *reply)
{
	struct kdbus_cmd_send cmd;
	struct kdbus_msg *m;
	int memfd, rc;

	kd_release_held(c);
	m = kd_build(c, c->mode->by_name ? KDBUS_DST_ID_NAME : c->peer_id,
		     KDBUS_MSG_EXPECT_REPLY, req, len, 0, &memfd);
	if (!m)
		return errno ? -errno : -ENOMEM;
	m->timeout_ns = kd_now_ns() + KD_CALL_TIMEOUT_NS;
	rc = kd_send(c, m, KDBUS_SEND_SYNC_REPLY, &cmd);
	if (memfd >= 0)
		close(memfd); /* the receiver holds its own reference */
	if (rc)
		return rc;
	c->held_off = cmd.reply.offset;
	c->held = 1;
	return kd_parse(c, cmd.reply.offset, reply);
}

/* Sleep until the connection is readable; -EPIPE once it is dead. */
static int kd_wait(struct tp_conn *c)
{
	struct epoll_event ev;
	int n = epoll_wait(c->epfd, &ev, 1, KD_WAIT_SLICE_MS);

	if (n > 0 && (ev.events & (EPOLLERR | EPOLLHUP)))
		return -EPIPE;
	return 0;
}

/* Wait for and dequeue the next user message. */
static int kd_recv(struct tp_conn *c, struct tp_msg *msg)
{
	struct kdbus_cmd_recv cmd;
	/* an RPC server always finds its queue empty: wait first instead of
	 * paying for a failed RECV on every call */
	int wait_first = c->role == TP_ROLE_SERVER;

	kd_release_held(c);

	for (;;) {
		struct kdbus_msg *m;
		int rc;

		if (wait_first) {
			wait_first = 0;
			if (kd_wait(c))
				return -EPIPE;
		}
		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		if (ioctl(c->fd, KDBUS_CMD_RECV, &cmd) < 0) {
			if (errno == ECONNRESET || errno == ESHUTDOWN)
				return -EPIPE;
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			if (c->params.abort && *c->params.abort)
				return -ECANCELED;
			if (!c->params.abort && getppid() == 1)
				return -EPIPE; /* peer side: the harness is gone */
			if (kd_wait(c))
				return -EPIPE;
			continue;
		}
		c->held_off = cmd.msg.offset;
		c->held = 1;
		m = (void *)(c->pool + cmd.msg.offset);
		if (m->src_id == KDBUS_SRC_ID_KERNEL) {
			kd_release_held(c); /* notifications: not ours */
			continue;
		}
		c->req_src = m->src_id;
		c->req_cookie = m->cookie;
		rc = kd_parse(c, cmd.msg.offset, msg);
		if (rc)
			kd_release_held(c);
		return rc;
	}
}

static int kd_reply(struct tp_conn *c, const void *data, size_t len)
{
	struct kdbus_cmd_send cmd;
	struct kdbus_msg *m;
	int memfd, rc;

	/* data usually points into the request we still hold: send first */
	m = kd_build(c, c->req_src, 0, data, len, 0, &memfd);
	if (!m)
		return errno ? -errno : -ENOMEM;
	m->cookie_reply = c->req_cookie;
	rc = kd_send(c, m, 0, &cmd);
	if (memfd >= 0)
		close(memfd);
	kd_release_held(c);
	return rc;
}

static int kd_publish(struct tp_conn *c, const void *data, size_t len,
		      const uint8_t *interested)
{
	struct kdbus_cmd_send cmd;
	struct kdbus_msg *m;
	unsigned i;
	int memfd, rc;

	memset(c->bloom, 0, sizeof(c->bloom));
	for (i = 0; i < c->params.subscribers; i++) {
		unsigned bit = i % (KD_BLOOM_SIZE * 8);

		if (interested[i])
			c->bloom[bit / 64] |= 1ull << (bit % 64);
	}
	m = kd_build(c, KDBUS_DST_ID_BROADCAST, KDBUS_MSG_SIGNAL, data, len, 1,
		     &memfd);
	if (!m)
		return errno ? -errno : -ENOMEM;
	rc = kd_send(c, m, 0, &cmd);
	if (memfd >= 0)
		close(memfd);
	return rc;
}

/* The variants are one transport with a mode (tp_params.variant indexes
 * kd_modes and this list). */
static const char *const kd_variants[] = {
	[KD_VEC] = "kdbus",
	[KD_MEMFD] = "kdbus-memfd",
	[KD_META] = "kdbus-meta",
	[KD_NAME] = "kdbus-name",
	NULL,
};

/* Exported to TS (transports/kdbus.ts) for its skip reasons. */
static const struct tp_limit kd_limits[] = {
	{ "payloadVecMax", KDBUS_MSG_MAX_PAYLOAD_VEC_SIZE },
	{ "userMaxBuses", KDBUS_USER_MAX_BUSES },
	{ NULL, 0 },
};

static const struct kd_mode *kd_mode_of(const struct tp_params *p)
{
	return &kd_modes[p->variant < sizeof(kd_modes) / sizeof(kd_modes[0])
				 ? p->variant
				 : KD_VEC];
}

static int kd_prepare(const struct tp_params *p, struct tp_conn **c,
		      struct tp_peer_fds *peers, char *err)
{
	return kd_prepare_mode(p, kd_mode_of(p), c, peers, err);
}

static int kd_attach(const struct tp_params *p, enum tp_role role,
		     const int *fds, int n, struct tp_conn **c, char *err)
{
	return kd_attach_mode(p, kd_mode_of(p), role, fds, n, c, err);
}

const struct transport_ops kdbus_ops = {
	.name = "kdbus",
	.variants = kd_variants,
	.limits = kd_limits,
	.prepare = kd_prepare,
	.connect = kd_connect,
	.attach = kd_attach,
	.call = kd_call,
	.recv = kd_recv,
	.reply = kd_reply,
	.publish = kd_publish,
	.close = kd_close,
};

#else /* !IPCBENCH_HAVE_KDBUS */

/* Built where <linux/types.h> is missing: the transport stays in the
 * registry (the same everywhere) and says why it cannot run. */
const struct transport_ops kdbus_ops = {
	.name = "kdbus",
	.unavailable = "kdbus needs Linux and its <linux/types.h>",
};

#endif /* IPCBENCH_HAVE_KDBUS */

TRANSPORT_REGISTER(kdbus_ops);
