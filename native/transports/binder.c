// SPDX-License-Identifier: MIT
/*
 * binder: Android's Binder driver through raw ioctls, no Android userspace.
 *
 * Device.  tp_params.address names a binderfs mount (/dev/binderfs) or a
 * device node in one (/dev/binderfs/binder).  When the mount has a
 * binder-control node, every channel gets a fresh device (BINDER_CTL_ADD)
 * that is unlinked when the channel closes: a binder device has exactly one
 * context manager, and the previous repetition's server releases it only in
 * deferred work after it exits, so sharing one device between consecutive
 * repetitions would race (EBUSY).  Without binder-control (binder_linux's
 * /dev/binder) the device is used as is and EBUSY is retried for a while.
 * Without binderfs, binder_linux can create a pool of devices up front
 * (devices=binder,ipcbench-binder0,...: `ipcbench module load binder`):
 * the address is then a comma-separated list of device nodes, and each
 * channel takes the next free one (an exclusive flock on the device node
 * marks it taken, also across processes), so concurrent pairs get their own
 * devices and consecutive repetitions rotate through the pool instead of
 * waiting for the previous manager's deferred release.
 *
 * Peers do not inherit an open binder fd (a binder fd belongs to the
 * process that opened it); they inherit an O_PATH descriptor of the device
 * node and reopen it through /proc/self/fd, so the harness decides which
 * device each peer uses.
 *
 * RPC.  The server (peer) becomes the context manager, so the client
 * reaches it as handle 0.  One call is one BC_TRANSACTION carrying the
 * request in the transaction buffer; the driver copies it once, straight
 * into the server's mapping, where the server reads it in place.  The
 * server answers with BC_REPLY whose data is the request buffer itself
 * (the echo costs one copy into the client's mapping), followed by
 * BC_FREE_BUFFER in the same write.  The client frees each reply buffer
 * with the next call (a received message stays valid until the next
 * operation, as the transport interface promises).
 *
 * Broadcast.  The publisher (harness) is the context manager.  Each
 * subscriber registers a binder object (its node) with a one-way
 * transaction to handle 0; the publisher takes a strong reference on each
 * handle it receives.  A broadcast is one one-way transaction per
 * interested subscriber, written in one batch.  One-way transactions may
 * use only half of the receiver's mapping (the driver's async space); when
 * it is full the driver refuses the transaction (BR_FAILED_REPLY with
 * -ENOSPC): we count the refusal, back off and resend, which is the
 * backpressure a sender has to apply.
 *
 * Receive buffers are mapped read-only (the driver refuses writable
 * mappings), so the peers' "corrupt" fault injection cannot be used with
 * this transport.
 */
#define _GNU_SOURCE
#include "../core/payload.h"
#include "../core/transport.h"

#if defined(__has_include)
#if __has_include( \
	<linux/android/binder.h>) && __has_include(<linux/android/binderfs.h>)
#define IPCBENCH_HAVE_BINDER 1
#endif
#endif

#ifdef IPCBENCH_HAVE_BINDER

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The driver never maps more than 4 MiB per process (binder_alloc). */
#define BD_MAP_MAX (4u << 20)
#define BD_MAP_MIN (1u << 20)
/* Room the allocator needs besides the data (alignment, offsets). */
#define BD_SLACK 4096u
#define BD_RBUF 2048
#define BD_WAIT_SLICE_MS 200
#define BD_REGISTER_TIMEOUT_NS (30ll * 1000000000ll)
#define BD_EBUSY_RETRY_NS (3ll * 1000000000ll)
#define BD_REFUSAL_TIMEOUT_NS (10ll * 1000000000ll)
#define BD_REGISTER_MAGIC 0x52435049u /* "IPCR" */

struct bd_register {
	uint32_t magic;
	uint32_t index;
	struct flat_binder_object node;
};

/* One command and its argument, as the driver reads them. */
struct bd_cmd_tr {
	uint32_t cmd;
	struct binder_transaction_data tr;
} __attribute__((packed));

