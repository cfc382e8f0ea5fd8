// SPDX-License-Identifier: MIT
/* ipcbench-pkg-config: liburing (liburing-dev) */
/*
 * io-uring-msg-ring: shm's mailbox and ring (shm.c, through shm.h) woken
 * with IORING_OP_MSG_RING instead of a futex.
 *
 * Each side owns an io_uring and sleeps in io_uring_wait_cqe_timeout(); a
 * sender wakes a receiver by submitting a MSG_RING SQE that posts a CQE into
 * the receiver's ring (IOSQE_CQE_SKIP_SUCCESS: nothing comes back to the
 * sender), one io_uring_enter.  The publisher queues one MSG_RING per
 * sleeping subscriber and submits them all with one enter.
 *
 * An io_uring fd cannot travel over SCM_RIGHTS (the kernel refuses it), but
 * it is inherited like any fd, so the harness creates every ring: its own
 * (io_uring_queue_init) and one per peer (io_uring_setup only), and each
 * peer maps its ring (io_uring_queue_mmap) from the io_uring_params it reads
 * from a small memfd.  Peer fds after shm's: [its ring, (RPC:) the
 * harness's ring, params].  MSG_RING needs Linux 5.18; probe() checks the
 * opcode and that io_uring is not switched off.
 */
#define _GNU_SOURCE
#include "../core/transport.h"
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define URING_ENTRIES 8

struct mr_state {
	struct io_uring ring; /* ours: we sleep on it and submit from it */
	int have_ring;
	int *targets; /* rings we wake: RPC [the other side]; publisher: each subscriber's */
	unsigned n_targets;
	unsigned queued;
};

static const char *disabled_hint(int rc)
{
	return rc == -EPERM
		       ? " (disabled by /proc/sys/kernel/io_uring_disabled, io_uring_group or a seccomp filter)"
	       : rc == -ENOSYS ? " (kernel without CONFIG_IO_URING)"
			       : "";
}

static int mr_probe(char *err)
{
	struct io_uring ring;
	struct io_uring_probe *probe;
	int rc = io_uring_queue_init(2, &ring, 0), ok;

	if (rc < 0)
		return tp_fail(err, rc, "io_uring_setup: %s%s", strerror(-rc),
			       disabled_hint(rc));
	probe = io_uring_get_probe_ring(&ring);
	ok = probe && io_uring_opcode_supported(probe, IORING_OP_MSG_RING);
	if (probe)
		io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
	return ok ? 0
		  : tp_fail(err, -EOPNOTSUPP,
			    "this kernel has no IORING_OP_MSG_RING (Linux 5.18 or later)");
}

static int give(struct tp_peer_fds *pf, int fd, char *err)
{
	int d;

	if (pf->n >= TP_MAX_FDS)
		return tp_fail(err, -EMFILE, "too many fds for one peer");
	d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return tp_fail(err, -errno, "dup: %s", strerror(errno));
	pf->fds[pf->n++] = d;
	return 0;
}

static int mr_prepare(void *st, struct tp_peer_fds *peers, unsigned n, int rpc,
		      char *err)
{
	struct mr_state *s = st;
	struct io_uring_params p;
	unsigned i;
	int rc, pfd;

	memset(&p, 0, sizeof(p));
	rc = io_uring_queue_init_params(URING_ENTRIES, &s->ring, &p);
	if (rc < 0)
		return tp_fail(err, rc, "io_uring_setup: %s%s", strerror(-rc),
			       disabled_hint(rc));
	s->have_ring = 1;
	s->targets = malloc(n * sizeof(int));
	if (!s->targets)
		return tp_fail(err, -ENOMEM, "out of memory");
	s->n_targets = n;
	for (i = 0; i < n; i++)
		s->targets[i] = -1;
	pfd = memfd_create("ipcbench-uring-params", MFD_CLOEXEC);
	if (pfd < 0 || pwrite(pfd, &p, sizeof(p), 0) != (ssize_t)sizeof(p)) {
		rc = tp_fail(err, -errno, "memfd: %s", strerror(errno));
		if (pfd >= 0)
			close(pfd);
		return rc;
	}
	for (i = 0, rc = 0; !rc && i < n; i++) {
		struct io_uring_params q;
		int fd;

		/* created alike, so the same params map it */
		memset(&q, 0, sizeof(q));
		fd = io_uring_setup(URING_ENTRIES, &q);
		if (fd < 0) {
			rc = tp_fail(err, fd, "io_uring_setup: %s%s",
				     strerror(-fd), disabled_hint(fd));
			break;
		}
		s->targets[i] = fd;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			rc = tp_fail(err, -errno, "fcntl: %s", strerror(errno));
		if (!rc)
			rc = give(&peers[i], fd, err);
		if (!rc && rpc)
			rc = give(&peers[i], s->ring.ring_fd, err);
		if (!rc)
			rc = give(&peers[i], pfd, err);
	}
	close(pfd);
	return rc;
}

