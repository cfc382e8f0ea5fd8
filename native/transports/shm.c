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
 *
 * The wake-up is a parameter (enum shm_wake), everything else is shared:
 *  - futex (shm, shm-spin): as above.
 *  - eventfd: one eventfd per sleeper.  A receiver announces it may sleep
 *    (the same waiting word), then sleeps in poll() on its eventfd and
 *    drains it with read(); the sender writes 1 to it.  Broadcast keeps the
 *    wake-up chain: every subscriber has its own waiting word; the
 *    publisher wakes subscriber 0 if it sleeps, and each subscriber, when
 *    it takes a message, wakes subscriber i + 1 if that one sleeps (so
 *    subscriber i holds eventfds i and i + 1).
 *  - external (shm.h): another file supplies the wake-up
 *    (io-uring-msg-ring.c: IORING_OP_MSG_RING); the publisher queues one
 *    wake-up per sleeping subscriber and flushes them together.
 */
#define _GNU_SOURCE
#include "../core/clock.h"
#include "../core/payload.h"
#include "../core/transport.h"
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* shm-spin: how long a receiver polls before it sleeps (the variant shows
 * what busy-waiting buys and costs); exported to TS as "spinNs". */
#define SHM_SPIN_NS 20000u
#define SHM_WAIT_SLICE_NS 200000000ll /* re-check abort flags this often */
#define CACHELINE 64

struct mailbox {
	uint32_t seq;	  /* futex word: bumped for every message */
	uint32_t waiting; /* receivers that may be asleep on seq */
	uint64_t len;
	uint8_t pad[CACHELINE - 16];
	uint8_t data[];
};

struct ring_slot {
	uint64_t version; /* 2*n+1 while message n is written, 2*n+2 after */
	uint64_t len;
	uint8_t pad[CACHELINE - 16];
	uint8_t data[];
};

struct ring {
	uint32_t seq; /* futex word: low bits of published */
	uint32_t waiting;
	uint64_t published; /* messages published so far */
	uint64_t nslots;
	uint64_t slot_len;
	uint64_t slots_off; /* slot 0, after the per-subscriber words */
	uint8_t pad[CACHELINE - 40];
};

enum shm_wake {
	WAKE_FUTEX,
	WAKE_EVENTFD,
	WAKE_EXTERNAL,
};

enum shm_variant {
	SHM_PLAIN,
	SHM_SPIN,
	SHM_EVENTFD
};

#define RING_MAX_BYTES (64ull << 20)
#define RING_MAX_SLOTS 64

