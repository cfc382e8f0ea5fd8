// SPDX-License-Identifier: MIT
/*
 * ipcbench-peer: the far side of a case (RPC server or broadcast
 * subscriber), started fresh for every repetition by the harness.
 *
 * Protocol with the harness (stdout, one line each):
 *   READY ipcbench-peer <protocol>          once attached to the channel
 *   REPORT {json}                           after the goodbye message
 * Errors go to stderr as one line and the exit code is non-zero.
 */
#define _GNU_SOURCE
#include "../core/base64.h"
#include "../core/histogram.h"
#include "../core/payload.h"
#include "../core/sysutil.h"
#include "../core/transport.h"
#include "../core/plugin.h"
#include "../workloads/workloads.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: ipcbench-peer --transport NAME [--variant NAME]\n"
		"         --role server|subscriber --max-msg BYTES [--fds 3,4]\n"
		"         [--address ADDR] [--cpu N]\n"
		"         [--subscribers N --index I --interested 0|1]\n"
		"         [--late-ns N] [--fault corrupt|crash|hang|exit|skip --fault-at SEQ]\n"
		"Started by the ipcbench harness; not meant to be run by hand.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || !*s || *end ? -1 : 0;
}

static void print_report(const char *role, const struct peer_report *rep)
{
	printf("REPORT {\"role\":\"%s\",\"pid\":%d,\"ops\":%" PRIu64
	       ",\"userNs\":%" PRIu64 ",\"sysNs\":%" PRIu64 ",\"vcsw\":%" PRId64
	       ",\"ivcsw\":%" PRId64 ",\"lost\":%" PRIu64
	       ",\"duplicated\":%" PRIu64 ",\"corrupted\":%" PRIu64
	       ",\"late\":%" PRIu64,
	       role, (int)getpid(), rep->ops, rep->cpu.user_ns, rep->cpu.sys_ns,
	       rep->cpu.vcsw, rep->cpu.ivcsw, rep->lost, rep->duplicated,
	       rep->corrupted, rep->late);
	if (rep->have_hist) {
		size_t cap = histogram_encoded_max(&rep->hist);
		uint8_t *enc = malloc(cap);
		char *b64 = malloc(cap * 4 / 3 + 8);
		long n = enc && b64 ? histogram_encode(&rep->hist, enc, cap)
				    : -ENOMEM;

		if (n > 0) {
			base64_encode(enc, (size_t)n, b64);
			printf(",\"histogram\":\"%s\"", b64);
		}
		free(enc);
		free(b64);
	}
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "transport", required_argument, 0, 't' },
		{ "plugin", required_argument, 0, 'P' },
		{ "role", required_argument, 0, 'r' },
		{ "max-msg", required_argument, 0, 'm' },
		{ "fds", required_argument, 0, 'f' },
		{ "address", required_argument, 0, 'a' },
		{ "cpu", required_argument, 0, 'c' },
		{ "variant", required_argument, 0, 'v' },
		{ "subscribers", required_argument, 0, 'n' },
		{ "index", required_argument, 0, 'i' },
		{ "interested", required_argument, 0, 'I' },
		{ "fault", required_argument, 0, 'F' },
		{ "fault-at", required_argument, 0, 'A' },
		{ "late-ns", required_argument, 0, 'L' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const struct transport_ops *ops = NULL;
	struct tp_params params = { 0 };
	struct peer_config pc = { 0 };
	struct peer_report rep = { 0 };
	struct tp_conn *conn = NULL;
	struct ack_board *board = NULL;
	char err[TP_ERR_LEN] = "";
	const char *role_name = NULL, *tname = NULL, *variant = NULL;
	const char *plugin = NULL;
	enum tp_role role = TP_ROLE_SERVER;
	int fds[TP_MAX_FDS], n_fds = 0, cpu = -1, c, rc;
	uint64_t v;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the harness */
	if (getppid() == 1)
		return 1;
	signal(SIGPIPE, SIG_IGN);

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tname = optarg;
			break;
		case 'P':
			plugin = optarg;
			break;
		case 'r':
			role_name = optarg;
			if (!strcmp(optarg, "server"))
				role = TP_ROLE_SERVER;
			else if (!strcmp(optarg, "subscriber"))
				role = TP_ROLE_SUBSCRIBER;
			else
				goto bad;
			break;
		case 'm':
			if (parse_u64(optarg, &v) || v < MSG_HDR_SIZE)
				goto bad;
			params.max_msg = v;
			break;
		case 'f': {
			char *s = optarg, *end;

			while (*s && n_fds < TP_MAX_FDS) {
				long fd = strtol(s, &end, 10);

				if (end == s || fd < 0)
					goto bad;
				fds[n_fds++] = (int)fd;
				s = *end == ',' ? end + 1 : end;
			}
			break;
		}
		case 'a':
			params.address = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, &v))
				goto bad;
			cpu = (int)v;
			break;
		case 'v':
			variant = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, &v))
				goto bad;
			params.subscribers = (unsigned)v;
			break;
		case 'i':
			if (parse_u64(optarg, &v))
				goto bad;
			params.index = (unsigned)v;
			break;
		case 'I':
			params.interested = !strcmp(optarg, "1");
			break;
		case 'F':
			if (!strcmp(optarg, "corrupt"))
				pc.fault = FAULT_CORRUPT;
			else if (!strcmp(optarg, "crash"))
				pc.fault = FAULT_CRASH;
			else if (!strcmp(optarg, "hang"))
				pc.fault = FAULT_HANG;
			else if (!strcmp(optarg, "exit"))
				pc.fault = FAULT_EXIT;
			else if (!strcmp(optarg, "skip"))
				pc.fault = FAULT_SKIP;
			else
				goto bad;
			break;
		case 'A':
			if (parse_u64(optarg, &pc.fault_at))
				goto bad;
			break;
		case 'L':
			if (parse_u64(optarg, &pc.late_ns))
				goto bad;
			break;
		case 'h':
			usage();
			return 0;
		default:
			goto bad;
		}
	}
	if (!tname || !role_name || !params.max_msg)
		goto bad;
	if (plugin) {
		/* the user's transport, loaded and checked as in the harness */
		ops = plugin_load(plugin, tname, err);
		if (!ops) {
			fprintf(stderr, "ipcbench-peer: %s\n", err);
			return 2;
		}
	} else {
		ops = transport_find(tname);
		if (!ops) {
			fprintf(stderr,
				"ipcbench-peer: unknown transport '%s'\n",
				tname);
			return 2;
		}
	}

	if (ops->unavailable) {
		fprintf(stderr, "ipcbench-peer: %s: %s\n", tname,
			ops->unavailable);
		return 1;
	}
	rc = transport_variant(ops, variant);
	if (rc < 0) {
		fprintf(stderr, "ipcbench-peer: %s has no variant '%s'\n",
			tname, variant);
		return 2;
	}
	params.variant = (unsigned)rc;
	rc = sysutil_pin(cpu);
	if (rc) {
		fprintf(stderr, "ipcbench-peer: cannot pin to CPU %d: %s\n",
			cpu, strerror(-rc));
		return 1;
	}
	if (role == TP_ROLE_SUBSCRIBER) {
		/* the last inherited fd is the ack board (see workloads.h) */
		size_t len = ack_board_size(params.subscribers);

		if (n_fds < 1 || params.index >= params.subscribers) {
			fprintf(stderr,
				"ipcbench-peer: subscriber needs --subscribers, --index and an ack board fd\n");
			return 2;
		}
		board = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			     fds[--n_fds], 0);
		if (board == MAP_FAILED) {
			fprintf(stderr, "ipcbench-peer: map ack board: %s\n",
				strerror(errno));
			return 1;
		}
		close(fds[n_fds]);
	}
	rc = ops->attach(&params, role, fds, n_fds, &conn, err);
	if (rc) {
		fprintf(stderr, "ipcbench-peer: %s %s: attach: %s\n", tname,
			role_name, err[0] ? err : strerror(-rc));
		return 1;
	}
	printf("READY ipcbench-peer %u\n", MSG_PROTOCOL);
	fflush(stdout);

	if (role == TP_ROLE_SERVER) {
		rc = rpc_server_run(ops, conn, &pc, &rep, err);
	} else {
		rc = broadcast_subscriber_run(ops, conn, board, &params, &pc,
					      &rep, err);
	}
	ops->close(conn);
	if (rc) {
		fprintf(stderr, "ipcbench-peer: %s %s: %s\n", tname, role_name,
			err[0] ? err : strerror(-rc));
		return 1;
	}
	print_report(role_name, &rep);
	if (rep.have_hist)
		histogram_deinit(&rep.hist);
	return 0;
bad:
	usage();
	return 2;
}