struct tp_conn {
	struct tp_params params;
	enum tp_role role;
	int fd;
	void *map;
	size_t map_len;
	char dev[PATH_MAX]; /* a device we created: unlinked on close */
	int created;
	int lock_fd; /* pool device taken with flock, or -1 */
	/* commands queued for the next BINDER_WRITE_READ */
	uint8_t *wbuf;
	size_t wlen, wcap;
	/* what the driver returned, parsed from rpos */
	uint8_t rbuf[BD_RBUF];
	size_t rlen, rpos;
	binder_uintptr_t
		to_free; /* received buffer, freed with the next write */
	/* publisher */
	uint32_t *handles; /* subscriber index -> handle */
	unsigned n_subs;
	unsigned *batch; /* subscriber of each command of the last batch */
	int *failed;	 /* errno of each command of the last batch */
	uint8_t *todo;	 /* subscribers still to be sent the current message */
	uint64_t refusals;
	int looper;
	/* subscriber: the registration buffer lives here (the node's ptr) */
	struct bd_register reg;
};

static uint64_t bd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The mapping a side needs for a case: sync transactions may use the whole
 * buffer, one-way ones half of it. */
static size_t bd_map_size(const struct tp_params *p, int oneway)
{
	size_t need = p->max_msg + BD_SLACK, map = BD_MAP_MIN;

	if (oneway)
		need *= 2;
	while (map < need && map < BD_MAP_MAX)
		map <<= 1;
	return map;
}

static size_t bd_limit(const struct tp_conn *c, int oneway)
{
	size_t usable = c->map_len > BD_MAP_MAX ? BD_MAP_MAX : c->map_len;

	return (oneway ? usable / 2 : usable) - BD_SLACK;
}

static int bd_queue(struct tp_conn *c, uint32_t cmd, const void *arg,
		    size_t len)
{
	if (c->wlen + sizeof(cmd) + len > c->wcap) {
		size_t cap = (c->wcap ? c->wcap * 2 : 512) + sizeof(cmd) + len;
		uint8_t *n = realloc(c->wbuf, cap);

		if (!n)
			return -ENOMEM;
		c->wbuf = n;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, &cmd, sizeof(cmd));
	if (len)
		memcpy(c->wbuf + c->wlen + sizeof(cmd), arg, len);
	c->wlen += sizeof(cmd) + len;
	return 0;
}

static int bd_queue_free(struct tp_conn *c)
{
	binder_uintptr_t b = c->to_free;

	if (!b)
		return 0;
	c->to_free = 0;
	return bd_queue(c, BC_FREE_BUFFER, &b, sizeof(b));
}

/*
 * One BINDER_WRITE_READ: everything queued goes out, and when @read is set
 * the driver's answers come back into rbuf (blocking until there is one).
 * Returns the number of queued bytes the driver consumed, or -errno.
 */
static long bd_io(struct tp_conn *c, int read)
{
	struct binder_write_read bwr = {
		.write_size = c->wlen,
		.write_buffer = (binder_uintptr_t)(uintptr_t)c->wbuf,
	};
	int rc = 0;

	if (read) {
		bwr.read_size = sizeof(c->rbuf);
		bwr.read_buffer = (binder_uintptr_t)(uintptr_t)c->rbuf;
	}
	/* the driver keeps its progress in bwr (write_consumed,
	 * read_consumed), so an interrupted call resumes where it stopped */
	while (ioctl(c->fd, BINDER_WRITE_READ, &bwr)) {
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	}
	c->wlen = 0;
	if (read) {
		c->rlen = bwr.read_consumed;
		c->rpos = 0;
	}
	return rc ? rc : (long)bwr.write_consumed;
}

/* The errno behind the last BR_FAILED_REPLY of this thread (6.0+). */
static int bd_last_error(struct tp_conn *c)
{
	struct binder_extended_error ee = { 0 };

	if (ioctl(c->fd, BINDER_GET_EXTENDED_ERROR, &ee) || !ee.param)
		return -ENOSPC; /* older driver: allocation failure is the usual cause */
	return ee.param < 0 ? ee.param : -ee.param;
}

/*
 * Next command from the driver; reads (blocking) when nothing is buffered.
 * *arg points at the command's argument inside rbuf.
 */
