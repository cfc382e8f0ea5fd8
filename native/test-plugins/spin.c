// SPDX-License-Identifier: MIT
/*
 * Test plug-in for measuring the gate: the example transport, plus a busy
 * spin of exactly $IPCBENCH_SPIN_NS nanoseconds (CLOCK_MONOTONIC) in every
 * RPC call, before the request is sent.  On a same-core placement that adds
 * the spin to every round trip, so a regression of known size can be
 * injected without touching the code under test.  The variable is read once
 * per connection (prepare), so baseline and candidate can differ only by
 * their environment.
 */
#include <ipcbench/transport-plugin.h>

static int spin_call(struct ipcbench_conn *c, const void *req, size_t len,
		     struct ipcbench_msg *reply);

#define EXAMPLE_NAME "spin"
#define EXAMPLE_CALL spin_call
#include "../../examples/plugin/example-transport.c"

#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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

static int spin_call(struct ipcbench_conn *c, const void *req, size_t len,
		     struct ipcbench_msg *reply)
{
	uint64_t ns = spin_ns();

	if (ns) {
		uint64_t until = now_ns() + ns;

		while (now_ns() < until)
			;
	}
	return example_call(c, req, len, reply);
}
