// SPDX-License-Identifier: MIT
/*
 * ipcbench-bus-launch: start a private message bus for one benchmark run and
 * make sure it dies with the harness.
 *
 *   ipcbench-bus-launch broker --socket PATH [--broker BIN] --version N
 *                       [--max-bytes B] [--max-fds N] [--max-matches N]
 *                       [--max-objects N]
 *   ipcbench-bus-launch exec -- DAEMON ARGS...
 *
 * broker: dbus-broker without systemd, the way its own test-suite runs it.
 * We create the listening socket (umask 077: born 0600, in the caller's 0700
 * directory) and a socketpair; the broker gets one end as --controller and
 * we speak D-Bus (sd-bus, no Hello: a plain peer-to-peer connection) on the
 * other, calling org.bus1.DBus.Broker.AddListener with the listening socket
 * and a policy that allows everything.  The policy is a D-Bus value whose
 * layout changed between broker releases, so the caller passes the version
 * (`dbus-broker --version`) and unknown versions are refused.  Once the
 * listener is installed we write "unix:path=PATH\n<broker pid>\n" to fd 3
 * and close it.  The controller connection must stay open for the broker's
 * lifetime (the broker exits when it closes), so we stay too.
 *
 * exec: run DAEMON (dbus-daemon) as our child with its fd 3 inherited.
 *
 * Both: the bus is our child with PR_SET_PDEATHSIG, and we have it too, so
 * nothing outlives the harness even if it is SIGKILLed.  SIGTERM/SIGINT: we
 * stop the bus (SIGTERM, SIGKILL after STOP_GRACE_MS), reap it, remove the
 * socket and exit 0.  The bus dying on its own: we exit 1 with its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SDBUS
#include <systemd/sd-bus.h>
#endif

#define NOTIFY_FD 3
#define STOP_GRACE_MS 2000

static const char *prog = "ipcbench-bus-launch";

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int block_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask: %s", strerror(errno));
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die("signalfd: %s", strerror(errno));
	return fd;
}

/* Child side of fork(): die with us, default signal state, then exec. */
static void exec_child(char **argv)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	execv(argv[0], argv);
	fprintf(stderr, "%s: exec %s: %s\n", prog, argv[0], strerror(errno));
	_exit(127);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SIGTERM, a grace period, SIGKILL; always reaps. */
static int stop_child(pid_t pid)
{
	uint64_t deadline = now_ms() + STOP_GRACE_MS;
	int status = 0;

	kill(pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return status;
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		usleep(10000);
	}
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped (status 0x%x)", status);
}

/*
 * Wait for a stop signal or the child's death; extra_fd (may be -1) is the
 * broker's controller connection: if the broker closes it, it is going away.
 * Returns our exit code.
 */
static int supervise(pid_t child, int sigfd, const char *what,
		     const char *socket_path, int (*on_extra)(void *),
		     int extra_fd, void *extra)
{
	int status = 0;

	for (;;) {
		struct pollfd p[2] = { { sigfd, POLLIN, 0 },
				       { extra_fd, POLLIN, 0 } };
		struct signalfd_siginfo si;

		if (poll(p, extra_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (extra_fd >= 0 && p[1].revents && on_extra &&
		    on_extra(extra) < 0) {
			/* controller connection lost: the broker is dying */
			status = stop_child(child);
			goto died;
		}
		while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGCHLD) {
				if (waitpid(child, &status, WNOHANG) == child)
					goto died;
				continue;
			}
			stop_child(child);
			if (socket_path)
				unlink(socket_path);
			return 0;
		}
	}
died : {
	char how[128];

	describe_status(status, how, sizeof(how));
	fprintf(stderr, "%s: %s %s\n", prog, what, how);
	if (socket_path)
		unlink(socket_path);
	return 1;
}
}

static int mode_exec(int argc, char **argv)
{
	char line[32];
	int sigfd, go[2], len;
	pid_t pid;

	if (argc < 1)
		die("exec: no command");
	sigfd = block_signals();
	/* the caller learns the daemon's pid (for CPU accounting) from us,
	 * on fd 3 before the daemon's own address line: the child waits for
	 * the go (EOF on a pipe) so that the two writers never interleave */
	if (pipe2(go, O_CLOEXEC))
		die("pipe2: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		exec_child(argv); /* fd 3 (address pipe) is inherited */
	}
	close(go[0]);
	len = snprintf(line, sizeof(line), "%d\n", (int)pid);
	if (write(NOTIFY_FD, line, (size_t)len) != len)
		fprintf(stderr, "%s: cannot announce the pid: %s\n", prog,
			strerror(errno));
	close(NOTIFY_FD); /* only the daemon writes there from now on */
	close(go[1]);
	return supervise(pid, sigfd, argv[0], NULL, NULL, -1, NULL);
}