static int bd_next(struct tp_conn *c, uint32_t *cmd, const uint8_t **arg)
{
	size_t size;

	while (c->rpos + sizeof(*cmd) > c->rlen) {
		long rc = bd_io(c, 1);

		if (rc < 0)
			return (int)rc;
	}
	memcpy(cmd, c->rbuf + c->rpos, sizeof(*cmd));
	size = _IOC_SIZE(*cmd);
	if (c->rpos + sizeof(*cmd) + size > c->rlen)
		return -EPROTO;
	*arg = c->rbuf + c->rpos + sizeof(*cmd);
	c->rpos += sizeof(*cmd) + size;
	return 0;
}

/* Reference counting and housekeeping the driver asks of every process;
 * returns 1 when handled, 0 when the caller must look at the command. */
static int bd_housekeeping(struct tp_conn *c, uint32_t cmd, const uint8_t *arg)
{
	struct binder_ptr_cookie pc;

	switch (cmd) {
	case BR_NOOP:
	case BR_OK:
	case BR_SPAWN_LOOPER:
	case BR_FINISHED:
	case BR_RELEASE:
	case BR_DECREFS:
	case BR_CLEAR_DEATH_NOTIFICATION_DONE:
		return 1;
	case BR_INCREFS:
		memcpy(&pc, arg, sizeof(pc));
		bd_queue(c, BC_INCREFS_DONE, &pc, sizeof(pc));
		return 1;
	case BR_ACQUIRE:
		memcpy(&pc, arg, sizeof(pc));
		bd_queue(c, BC_ACQUIRE_DONE, &pc, sizeof(pc));
		return 1;
	case BR_DEAD_BINDER: {
		binder_uintptr_t cookie;

		memcpy(&cookie, arg, sizeof(cookie));
		bd_queue(c, BC_DEAD_BINDER_DONE, &cookie, sizeof(cookie));
		return 1;
	}
	default:
		return 0;
	}
}

static int bd_error_cmd(struct tp_conn *c, uint32_t cmd, const uint8_t *arg)
{
	int32_t e;

	switch (cmd) {
	case BR_DEAD_REPLY:
		return -EPIPE; /* the other process is gone */
	case BR_FAILED_REPLY:
		return bd_last_error(c);
	case BR_FROZEN_REPLY:
		return -EAGAIN;
	case BR_ERROR:
		memcpy(&e, arg, sizeof(e));
		return e < 0 ? e : -EIO;
	default:
		return -EPROTO;
	}
}

/* Wait for the next incoming transaction of kind want (BR_TRANSACTION for
 * a server, BR_REPLY for a caller); remember its buffer so the next write
 * frees it. */
static int bd_wait_transaction(struct tp_conn *c, uint32_t want,
			       struct tp_msg *msg)
{
	for (;;) {
		struct binder_transaction_data tr;
		const uint8_t *arg;
		uint32_t cmd;
		int rc = bd_next(c, &cmd, &arg);

		if (rc)
			return rc;
		if (bd_housekeeping(c, cmd, arg) ||
		    cmd == BR_TRANSACTION_COMPLETE)
			continue;
		if (cmd != want)
			return bd_error_cmd(c, cmd, arg);
		memcpy(&tr, arg, sizeof(tr));
		c->to_free = tr.data.ptr.buffer;
		if (tr.flags & TF_STATUS_CODE)
			return -EREMOTEIO; /* the other side failed, not us */
		msg->data = (void *)(uintptr_t)tr.data.ptr.buffer;
		msg->len = tr.data_size;
		return 0;
	}
}

/* Read until n transaction-complete acknowledgements (or failures) came;
 * failed[i] = errno of the i-th command (0 = delivered). */
