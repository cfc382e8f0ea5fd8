// SPDX-License-Identifier: MIT
/*
 * shm and shm-spin: a Binder-style shared-memory transport.
 *
 * Each receiver owns a mailbox inside one memfd mapped by both sides; the
 * sender copies the message once, straight into the receiver's mailbox, and
 * the receiver reads it in place (no second copy), as Binder does with the
 * receiver's mmap'd buffer.  Wake-up is a futex on the mailbox's sequence
 * word; the sender only pays for FUTEX_WAKE when the receiver announced it
 * is going to sleep.  shm-spin first polls the sequence word for a bounded
 * time (default 20 us) before sleeping, to show what busy-waiting buys and
 * costs (on one core it can only cost).
 *
 * Mailboxes are sized by the harness to the largest message of the case
 * (tp_params.max_msg); a larger message is refused with EMSGSIZE, never
 * truncated.
 *
 * Broadcast: one ring of slots in one memfd, mapped by the publisher and
 * every subscriber.  The publisher copies each message once into the next
 * slot (single copy, whatever the number of subscribers), bumps the ring's
 * sequence word and wakes one sleeper, which wakes the next (a wake-up
 * chain: the publisher's cost does not grow with N; the last subscriber's
 * latency does, as with any per-subscriber delivery).  Subscribers read
 * slots in place and filter themselves (a subscriber whose filter does not
 * match still wakes up and looks at the header: the price of filtering at
 * the receiver).  Each slot has a seqlock-style version so a reader that was
 * lapped by the publisher (open loop) sees the loss instead of torn data.
 */
#define _GNU_SOURCE
#include "../core/clock.h"
#include "../core/payload.h"
#include "../core/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* shm-spin: how long a receiver polls before it sleeps (the variant shows
 * what busy-waiting buys and costs); exported to TS as "spinNs". */
#define SHM_SPIN_NS 20000u
#define SHM_WAIT_SLICE_NS 200000000ll	/* re-check abort flags this often */
#define CACHELINE 64

struct mailbox {
	uint32_t seq;		/* futex word: bumped for every message */
	uint32_t waiting;	/* receivers that may be asleep on seq */
	uint64_t len;
	uint8_t pad[CACHELINE - 16];
	uint8_t data[];
};

struct ring_slot {
	uint64_t version;	/* 2*n+1 while message n is written, 2*n+2 after */
	uint64_t len;
	uint8_t pad[CACHELINE - 16];
	uint8_t data[];
};

struct ring {
	uint32_t seq;		/* futex word: low bits of published */
	uint32_t waiting;
	uint64_t published;	/* messages published so far */
	uint64_t nslots;
	uint64_t slot_len;
	uint8_t pad[CACHELINE - 32];
};

#define RING_MAX_BYTES (64ull << 20)
#define RING_MAX_SLOTS 64

enum shm_variant { SHM_PLAIN, SHM_SPIN };

struct tp_conn {
	struct tp_params params;
	uint64_t spin_ns;	/* shm-spin: bounded poll before sleeping */
	struct ring *ring;	/* broadcast only */
	uint64_t next;		/* subscriber: next message number to read */
	uint64_t reading_version;
	int memfd;
	uint8_t *map;
	size_t map_len;
	size_t box_len;
	struct mailbox *inbox;	/* where others write to us */
	struct mailbox *outbox;	/* the peer's inbox */
	uint32_t in_seen;
	uint32_t out_seq;
};

static size_t box_size(size_t max_msg)
{
	size_t n = sizeof(struct mailbox) + max_msg + MSG_HDR_SIZE;

	return (n + 4095) & ~(size_t)4095;
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void post(struct mailbox *box)
{
	__atomic_add_fetch(&box->seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&box->waiting, __ATOMIC_SEQ_CST))
		futex(&box->seq, FUTEX_WAKE, INT_MAX, NULL);
}

static int wait_for(struct tp_conn *c, struct mailbox *box, uint32_t seen)
{
	const struct timespec slice = { 0, SHM_WAIT_SLICE_NS };

	if (c->spin_ns) {
		uint64_t until = clock_now_ns() + c->spin_ns;

		do {
			for (int i = 0; i < 64; i++) {
				if (__atomic_load_n(&box->seq, __ATOMIC_ACQUIRE) != seen)
					return 0;
				__builtin_ia32_pause();
			}
		} while (clock_now_ns() < until);
	}
	for (;;) {
		__atomic_add_fetch(&box->waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&box->seq, __ATOMIC_SEQ_CST) == seen)
			futex(&box->seq, FUTEX_WAIT, seen, &slice);
		__atomic_sub_fetch(&box->waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&box->seq, __ATOMIC_ACQUIRE) != seen)
			return 0;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		if (getppid() == 1 && !c->params.abort)
			return -EPIPE;	/* peer side: the harness is gone */
	}
}

static int map_conn(struct tp_conn *c, int fd, size_t max_msg, char *err)
{
	c->box_len = box_size(max_msg);
	c->map_len = 2 * c->box_len;
	c->memfd = fd;
	c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return tp_fail(err, -errno, "mmap shared buffer: %s",
			       strerror(errno));
	}
	return 0;
}

