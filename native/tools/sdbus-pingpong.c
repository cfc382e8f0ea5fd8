// SPDX-License-Identifier: MIT
/*
 * ipcbench-sdbus-pingpong: the smallest sd-bus program that does what the
 * dbus-* RPC cases do, to show that the harness adds nothing measurable on
 * top of a D-Bus call (ARCHITECTURE.md: "measure a transport within a few
 * percent of a minimal C program doing the same thing").
 *
 *   ipcbench-sdbus-pingpong --address ADDR --size N [--ms 1000]
 *                           [--client-cpu C] [--server-cpu S] [--vtable]
 *       forks an echo server on the bus, then calls it in a closed loop
 *       with plain sd_bus_call(); prints one JSON line with the median.
 *   ipcbench-sdbus-pingpong --serve --address ADDR
 *       only the echo server; prints its bus name, serves until killed
 *       (for timing `busctl call` against it).
 *
 * Same wire traffic as dbus-sdbus: org.ipcbench.Echo.Echo(ay) -> ay on
 * /org/ipcbench/Echo, one new message per call.  The client compares the
 * echoed bytes with what it sent (every real client reads its reply); the
 * server echoes without looking (the least a server can do).  No histogram,
 * no integrity header, no Node.js: what is left is sd-bus and the bus.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define PATH "/org/ipcbench/Echo"
#define IFACE "org.ipcbench.Echo"
#define WARMUP_NS 20000000ull

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
		fprintf(stderr, "sdbus-pingpong: cannot pin to CPU %d: %s\n",
			cpu, strerror(errno));
		exit(1);
	}
}

static sd_bus *open_bus(const char *address)
{
	sd_bus *bus = NULL;
	int r = sd_bus_new(&bus);

	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "sdbus-pingpong: connect %s: %s\n", address,
			strerror(-r));
		exit(1);
	}
	return bus;
}

static int on_echo(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	sd_bus_message *reply = NULL;
	const void *p;
	size_t n;
	int r;

	(void)userdata;
	(void)e;
	r = sd_bus_message_read_array(m, 'y', &p, &n);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_append_array(reply, 'y', p, n);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return r < 0 ? r : 1;
}

static const sd_bus_vtable echo_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Echo", "ay", "ay", on_echo, 0),
	SD_BUS_VTABLE_END,
};

/*
 * The server.  Default: take each message from sd_bus_process() and answer
 * it directly, the same D-Bus work as ipcbench-peer's server minus the
 * integrity check.  --vtable: sd-bus's object dispatch instead, as a typical
 * service is written (costs extra lookups per call; shows how much).
 */
static void serve(const char *address, const char *name, int ready_fd,
		  int vtable)
{
	sd_bus *bus = open_bus(address);
	int r = 0;

	if (vtable)
		r = sd_bus_add_object_vtable(bus, NULL, PATH, IFACE,
					     echo_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, name, 0);
	if (r < 0) {
		fprintf(stderr, "sdbus-pingpong: serve %s: %s\n", name,
			strerror(-r));
		exit(1);
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "R", 1) != 1)
			exit(1);
		close(ready_fd);
	} else {
		printf("%s\n", name);
		fflush(stdout);
	}
	for (;;) {
		sd_bus_message *m = NULL;

		r = sd_bus_process(bus, vtable ? NULL : &m);
		if (r < 0)
			exit(0); /* bus gone or client done */
		if (m) {
			if (sd_bus_message_is_method_call(m, IFACE, "Echo") >
				    0 &&
			    on_echo(m, NULL, NULL) < 0)
				exit(1);
			sd_bus_message_unref(m);
		}
		if (r == 0)
			sd_bus_wait(bus, UINT64_MAX);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, 0, 'a' },
		{ "size", required_argument, 0, 's' },
		{ "ms", required_argument, 0, 'm' },
		{ "client-cpu", required_argument, 0, 'c' },
		{ "server-cpu", required_argument, 0, 'S' },
		{ "serve", no_argument, 0, 'v' },
		{ "vtable", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	const char *address = NULL;
	size_t size = 64;
	uint64_t ms = 1000, *lat = NULL, n = 0, cap = 1 << 16, start, end;
	int client_cpu = -1, server_cpu = -1, serve_only = 0, vtable = 0, c,
	    pfd[2], r;
	char name[128], ch;
	uint8_t *buf;
	sd_bus *bus;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			address = optarg;
			break;
		case 's':
			size = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			ms = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			client_cpu = atoi(optarg);
			break;
		case 'S':
			server_cpu = atoi(optarg);
			break;
		case 'v':
			serve_only = 1;
			break;
		case 'V':
			vtable = 1;
			break;
		default:
			return 2;
		}
	}
	if (!address || !size) {
		fprintf(stderr,
			"usage: ipcbench-sdbus-pingpong --address ADDR --size N [--ms MS] [--client-cpu C] [--server-cpu S] [--vtable]\n"
			"       ipcbench-sdbus-pingpong --serve --address ADDR\n");
		return 2;
	}
	snprintf(name, sizeof(name), IFACE ".Minimal.P%d", (int)getpid());
	if (serve_only) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		serve(address, name, -1, vtable);
	}
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		pin(server_cpu);
		serve(address, name, pfd[1], vtable);
	}
	close(pfd[1]);
	if (read(pfd[0], &ch, 1) != 1) {
		fprintf(stderr, "sdbus-pingpong: the server did not start\n");
		return 1;
	}
	pin(client_cpu);
	bus = open_bus(address);
	buf = malloc(size);
	lat = malloc(cap * sizeof(*lat));
	if (!buf || !lat)
		return 1;
	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 131 + 7);

	start = now_ns();
	end = start + WARMUP_NS + ms * 1000000ull;
	for (;;) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		sd_bus_message *m = NULL, *reply = NULL;
		const void *p;
		size_t len;
		uint64_t t0 = now_ns(), t1;

		r = sd_bus_message_new_method_call(bus, &m, name, PATH, IFACE,
						   "Echo");
		if (r >= 0)
			r = sd_bus_message_append_array(m, 'y', buf, size);
		if (r >= 0)
			r = sd_bus_call(bus, m, 0, &e, &reply);
		if (r >= 0)
			r = sd_bus_message_read_array(reply, 'y', &p, &len);
		if (r >= 0 && (len != size || memcmp(p, buf, size)))
			r = -EBADMSG;
		t1 = now_ns();
		sd_bus_message_unref(m);
		sd_bus_message_unref(reply);
		if (r < 0) {
			fprintf(stderr, "sdbus-pingpong: call: %s\n",
				e.message ? e.message : strerror(-r));
			kill(pid, SIGKILL);
			return 1;
		}
		sd_bus_error_free(&e);
		if (t0 >= start + WARMUP_NS) {
			if (n == cap) {
				cap *= 2;
				lat = realloc(lat, cap * sizeof(*lat));
				if (!lat)
					return 1;
			}
			lat[n++] = t1 - t0;
		}
		if (t1 >= end)
			break;
	}
	sd_bus_flush_close_unref(bus);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("{\"size\":%zu,\"calls\":%llu,\"p50Ns\":%llu,\"p99Ns\":%llu}\n",
	       size, (unsigned long long)n,
	       (unsigned long long)(n ? lat[n / 2] : 0),
	       (unsigned long long)(n ? lat[(n * 99) / 100] : 0));
	free(lat);
	free(buf);
	return 0;
}
