// SPDX-License-Identifier: MIT
/*
 * The yardstick for bench/overhead: the smallest honest ping-pong of one
 * primitive, written the way lmbench's lat_pipe is, with no harness at all.
 * It forks a child, pins both, bounces SIZE bytes for DURATION ms after a
 * warm-up and prints the median round trip (sorted samples, no histogram).
 *
 * usage: ipcbench-pingpong pipe|unix-stream|futex SIZE DURATION_MS CPU_A CPU_B
 *        (CPU -1 = unpinned)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1 << 22)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void xfer(int fd, char *buf, size_t n, int writing)
{
	while (n) {
		ssize_t r = writing ? write(fd, buf, n) : read(fd, buf, n);

		if (r <= 0)
			exit(r == 0 ? 0 : 1);
		buf += r;
		n -= (size_t)r;
	}
}

static long futex(uint32_t *w, int op, uint32_t v)
{
	return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

static void futex_post(uint32_t *w)
{
	__atomic_add_fetch(w, 1, __ATOMIC_SEQ_CST);
	futex(w, FUTEX_WAKE, 1);
}

static void futex_await(uint32_t *w, uint32_t seen)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == seen)
		futex(w, FUTEX_WAIT, seen);
}

int main(int argc, char **argv)
{
	uint64_t *samples, n = 0, warm_until, end, t0;
	int to_child[2], to_parent[2], mode, cpu_a, cpu_b;
	size_t size;
	long duration_ms;
	uint32_t *words;
	char *shared, *buf;
	pid_t pid;

	if (argc != 6) {
		fprintf(stderr,
			"usage: %s pipe|unix-stream|futex SIZE DURATION_MS CPU_A CPU_B\n",
			argv[0]);
		return 2;
	}
	mode = !strcmp(argv[1], "pipe")		 ? 0
	       : !strcmp(argv[1], "unix-stream") ? 1
	       : !strcmp(argv[1], "futex")	 ? 2
						 : -1;
	size = strtoul(argv[2], NULL, 10);
	duration_ms = strtol(argv[3], NULL, 10);
	cpu_a = atoi(argv[4]);
	cpu_b = atoi(argv[5]);
	if (mode < 0 || !size || duration_ms <= 0) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	buf = calloc(1, size);
	samples = malloc(MAX_SAMPLES * sizeof(*samples));
	shared = mmap(NULL, 4096 + size * 2, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!buf || !samples || shared == MAP_FAILED)
		return 1;
	words = (uint32_t *)shared; /* [0]: to child, [16]: to parent */
	if (mode == 0) {
		if (pipe(to_child) || pipe(to_parent))
			return 1;
	} else if (mode == 1) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, to_child))
			return 1;
		to_parent[0] = to_child[0];
		to_parent[1] = to_child[1];
	}

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		uint32_t seen = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin(cpu_b);
		for (;;) {
			if (mode == 2) {
				futex_await(&words[0], seen);
				seen++;
				memcpy(shared + 4096 + size, shared + 4096,
				       size);
				futex_post(&words[16]);
			} else {
				xfer(mode == 0 ? to_child[0] : to_child[1], buf,
				     size, 0);
				xfer(mode == 0 ? to_parent[1] : to_child[1],
				     buf, size, 1);
			}
		}
	}
	pin(cpu_a);
	warm_until = now_ns() + 100000000ull;
	end = warm_until + (uint64_t)duration_ms * 1000000ull;
	for (uint32_t seen = 0;; seen++) {
		uint64_t t1;

		t0 = now_ns();
		if (mode == 2) {
			memcpy(shared + 4096, buf, size);
			futex_post(&words[0]);
			futex_await(&words[16], seen);
			memcpy(buf, shared + 4096 + size, size);
		} else {
			xfer(mode == 0 ? to_child[1] : to_child[0], buf, size,
			     1);
			xfer(mode == 0 ? to_parent[0] : to_child[0], buf, size,
			     0);
		}
		t1 = now_ns();
		if (t0 >= warm_until && n < MAX_SAMPLES)
			samples[n++] = t1 - t0;
		if (t1 >= end)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	qsort(samples, n, sizeof(*samples), cmp_u64);
	printf("{\"primitive\":\"%s\",\"size\":%zu,\"ops\":%llu,\"p50\":%llu,\"p99\":%llu}\n",
	       argv[1], size, (unsigned long long)n,
	       (unsigned long long)samples[n / 2],
	       (unsigned long long)samples[(n * 99) / 100]);
	return 0;
}