struct tp_conn {
	struct tp_params params;
	enum shm_wake wake;
	int in_fd;    /* eventfd: the one we sleep on */
	int out_fd;   /* eventfd: the peer's / the next subscriber's */
	int *targets; /* publisher: eventfd 0 */
	unsigned n_targets;
	uint32_t *
		sub_waiting; /* broadcast, not futex: one word per subscriber */
	const struct shm_waker *waker; /* WAKE_EXTERNAL */
	void *wstate;
	uint64_t spin_ns;  /* shm-spin: bounded poll before sleeping */
	struct ring *ring; /* broadcast only */
	uint64_t next;	   /* subscriber: next message number to read */
	uint64_t reading_version;
	int memfd;
	uint8_t *map;
	size_t map_len;
	size_t box_len;
	struct mailbox *inbox;	/* where others write to us */
	struct mailbox *outbox; /* the peer's inbox */
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

/* Nudge a sleeper: write to its eventfd, or queue an external wake-up
 * (target_fd is then the target's index). */
static void wake_fd(struct tp_conn *c, int target_fd)
{
	uint64_t one = 1;

	if (c->wake == WAKE_EVENTFD) {
		if (write(target_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is saturated, the sleeper will
			 * see it anyway; anything else: the peer is gone and
			 * the waits notice */
		}
		return;
	}
	if (c->wake == WAKE_EXTERNAL)
		c->waker->wake(c->wstate, (unsigned)target_fd);
}

static void wake_flush(struct tp_conn *c)
{
	if (c->wake == WAKE_EXTERNAL)
		c->waker->flush(c->wstate);
}

static void post(struct tp_conn *c, struct mailbox *box)
{
	__atomic_add_fetch(&box->seq, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&box->waiting, __ATOMIC_SEQ_CST))
		return;
	if (c->wake == WAKE_FUTEX) {
		futex(&box->seq, FUTEX_WAKE, INT_MAX, NULL);
		return;
	}
	wake_fd(c, c->wake == WAKE_EXTERNAL ? 0 : c->out_fd);
	wake_flush(c);
}

/* Sleep once (at most SHM_WAIT_SLICE_NS) unless seq moved on from seen. */
static void sleep_once(struct tp_conn *c, uint32_t *seq, uint32_t seen)
{
	const struct timespec slice = { 0, SHM_WAIT_SLICE_NS };

	if (c->wake == WAKE_EVENTFD) {
		struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
		uint64_t v;

		if (poll(&pfd, 1, (int)(SHM_WAIT_SLICE_NS / 1000000)) > 0 &&
		    read(c->in_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: drained by a stale wake-up; fine */
		}
		return;
	}
	if (c->wake == WAKE_EXTERNAL) {
		c->waker->sleep(c->wstate, SHM_WAIT_SLICE_NS);
		return;
	}
	futex(seq, FUTEX_WAIT, seen, &slice);
}

static int wait_for(struct tp_conn *c, uint32_t *seq, uint32_t *waiting,
		    uint32_t seen)
{
	if (c->spin_ns) {
		uint64_t until = clock_now_ns() + c->spin_ns;

		do {
			for (int i = 0; i < 64; i++) {
				if (__atomic_load_n(seq, __ATOMIC_ACQUIRE) !=
				    seen)
					return 0;
				__builtin_ia32_pause();
			}
		} while (clock_now_ns() < until);
	}
	for (;;) {
		__atomic_add_fetch(waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(seq, __ATOMIC_SEQ_CST) == seen)
			sleep_once(c, seq, seen);
		__atomic_sub_fetch(waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(seq, __ATOMIC_ACQUIRE) != seen)
			return 0;
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
		if (getppid() == 1 && !c->params.abort)
			return -EPIPE; /* peer side: the harness is gone */
	}
}

static int map_conn(struct tp_conn *c, int fd, size_t max_msg, char *err)
{
	c->box_len = box_size(max_msg);
	c->map_len = 2 * c->box_len;
	c->memfd = fd;
	c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      0);
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
	return (struct ring_slot *)((uint8_t *)r + r->slots_off +
				    (n % r->nslots) * r->slot_len);
}

/* Per-subscriber waiting words (eventfd, msg-ring) sit between the ring
 * header and slot 0; futex shares the header's one word. */
static size_t ring_words_len(const struct tp_conn *c)
{
	size_t n = c->wake == WAKE_FUTEX
			   ? 0
			   : (size_t)c->params.subscribers * sizeof(uint32_t);

	return (n + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
}

static int ring_map(struct tp_conn *c, int fd, int create, char *err)
{
	size_t slot_len = ring_slot_len(c->params.max_msg);
	uint64_t nslots = ring_slots(slot_len);
	size_t off = sizeof(struct ring) + ring_words_len(c);
	size_t len = off + nslots * slot_len;

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
	c->sub_waiting = (uint32_t *)(c->map + sizeof(struct ring));
	if (create) {
		c->ring->nslots = nslots;
		c->ring->slot_len = slot_len;
		c->ring->slots_off = off;
	} else if (c->ring->nslots != nslots || c->ring->slot_len != slot_len ||
		   c->ring->slots_off != off) {
		return tp_fail(err, -EINVAL,
			       "broadcast ring geometry mismatch");
	}
	return 0;
}

/* ---- wake-up objects: creating them and handing them to the peers ---- */

static void close_peer_lists(struct tp_peer_fds *peers, unsigned n)
{
	unsigned i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < peers[i].n; k++)
			if (peers[i].fds[k] >= 0)
				close(peers[i].fds[k]);
		peers[i].n = 0;
	}
}

static int give(struct tp_peer_fds *pf, int fd, char *err)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (d < 0)
		return tp_fail(err, -errno, "dup: %s", strerror(errno));
	pf->fds[pf->n++] = d;
	return 0;
}

