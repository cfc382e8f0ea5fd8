// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "sysutil.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int sysutil_pin(int cpu)
{
	cpu_set_t set;
	int rc;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	return rc ? -rc : 0;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull +
	       (uint64_t)tv->tv_usec * 1000ull;
}

int sysutil_usage(struct cpu_usage *u, int thread)
{
	struct rusage ru;

	if (getrusage(thread ? RUSAGE_THREAD : RUSAGE_SELF, &ru))
		return -errno;
	u->user_ns = tv_ns(&ru.ru_utime);
	u->sys_ns = tv_ns(&ru.ru_stime);
	u->vcsw = ru.ru_nvcsw;
	u->ivcsw = ru.ru_nivcsw;
	return 0;
}

void sysutil_usage_delta(struct cpu_usage *out, const struct cpu_usage *a,
			 const struct cpu_usage *b)
{
	out->user_ns = b->user_ns - a->user_ns;
	out->sys_ns = b->sys_ns - a->sys_ns;
	out->vcsw = b->vcsw - a->vcsw;
	out->ivcsw = b->ivcsw - a->ivcsw;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define PROBE_BUF 16384

/* One timing of the probe's fixed work. The buffers are the caller's so the copy goes through warm cache. */
static uint64_t probe_once(unsigned char *a, unsigned char *b)
{
	volatile uint64_t sink = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint64_t t0 = mono_ns();

	for (int i = 0; i < 48; i++) {
		sink += (uint64_t)syscall(SYS_getppid);
		memcpy(b, a, PROBE_BUF);
		a[i] = b[PROBE_BUF - 1 - i];
		for (int j = 0; j < 512; j++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
	}
	sink += x;
	(void)sink;
	return mono_ns() - t0;
}

int64_t sysutil_speed_probe(int cpu, int rounds)
{
	static unsigned char a[PROBE_BUF], b[PROBE_BUF];
	cpu_set_t old;
	uint64_t best = UINT64_MAX;
	int rc;

	rc = pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	if (rc)
		return -rc;
	rc = sysutil_pin(cpu);
	if (rc)
		return rc;
	probe_once(a, b); /* warm the caches and the branch predictors */
	for (int r = 0; r < rounds; r++) {
		uint64_t t = probe_once(a, b);

		if (t < best)
			best = t;
	}
	rc = pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
	if (rc)
		return -rc;
	return (int64_t)best;
}
