// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "sysutil.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

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