static int bd_wait_completions(struct tp_conn *c, unsigned n, int *failed)
{
	unsigned got = 0;

	while (got < n) {
		const uint8_t *arg;
		uint32_t cmd;
		int rc = bd_next(c, &cmd, &arg);

		if (rc)
			return rc;
		if (bd_housekeeping(c, cmd, arg))
			continue;
		if (cmd == BR_TRANSACTION_COMPLETE) {
			if (failed)
				failed[got] = 0;
			got++;
			continue;
		}
		if (cmd == BR_TRANSACTION || cmd == BR_REPLY)
			return -EPROTO; /* nobody should talk to us now */
		rc = bd_error_cmd(c, cmd, arg);
		if (!failed)
			return rc;
		failed[got++] = rc;
	}
	return 0;
}

static int bd_open(struct tp_conn *c, const char *path, int oneway, char *err)
{
	struct binder_version v = { 0 };

	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return tp_fail(err, -errno, "open %s: %s", path,
			       strerror(errno));
	if (ioctl(c->fd, BINDER_VERSION, &v))
		return tp_fail(err, -errno, "BINDER_VERSION on %s: %s", path,
			       strerror(errno));
	if (v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION)
		return tp_fail(
			err, -EPROTO,
			"binder protocol %d, we speak %d (32-bit binder kernel?)",
			v.protocol_version, BINDER_CURRENT_PROTOCOL_VERSION);
	c->map_len = bd_map_size(&c->params, oneway);
	c->map = mmap(NULL, c->map_len, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return tp_fail(err, -errno, "mmap %zu bytes of %s: %s",
			       c->map_len, path, strerror(errno));
	}
	return 0;
}

static int bd_enter_looper(struct tp_conn *c)
{
	long rc;

	if (c->looper)
		return 0;
	rc = bd_queue(c, BC_ENTER_LOOPER, NULL, 0);
	if (!rc)
		rc = bd_io(c, 0);
	if (rc < 0)
		return (int)rc;
	c->looper = 1;
	return 0;
}

static int bd_become_manager(struct tp_conn *c, const char *path, char *err)
{
	uint64_t until = bd_now_ns() + BD_EBUSY_RETRY_NS;
	int32_t zero = 0;

	/* EBUSY: the previous manager of a shared device is still being
	 * released by the driver's deferred work */
	while (ioctl(c->fd, BINDER_SET_CONTEXT_MGR, &zero)) {
		if (errno != EBUSY || bd_now_ns() > until)
			return tp_fail(
				err, -errno,
				"become context manager of %s: %s%s", path,
				strerror(errno),
				errno == EBUSY
					? " (another process manages this device; use a binderfs mount so each case gets its own device)"
					: "");
		usleep(10000);
	}
	return 0;
}

static struct tp_conn *bd_alloc(const struct tp_params *p, enum tp_role role)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->params = *p;
	c->params.address = NULL; /* not ours to keep */
	c->role = role;
	c->fd = -1;
	c->lock_fd = -1;
	return c;
}

static void bd_close(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		if (c->to_free && !bd_queue_free(c))
			bd_io(c, 0);
		close(c->fd);
	}
	if (c->map)
		munmap(c->map, c->map_len);
	if (c->created)
		unlink(c->dev);
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the pool device */
	if (c->refusals)
		fprintf(stderr,
			"ipcbench binder: %llu one-way transactions refused (receiver's async space full) and resent\n",
			(unsigned long long)c->refusals);
	free(c->wbuf);
	free(c->handles);
	free(c->batch);
	free(c->failed);
	free(c->todo);
	free(c);
}

/*
 * Harness side, device pool ("/dev/a,/dev/b,..."): take the first free
 * device after the one this process took last, marking it taken with an
 * exclusive flock held until the channel closes.
 */
static int bd_pick_pooled(struct tp_conn *c, const char *list, char *err)
{
	static unsigned next;
	char path[PATH_MAX];
	const char *names[256];
	size_t lens[256];
	unsigned n = 0, i, busy = 0;
	const char *p = list;

	while (*p && n < 256) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len) {
			names[n] = p;
			lens[n++] = len;
		}
		p += len + (end ? 1 : 0);
	}
	if (!n)
		return tp_fail(err, -EINVAL, "empty binder device list");
	for (i = 0; i < n; i++) {
		unsigned k =
			(__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED)) % n;
		int fd;

		if (lens[k] >= sizeof(path))
			return tp_fail(err, -ENAMETOOLONG,
				       "binder device name too long");
		memcpy(path, names[k], lens[k]);
		path[lens[k]] = 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return tp_fail(err, -errno, "open %s: %s", path,
				       strerror(errno));
		if (!flock(fd, LOCK_EX | LOCK_NB)) {
			c->lock_fd = fd;
			snprintf(c->dev, sizeof(c->dev), "%s", path);
			return 0;
		}
		close(fd);
		busy++;
	}
	return tp_fail(
		err, -EBUSY,
		"all %u binder devices of the pool are in use (load binder_linux with more: ipcbench module load binder --devices N)",
		busy);
}

