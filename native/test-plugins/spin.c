// SPDX-License-Identifier: MIT
/*
 * Test plug-in for measuring the gate: the example transport, plus an
 * injected slowdown in every RPC call, before the request is sent.  The
 * variables are read once per process, so baseline and candidate can differ
 * only by their environment:
 *
 * IPCBENCH_SPIN_NS=n   busy-spin n nanoseconds of wall-clock time
 *                      (CLOCK_MONOTONIC).  Exact in wall time, but not in
 *                      the latency it adds: a client preempted inside its
 *                      spin, or a peer that finishes its previous reply
 *                      while the client spins, overlaps the spin.
 * IPCBENCH_SPIN_PCT=p  burn CPU work worth p percent of the call's own
 *                      running median round trip (the un-slowed call, timed
 *                      here): a relative regression that follows the
 *                      machine's drift, made of CPU work (a loop whose rate
 *                      is calibrated against this thread's CPU time), so
 *                      that preemption and overlap cannot shrink it.  The
 *                      first MEDIAN_SEED calls run un-slowed to seed the
 *                      median (the warm-up covers them).
 */
#include <ipcbench/transport-plugin.h>

static int spin_call(struct ipcbench_conn *c, const void *req, size_t len,
		     struct ipcbench_msg *reply);

#define EXAMPLE_NAME "spin"
#define EXAMPLE_CALL spin_call
#include "../../examples/plugin/example-transport.c"

#include <time.h>

/* calls timed before the running median starts tracking */
#define MEDIAN_SEED 63
/* relative step of the running median per call */
#define MEDIAN_STEP 0.005

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t spin_ns(void)
{
	static int read_once;
	static uint64_t ns;

	if (!read_once) {
		const char *v = getenv("IPCBENCH_SPIN_NS");

		ns = v ? strtoull(v, NULL, 10) : 0;
		read_once = 1;
	}
	return ns;
}

static double spin_pct(void)
{
	static int read_once;
	static double pct;

	if (!read_once) {
		const char *v = getenv("IPCBENCH_SPIN_PCT");

		pct = v ? strtod(v, NULL) : 0;
		if (!(pct > 0))
			pct = 0;
		read_once = 1;
	}
	return pct;
}

static void burn(uint64_t iterations)
{
	for (uint64_t i = 0; i < iterations; i++)
		__asm__ __volatile__("" ::: "memory");
}

/* Loop iterations per nanosecond of this thread's CPU time (best of 3). */
static double burn_rate(void)
{
	static double rate;
	const uint64_t n = 2000000;

	if (rate > 0)
		return rate;
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		double r;

		burn(n);
		r = (double)n /
		    (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0 + 1);
		if (r > rate)
			rate = r;
	}
	return rate;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The running median of the un-slowed round trips: the median of the first
 * MEDIAN_SEED, then a stochastic-approximation step per call (up by
 * MEDIAN_STEP of itself when the call took longer, down when shorter), which
 * settles where half the calls are longer: O(1) per call, and a call
 * stretched by preemption moves it no more than any other.
 */
static double track_median(uint64_t rtt)
{
	static uint64_t seed[MEDIAN_SEED];
	static unsigned seen;
	static double median;

	if (seen < MEDIAN_SEED) {
		seed[seen++] = rtt;
		if (seen == MEDIAN_SEED) {
			qsort(seed, MEDIAN_SEED, sizeof(seed[0]), cmp_u64);
			median = (double)seed[MEDIAN_SEED / 2];
		}
		return 0;
	}
	median *= (double)rtt > median ? 1 + MEDIAN_STEP : 1 - MEDIAN_STEP;
	return median;
}

static int spin_call(struct ipcbench_conn *c, const void *req, size_t len,
		     struct ipcbench_msg *reply)
{
	uint64_t ns = spin_ns();
	double pct = spin_pct();
	uint64_t t0;
	int rc;

	if (ns) {
		uint64_t until = clock_ns(CLOCK_MONOTONIC) + ns;

		while (clock_ns(CLOCK_MONOTONIC) < until)
			;
	}
	if (pct == 0)
		return example_call(c, req, len, reply);
	{
		static double median;
		double rate = burn_rate();

		if (median > 0)
			burn((uint64_t)(median * pct / 100 * rate));
		t0 = clock_ns(CLOCK_MONOTONIC);
		rc = example_call(c, req, len, reply);
		median = track_median(clock_ns(CLOCK_MONOTONIC) - t0);
	}
	return rc;
}