static int new_eventfd(char *err)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? tp_fail(err, -errno, "eventfd: %s", strerror(errno))
		      : fd;
}

/* Harness side: create the wake-up objects for n peers (RPC: n = 1). */
static int wake_prepare(struct tp_conn *c, struct tp_peer_fds *peers,
			unsigned n, char *err)
{
	unsigned i;
	int rc;

	if (c->wake == WAKE_EVENTFD && !c->ring) {
		/* the server's inbox eventfd, then ours */
		c->out_fd = new_eventfd(err);
		if (c->out_fd < 0)
			return c->out_fd;
		c->in_fd = new_eventfd(err);
		if (c->in_fd < 0)
			return c->in_fd;
		rc = give(&peers[0], c->out_fd, err);
		return rc ? rc : give(&peers[0], c->in_fd, err);
	}
	if (c->wake == WAKE_EVENTFD) {
		/* subscriber i gets eventfds i and i + 1; we keep eventfd 0 */
		int *e = malloc(n * sizeof(int));

		c->targets = malloc(sizeof(int));
		if (!e || !c->targets) {
			free(e);
			return tp_fail(err, -ENOMEM, "out of memory");
		}
		c->targets[0] = -1;
		c->n_targets = 1;
		for (i = 0; i < n; i++)
			e[i] = -1;
		rc = 0;
		for (i = 0; !rc && i < n; i++) {
			e[i] = new_eventfd(err);
			if (e[i] < 0)
				rc = e[i];
		}
		for (i = 0; !rc && i < n; i++) {
			rc = give(&peers[i], e[i], err);
			if (!rc && i + 1 < n)
				rc = give(&peers[i], e[i + 1], err);
		}
		for (i = rc ? 0 : 1; i < n; i++)
			if (e[i] >= 0)
				close(e[i]);
		if (!rc)
			c->targets[0] = e[0];
		free(e);
		return rc;
	}
	if (c->wake == WAKE_EXTERNAL)
		return c->waker->prepare(c->wstate, peers, n, !c->ring, err);
	return 0;
}

/* Peer side: take the wake-up objects from the inherited fds[1..]. */
static int wake_attach(struct tp_conn *c, const int *fds, int n_fds, char *err)
{
	if (c->wake == WAKE_FUTEX)
		return n_fds == 1 ? 0
				  : tp_fail(err, -EINVAL,
					    "expected 1 inherited fd, got %d",
					    n_fds);
	if (c->wake == WAKE_EVENTFD) {
		int need =
			c->ring ? (c->params.index + 1 < c->params.subscribers
					   ? 3
					   : 2)
				: 3;

		if (n_fds != need)
			return tp_fail(err, -EINVAL,
				       "expected %d inherited fds, got %d",
				       need, n_fds);
		c->in_fd = fds[1];
		c->out_fd = need == 3 ? fds[2] : -1;
		return 0;
	}
	return c->waker->attach(c->wstate, fds + 1, n_fds - 1, !c->ring, err);
}

static void wake_close(struct tp_conn *c)
{
	unsigned i;

	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0 &&
	    !(c->targets && c->n_targets && c->out_fd == c->targets[0]))
		close(c->out_fd);
	for (i = 0; c->targets && i < c->n_targets; i++)
		if (c->targets[i] >= 0)
			close(c->targets[i]);
	free(c->targets);
	if (c->wake == WAKE_EXTERNAL && c->wstate)
		c->waker->close(c->wstate);
	free(c->wstate);
}

static int ring_prepare(struct tp_conn *c, struct tp_peer_fds *peers, char *err)
{
	unsigned i;
	int fd, rc;

	fd = memfd_create("ipcbench-shm-ring", MFD_CLOEXEC);
	if (fd < 0)
		return tp_fail(err, -errno, "memfd_create: %s",
			       strerror(errno));
	rc = ring_map(c, fd, 1, err);
	for (i = 0; !rc && i < c->params.subscribers; i++)
		rc = give(&peers[i], fd, err);
	close(fd);
	return rc ? rc : wake_prepare(c, peers, c->params.subscribers, err);
}