/*
 * Harness side: pick the device for this channel, creating a fresh one in
 * the binderfs mount when binder-control allows it.
 */
static int bd_pick_device(struct tp_conn *c, const char *address, char *err)
{
	const char *addr = address && *address ? address : "/dev/binderfs";

	if (strchr(addr, ','))
		return bd_pick_pooled(c, addr, err);
	/* room for "/<device name>" after the directory */
	char dir[PATH_MAX - BINDERFS_MAX_NAME - 2], control[PATH_MAX];
	struct binderfs_device dev;
	static unsigned counter;
	struct stat st;
	int fd, is_dir;

	if (strlen(addr) >= sizeof(dir))
		return tp_fail(err, -ENAMETOOLONG, "binder address too long");
	if (stat(addr, &st))
		return tp_fail(
			err, -errno,
			"%s: %s (no binder here; use `ipcbench lab run`)", addr,
			strerror(errno));
	is_dir = S_ISDIR(st.st_mode);
	if (!is_dir && !S_ISCHR(st.st_mode))
		return tp_fail(
			err, -ENODEV,
			"%s is neither a binderfs mount nor a binder device",
			addr);
	snprintf(dir, sizeof(dir), "%s", addr);
	if (!is_dir) {
		char *slash = strrchr(dir, '/');

		if (slash && slash != dir)
			*slash = 0;
		else
			snprintf(dir, sizeof(dir), "%s", slash ? "/" : ".");
	}
	snprintf(control, sizeof(control), "%s/binder-control", dir);
	fd = open(control, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		memset(&dev, 0, sizeof(dev));
		snprintf(dev.name, sizeof(dev.name), "ipcbench-%d-%u",
			 (int)getpid(),
			 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
		if (!ioctl(fd, BINDER_CTL_ADD, &dev)) {
			close(fd);
			snprintf(c->dev, sizeof(c->dev), "%s/%s", dir,
				 dev.name);
			c->created = 1;
			return 0;
		}
		if (is_dir) {
			int e = errno;

			close(fd);
			return tp_fail(err, -e,
				       "create a binder device with %s: %s",
				       control, strerror(e));
		}
		close(fd);
	} else if (is_dir) {
		return tp_fail(err, -errno, "open %s: %s", control,
			       strerror(errno));
	}
	snprintf(c->dev, sizeof(c->dev), "%s", addr);
	return 0;
}

static int bd_give_peers(struct tp_conn *c, struct tp_peer_fds *peers,
			 unsigned n, char *err)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		peers[i].fds[0] = open(c->dev, O_PATH | O_CLOEXEC);
		if (peers[i].fds[0] < 0) {
			int e = errno;

			while (i--)
				close(peers[i].fds[0]);
			return tp_fail(err, -e, "open %s: %s", c->dev,
				       strerror(e));
		}
		peers[i].n = 1;
	}
	return 0;
}

