// SPDX-License-Identifier: MIT
/*
 * Test plug-in for measuring the gate: the example transport, plus an
 * injected slowdown in every RPC round trip.  The variables are read once per
 * process, so baseline and candidate can differ only by their environment:
 *
 * IPCBENCH_SPIN_NS=n   busy-spin n nanoseconds of wall-clock time
 *                      (CLOCK_MONOTONIC) in the client, before the request
 *                      is sent.  Exact in wall time, but not in
 *                      the latency it adds: a client preempted inside its
 *                      spin, or a peer that finishes its previous reply
 *                      while the client spins, overlaps the spin.
 * IPCBENCH_SPIN_PCT=p  burn CPU work in the server, before each reply,
 *                      worth p percent of the running median round trip
 *                      (from one reply to the next, less the burn, timed
 *                      there): a relative regression that follows the
 *                      machine's drift, made of CPU work (a loop whose rate
 *                      follows this thread's CPU time, burn_for()), so
 *                      that preemption and overlap cannot shrink it.  The
 *                      first MEDIAN_SEED calls run un-slowed to seed the
 *                      median (the warm-up covers them).
 */
#include <ipcbench/transport-plugin.h>

static int spin_call(struct ipcbench_conn *c, const void *req, size_t len,
		     struct ipcbench_msg *reply);
static int spin_reply(struct ipcbench_conn *c, const void *data, size_t len);

#define EXAMPLE_NAME "spin"
#define EXAMPLE_CALL spin_call
#define EXAMPLE_REPLY spin_reply
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
static double burn_rate_first(void)
{
	const uint64_t n = 2000000;
	double rate = 0;

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

/* every RATE_EVERY-th burn is timed and refreshes the rate */
#define RATE_EVERY 64
/* weight of that timing in the refreshed rate */
#define RATE_STEP 0.25

/*
 * Burn `ns` worth of CPU work.  The loop's rate is calibrated at the first
 * call and then followed: every RATE_EVERY-th burn is timed against this
 * thread's CPU time (three system calls, in 1 call of 64: the p50 does not
 * see them; the cost of reading the clock is measured and taken out) and
 * moves the rate.  The machine's speed here changes by up to 25% within
 * seconds: a rate measured once per client (which lives as long as the
 * harness, where the burn first was) made one gate burn 4% and the next 6%.
 */
static void burn_for(double ns)
{
	static double rate;
	static unsigned calls;
	uint64_t n, t0, t1, t2;
	int64_t dt;

	if (rate == 0)
		rate = burn_rate_first();
	n = (uint64_t)(ns * rate);
	if (calls++ % RATE_EVERY || n < 1000) {
		burn(n);
		return;
	}
	/* t1 - t0 is what reading the clock itself costs: taken out of the burn's time */
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	burn(n);
	t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	dt = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
	if (dt > 0)
		rate = (1 - RATE_STEP) * rate +
		       RATE_STEP * (double)n / (double)dt;
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

	if (ns) {
		uint64_t until = clock_ns(CLOCK_MONOTONIC) + ns;

		while (clock_ns(CLOCK_MONOTONIC) < until)
			;
	}
	return example_call(c, req, len, reply);
}

/*
 * IPCBENCH_SPIN_PCT burns in the server, before it replies.  There the burn
 * is strictly inside the round trip: the client is blocked waiting for the
 * reply, so on one CPU nothing can run beside it.  In the client (where it
 * was first), the server's own work after its previous reply ran during the
 * burn whenever the scheduler chose, and the p50 rose by 45-130% of the burn
 * from one gate to the next.  The running median is of the whole cycle from
 * one reply to the next, less the burn: the round trip as the client sees
 * it.  Each repetition's server is a fresh process and seeds its own.
 */
static int spin_reply(struct ipcbench_conn *c, const void *data, size_t len)
{
	static double median, burnt;
	static uint64_t last;
	double pct = spin_pct();
	uint64_t now;

	if (pct == 0)
		return example_reply(c, data, len);
	now = clock_ns(CLOCK_MONOTONIC);
	if (last)
		median = track_median((uint64_t)((double)(now - last) - burnt));
	last = now;
	burnt = median > 0 ? median * pct / 100 : 0;
	if (burnt > 0)
		burn_for(burnt);
	return example_reply(c, data, len);
}