static size_t ring_slot_len(size_t max_msg)
{
	size_t n = sizeof(struct ring_slot) + max_msg + MSG_HDR_SIZE;

	return (n + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
}

static uint64_t ring_slots(size_t slot_len)
{
	uint64_t n = RING_MAX_BYTES / slot_len;

	if (n > RING_MAX_SLOTS)
		n = RING_MAX_SLOTS;
	return n < 2 ? 2 : n;
}

static struct ring_slot *ring_slot(struct ring *r, uint64_t n)
{
	return (struct ring_slot *)((uint8_t *)r + sizeof(*r) +
				    (n % r->nslots) * r->slot_len);
}

static int ring_map(struct tp_conn *c, int fd, int create, char *err)
{
	size_t slot_len = ring_slot_len(c->params.max_msg);
	uint64_t nslots = ring_slots(slot_len);
	size_t len = sizeof(struct ring) + nslots * slot_len;

	len = (len + 4095) & ~(size_t)4095;
	if (create && ftruncate(fd, (off_t)len))
		return tp_fail(err, -errno, "size broadcast ring: %s",
			       strerror(errno));
	c->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return tp_fail(err, -errno, "mmap broadcast ring: %s",
			       strerror(errno));
	}
	c->map_len = len;
	c->ring = (struct ring *)c->map;
	if (create) {
		c->ring->nslots = nslots;
		c->ring->slot_len = slot_len;
	} else if (c->ring->nslots != nslots || c->ring->slot_len != slot_len) {
		return tp_fail(err, -EINVAL, "broadcast ring geometry mismatch");
	}
	return 0;
}

static int ring_prepare(struct tp_conn *c, struct tp_peer_fds *peers,
			char *err)
{
	unsigned i;
	int fd, rc;

	fd = memfd_create("ipcbench-shm-ring", MFD_CLOEXEC);
	if (fd < 0)
		return tp_fail(err, -errno, "memfd_create: %s", strerror(errno));
	rc = ring_map(c, fd, 1, err);
	for (i = 0; !rc && i < c->params.subscribers; i++) {
		peers[i].fds[0] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		peers[i].n = 1;
		if (peers[i].fds[0] < 0) {
			rc = tp_fail(err, -errno, "dup: %s", strerror(errno));
			while (i--)
				close(peers[i].fds[0]);
		}
	}
	close(fd);
	return rc;
}

static int shm_publish(struct tp_conn *c, const void *data, size_t len,
		       const uint8_t *interested)
{
	struct ring *r = c->ring;
	uint64_t n = r->published;
	struct ring_slot *slot = ring_slot(r, n);

	(void)interested;	/* receivers filter themselves */
	if (len > r->slot_len - sizeof(struct ring_slot))
		return -EMSGSIZE;
	__atomic_store_n(&slot->version, 2 * n + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(slot->data, data, len);	/* the single copy */
	slot->len = len;
	__atomic_store_n(&slot->version, 2 * n + 2, __ATOMIC_RELEASE);
	__atomic_store_n(&r->published, n + 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
	/* wake one sleeper; it passes the wake-up on (ring_recv), so the
	 * publisher's cost stays O(1) in the number of subscribers */
	if (__atomic_load_n(&r->waiting, __ATOMIC_SEQ_CST))
		futex(&r->seq, FUTEX_WAKE, 1, NULL);
	return 0;
}

static int ring_recv(struct tp_conn *c, struct tp_msg *msg)
{
	struct ring *r = c->ring;

	for (;;) {
		uint64_t pub = __atomic_load_n(&r->published, __ATOMIC_ACQUIRE);
		struct ring_slot *slot;
		uint64_t v;

		if (pub == c->next) {
			uint32_t seen = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
			int rc;

			if (__atomic_load_n(&r->published, __ATOMIC_ACQUIRE) != pub)
				continue;
			rc = wait_for(c, (struct mailbox *)r, seen);
			if (rc)
				return rc;
			/* there is news: hand the wake-up to the next sleeper
			 * (futex wakes in FIFO order, so those still waiting
			 * for this message go first); a sleeper that finds
			 * nothing new does not pass it on */
			if (__atomic_load_n(&r->waiting, __ATOMIC_SEQ_CST))
				futex(&r->seq, FUTEX_WAKE, 1, NULL);
			continue;
		}
		if (pub - c->next > r->nslots)
			c->next = pub - r->nslots;	/* lapped: skip what was overwritten */
		slot = ring_slot(r, c->next);
		v = __atomic_load_n(&slot->version, __ATOMIC_ACQUIRE);
		if (v != 2 * c->next + 2) {
			c->next++;	/* overwritten or being rewritten */
			continue;
		}
		c->reading_version = v;
		msg->data = slot->data;
		msg->len = slot->len;
		c->next++;
		return 0;
	}
}

static int ring_release(struct tp_conn *c, const struct tp_msg *msg)
{
	struct ring_slot *slot = (struct ring_slot *)((uint8_t *)msg->data -
						       sizeof(struct ring_slot));

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&slot->version, __ATOMIC_RELAXED) ==
	       c->reading_version ? 0 : -ESTALE;
}

static void shm_close(struct tp_conn *c)
{
	if (!c)
		return;
	if (c->map)
		munmap(c->map, c->map_len);
	if (c->memfd >= 0)
		close(c->memfd);
	free(c);
}

static int shm_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	struct tp_conn *c;
	int fd, rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	c->params = *p;
	c->spin_ns = p->variant == SHM_SPIN ? SHM_SPIN_NS : 0;
	c->memfd = -1;
	if (p->subscribers) {
		rc = ring_prepare(c, peers, err);
		if (rc)
			goto fail;
		*out = c;
		return 0;
	}
	fd = memfd_create("ipcbench-shm", MFD_CLOEXEC);
	if (fd < 0) {
		rc = tp_fail(err, -errno, "memfd_create: %s", strerror(errno));
		goto fail;
	}
	if (ftruncate(fd, (off_t)(2 * box_size(p->max_msg)))) {
		rc = tp_fail(err, -errno, "size shared buffer: %s",
			     strerror(errno));
		close(fd);
		goto fail;
	}
	rc = map_conn(c, fd, p->max_msg, err);
	if (rc) {
		close(fd);
		goto fail;
	}
	/* the fd now belongs to the peer list (the harness closes it once the
	 * peer inherited it); our mapping keeps the memory alive */
	c->memfd = -1;
	/* mailbox 0: the server's inbox; mailbox 1: the client's */
	c->outbox = (struct mailbox *)c->map;
	c->inbox = (struct mailbox *)(c->map + c->box_len);
	peers[0].fds[0] = fd;
	peers[0].n = 1;
	*out = c;
	return 0;
fail:
	free(c);
	return rc;
}

