// SPDX-License-Identifier: MIT
/*
 * Running a case from the harness side: the RPC fan-out (one pinned thread
 * per client/server pair, started together, results merged) and the
 * broadcast publisher on its pinned thread, plus the ack board's memory.
 * The addon (native/addon) only copies arguments in and records out.
 */
#define _GNU_SOURCE
#include "workloads.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- RPC fan-out ---- */

/* The start line: every client thread connects and pins first, then all
 * start the timed loop together (or none does, when a thread could not be
 * created). */
struct start_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready;
	int go;			/* 1 = run, -1 = give up */
};

struct rpc_thread {
	struct rpc_channel *ch;
	struct rpc_config cfg;
	struct rpc_result res;
	struct start_gate *gate;
};

static int gate_wait(struct start_gate *g)
{
	int go;

	pthread_mutex_lock(&g->lock);
	g->ready++;
	pthread_cond_broadcast(&g->cond);
	while (!g->go)
		pthread_cond_wait(&g->cond, &g->lock);
	go = g->go;
	pthread_mutex_unlock(&g->lock);
	return go;
}

static void gate_open(struct start_gate *g, unsigned threads, int go)
{
	pthread_mutex_lock(&g->lock);
	while (g->ready < threads)
		pthread_cond_wait(&g->cond, &g->lock);
	g->go = go;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void *rpc_thread_main(void *arg)
{
	struct rpc_thread *t = arg;
	struct rpc_channel *ch = t->ch;
	char err[TP_ERR_LEN] = "";
	int rc = sysutil_pin(ch->cpu);

	if (rc) {
		t->res.error = rc;
		snprintf(t->res.reason, sizeof(t->res.reason),
			 "cannot pin the client to CPU %d: %s", ch->cpu,
			 strerror(-rc));
	} else if (!ch->connected &&
		   (rc = ch->ops->connect(ch->conn, err)) != 0) {
		t->res.error = rc;
		snprintf(t->res.reason, sizeof(t->res.reason), "connect: %s",
			 err[0] ? err : strerror(-rc));
	} else {
		ch->connected = 1;
	}
	if (gate_wait(t->gate) > 0 && !t->res.error)
		rpc_client_run(ch->ops, ch->conn, &t->cfg, &t->res);
	return NULL;
}

static void merge_error(struct rpc_result *out, int rc, const char *reason)
{
	if (out->error)
		return;
	out->error = rc;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

int rpc_run_channels(struct rpc_channel *chans, unsigned n,
		     const struct rpc_config *cfg, struct rpc_result *out,
		     struct cpu_usage *cpu_each)
{
	struct rpc_thread *t = calloc(n, sizeof(*t));
	pthread_t *tids = calloc(n, sizeof(*tids));
	struct start_gate gate = { PTHREAD_MUTEX_INITIALIZER,
				   PTHREAD_COND_INITIALIZER, 0, 0 };
	unsigned i, started = 0;
	int rc = 0;

	if (!t || !tids) {
		free(t);
		free(tids);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		t[i].ch = &chans[i];
		t[i].cfg = *cfg;
		t[i].cfg.size = chans[i].size;
		t[i].cfg.seed = cfg->seed + i;
		t[i].gate = &gate;
		if (histogram_init(&t[i].res.hist, HIST_LOWEST, HIST_HIGHEST,
				   HIST_DIGITS)) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (; started < n; started++) {
		rc = -pthread_create(&tids[started], NULL, rpc_thread_main,
				     &t[started]);
		if (rc)
			break;
	}
	gate_open(&gate, started, rc ? -1 : 1);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (rc) {
		char why[TP_ERR_LEN];

		snprintf(why, sizeof(why), "cannot start client thread %u of %u: %s",
			 started + 1, n, strerror(-rc));
		merge_error(out, rc, why);
		goto out;
	}
	for (i = 0; i < n; i++) {
		histogram_add(&out->hist, &t[i].res.hist);
		out->ops += t[i].res.ops;
		out->bytes += t[i].res.bytes;
		if (t[i].res.wall_ns > out->wall_ns)
			out->wall_ns = t[i].res.wall_ns;
		if (t[i].res.error)
			merge_error(out, t[i].res.error, t[i].res.reason);
		cpu_each[i] = t[i].res.cpu;
	}
out:
	for (i = 0; i < n; i++)
		histogram_deinit(&t[i].res.hist);
	free(t);
	free(tids);
	return rc;
}

/* ---- broadcast ---- */

struct bcast_thread {
	const struct transport_ops *ops;
	struct tp_conn *conn;
	int *connected;
	int cpu;
	struct ack_board *board;
	const struct bcast_config *cfg;
	struct bcast_result *res;
};

static void *bcast_thread_main(void *arg)
{
	struct bcast_thread *b = arg;
	char err[TP_ERR_LEN] = "";
	int rc = sysutil_pin(b->cpu);

	if (!rc && !*b->connected)
		rc = b->ops->connect(b->conn, err);
	if (rc) {
		b->res->error = rc;
		snprintf(b->res->reason, sizeof(b->res->reason), "setup: %s",
			 err[0] ? err : strerror(-rc));
		return NULL;
	}
	*b->connected = 1;
	broadcast_publisher_run(b->ops, b->conn, b->board, b->cfg, b->res);
	return NULL;
}

int broadcast_run(const struct transport_ops *ops, struct tp_conn *conn,
		  int *connected, int cpu, struct ack_board *board,
		  const struct bcast_config *cfg, struct bcast_result *res)
{
	struct bcast_thread b = { ops, conn, connected, cpu, board, cfg, res };
	pthread_t tid;
	int rc = -pthread_create(&tid, NULL, bcast_thread_main, &b);

	if (rc) {
		res->error = rc;
		snprintf(res->reason, sizeof(res->reason),
			 "cannot start the publisher thread: %s", strerror(-rc));
		return rc;
	}
	pthread_join(tid, NULL);
	return 0;
}

int ack_board_create(unsigned subscribers, struct ack_board **board,
		     int *fd)
{
	size_t len = ack_board_size(subscribers);
	int f = memfd_create("ipcbench-acks", MFD_CLOEXEC), rc;
	void *map;

	if (f < 0)
		return -errno;
	if (ftruncate(f, (off_t)len)) {
		rc = -errno;
		close(f);
		return rc;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		close(f);
		return rc;
	}
	*board = map;
	*fd = f;
	return 0;
}

void ack_board_destroy(struct ack_board *board, unsigned subscribers)
{
	if (board)
		munmap(board, ack_board_size(subscribers));
}