#ifdef HAVE_SDBUS

/*
 * The policy value of AddListener, by broker release.  Batch:
 *   bt             connect verdict, priority
 *   a(btbs)        own:     verdict, priority, is-prefix, name
 *   a(btssssuutt)  send / receive: verdict, priority, name, path, interface,
 *                  member, message type, broadcast, min fds, max fds
 * Policy: per-uid batches (uid -1 = everybody), per uid/gid-range batches,
 * SELinux name->context table, AppArmor enabled, AppArmor bus type.
 * Verified against dbus-broker 33; 32 introduced the AppArmor bus type and
 * the layout is unchanged up to 36 in the broker's sources.  Older releases
 * used other layouts: refused rather than guessed.
 */
#define BATCH_T "bta(btbs)a(btssssuutt)a(btssssuutt)"
#define POLICY_V32_T "a(u(" BATCH_T "))a(buu(" BATCH_T "))a(ss)bs"
#define BROKER_MIN_VERSION 32
#define BROKER_MAX_VERSION 36
#define PRIORITY 1

static int append_allow_all_batch(sd_bus_message *m)
{
	int r, i;

	r = sd_bus_message_append(m, "bt", 1, (uint64_t)PRIORITY);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(btbs)", 1, 1,
					  (uint64_t)PRIORITY, 1, "");
	/* send, then receive: any name/path/interface/member/type, 0..max fds */
	for (i = 0; i < 2 && r >= 0; i++)
		r = sd_bus_message_append(m, "a(btssssuutt)", 1, 1,
					  (uint64_t)PRIORITY, "", "", "", "",
					  0u, 0u, (uint64_t)0, UINT64_MAX);
	return r;
}

static int append_policy_v32(sd_bus_message *m)
{
	int r;

	r = sd_bus_message_open_container(m, 'v', "(" POLICY_V32_T ")");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'r', POLICY_V32_T);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(u(" BATCH_T "))");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'r', "u(" BATCH_T ")");
	if (r >= 0)
		r = sd_bus_message_append(m, "u", (uint32_t)-1);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'r', BATCH_T);
	if (r >= 0)
		r = append_allow_all_batch(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m); /* batch */
	if (r >= 0)
		r = sd_bus_message_close_container(m); /* (u batch) */
	if (r >= 0)
		r = sd_bus_message_close_container(m); /* a(u batch) */
	if (r >= 0)
		r = sd_bus_message_append(m, "a(buu(" BATCH_T "))", 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(ss)", 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "bs", 0, "");
	if (r >= 0)
		r = sd_bus_message_close_container(m); /* struct */
	if (r >= 0)
		r = sd_bus_message_close_container(m); /* variant */
	return r;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	old = umask(0077); /* the socket file is born owner-only */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r)
		die("bind %s: %s", path, strerror(errno));
	if (chmod(path, 0600))
		die("chmod %s: %s", path, strerror(errno));
	if (listen(fd, 256))
		die("listen: %s", strerror(errno));
	return fd;
}

static int controller_process(void *bus)
{
	int r;

	/* the broker sends nothing we must act on; sd-bus answers stray
	 * method calls itself; we only care about losing the connection */
	do
		r = sd_bus_process(bus, NULL);
	while (r > 0);
	return r;
}