static int shm_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	struct tp_conn *c;
	int rc;

	if (n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	c = calloc(1, sizeof(*c));
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	c->params = *p;
	c->spin_ns = p->variant == SHM_SPIN ? SHM_SPIN_NS : 0;
	c->memfd = -1;
	if (role == TP_ROLE_SUBSCRIBER) {
		rc = ring_map(c, fds[0], 0, err);
		close(fds[0]);
		if (rc) {
			shm_close(c);
			return rc;
		}
		/* start at the oldest message still in the ring (the HELLO) */
		c->next = 0;
		*out = c;
		return 0;
	}
	rc = map_conn(c, fds[0], p->max_msg, err);
	if (rc) {
		free(c);
		return rc;
	}
	c->inbox = (struct mailbox *)c->map;
	c->outbox = (struct mailbox *)(c->map + c->box_len);
	c->in_seen = __atomic_load_n(&c->inbox->seq, __ATOMIC_ACQUIRE);
	*out = c;
	return 0;
}

static int shm_connect(struct tp_conn *c, char *err)
{
	(void)err;
	if (c->ring)
		return 0;
	c->in_seen = __atomic_load_n(&c->inbox->seq, __ATOMIC_ACQUIRE);
	return 0;
}

static int send_to(struct tp_conn *c, const void *data, size_t len)
{
	if (len > c->box_len - sizeof(struct mailbox))
		return -EMSGSIZE;
	/* the single copy: sender memory -> receiver's mailbox */
	memcpy(c->outbox->data, data, len);
	c->outbox->len = len;
	post(c->outbox);
	return 0;
}

static int take(struct tp_conn *c, struct tp_msg *msg)
{
	int rc = wait_for(c, c->inbox, c->in_seen);

	if (rc)
		return rc;
	c->in_seen = __atomic_load_n(&c->inbox->seq, __ATOMIC_ACQUIRE);
	msg->data = c->inbox->data;
	msg->len = c->inbox->len;
	return 0;
}

static int shm_call(struct tp_conn *c, const void *req, size_t len,
		    struct tp_msg *reply)
{
	int rc = send_to(c, req, len);

	return rc ? rc : take(c, reply);
}

static int shm_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return c->ring ? ring_recv(c, msg) : take(c, msg);
}

static int shm_release(struct tp_conn *c, const struct tp_msg *msg)
{
	return c->ring ? ring_release(c, msg) : 0;
}

static int shm_reply(struct tp_conn *c, const void *data, size_t len)
{
	return send_to(c, data, len);
}

static const char *const shm_variants[] = {
	[SHM_PLAIN] = "shm",
	[SHM_SPIN] = "shm-spin",
	NULL,
};

static const struct tp_limit shm_limits[] = {
	{ "spinNs", SHM_SPIN_NS },
	{ NULL, 0 },
};

const struct transport_ops shm_ops = {
	.name = "shm",
	.variants = shm_variants,
	.limits = shm_limits,
	.prepare = shm_prepare,
	.connect = shm_connect,
	.attach = shm_attach,
	.call = shm_call,
	.recv = shm_recv,
	.reply = shm_reply,
	.publish = shm_publish,
	.release = shm_release,
	.close = shm_close,
};

TRANSPORT_REGISTER(shm_ops);