int shm_publish(struct tp_conn *c, const void *data, size_t len,
		const uint8_t *interested)
{
	struct ring *r = c->ring;
	uint64_t n = r->published;
	struct ring_slot *slot = ring_slot(r, n);
	unsigned i, woke = 0;

	(void)interested; /* receivers filter themselves */
	if (len > r->slot_len - sizeof(struct ring_slot))
		return -EMSGSIZE;
	__atomic_store_n(&slot->version, 2 * n + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(slot->data, data, len); /* the single copy */
	slot->len = len;
	__atomic_store_n(&slot->version, 2 * n + 2, __ATOMIC_RELEASE);
	__atomic_store_n(&r->published, n + 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
	switch (c->wake) {
	case WAKE_FUTEX:
		/* wake one sleeper; it passes the wake-up on (ring_recv), so
		 * the publisher's cost stays O(1) in the number of
		 * subscribers */
		if (__atomic_load_n(&r->waiting, __ATOMIC_SEQ_CST))
			futex(&r->seq, FUTEX_WAKE, 1, NULL);
		break;
	case WAKE_EVENTFD:
		/* subscriber 0 starts the chain (ring_recv) */
		if (__atomic_load_n(&c->sub_waiting[0], __ATOMIC_SEQ_CST))
			wake_fd(c, c->targets[0]);
		break;
	case WAKE_EXTERNAL:
		/* one wake-up per sleeper, delivered together */
		for (i = 0; i < c->params.subscribers; i++) {
			if (__atomic_load_n(&c->sub_waiting[i],
					    __ATOMIC_SEQ_CST)) {
				wake_fd(c, (int)i);
				woke++;
			}
		}
		if (woke)
			wake_flush(c);
		break;
	}
	return 0;
}

static int ring_recv(struct tp_conn *c, struct tp_msg *msg)
{
	struct ring *r = c->ring;
	uint32_t *waiting = c->wake == WAKE_FUTEX
				    ? &r->waiting
				    : &c->sub_waiting[c->params.index];

	for (;;) {
		uint64_t pub = __atomic_load_n(&r->published, __ATOMIC_ACQUIRE);
		struct ring_slot *slot;
		uint64_t v;

		if (pub == c->next) {
			uint32_t seen =
				__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
			int rc;

			if (__atomic_load_n(&r->published, __ATOMIC_ACQUIRE) !=
			    pub)
				continue;
			rc = wait_for(c, &r->seq, waiting, seen);
			if (rc)
				return rc;
			/* there is news: hand the wake-up to the next sleeper
			 * (futex wakes in FIFO order, so those still waiting
			 * for this message go first); a sleeper that finds
			 * nothing new does not pass it on */
			if (c->wake == WAKE_FUTEX &&
			    __atomic_load_n(&r->waiting, __ATOMIC_SEQ_CST))
				futex(&r->seq, FUTEX_WAKE, 1, NULL);
			continue;
		}
		if (pub - c->next > r->nslots)
			c->next =
				pub -
				r->nslots; /* lapped: skip what was overwritten */
		slot = ring_slot(r, c->next);
		v = __atomic_load_n(&slot->version, __ATOMIC_ACQUIRE);
		if (v != 2 * c->next + 2) {
			c->next++; /* overwritten or being rewritten */
			continue;
		}
		c->reading_version = v;
		msg->data = slot->data;
		msg->len = slot->len;
		c->next++;
		/* eventfd chain: whoever takes a message wakes the next
		 * subscriber if it sleeps (it may be waiting for this one) */
		if (c->wake == WAKE_EVENTFD && c->out_fd >= 0 &&
		    __atomic_load_n(&c->sub_waiting[c->params.index + 1],
				    __ATOMIC_SEQ_CST))
			wake_fd(c, c->out_fd);
		return 0;
	}
}

static int ring_release(struct tp_conn *c, const struct tp_msg *msg)
{
	struct ring_slot *slot = (struct ring_slot *)((uint8_t *)msg->data -
						      sizeof(struct ring_slot));

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&slot->version, __ATOMIC_RELAXED) ==
			       c->reading_version
		       ? 0
		       : -ESTALE;
}

void shm_close(struct tp_conn *c)
{
	if (!c)
		return;
	wake_close(c);
	if (c->map)
		munmap(c->map, c->map_len);
	if (c->memfd >= 0)
		close(c->memfd);
	free(c);
}

static struct tp_conn *conn_new(const struct tp_params *p,
				const struct shm_waker *w)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->params = *p;
	c->memfd = c->in_fd = c->out_fd = -1;
	if (w) {
		c->wake = WAKE_EXTERNAL;
		c->waker = w;
		c->wstate = calloc(1, w->state_size ? w->state_size : 1);
		if (!c->wstate) {
			free(c);
			return NULL;
		}
		return c;
	}
	c->spin_ns = p->variant == SHM_SPIN ? SHM_SPIN_NS : 0;
	c->wake = p->variant == SHM_EVENTFD ? WAKE_EVENTFD : WAKE_FUTEX;
	return c;
}