static int bd_prepare(const struct tp_params *p, struct tp_conn **out,
		      struct tp_peer_fds *peers, char *err)
{
	int bcast = p->subscribers > 0;
	struct tp_conn *c =
		bd_alloc(p, bcast ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT);
	int rc;

	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	if (p->max_msg + BD_SLACK > (bcast ? BD_MAP_MAX / 2 : BD_MAP_MAX)) {
		free(c);
		return tp_fail(
			err, -EMSGSIZE,
			"%zu-byte messages do not fit binder's 4 MiB receive mapping%s",
			p->max_msg, bcast ? " (one-way: half of it)" : "");
	}
	rc = bd_pick_device(c, p->address, err);
	if (rc)
		goto fail;
	rc = bd_open(c, c->dev, bcast, err);
	if (rc)
		goto fail;
	if (bcast) {
		c->n_subs = p->subscribers;
		c->handles = calloc(c->n_subs, sizeof(*c->handles));
		c->batch = calloc(c->n_subs, sizeof(*c->batch));
		c->failed = calloc(c->n_subs, sizeof(*c->failed));
		c->todo = calloc(c->n_subs, 1);
		if (!c->handles || !c->batch || !c->failed || !c->todo) {
			rc = tp_fail(err, -ENOMEM, "out of memory");
			goto fail;
		}
		/* subscribers register with us before they say READY */
		rc = bd_become_manager(c, c->dev, err);
		if (rc)
			goto fail;
	}
	rc = bd_give_peers(c, peers, bcast ? c->n_subs : 1, err);
	if (rc)
		goto fail;
	*out = c;
	return 0;
fail:
	bd_close(c);
	return rc;
}

/* Publisher: collect every subscriber's registration (runs on the thread
 * that will publish). */
static int bd_collect_subscribers(struct tp_conn *c, char *err)
{
	uint64_t until = bd_now_ns() + BD_REGISTER_TIMEOUT_NS;
	unsigned registered = 0;
	int rc = bd_enter_looper(c);

	if (rc)
		return tp_fail(err, rc, "BC_ENTER_LOOPER: %s", strerror(-rc));
	while (registered < c->n_subs) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct binder_transaction_data tr;
		struct bd_register reg;
		const uint8_t *arg;
		uint32_t cmd;

		/* poll in slices: a subscriber that died before registering
		 * must not hang the harness */
		if (c->rpos >= c->rlen) {
			if (c->params.abort && *c->params.abort)
				return tp_fail(
					err, -ECANCELED,
					"aborted while waiting for subscribers");
			if (bd_now_ns() > until)
				return tp_fail(
					err, -ETIMEDOUT,
					"only %u of %u subscribers registered",
					registered, c->n_subs);
			if (c->wlen) {
				long w = bd_io(c, 0);

				if (w < 0)
					return tp_fail(err, (int)w,
						       "BINDER_WRITE_READ: %s",
						       strerror((int)-w));
			}
			rc = poll(&pfd, 1, BD_WAIT_SLICE_MS);
			if (rc <= 0)
				continue;
		}
		rc = bd_next(c, &cmd, &arg);
		if (rc)
			return tp_fail(err, rc, "read registrations: %s",
				       strerror(-rc));
		if (bd_housekeeping(c, cmd, arg) ||
		    cmd == BR_TRANSACTION_COMPLETE)
			continue;
		if (cmd != BR_TRANSACTION)
			return tp_fail(
				err, bd_error_cmd(c, cmd, arg),
				"unexpected binder command 0x%x while collecting subscribers",
				cmd);
		memcpy(&tr, arg, sizeof(tr));
		c->to_free = tr.data.ptr.buffer;
		if (tr.data_size < sizeof(reg) ||
		    tr.offsets_size < sizeof(binder_size_t)) {
			bd_queue_free(c);
			return tp_fail(err, -EPROTO,
				       "malformed subscriber registration");
		}
		memcpy(&reg, (void *)(uintptr_t)tr.data.ptr.buffer,
		       sizeof(reg));
		if (reg.magic != BD_REGISTER_MAGIC || reg.index >= c->n_subs ||
		    reg.node.hdr.type != BINDER_TYPE_HANDLE ||
		    c->handles[reg.index]) {
			bd_queue_free(c);
			return tp_fail(err, -EPROTO,
				       "bad subscriber registration (index %u)",
				       reg.index);
		}
		/* a strong reference of our own: the one the transaction
		 * carried goes away with its buffer */
		c->handles[reg.index] = reg.node.handle;
		rc = bd_queue(c, BC_ACQUIRE, &reg.node.handle,
			      sizeof(reg.node.handle));
		if (!rc)
			rc = bd_queue_free(c);
		if (rc)
			return tp_fail(err, rc, "out of memory");
		registered++;
	}
	if (c->wlen) {
		long w = bd_io(c, 0);

		if (w < 0)
			return tp_fail(err, (int)w, "BINDER_WRITE_READ: %s",
				       strerror((int)-w));
	}
	return 0;
}