static int mr_attach(void *st, const int *fds, int n_fds, int rpc, char *err)
{
	struct mr_state *s = st;
	int need = rpc ? 3 : 2, rc, k;
	struct io_uring_params p;

	if (n_fds != need)
		return tp_fail(err, -EINVAL, "expected %d io_uring fds, got %d",
			       need, n_fds);
	if (pread(fds[need - 1], &p, sizeof(p), 0) != (ssize_t)sizeof(p))
		rc = tp_fail(err, -EINVAL, "no io_uring parameters in fd %d",
			     fds[need - 1]);
	else if ((rc = io_uring_queue_mmap(fds[0], &p, &s->ring)) < 0)
		tp_fail(err, rc, "map our io_uring: %s", strerror(-rc));
	close(fds[need - 1]);
	if (rc < 0) {
		for (k = 0; k < need - 1; k++)
			close(fds[k]);
		return rc;
	}
	s->have_ring = 1; /* owns fds[0] now */
	/* io_uring_queue_mmap leaves features unset; without
	 * IORING_FEAT_EXT_ARG a timed wait would cost a timeout SQE */
	s->ring.features = p.features;
	if (rpc) {
		s->targets = malloc(sizeof(int));
		if (!s->targets) {
			close(fds[1]);
			return tp_fail(err, -ENOMEM, "out of memory");
		}
		s->targets[0] = fds[1]; /* the harness's ring */
		s->n_targets = 1;
	}
	return 0;
}

static void mr_wake(void *st, unsigned target)
{
	struct mr_state *s = st;
	struct io_uring_sqe *sqe;

	if (target >= s->n_targets)
		return;
	sqe = io_uring_get_sqe(&s->ring);
	if (!sqe) {
		io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
		if (!sqe)
			return; /* the sleeper's wait slice covers it */
	}
	io_uring_prep_msg_ring(sqe, s->targets[target], 0, 1, 0);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	s->queued++;
}

static void mr_flush(void *st)
{
	struct mr_state *s = st;

	if (s->queued)
		io_uring_submit(&s->ring);
	s->queued = 0;
}

static void mr_sleep(void *st, long slice_ns)
{
	struct mr_state *s = st;
	struct __kernel_timespec ts = { slice_ns / 1000000000l,
					slice_ns % 1000000000l };
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	if (io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts) == 0) {
		/* wake-ups carry nothing: consume them all (a failed
		 * MSG_RING of ours also lands here; the waits notice a
		 * vanished peer through the abort flag) */
		io_uring_for_each_cqe(&s->ring, head, cqe) n++;
		io_uring_cq_advance(&s->ring, n);
	}
}

static void mr_close(void *st)
{
	struct mr_state *s = st;
	unsigned i;

	for (i = 0; s->targets && i < s->n_targets; i++)
		if (s->targets[i] >= 0)
			close(s->targets[i]);
	free(s->targets);
	if (s->have_ring)
		io_uring_queue_exit(&s->ring);
}

static const struct shm_waker msg_ring_waker = {
	.state_size = sizeof(struct mr_state),
	.prepare = mr_prepare,
	.attach = mr_attach,
	.wake = mr_wake,
	.flush = mr_flush,
	.sleep = mr_sleep,
	.close = mr_close,
};

static int mr_tp_prepare(const struct tp_params *p, struct tp_conn **out,
			 struct tp_peer_fds *peers, char *err)
{
	return shm_prepare_ext(p, &msg_ring_waker, out, peers, err);
}

static int mr_tp_attach(const struct tp_params *p, enum tp_role role,
			const int *fds, int n_fds, struct tp_conn **out,
			char *err)
{
	return shm_attach_ext(p, &msg_ring_waker, role, fds, n_fds, out, err);
}

const struct transport_ops io_uring_msg_ring_ops = {
	.name = "io-uring-msg-ring",
	.probe = mr_probe,
	.prepare = mr_tp_prepare,
	.connect = shm_connect,
	.attach = mr_tp_attach,
	.call = shm_call,
	.recv = shm_recv,
	.reply = shm_reply,
	.publish = shm_publish,
	.release = shm_release,
	.close = shm_close,
};

TRANSPORT_REGISTER(io_uring_msg_ring_ops);