static int mode_broker(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, 0, 's' },
		{ "broker", required_argument, 0, 'b' },
		{ "version", required_argument, 0, 'v' },
		{ "max-bytes", required_argument, 0, 'B' },
		{ "max-fds", required_argument, 0, 'F' },
		{ "max-matches", required_argument, 0, 'M' },
		{ "max-objects", required_argument, 0, 'O' },
		{ 0, 0, 0, 0 },
	};
	const char *socket_path = NULL, *broker = "/usr/bin/dbus-broker";
	const char *max_bytes = "1073741824", *max_fds = "4096";
	const char *max_matches = "100000", *max_objects = "100000";
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	char ctl_arg[16], *bargv[16];
	long version = -1;
	int c, pair[2], lfd, sigfd, r, n = 0;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'b':
			broker = optarg;
			break;
		case 'v':
			version = strtol(optarg, NULL, 10);
			break;
		case 'B':
			max_bytes = optarg;
			break;
		case 'F':
			max_fds = optarg;
			break;
		case 'M':
			max_matches = optarg;
			break;
		case 'O':
			max_objects = optarg;
			break;
		default:
			die("broker: bad arguments");
		}
	}
	if (!socket_path)
		die("broker: --socket is required");
	if (version < BROKER_MIN_VERSION || version > BROKER_MAX_VERSION)
		die("dbus-broker version %ld is not supported: its controller policy layout is known for versions %d to %d only",
		    version, BROKER_MIN_VERSION, BROKER_MAX_VERSION);

	sigfd = block_signals();
	lfd = listen_unix(socket_path);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair))
		die("socketpair: %s", strerror(errno));
	snprintf(ctl_arg, sizeof(ctl_arg), "%d", pair[1]);
	bargv[n++] = (char *)broker;
	bargv[n++] = "--controller";
	bargv[n++] = ctl_arg;
	/* any fixed id: nothing on this bus looks at it */
	bargv[n++] = "--machine-id";
	bargv[n++] = "00000000000000000000000000000001";
	bargv[n++] = "--max-bytes";
	bargv[n++] = (char *)max_bytes;
	bargv[n++] = "--max-fds";
	bargv[n++] = (char *)max_fds;
	bargv[n++] = "--max-matches";
	bargv[n++] = (char *)max_matches;
	bargv[n++] = "--max-objects";
	bargv[n++] = (char *)max_objects;
	bargv[n] = NULL;

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* the controller end must survive exec; nothing else of ours */
		if (fcntl(pair[1], F_SETFD, 0) < 0)
			_exit(127);
		close(NOTIFY_FD);
		exec_child(bargv);
	}
	close(pair[1]);

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_fd(bus, pair[0], pair[0]);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		stop_child(pid);
		unlink(socket_path);
		die("controller connection: %s", strerror(-r));
	}
	r = sd_bus_message_new_method_call(
		bus, &m, NULL, "/org/bus1/DBus/Broker", "org.bus1.DBus.Broker",
		"AddListener");
	if (r >= 0)
		r = sd_bus_message_append(m, "oh", "/org/bus1/DBus/Listener/0",
					  lfd);
	if (r >= 0)
		r = append_policy_v32(m);
	if (r >= 0)
		r = sd_bus_call(bus, m, 10 * 1000000ull, &error, NULL);
	sd_bus_message_unref(m);
	if (r < 0) {
		int status = stop_child(pid);
		char how[128];

		describe_status(status, how, sizeof(how));
		unlink(socket_path);
		die("AddListener failed: %s (dbus-broker %s)",
		    error.message ? error.message : strerror(-r), how);
	}
	close(lfd); /* the broker holds its own copy now */
	{
		char line[PATH_MAX + 64];
		int len = snprintf(line, sizeof(line), "unix:path=%s\n%d\n",
				   socket_path, (int)pid);

		if (write(NOTIFY_FD, line, (size_t)len) != len)
			fprintf(stderr, "%s: cannot announce the address: %s\n",
				prog, strerror(errno));
		close(NOTIFY_FD);
	}
	r = supervise(pid, sigfd, "dbus-broker", socket_path,
		      controller_process, sd_bus_get_fd(bus), bus);
	sd_bus_close_unref(bus);
	return r;
}

#else

static int mode_broker(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	die("built without libsystemd: dbus-broker needs sd-bus to talk to its controller (apt-get install libsystemd-dev)");
}

#endif

int main(int argc, char **argv)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the harness */
	if (getppid() == 1)
		return 1;
	if (argc >= 2 && !strcmp(argv[1], "broker"))
		return mode_broker(argc - 1, argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "exec") && !strcmp(argv[2], "--"))
		return mode_exec(argc - 3, argv + 3);
	fprintf(stderr,
		"usage: %s broker --socket PATH --version N [--broker BIN] [--max-bytes B]\n"
		"                  [--max-fds N] [--max-matches N] [--max-objects N]\n"
		"       %s exec -- DAEMON ARGS...\n"
		"Started by the ipcbench harness; writes the bus address to fd 3.\n",
		prog, prog);
	return 2;
}