static int bd_connect(struct tp_conn *c, char *err)
{
	if (c->role == TP_ROLE_PUBLISHER)
		return bd_collect_subscribers(c, err);
	return 0;
}

static int bd_register_subscriber(struct tp_conn *c, char *err)
{
	struct bd_cmd_tr t = { .cmd = BC_TRANSACTION };
	binder_size_t offset = offsetof(struct bd_register, node);
	int failed = 0, rc;

	c->reg.magic = BD_REGISTER_MAGIC;
	c->reg.index = c->params.index;
	c->reg.node.hdr.type = BINDER_TYPE_BINDER;
	c->reg.node.binder = (binder_uintptr_t)(uintptr_t)&c->reg;
	c->reg.node.cookie = c->params.index;
	t.tr.target.handle = 0;
	t.tr.flags = TF_ONE_WAY;
	t.tr.data_size = sizeof(c->reg);
	t.tr.offsets_size = sizeof(offset);
	t.tr.data.ptr.buffer = (binder_uintptr_t)(uintptr_t)&c->reg;
	t.tr.data.ptr.offsets = (binder_uintptr_t)(uintptr_t)&offset;
	rc = bd_queue(c, t.cmd, &t.tr, sizeof(t.tr));
	if (!rc)
		rc = bd_wait_completions(c, 1, &failed);
	if (!rc)
		rc = failed;
	if (rc)
		return tp_fail(
			err, rc, "register with the publisher: %s",
			rc == -EPIPE
				? "no publisher (context manager) on this device"
				: strerror(-rc));
	return 0;
}

static int bd_attach(const struct tp_params *p, enum tp_role role,
		     const int *fds, int n_fds, struct tp_conn **out, char *err)
{
	struct tp_conn *c = bd_alloc(p, role);
	char path[PATH_MAX];
	int rc;

	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	if (n_fds >= 1) {
		/* reopen the harness's O_PATH descriptor: our own binder fd */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	} else if (p->address && *p->address) {
		snprintf(path, sizeof(path), "%s", p->address);
	} else {
		free(c);
		return tp_fail(
			err, -EINVAL,
			"no binder device given (inherited fd or --address)");
	}
	rc = bd_open(c, path, role == TP_ROLE_SUBSCRIBER, err);
	if (n_fds >= 1)
		close(fds[0]);
	if (rc)
		goto fail;
	rc = bd_enter_looper(c);
	if (rc) {
		rc = tp_fail(err, rc, "BC_ENTER_LOOPER: %s", strerror(-rc));
		goto fail;
	}
	if (role == TP_ROLE_SERVER)
		rc = bd_become_manager(c, path, err);
	else
		rc = bd_register_subscriber(c, err);
	if (rc)
		goto fail;
	*out = c;
	return 0;
fail:
	bd_close(c);
	return rc;
}

static void bd_fill_tr(struct binder_transaction_data *tr, uint32_t handle,
		       uint32_t flags, const void *data, size_t len)
{
	memset(tr, 0, sizeof(*tr));
	tr->target.handle = handle;
	tr->flags = flags;
	tr->data_size = len;
	tr->data.ptr.buffer = (binder_uintptr_t)(uintptr_t)data;
}

static int bd_call(struct tp_conn *c, const void *req, size_t len,
		   struct tp_msg *reply)
{
	struct binder_transaction_data tr;
	int rc;

	if (len > bd_limit(c, 0))
		return -EMSGSIZE;
	bd_fill_tr(&tr, 0, 0, req, len);
	rc = bd_queue_free(c); /* the previous reply */
	if (!rc)
		rc = bd_queue(c, BC_TRANSACTION, &tr, sizeof(tr));
	if (rc)
		return rc;
	return bd_wait_transaction(c, BR_REPLY, reply);
}