int shm_prepare_ext(const struct tp_params *p, const struct shm_waker *w,
		    struct tp_conn **out, struct tp_peer_fds *peers, char *err)
{
	struct tp_conn *c = conn_new(p, w);
	int fd, rc;

	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
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
		c->memfd = -1;
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
	rc = wake_prepare(c, peers, 1, err);
	if (rc)
		goto fail;
	*out = c;
	return 0;
fail:
	close_peer_lists(peers, p->subscribers ? p->subscribers : 1);
	shm_close(c);
	return rc;
}

int shm_attach_ext(const struct tp_params *p, const struct shm_waker *w,
		   enum tp_role role, const int *fds, int n_fds,
		   struct tp_conn **out, char *err)
{
	struct tp_conn *c;
	int rc;

	if (n_fds < 1)
		return tp_fail(err, -EINVAL,
			       "expected inherited fds, got none");
	c = conn_new(p, w);
	if (!c)
		return tp_fail(err, -ENOMEM, "out of memory");
	if (role == TP_ROLE_SUBSCRIBER) {
		rc = ring_map(c, fds[0], 0, err);
		close(fds[0]);
		if (!rc)
			rc = wake_attach(c, fds, n_fds, err);
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
	if (!rc)
		rc = wake_attach(c, fds, n_fds, err);
	if (rc) {
		shm_close(c);
		return rc;
	}
	c->inbox = (struct mailbox *)c->map;
	c->outbox = (struct mailbox *)(c->map + c->box_len);
	c->in_seen = __atomic_load_n(&c->inbox->seq, __ATOMIC_ACQUIRE);
	*out = c;
	return 0;
}

int shm_connect(struct tp_conn *c, char *err)
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
	post(c, c->outbox);
	return 0;
}

static int take(struct tp_conn *c, struct tp_msg *msg)
{
	int rc = wait_for(c, &c->inbox->seq, &c->inbox->waiting, c->in_seen);

	if (rc)
		return rc;
	c->in_seen = __atomic_load_n(&c->inbox->seq, __ATOMIC_ACQUIRE);
	msg->data = c->inbox->data;
	msg->len = c->inbox->len;
	return 0;
}

int shm_call(struct tp_conn *c, const void *req, size_t len,
	     struct tp_msg *reply)
{
	int rc = send_to(c, req, len);

	return rc ? rc : take(c, reply);
}

int shm_recv(struct tp_conn *c, struct tp_msg *msg)
{
	return c->ring ? ring_recv(c, msg) : take(c, msg);
}

int shm_release(struct tp_conn *c, const struct tp_msg *msg)
{
	return c->ring ? ring_release(c, msg) : 0;
}

int shm_reply(struct tp_conn *c, const void *data, size_t len)
{
	return send_to(c, data, len);
}

static int shm_prepare(const struct tp_params *p, struct tp_conn **out,
		       struct tp_peer_fds *peers, char *err)
{
	return shm_prepare_ext(p, NULL, out, peers, err);
}

static int shm_attach(const struct tp_params *p, enum tp_role role,
		      const int *fds, int n_fds, struct tp_conn **out,
		      char *err)
{
	return shm_attach_ext(p, NULL, role, fds, n_fds, out, err);
}

/* The variants differ only in how a receiver waits (enum shm_variant). */
static const char *const shm_variants[] = {
	[SHM_PLAIN] = "shm",
	[SHM_SPIN] = "shm-spin",
	[SHM_EVENTFD] = "eventfd",
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
