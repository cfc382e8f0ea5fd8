/* SPDX-License-Identifier: MIT */
/* CPU placement and CPU accounting for every process and thread of a case. */
#ifndef IPCBENCH_SYSUTIL_H
#define IPCBENCH_SYSUTIL_H

#include <stdint.h>

struct cpu_usage {
	uint64_t user_ns;
	uint64_t sys_ns;
	int64_t vcsw;  /* voluntary context switches */
	int64_t ivcsw; /* involuntary context switches */
};

/* Pin the calling thread to one CPU (cpu < 0: leave it unpinned). */
int sysutil_pin(int cpu);
/* RUSAGE_THREAD when thread is nonzero, else RUSAGE_SELF. */
int sysutil_usage(struct cpu_usage *u, int thread);
/*
 * The machine's speed at this moment on one CPU: the shortest of `rounds` timings (ns) of a fixed piece of work
 * shaped like a round trip's (a few system calls, a copy through the cache, dependent arithmetic). The calling
 * thread is moved to `cpu` for the probe and put back on its previous CPU set. Negative errno on failure.
 */
int64_t sysutil_speed_probe(int cpu, int rounds);
void sysutil_usage_delta(struct cpu_usage *out, const struct cpu_usage *a,
			 const struct cpu_usage *b);

#endif