static int bd_recv(struct tp_conn *c, struct tp_msg *msg)
{
	int rc = bd_queue_free(c);

	if (rc)
		return rc;
	return bd_wait_transaction(c, BR_TRANSACTION, msg);
}

static int bd_reply(struct tp_conn *c, const void *data, size_t len)
{
	struct binder_transaction_data tr;
	int failed = 0, rc;

	if (len > bd_limit(c, 0))
		return -EMSGSIZE;
	/* the reply's data may be the request buffer itself: reply first,
	 * free after, in this order in one write */
	bd_fill_tr(&tr, 0, 0, data, len);
	rc = bd_queue(c, BC_REPLY, &tr, sizeof(tr));
	if (!rc)
		rc = bd_queue_free(c);
	if (rc)
		return rc;
	rc = bd_wait_completions(c, 1, &failed);
	return rc ? rc : failed;
}

static int bd_publish(struct tp_conn *c, const void *data, size_t len,
		      const uint8_t *interested)
{
	struct binder_transaction_data tr;
	uint64_t refused_since = 0;
	unsigned i, n, pending = 0;
	int rc;

	if (len > bd_limit(c, 1))
		return -EMSGSIZE;
	/* acknowledgements the driver asked for go out first, so that the
	 * batch below is made of transactions only */
	if (c->wlen) {
		long w = bd_io(c, 0);

		if (w < 0)
			return (int)w;
	}
	for (i = 0; i < c->n_subs; i++) {
		c->todo[i] = interested[i] ? 1 : 0;
		pending += c->todo[i];
	}
	while (pending) {
		long consumed;
		unsigned done;

		for (i = 0, n = 0; i < c->n_subs; i++) {
			if (!c->todo[i])
				continue;
			bd_fill_tr(&tr, c->handles[i], TF_ONE_WAY, data, len);
			rc = bd_queue(c, BC_TRANSACTION, &tr, sizeof(tr));
			if (rc)
				return rc;
			c->batch[n++] = i;
		}
		/* the driver stops at the first refused command: only the
		 * consumed ones get an answer */
		consumed = bd_io(c, 0);
		if (consumed < 0)
			return (int)consumed;
		done = (unsigned)((size_t)consumed / sizeof(struct bd_cmd_tr));
		rc = bd_wait_completions(c, done, c->failed);
		if (rc)
			return rc;
		for (i = 0; i < done; i++) {
			if (!c->failed[i]) {
				c->todo[c->batch[i]] = 0;
				pending--;
			} else if (c->failed[i] == -ENOSPC) {
				c->refusals++;
			} else {
				return c->failed[i];
			}
		}
		if (!pending)
			break;
		/* backpressure: the receiver has not freed its async space yet */
		if (!refused_since)
			refused_since = bd_now_ns();
		else if (bd_now_ns() - refused_since > BD_REFUSAL_TIMEOUT_NS)
			return -ENOSPC;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		sched_yield();
	}
	return 0;
}

static uint64_t bd_refused(struct tp_conn *c)
{
	return c->refusals;
}

/* Exported to TS (transports/binder.ts) for its skip reasons. */
static const struct tp_limit bd_limits[] = {
	{ "mapMax", BD_MAP_MAX },
	{ "slack", BD_SLACK },
	{ NULL, 0 },
};

const struct transport_ops binder_ops = {
	.name = "binder",
	.limits = bd_limits,
	.prepare = bd_prepare,
	.connect = bd_connect,
	.attach = bd_attach,
	.call = bd_call,
	.recv = bd_recv,
	.reply = bd_reply,
	.publish = bd_publish,
	.refused = bd_refused,
	.close = bd_close,
};

#else /* !IPCBENCH_HAVE_BINDER */

/* Built where <linux/android/binder.h> is missing: the transport stays in
 * the registry (the same everywhere) and says why it cannot run. */
const struct transport_ops binder_ops = {
	.name = "binder",
	.unavailable =
		"built without <linux/android/binder.h> (apt-get install linux-libc-dev, then rebuild)",
};

#endif /* IPCBENCH_HAVE_BINDER */

TRANSPORT_REGISTER(binder_ops);
