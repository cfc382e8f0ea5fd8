// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance tests: one test per line of the checklist at the end of
 * shared/kdbus-abi-full.md (section 35), named "cNN-<what>" after the line
 * number and grouped like the checklist.  Included by kdbus-test.c.
 *
 * A test returns 0 (pass), -1 (fail) or NOTIMPL.  NOTIMPL is only allowed
 * where the module's own negotiation says the feature is absent (the
 * helpers below ask it), so a module that claims a feature cannot skip its
 * test; ENVSKIP is for what the running kernel lacks (namespaces).
 */

#define NOTIMPL 1
#define ENVSKIP 2

static char skip_reason[160];

static int notimpl(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	return NOTIMPL;
}

static int envskip(const char *why)
{
	snprintf(skip_reason, sizeof(skip_reason), "%s", why);
	return ENVSKIP;
}

/* ---- negotiation probes -------------------------------------------------- */

/* The valid flags a command reports (on a fresh bus connection). */
static uint64_t neg_flags(int fd, unsigned long cmd, size_t fixed)
{
	struct buf b;
	struct kdbus_cmd *k = buf_init(&b, fixed);

	k->flags = KDBUS_FLAG_NEGOTIATE;
	if (call(fd, cmd, b.w))
		return ~0ull;
	return k->flags;
}

/* Does @cmd accept item @type (NEGOTIATE item, spec 4.4 rule 3)? */
static int neg_item(int fd, unsigned long cmd, size_t fixed, uint64_t type)
{
	struct buf b;
	struct kdbus_cmd *k = buf_init(&b, fixed);
	struct kdbus_item *it;

	k->flags = KDBUS_FLAG_NEGOTIATE;
	it = buf_item(&b, KDBUS_ITEM_NEGOTIATE, &type, 8);
	if (call(fd, cmd, b.w))
		return 0;
	return it->data[0] == type;
}

/* Does SEND accept message item @type? */
static int neg_msg_item(int fd, uint64_t type)
{
	struct buf mb;
	struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
	struct kdbus_cmd_send cmd = { 0 };
	struct kdbus_item *it;

	m->payload_type = KDBUS_PAYLOAD_DBUS;
	it = buf_item(&mb, KDBUS_ITEM_NEGOTIATE, &type, 8);
	cmd.size = sizeof(cmd);
	cmd.flags = KDBUS_FLAG_NEGOTIATE;
	cmd.msg_address = (uintptr_t)m;
	if (call(fd, KDBUS_CMD_SEND, &cmd))
		return 0;
	return it->data[0] == type;
}

/* ---- helpers ------------------------------------------------------------- */

struct hello_opts {
	uint64_t flags;
	uint64_t attach_send;
	uint64_t attach_recv;
	const char *desc;
	size_t pool_size;
};

static int hello_ex(const char *bus, struct conn *c, const struct hello_opts *o)
{
	struct buf b;
	struct kdbus_cmd_hello *h = buf_init(&b, sizeof(*h));
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = ep_open(bus);
	if (c->fd < 0)
		return -errno;
	h->flags = o->flags;
	h->attach_flags_send = o->attach_send;
	h->attach_flags_recv = o->attach_recv;
	h->pool_size = o->pool_size ? o->pool_size : POOL_SIZE;
	if (o->desc)
		buf_str(&b, KDBUS_ITEM_CONN_DESCRIPTION, o->desc);
	ret = call(c->fd, KDBUS_CMD_HELLO, b.w);
	if (ret)
		goto err;
	c->id = h->id;
	c->pool_size = h->pool_size;
	c->pool = mmap(NULL, c->pool_size, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	ret = free_off(c, h->offset);
	if (ret)
		goto err;
	return 0;
err:
	close(c->fd);
	c->fd = -1;
	return ret;
}

static int hello_meta(const char *bus, struct conn *c, uint64_t send,
		      uint64_t recv, const char *desc)
{
	struct hello_opts o = { KDBUS_HELLO_ACCEPT_FD, send, recv, desc, 0 };

	return hello_ex(bus, c, &o);
}

/* The @n-th item of @type in a received message, or NULL. */
static const struct kdbus_item *msg_item(const struct kdbus_msg *m,
					 uint64_t type, int n)
{
	const struct kdbus_item *it;

	for (it = m->items; (const uint8_t *)it < (const uint8_t *)m + m->size;
	     it = (const void *)((const uint8_t *)it + ALIGN8(it->size)))
		if (it->type == type && n-- == 0)
			return it;
	return NULL;
}

static int count_items(const struct kdbus_msg *m, uint64_t lo, uint64_t hi)
{
	const struct kdbus_item *it;
	int n = 0;

	for (it = m->items; (const uint8_t *)it < (const uint8_t *)m + m->size;
	     it = (const void *)((const uint8_t *)it + ALIGN8(it->size)))
		n += it->type >= lo && it->type <= hi;
	return n;
}

#define META_LO 0x1000
#define META_HI 0x100d

static int update_attach(struct conn *c, uint64_t type, uint64_t v)
{
	struct buf b;

	buf_init(&b, sizeof(struct kdbus_cmd));
	buf_u64(&b, type, v);
	buf_done(&b);
	return call(c->fd, KDBUS_CMD_UPDATE, b.w);
}

/* Send one byte from @from to @to and receive it; caller FREEs r->offset. */
static int ping(struct conn *from, struct conn *to, struct rmsg *r)
{
	struct msgspec s = spec_to(to->id, "m", 1);
	int ret = send_msg(from, &s, NULL);

	return ret ? ret : recv_msg(to, r);
}

static uint64_t all_bits_signal[BLOOM_SIZE / 8];

/* A broadcast that every connection with an empty-mask... rule accepts */
static int bcast(struct conn *from)
{
	struct msgspec s = spec_to(KDBUS_DST_ID_BROADCAST, "b", 1);

	s.flags = KDBUS_MSG_SIGNAL;
	s.bloom = all_bits_signal;
	return send_msg(from, &s, NULL);
}

static int match_all_user(struct conn *c)
{
	uint64_t zero[BLOOM_SIZE / 8] = { 0 };

	return match_add(c, 77, zero, BLOOM_SIZE, 0, 0);
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* ---- negotiation and kinds (lines 1 to 7) --------------------------------- */

static int c01_negotiate_flags(void)
{
	char name[64];
	struct conn a;
	uint64_t hf, lf, rf, cf, bf;
	int bus, fd;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	fd = ep_open(name);
	CHECK(fd >= 0);
	hf = neg_flags(fd, KDBUS_CMD_HELLO, sizeof(struct kdbus_cmd_hello));
	close(fd);
	CHECK(hello(name, &a) == 0);
	lf = neg_flags(a.fd, KDBUS_CMD_LIST, sizeof(struct kdbus_cmd_list));
	rf = neg_flags(a.fd, KDBUS_CMD_RECV, sizeof(struct kdbus_cmd_recv));
	cf = neg_flags(a.fd, KDBUS_CMD_CONN_INFO,
		       sizeof(struct kdbus_cmd_info));
	bf = neg_flags(a.fd, KDBUS_CMD_BUS_CREATOR_INFO,
		       sizeof(struct kdbus_cmd_info));
	conn_close(&a);
	close(bus);
	/* every reported set must be a subset of the full one */
	CHECK(hf != ~0ull && !(hf & ~0xfull));
	CHECK(rf != ~0ull && !(rf & ~0x7ull));
	if (hf != 0xf || lf != 0xf || rf != 0x7 || cf != 0 || bf != 0)
		return notimpl(
			"HELLO %#llx LIST %#llx RECV %#llx CONN_INFO %#llx",
			(unsigned long long)hf, (unsigned long long)lf,
			(unsigned long long)rf, (unsigned long long)cf);
	return 0;
}

static int c02_negotiate_items(void)
{
	static const uint64_t hello_types[] = {
		KDBUS_ITEM_CREDS, KDBUS_ITEM_PIDS,	    KDBUS_ITEM_SECLABEL,
		KDBUS_ITEM_NAME,  KDBUS_ITEM_POLICY_ACCESS,
	};
	static const uint64_t match_types[] = {
		KDBUS_ITEM_NAME_ADD,	KDBUS_ITEM_NAME_REMOVE,
		KDBUS_ITEM_NAME_CHANGE, KDBUS_ITEM_ID_ADD,
		KDBUS_ITEM_ID_REMOVE,
	};
	char name[64], missing[128] = "";
	struct conn a;
	size_t i;
	int bus, fd;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	fd = ep_open(name);
	CHECK(fd >= 0);
	for (i = 0; i < sizeof(hello_types) / 8; i++)
		if (!neg_item(fd, KDBUS_CMD_HELLO,
			      sizeof(struct kdbus_cmd_hello), hello_types[i]))
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing),
				 " hello:%#llx",
				 (unsigned long long)hello_types[i]);
	close(fd);
	CHECK(hello(name, &a) == 0);
	for (i = 0; i < sizeof(match_types) / 8; i++)
		if (!neg_item(a.fd, KDBUS_CMD_MATCH_ADD,
			      sizeof(struct kdbus_cmd_match), match_types[i]))
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing),
				 " match:%#llx",
				 (unsigned long long)match_types[i]);
	if (!neg_msg_item(a.fd, KDBUS_ITEM_FDS))
		strcat(missing, " msg:FDS");
	if (!neg_item(a.fd, KDBUS_CMD_SEND, sizeof(struct kdbus_cmd_send),
		      KDBUS_ITEM_CANCEL_FD))
		strcat(missing, " send:CANCEL_FD");
	/* an unknown type is always zeroed */
	CHECK(!neg_item(a.fd, KDBUS_CMD_SEND, sizeof(struct kdbus_cmd_send),
			0x7777));
	conn_close(&a);
	close(bus);
	if (missing[0])
		return notimpl("zeroed:%s", missing);
	return 0;
}

static int c07_no_bus_required_mask(void)
{
	struct kdbus_bloom_parameter bp = { BLOOM_SIZE, 1 };
	char name[64], path[256];
	struct buf b;
	struct conn a;
	int fd, bus;

	snprintf(path, sizeof(path), "%s/control", base);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	buf_init(&b, sizeof(struct kdbus_cmd));
	buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &bp, sizeof(bp));
	snprintf(name, sizeof(name), "%u-t%d-req", geteuid(), (int)getpid());
	buf_str(&b, KDBUS_ITEM_MAKE_NAME, name);
	buf_u64(&b, KDBUS_ITEM_ATTACH_FLAGS_RECV, KDBUS_ATTACH_CREDS);
	CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == -EINVAL);
	close(fd);
	/* a bus made with a creator mask still takes connections sending
	 * nothing: never ECONNREFUSED
	 */
	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	conn_close(&a);
	CHECK(hello_meta(name, &a, 0, _KDBUS_ATTACH_ANY, NULL) == 0);
	conn_close(&a);
	close(bus);
	return 0;
}

/* ---- metadata (lines 8 to 22) ---------------------------------------------- */

static int c08_meta_creds_implicit(void)
{
	char name[64];
	struct conn a, b;
	const struct kdbus_item *it;
	const struct kdbus_creds *cr;
	struct rmsg r;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_CREDS, NULL) == 0);
	CHECK(ping(&a, &b, &r) == 0);
	CHECK(count_items(r.msg, META_LO, META_HI) == 1);
	it = msg_item(r.msg, KDBUS_ITEM_CREDS, 0);
	CHECK(it && it->size == 80);
	cr = (const void *)it->data;
	CHECK(cr->uid == getuid() && cr->euid == geteuid() &&
	      cr->gid == getgid() && cr->egid == getegid() &&
	      cr->fsuid == geteuid() && cr->fsgid == getegid());
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c09_meta_recv_zero(void)
{
	char name[64];
	struct conn a, b;
	struct rmsg r;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, _KDBUS_ATTACH_ANY, 0, "sender") == 0);
	CHECK(hello_meta(name, &b, 0, 0, NULL) == 0);
	CHECK(ping(&a, &b, &r) == 0);
	CHECK(count_items(r.msg, META_LO, META_HI) == 0);
	/* no metadata: the payload follows the sender's items directly */
	CHECK(r.msg->size == 64 + 32 && r.data == (uint8_t *)r.msg + 96);
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c10_meta_send_mask(void)
{
	char name[64], comm[32] = "";
	struct conn a, b;
	const struct kdbus_item *it;
	struct rmsg r;
	int bus;

	CHECK(read_file("/proc/self/comm", comm, sizeof(comm)) > 0);
	comm[strcspn(comm, "\n")] = '\0';
	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_PID_COMM, NULL) == 0);
	CHECK(ping(&a, &b, &r) == 0);
	CHECK(!msg_item(r.msg, KDBUS_ITEM_PID_COMM, 0));
	CHECK(free_off(&b, r.offset) == 0);
	CHECK(update_attach(&a, KDBUS_ITEM_ATTACH_FLAGS_SEND,
			    KDBUS_ATTACH_PID_COMM) == 0);
	CHECK(ping(&a, &b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_PID_COMM, 0);
	CHECK(it && !strcmp((const char *)it->data, comm));
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

struct pids_arg {
	struct conn *from, *to;
	pid_t tid;
	int ret;
};

static void *pids_thread(void *p)
{
	struct pids_arg *a = p;
	struct msgspec s = spec_to(a->to->id, "t", 1);

	a->tid = gettid();
	a->ret = send_msg(a->from, &s, NULL);
	return NULL;
}

static int c11_meta_pids(void)
{
	char name[64];
	struct conn a, b;
	const struct kdbus_item *it;
	const struct kdbus_pids *p;
	struct pids_arg pa;
	pthread_t t;
	struct rmsg r;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_PIDS, NULL) == 0);
	pa.from = &a;
	pa.to = &b;
	CHECK(pthread_create(&t, NULL, pids_thread, &pa) == 0);
	pthread_join(t, NULL);
	CHECK(pa.ret == 0 && pa.tid != getpid());
	CHECK(recv_msg(&b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_PIDS, 0);
	CHECK(it && it->size == 40);
	p = (const void *)it->data;
	CHECK(p->pid == (uint64_t)getpid() && p->tid == (uint64_t)pa.tid &&
	      p->ppid == (uint64_t)getppid());
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

/* Run @fn in a forked child; its exit status is the result. */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg) ? 1 : 0);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

struct child_send {
	struct conn *from, *to;
	gid_t groups[3];
	int ngroups;
	uid_t uid; /* != 0: setuid() first (drops capabilities) */
	int broadcast;
};

static int child_send_fn(void *p)
{
	struct child_send *a = p;
	struct msgspec s = spec_to(a->to ? a->to->id : 0, "c", 1);

	if (setgroups(a->ngroups, a->groups))
		return -1;
	if (a->uid && setuid(a->uid))
		return -1;
	if (a->broadcast)
		return bcast(a->from);
	return send_msg(a->from, &s, NULL);
}

static int c12_meta_auxgroups(void)
{
	char name[64];
	struct conn a, b;
	const struct kdbus_item *it;
	struct child_send cs = { 0 };
	struct rmsg r;
	int bus;

	if (geteuid() != 0)
		return envskip("needs root for setgroups()");
	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, KDBUS_ATTACH_AUXGROUPS, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_AUXGROUPS, NULL) == 0);
	cs.from = &a;
	cs.to = &b;
	cs.groups[0] = 4242;
	cs.groups[1] = 4343;
	cs.ngroups = 2;
	CHECK(in_child(child_send_fn, &cs) == 0);
	CHECK(recv_msg(&b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_AUXGROUPS, 0);
	CHECK(it && it->size == 16 + 2 * 8);
	CHECK(it->data[0] == 4242 && it->data[1] == 4343);
	CHECK(free_off(&b, r.offset) == 0);
	cs.ngroups = 0;
	CHECK(in_child(child_send_fn, &cs) == 0);
	CHECK(recv_msg(&b, &r) == 0);
	CHECK(!msg_item(r.msg, KDBUS_ITEM_AUXGROUPS, 0));
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c13_meta_names(void)
{
	char name[64];
	struct conn a, b, o;
	const struct kdbus_item *it;
	const struct kdbus_name *n;
	struct rmsg r;
	uint64_t rf;
	int bus, i, queued = 0;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &o, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_NAMES, NULL) == 0);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.meta.one", 0, NULL) ==
	      0);
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.meta.two", 0, NULL) ==
	      0);
	CHECK(name_cmd(&o, KDBUS_CMD_NAME_ACQUIRE, "org.meta.other", 0, NULL) ==
	      0);
	if (name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.meta.other",
		     KDBUS_NAME_QUEUE, &rf) == 0 &&
	    (rf & KDBUS_NAME_IN_QUEUE))
		queued = 1;
	CHECK(ping(&a, &b, &r) == 0);
	CHECK(count_items(r.msg, KDBUS_ITEM_OWNED_NAME,
			  KDBUS_ITEM_OWNED_NAME) == 2);
	for (i = 0; i < 2; i++) {
		it = msg_item(r.msg, KDBUS_ITEM_OWNED_NAME, i);
		n = (const void *)it->data;
		CHECK(it->size == 16 + 8 + strlen(n->name) + 1);
		CHECK(n->flags & KDBUS_NAME_PRIMARY);
		CHECK(!strcmp(n->name, "org.meta.one") ||
		      !strcmp(n->name, "org.meta.two"));
	}
	CHECK(free_off(&b, r.offset) == 0);
	(void)queued; /* with queueing, the queued name was checked absent */
	conn_close(&a);
	conn_close(&o);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c14_meta_description(void)
{
	char name[64];
	struct conn a, b;
	const struct kdbus_item *it;
	struct rmsg r;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, "the-sender.1") == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_CONN_DESCRIPTION, NULL) ==
	      0);
	CHECK(ping(&a, &b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_CONN_DESCRIPTION, 0);
	CHECK(it && it->size == 16 + sizeof("the-sender.1") &&
	      !strcmp((const char *)it->data, "the-sender.1"));
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c15_meta_caps(void)
{
	char name[64], buf[32];
	struct conn a, b;
	const struct kdbus_item *it;
	const struct kdbus_caps *c;
	struct child_send cs = { 0 };
	struct rmsg r;
	int bus, last;

	if (geteuid() != 0)
		return envskip("needs root to drop to an ordinary uid");
	CHECK(read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) > 0);
	last = atoi(buf);
	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, KDBUS_ATTACH_CAPS, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_CAPS, NULL) == 0);
	CHECK(match_all_user(&b) == 0);
	/* root first: a full effective set */
	CHECK(ping(&a, &b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_CAPS, 0);
	CHECK(it && it->size == 52);
	c = (const void *)it->data;
	CHECK((int)c->last_cap == last);
	CHECK(c->caps[4] & 1); /* effective word 0: CAP_CHOWN */
	CHECK(free_off(&b, r.offset) == 0);
	/* an ordinary user (uid 1000 after setuid): effective 0; a
	 * broadcast, since TALK from uid 1000 to root needs policy
	 */
	cs.from = &a;
	cs.uid = 1000;
	cs.broadcast = 1;
	CHECK(in_child(child_send_fn, &cs) == 0);
	CHECK(recv_msg(&b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_CAPS, 0);
	CHECK(it && it->size == 52);
	c = (const void *)it->data;
	CHECK(c->caps[4] == 0 && c->caps[5] == 0);
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c16_meta_optional_items(void)
{
	const uint64_t want = KDBUS_ATTACH_AUDIT | KDBUS_ATTACH_SECLABEL |
			      KDBUS_ATTACH_EXE | KDBUS_ATTACH_CGROUP |
			      KDBUS_ATTACH_CMDLINE;
	char name[64], exe[4096], cmd[4096], tmp[4096];
	struct conn a, b;
	const struct kdbus_item *it;
	struct rmsg r;
	ssize_t n;
	int bus, cmdlen, have;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n] = '\0';
	cmdlen = read_file("/proc/self/cmdline", cmd, sizeof(cmd));
	CHECK(cmdlen > 0);
	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, want, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, want, NULL) == 0);
	CHECK(ping(&a, &b, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_EXE, 0);
	CHECK(it && !strcmp((const char *)it->data, exe));
	it = msg_item(r.msg, KDBUS_ITEM_CMDLINE, 0);
	CHECK(it && it->size == 16 + (uint64_t)cmdlen &&
	      !memcmp(it->data, cmd, cmdlen));
	/* CGROUP: absent without cgroups; the "0::" path of /proc when the
	 * unified hierarchy is mounted; an absolute path (the root) when the
	 * kernel has cgroups but nobody mounted cgroup2 (/proc shows none)
	 */
	it = msg_item(r.msg, KDBUS_ITEM_CGROUP, 0);
	have = read_file("/proc/self/cgroup", tmp, sizeof(tmp));
	if (have < 0) {
		CHECK(!it);
	} else if (strstr(tmp, "0::")) {
		char *p = strstr(tmp, "0::") + 3, *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		CHECK(it && !strcmp((const char *)it->data, p));
	} else {
		CHECK(!it || ((const char *)it->data)[0] == '/');
	}
	have = read_file("/proc/self/loginuid", tmp, sizeof(tmp)) > 0;
	CHECK(!!msg_item(r.msg, KDBUS_ITEM_AUDIT, 0) == have);
	/* no LSM context to report: omitted */
	if (read_file("/proc/self/attr/current", tmp, sizeof(tmp)) <= 0)
		CHECK(!msg_item(r.msg, KDBUS_ITEM_SECLABEL, 0));
	CHECK(free_off(&b, r.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static uint64_t msg_seqnum(const struct kdbus_msg *m)
{
	const struct kdbus_item *it = msg_item(m, KDBUS_ITEM_TIMESTAMP, 0);

	return it ? ((const struct kdbus_timestamp *)it->data)->seqnum : 0;
}

static int c17_meta_timestamp_seqnum(void)
{
	char name[64];
	struct conn a, b, c;
	struct rmsg r1, r2, r3;
	uint64_t s1, s2;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_TIMESTAMP, NULL) == 0);
	CHECK(hello_meta(name, &c, 0, KDBUS_ATTACH_TIMESTAMP, NULL) == 0);
	CHECK(ping(&a, &b, &r1) == 0);
	CHECK(ping(&a, &b, &r2) == 0);
	s1 = msg_seqnum(r1.msg);
	s2 = msg_seqnum(r2.msg);
	CHECK(s1 && s2 > s1);
	CHECK(msg_item(r1.msg, KDBUS_ITEM_TIMESTAMP, 0)->size == 40);
	CHECK(free_off(&b, r1.offset) == 0 && free_off(&b, r2.offset) == 0);
	CHECK(match_all_user(&b) == 0 && match_all_user(&c) == 0);
	CHECK(bcast(&a) == 0);
	CHECK(recv_msg(&b, &r1) == 0 && recv_msg(&c, &r3) == 0);
	CHECK(msg_seqnum(r1.msg) > s2 &&
	      msg_seqnum(r1.msg) == msg_seqnum(r3.msg));
	CHECK(free_off(&b, r1.offset) == 0 && free_off(&c, r3.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	conn_close(&c);
	close(bus);
	return 0;
}

static int c18_meta_per_receiver(void)
{
	char name[64];
	struct conn a, b, c;
	struct rmsg rb, rc;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, _KDBUS_ATTACH_ANY, 0, "pub") == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_CREDS, NULL) == 0);
	CHECK(hello_meta(name, &c, 0,
			 KDBUS_ATTACH_PIDS | KDBUS_ATTACH_CONN_DESCRIPTION |
				 KDBUS_ATTACH_TID_COMM,
			 NULL) == 0);
	CHECK(match_all_user(&b) == 0 && match_all_user(&c) == 0);
	CHECK(bcast(&a) == 0);
	CHECK(recv_msg(&b, &rb) == 0 && recv_msg(&c, &rc) == 0);
	CHECK(count_items(rb.msg, META_LO, META_HI) == 1 &&
	      msg_item(rb.msg, KDBUS_ITEM_CREDS, 0));
	CHECK(count_items(rc.msg, META_LO, META_HI) == 3 &&
	      msg_item(rc.msg, KDBUS_ITEM_PIDS, 0) &&
	      msg_item(rc.msg, KDBUS_ITEM_TID_COMM, 0) &&
	      msg_item(rc.msg, KDBUS_ITEM_CONN_DESCRIPTION, 0));
	CHECK(rb.msg->size != rc.msg->size);
	/* the payload is intact behind each receiver's metadata */
	CHECK(rb.len == 1 && rb.data[0] == 'b' && rc.len == 1 &&
	      rc.data[0] == 'b');
	CHECK(free_off(&b, rb.offset) == 0 && free_off(&c, rc.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	conn_close(&c);
	close(bus);
	return 0;
}

static int c19_meta_snapshot_at_send(void)
{
	char name[64];
	struct conn a, b;
	struct rmsg r1, r2;
	int bus;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	CHECK(hello_meta(name, &a, 0, 0, NULL) == 0);
	CHECK(hello_meta(name, &b, 0, KDBUS_ATTACH_NAMES, NULL) == 0);
	CHECK(send_msg(&a,
		       &(struct msgspec){ .dst = b.id,
					  .cookie = 1,
					  .data = "1",
					  .len = 1,
					  .memfd = -1 },
		       NULL) == 0);
	/* a name acquired after the SEND is not in that message */
	CHECK(name_cmd(&a, KDBUS_CMD_NAME_ACQUIRE, "org.meta.late", 0, NULL) ==
	      0);
	/* an UPDATE of R only affects the next SEND */
	CHECK(update_attach(&b, KDBUS_ITEM_ATTACH_FLAGS_RECV,
			    KDBUS_ATTACH_NAMES | KDBUS_ATTACH_CREDS) == 0);
	CHECK(send_msg(&a,
		       &(struct msgspec){ .dst = b.id,
					  .cookie = 2,
					  .data = "2",
					  .len = 1,
					  .memfd = -1 },
		       NULL) == 0);
	CHECK(recv_msg(&b, &r1) == 0 && recv_msg(&b, &r2) == 0);
	CHECK(r1.data[0] == '1' && count_items(r1.msg, META_LO, META_HI) == 0);
	CHECK(r2.data[0] == '2' && msg_item(r2.msg, KDBUS_ITEM_OWNED_NAME, 0) &&
	      msg_item(r2.msg, KDBUS_ITEM_CREDS, 0));
	CHECK(free_off(&b, r1.offset) == 0 && free_off(&b, r2.offset) == 0);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c22_ns_receivers(void);

static int c22_meta_namespaces(void)
{
	if (access("/proc/self/ns/pid", F_OK) ||
	    access("/proc/self/ns/user", F_OK))
		return envskip("kernel built without pid/user namespaces");
	return c22_ns_receivers();
}

/* ---- names (lines 23 to 37) and notifications (38 to 46) -------------------- */

struct note {
	uint64_t type;
	uint64_t id, flags;	    /* ID_* */
	uint64_t old_id, old_flags; /* NAME_* */
	uint64_t new_id, new_flags;
	char name[256];
	int n_notify, n_ts, n_other;
	const struct kdbus_msg *msg;
};

/* RECV the next message, which must be a kernel notification; FREEs it. */
static int recv_note(struct conn *c, struct note *n)
{
	const struct kdbus_item *it;
	struct rmsg r;
	int ret;

	memset(n, 0, sizeof(*n));
	ret = recv_msg(c, &r);
	if (ret)
		return ret;
	n->msg = r.msg;
	for (it = r.msg->items; (uint8_t *)it < (uint8_t *)r.msg + r.msg->size;
	     it = (void *)((uint8_t *)it + ALIGN8(it->size))) {
		if (it->type >= KDBUS_ITEM_NAME_ADD &&
		    it->type <= KDBUS_ITEM_REPLY_DEAD) {
			n->n_notify++;
			n->type = it->type;
			if (it->type == KDBUS_ITEM_ID_ADD ||
			    it->type == KDBUS_ITEM_ID_REMOVE) {
				const struct kdbus_notify_id_change *x =
					(const void *)it->data;

				n->id = x->id;
				n->flags = x->flags;
			} else if (it->type <= KDBUS_ITEM_NAME_CHANGE) {
				const struct kdbus_notify_name_change *x =
					(const void *)it->data;

				n->old_id = x->old_id.id;
				n->old_flags = x->old_id.flags;
				n->new_id = x->new_id.id;
				n->new_flags = x->new_id.flags;
				snprintf(n->name, sizeof(n->name), "%s",
					 x->name);
			}
		} else if (it->type == KDBUS_ITEM_TIMESTAMP) {
			n->n_ts++;
		} else {
			n->n_other++;
		}
	}
	if (r.msg->src_id != 0)
		ret = -EPROTO;
	free_off(c, r.offset);
	return ret;
}

static int match_id_rule(struct conn *c, uint64_t cookie, uint64_t type,
			 uint64_t id)
{
	struct buf b;
	struct kdbus_cmd_match *m = buf_init(&b, sizeof(*m));
	struct kdbus_notify_id_change x = { id, 0 };

	m->cookie = cookie;
	buf_item(&b, type, &x, sizeof(x));
	buf_done(&b);
	return call(c->fd, KDBUS_CMD_MATCH_ADD, b.w);
}

static int match_name_rule(struct conn *c, uint64_t cookie, uint64_t type,
			   uint64_t old_id, uint64_t new_id, const char *name)
{
	struct buf b;
	struct kdbus_cmd_match *m = buf_init(&b, sizeof(*m));
	uint8_t p[32 + 256] = { 0 };
	struct kdbus_notify_name_change *x = (void *)p;
	size_t len = sizeof(*x);

	m->cookie = cookie;
	x->old_id.id = old_id;
	x->new_id.id = new_id;
	if (name) {
		strcpy(x->name, name);
		len += strlen(name) + 1;
	}
	buf_item(&b, type, p, len);
	buf_done(&b);
	return call(c->fd, KDBUS_CMD_MATCH_ADD, b.w);
}

static int match_empty(struct conn *c, uint64_t cookie)
{
	struct buf b;
	struct kdbus_cmd_match *m = buf_init(&b, sizeof(*m));

	m->cookie = cookie;
	return call(c->fd, KDBUS_CMD_MATCH_ADD, b.w);
}

/* A fresh bus with @n connections; the last one watches everything. */
static int names_setup(char *name, size_t len, int *bus, struct conn *c, int n)
{
	int i;

	if (bus_make(name, len, bus))
		return -1;
	for (i = 0; i < n; i++)
		if (hello(name, &c[i]))
			return -1;
	return match_empty(&c[n - 1], 1000);
}

static void names_teardown(int bus, struct conn *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		conn_close(&c[i]);
	close(bus);
}

#define ACQ(c, nm, f, rf) name_cmd((c), KDBUS_CMD_NAME_ACQUIRE, (nm), (f), (rf))
#define REL(c, nm) name_cmd((c), KDBUS_CMD_NAME_RELEASE, (nm), 0, NULL)
#define NOQUEUE(c)                             \
	({                                     \
		struct rmsg _r;                \
		recv_msg((c), &_r) == -EAGAIN; \
	})

static int c23_name_acquire_free(void)
{
	char bn[64];
	struct conn c[2];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 2) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, &rf) == 0);
	CHECK(rf == (KDBUS_NAME_PRIMARY | KDBUS_NAME_ACQUIRED));
	CHECK(recv_note(&c[1], &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD);
	CHECK(n.old_id == 0 && n.old_flags == 0 && n.new_id == c[0].id &&
	      n.new_flags == KDBUS_NAME_PRIMARY && !strcmp(n.name, "org.n.a"));
	CHECK(NOQUEUE(&c[1]));
	names_teardown(bus, c, 2);
	return 0;
}

/* The flags c reports for a name through OWNED_NAME metadata (or -1). */
static int64_t owned_flags(struct conn *from, struct conn *to, const char *name)
{
	const struct kdbus_item *it;
	struct rmsg r;
	int64_t f = -1;
	int i;

	if (update_attach(to, KDBUS_ITEM_ATTACH_FLAGS_RECV,
			  KDBUS_ATTACH_NAMES) ||
	    ping(from, to, &r))
		return -1;
	for (i = 0; (it = msg_item(r.msg, KDBUS_ITEM_OWNED_NAME, i)); i++) {
		const struct kdbus_name *kn = (const void *)it->data;

		if (!strcmp(kn->name, name))
			f = (int64_t)kn->flags;
	}
	free_off(to, r.offset);
	update_attach(to, KDBUS_ITEM_ATTACH_FLAGS_RECV, 0);
	return f;
}

static int c24_name_reacquire(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, &rf) == 0);
	CHECK(recv_note(&c[2], &n) == 0);
	CHECK(ACQ(&c[0], "org.n.a", KDBUS_NAME_ALLOW_REPLACEMENT, &rf) == 0);
	CHECK(rf == (KDBUS_NAME_PRIMARY | KDBUS_NAME_ALLOW_REPLACEMENT));
	CHECK(NOQUEUE(&c[2]));
	/* the stored flags changed (LIST is checked in c52) */
	CHECK(owned_flags(&c[0], &c[1], "org.n.a") ==
	      (int64_t)(KDBUS_NAME_PRIMARY | KDBUS_NAME_ALLOW_REPLACEMENT));
	names_teardown(bus, c, 3);
	return 0;
}

static int c25_name_queue(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(recv_note(&c[2], &n) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, &rf) == 0);
	CHECK(rf ==
	      (KDBUS_NAME_IN_QUEUE | KDBUS_NAME_ACQUIRED | KDBUS_NAME_QUEUE));
	CHECK(NOQUEUE(&c[2])); /* queue-only change: silent */
	CHECK(REL(&c[0], "org.n.a") == 0);
	CHECK(recv_note(&c[2], &n) == 0 && n.type == KDBUS_ITEM_NAME_CHANGE);
	CHECK(n.old_id == c[0].id && n.new_id == c[1].id &&
	      (n.new_flags & KDBUS_NAME_PRIMARY));
	CHECK(ACQ(&c[1], "org.n.a", 0, &rf) == 0 && (rf & KDBUS_NAME_PRIMARY));
	names_teardown(bus, c, 3);
	return 0;
}

static int c26_name_queue_repeat(void)
{
	char bn[64];
	struct conn c[4];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 4) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[2], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, &rf) == 0);
	CHECK(rf == (KDBUS_NAME_IN_QUEUE | KDBUS_NAME_QUEUE));
	CHECK(recv_note(&c[3], &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD);
	CHECK(REL(&c[0], "org.n.a") == 0);
	/* c1 kept its place ahead of c2 */
	CHECK(recv_note(&c[3], &n) == 0 && n.new_id == c[1].id);
	names_teardown(bus, c, 4);
	return 0;
}

static int c27_name_eexist(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	uint64_t rf = 77;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(recv_note(&c[2], &n) == 0);
	CHECK(ACQ(&c[1], "org.n.a", 0, &rf) == -EEXIST && rf == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_REPLACE_EXISTING, NULL) ==
	      -EEXIST);
	CHECK(NOQUEUE(&c[2]));
	CHECK(REL(&c[1], "org.n.a") == -EADDRINUSE);
	CHECK(ACQ(&c[0], "org.n.a", 0, &rf) == 0 && rf == KDBUS_NAME_PRIMARY);
	names_teardown(bus, c, 3);
	return 0;
}

static int c28_name_leave_queue(void)
{
	char bn[64];
	struct conn c[3];
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", 0, &rf) == 0);
	CHECK(!(rf & (KDBUS_NAME_PRIMARY | KDBUS_NAME_IN_QUEUE)));
	CHECK(REL(&c[1], "org.n.a") == -EADDRINUSE); /* no entry left */
	names_teardown(bus, c, 3);
	return 0;
}

static int c29_name_replace(void)
{
	char bn[64];
	struct conn c[4];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 4) == 0);
	CHECK(ACQ(&c[0], "org.n.a", KDBUS_NAME_ALLOW_REPLACEMENT, NULL) == 0);
	CHECK(recv_note(&c[3], &n) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_REPLACE_EXISTING, &rf) == 0);
	CHECK(rf == (KDBUS_NAME_PRIMARY | KDBUS_NAME_ACQUIRED));
	CHECK(recv_note(&c[3], &n) == 0 && n.type == KDBUS_ITEM_NAME_CHANGE &&
	      n.old_id == c[0].id && n.new_id == c[1].id);
	/* c1 does not allow replacement: queue or EEXIST */
	CHECK(ACQ(&c[2], "org.n.a", KDBUS_NAME_REPLACE_EXISTING, NULL) ==
	      -EEXIST);
	CHECK(ACQ(&c[2], "org.n.a",
		  KDBUS_NAME_REPLACE_EXISTING | KDBUS_NAME_QUEUE, &rf) == 0 &&
	      (rf & KDBUS_NAME_IN_QUEUE));
	CHECK(NOQUEUE(&c[3]));
	names_teardown(bus, c, 4);
	return 0;
}

static int c30_name_replaced_owner(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	/* with QUEUE: second, and back when the replacer releases */
	CHECK(ACQ(&c[0], "org.n.a",
		  KDBUS_NAME_ALLOW_REPLACEMENT | KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_REPLACE_EXISTING, NULL) == 0);
	CHECK(recv_note(&c[2], &n) == 0 && recv_note(&c[2], &n) == 0);
	CHECK(n.old_id == c[0].id && (n.old_flags & KDBUS_NAME_IN_QUEUE));
	CHECK(REL(&c[1], "org.n.a") == 0);
	CHECK(recv_note(&c[2], &n) == 0 && n.type == KDBUS_ITEM_NAME_CHANGE &&
	      n.new_id == c[0].id);
	/* without QUEUE: gone */
	CHECK(ACQ(&c[0], "org.n.b", KDBUS_NAME_ALLOW_REPLACEMENT, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.b", KDBUS_NAME_REPLACE_EXISTING, NULL) == 0);
	CHECK(REL(&c[0], "org.n.b") == -EADDRINUSE);
	CHECK(REL(&c[1], "org.n.b") == 0);
	CHECK(REL(&c[1], "org.n.b") == -ESRCH);
	(void)rf;
	names_teardown(bus, c, 3);
	return 0;
}

static int c31_name_jump_queue(void)
{
	char bn[64];
	struct conn c[4];
	struct note n;
	uint64_t rf;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 4) == 0);
	CHECK(ACQ(&c[0], "org.n.a", KDBUS_NAME_ALLOW_REPLACEMENT, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[2], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[2], "org.n.a", KDBUS_NAME_REPLACE_EXISTING, &rf) == 0);
	CHECK(rf == KDBUS_NAME_PRIMARY); /* not a new entry */
	CHECK(recv_note(&c[3], &n) == 0 && recv_note(&c[3], &n) == 0);
	CHECK(n.type == KDBUS_ITEM_NAME_CHANGE && n.new_id == c[2].id);
	names_teardown(bus, c, 4);
	return 0;
}

static int c32_name_fifo(void)
{
	char bn[64];
	struct conn c[5];
	struct note n;
	int bus, i;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 5) == 0);
	for (i = 0; i < 4; i++)
		CHECK(ACQ(&c[i], "org.n.a", i ? KDBUS_NAME_QUEUE : 0, NULL) ==
		      0);
	CHECK(recv_note(&c[4], &n) == 0);
	for (i = 0; i < 3; i++) {
		CHECK(REL(&c[i], "org.n.a") == 0);
		CHECK(recv_note(&c[4], &n) == 0 && n.new_id == c[i + 1].id);
	}
	names_teardown(bus, c, 5);
	return 0;
}

static int c33_name_limit(void)
{
	char bn[64], nm[64];
	struct conn c[2];
	int bus, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0 && hello(bn, &c[1]) == 0);
	CHECK(ACQ(&c[1], "org.n.other", 0, NULL) == 0);
	for (i = 0; i < 255; i++) {
		snprintf(nm, sizeof(nm), "org.n.x%d", i);
		CHECK(ACQ(&c[0], nm, 0, NULL) == 0);
	}
	/* the 256th entry is a queued one; the 257th fails */
	CHECK(ACQ(&c[0], "org.n.other", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[0], "org.n.y", 0, NULL) == -E2BIG);
	CHECK(REL(&c[0], "org.n.x0") == 0);
	CHECK(ACQ(&c[0], "org.n.y", 0, NULL) == 0);
	names_teardown(bus, c, 2);
	return 0;
}

static int c34_name_release(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	CHECK(REL(&c[0], "org.n.none") == -ESRCH);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(REL(&c[1], "org.n.a") == -EADDRINUSE);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(recv_note(&c[2], &n) == 0);
	CHECK(REL(&c[1], "org.n.a") == 0);
	CHECK(NOQUEUE(&c[2]));
	CHECK(REL(&c[0], "org.n.a") == 0);
	CHECK(recv_note(&c[2], &n) == 0 && n.type == KDBUS_ITEM_NAME_REMOVE &&
	      n.old_id == c[0].id && n.new_id == 0 && n.new_flags == 0);
	names_teardown(bus, c, 3);
	return 0;
}

static int c35_name_disconnect(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	uint64_t id;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 3) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(ACQ(&c[0], "org.n.b", 0, NULL) == 0);
	CHECK(ACQ(&c[1], "org.n.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(recv_note(&c[2], &n) == 0 && recv_note(&c[2], &n) == 0);
	id = c[0].id;
	conn_close(&c[0]);
	CHECK(recv_note(&c[2], &n) == 0 && n.type == KDBUS_ITEM_NAME_CHANGE &&
	      n.old_id == id && n.new_id == c[1].id);
	CHECK(recv_note(&c[2], &n) == 0 && n.type == KDBUS_ITEM_NAME_REMOVE);
	CHECK(recv_note(&c[2], &n) == 0 && n.type == KDBUS_ITEM_ID_REMOVE &&
	      n.id == id);
	names_teardown(bus, c + 1, 2);
	return 0;
}

static int c36_name_bad_flags(void)
{
	char bn[64];
	struct conn c[1];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 1ull << 3, NULL) == -EINVAL); /* IN_QUEUE */
	CHECK(ACQ(&c[0], "org.n.a", 1ull << 40, NULL) == -EINVAL);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(name_cmd(&c[0], KDBUS_CMD_NAME_RELEASE, "org.n.a",
		       KDBUS_NAME_QUEUE, NULL) == -EINVAL);
	CHECK(REL(&c[0], "org.n.a") == 0);
	names_teardown(bus, c, 1);
	return 0;
}

static int c38_notify_id(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	uint64_t id;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0);
	CHECK(match_id_rule(&c[0], 1, KDBUS_ITEM_ID_ADD, KDBUS_MATCH_ID_ANY) ==
	      0);
	CHECK(match_id_rule(&c[0], 2, KDBUS_ITEM_ID_REMOVE,
			    KDBUS_MATCH_ID_ANY) == 0);
	CHECK(hello(bn, &c[1]) == 0); /* HELLO flags ACCEPT_FD */
	CHECK(recv_note(&c[0], &n) == 0 && n.type == KDBUS_ITEM_ID_ADD &&
	      n.id == c[1].id && n.flags == KDBUS_HELLO_ACCEPT_FD);
	CHECK(hello_meta(bn, &c[2], 0, 0, NULL) == 0);
	CHECK(recv_note(&c[0], &n) == 0 && n.id == c[2].id &&
	      n.flags == KDBUS_HELLO_ACCEPT_FD);
	id = c[1].id;
	conn_close(&c[1]);
	CHECK(recv_note(&c[0], &n) == 0 && n.type == KDBUS_ITEM_ID_REMOVE &&
	      n.id == id && n.flags == KDBUS_HELLO_ACCEPT_FD);
	CHECK(NOQUEUE(&c[0]));
	conn_close(&c[0]);
	conn_close(&c[2]);
	close(bus);
	return 0;
}

static int c39_notify_specific(void)
{
	char bn[64];
	struct conn c[4];
	struct note n;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0 && hello(bn, &c[1]) == 0 &&
	      hello(bn, &c[2]) == 0);
	/* c0: only c1's removal and NAME_ADD of org.n.want; c3 ANY NAME_ADD */
	CHECK(match_id_rule(&c[0], 1, KDBUS_ITEM_ID_REMOVE, c[1].id) == 0);
	CHECK(match_name_rule(&c[0], 2, KDBUS_ITEM_NAME_ADD, KDBUS_MATCH_ID_ANY,
			      KDBUS_MATCH_ID_ANY, "org.n.want") == 0);
	CHECK(hello(bn, &c[3]) == 0);
	CHECK(match_name_rule(&c[3], 1, KDBUS_ITEM_NAME_ADD, KDBUS_MATCH_ID_ANY,
			      KDBUS_MATCH_ID_ANY, NULL) == 0);
	CHECK(ACQ(&c[2], "org.n.other", 0, NULL) == 0);
	CHECK(ACQ(&c[2], "org.n.want", 0, NULL) == 0);
	CHECK(recv_note(&c[0], &n) == 0 && !strcmp(n.name, "org.n.want"));
	CHECK(recv_note(&c[3], &n) == 0 && !strcmp(n.name, "org.n.other"));
	CHECK(recv_note(&c[3], &n) == 0 && !strcmp(n.name, "org.n.want"));
	conn_close(&c[2]); /* NAME_REMOVE x2, ID_REMOVE of c2: none match */
	CHECK(NOQUEUE(&c[0]) && NOQUEUE(&c[3]));
	conn_close(&c[1]);
	CHECK(recv_note(&c[0], &n) == 0 && n.type == KDBUS_ITEM_ID_REMOVE);
	/* a NAME_* rule with a specific new id */
	CHECK(match_name_rule(&c[3], 2, KDBUS_ITEM_NAME_ADD, KDBUS_MATCH_ID_ANY,
			      c[0].id, NULL) == 0);
	CHECK(ACQ(&c[0], "org.n.z", 0, NULL) == 0);
	CHECK(recv_note(&c[3], &n) == 0 && n.new_id == c[0].id);
	CHECK(NOQUEUE(&c[3])); /* matched by two entries, queued once */
	/* validation */
	CHECK(match_name_rule(&c[3], 3, KDBUS_ITEM_NAME_ADD, 0, 0, "bad") ==
	      -EINVAL);
	conn_close(&c[0]);
	conn_close(&c[3]);
	close(bus);
	return 0;
}

static int c40_notify_shape(void)
{
	char bn[64];
	struct conn c[2];
	struct note n;
	int bus;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 2) == 0);
	CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
	CHECK(recv_note(&c[1], &n) == 0);
	CHECK(n.msg->src_id == 0 && n.msg->payload_type == 0 &&
	      n.msg->dst_id == KDBUS_DST_ID_BROADCAST &&
	      n.msg->flags == KDBUS_MSG_SIGNAL);
	CHECK(n.n_notify == 1 && n.n_ts == 1 && n.n_other == 0);
	names_teardown(bus, c, 2);
	return 0;
}

static int c41_notify_match_entry(void)
{
	char bn[64];
	struct conn c[3];
	struct note n;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0 && hello(bn, &c[1]) == 0);
	CHECK(match_add(&c[0], 1, NULL, 0, 1, KDBUS_MATCH_ID_ANY) == 0);
	CHECK(match_empty(&c[1], 1) == 0);
	CHECK(hello(bn, &c[2]) == 0);
	CHECK(ACQ(&c[2], "org.n.a", 0, NULL) == 0);
	CHECK(NOQUEUE(&c[0]));
	CHECK(recv_note(&c[1], &n) == 0 && n.type == KDBUS_ITEM_ID_ADD);
	CHECK(recv_note(&c[1], &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD);
	names_teardown(bus, c, 3);
	return 0;
}

static int c42_reply_notify_unmatched(void)
{
	char bn[64];
	struct conn c[2];
	struct msgspec s;
	struct note n;
	int bus, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0 && hello(bn, &c[1]) == 0);
	s = spec_to(c[1].id, "x", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 4242;
	s.timeout_or_reply = now_ns() + 20000000ull; /* 20 ms */
	CHECK(send_msg(&c[0], &s, NULL) == 0);
	for (i = 0; i < 300 && recv_note(&c[0], &n) == -EAGAIN; i++)
		usleep(10000);
	CHECK(n.type == KDBUS_ITEM_REPLY_TIMEOUT && n.msg);
	s.cookie = 4343;
	s.timeout_or_reply = now_ns() + 60ull * 1000000000ull;
	CHECK(send_msg(&c[0], &s, NULL) == 0);
	conn_close(&c[1]);
	CHECK(recv_note(&c[0], &n) == 0 && n.type == KDBUS_ITEM_REPLY_DEAD);
	names_teardown(bus, c, 1);
	return 0;
}

static int c44_notify_before_return(void)
{
	char bn[64];
	struct conn c[2];
	struct note n;
	int bus, i;

	CHECK(names_setup(bn, sizeof(bn), &bus, c, 2) == 0);
	for (i = 0; i < 50; i++) {
		CHECK(ACQ(&c[0], "org.n.a", 0, NULL) == 0);
		CHECK(recv_note(&c[1], &n) == 0 &&
		      n.type == KDBUS_ITEM_NAME_ADD);
		CHECK(REL(&c[0], "org.n.a") == 0);
		CHECK(recv_note(&c[1], &n) == 0 &&
		      n.type == KDBUS_ITEM_NAME_REMOVE);
	}
	names_teardown(bus, c, 2);
	return 0;
}

static int c45_notify_dropped(void)
{
	char bn[64];
	struct conn a, full;
	struct kdbus_cmd_recv rc = { .size = sizeof(rc) };
	struct rmsg r;
	char big[1024];
	int bus, n = 0;

	memset(big, 'x', sizeof(big));
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(hello_sized(bn, &full, 4096) == 0);
	CHECK(match_empty(&full, 1) == 0);
	/* fill the pool with received, never freed messages, down to less
	 * than the smallest message (less than any notification)
	 */
	{
		static const size_t sizes[] = { 1024, 256, 64, 8, 1 };
		size_t k;

		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			for (;;) {
				struct msgspec s =
					spec_to(full.id, big, sizes[k]);

				if (send_msg(&a, &s, NULL))
					break;
				CHECK(recv_msg(&full, &r) == 0);
				CHECK(++n < 200);
			}
		}
	}
	CHECK(n > 0);
	CHECK(ACQ(&a, "org.n.a", 0, NULL) == 0); /* NAME_ADD: lost */
	CHECK(call(full.fd, KDBUS_CMD_RECV, &rc) == -EAGAIN);
	CHECK(rc.dropped_msgs >= 1 &&
	      (rc.return_flags & KDBUS_RECV_RETURN_DROPPED_MSGS));
	conn_close(&a);
	conn_close(&full);
	close(bus);
	return 0;
}

/* ---- queries (lines 47 to 55) ------------------------------------------------ */

static int conn_info(struct conn *c, uint64_t id, const char *name,
		     uint64_t attach, const struct kdbus_info **info,
		     uint64_t *off)
{
	struct buf b;
	struct kdbus_cmd_info *ci = buf_init(&b, sizeof(*ci));
	int ret;

	ci->id = id;
	ci->attach_flags = attach;
	if (name)
		buf_str(&b, KDBUS_ITEM_NAME, name);
	buf_done(&b);
	ret = call(c->fd, KDBUS_CMD_CONN_INFO, b.w);
	if (ret)
		return ret;
	*off = ci->offset;
	*info = (const void *)(c->pool + ci->offset);
	if ((*info)->size != ci->info_size)
		return -EPROTO;
	return 0;
}

static const struct kdbus_item *info_item(const struct kdbus_info *in,
					  uint64_t type, int n)
{
	const struct kdbus_item *it;

	for (it = in->items;
	     (const uint8_t *)it < (const uint8_t *)in + in->size;
	     it = (const void *)((const uint8_t *)it + ALIGN8(it->size)))
		if (it->type == type && n-- == 0)
			return it;
	return NULL;
}

static int c47_conn_info(void)
{
	char bn[64];
	struct conn c[2];
	const struct kdbus_info *in;
	uint64_t off;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0);
	CHECK(hello_meta(bn, &c[1], 0, 0, NULL) == 0);
	CHECK(conn_info(&c[0], c[1].id, NULL, 0, &in, &off) == 0);
	CHECK(in->id == c[1].id && in->flags == KDBUS_HELLO_ACCEPT_FD &&
	      in->size == 24);
	CHECK(free_off(&c[0], off) == 0);
	CHECK(free_off(&c[0], off) == -ENXIO);
	/* a connection may query itself */
	CHECK(conn_info(&c[0], c[0].id, NULL, 0, &in, &off) == 0 &&
	      in->id == c[0].id);
	CHECK(free_off(&c[0], off) == 0);
	CHECK(ACQ(&c[1], "org.q.a", 0, NULL) == 0);
	CHECK(ACQ(&c[0], "org.q.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(conn_info(&c[0], 0, "org.q.a", 0, &in, &off) == 0 &&
	      in->id == c[1].id);
	CHECK(free_off(&c[0], off) == 0);
	names_teardown(bus, c, 2);
	return 0;
}

static int c48_conn_info_errors(void)
{
	char bn[64];
	struct conn c[1];
	const struct kdbus_info *in;
	uint64_t off;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0);
	CHECK(conn_info(&c[0], 0, NULL, 0, &in, &off) == -EINVAL);
	CHECK(conn_info(&c[0], 0, "bad", 0, &in, &off) == -EINVAL);
	CHECK(conn_info(&c[0], c[0].id + 1000, NULL, 0, &in, &off) == -ENXIO);
	CHECK(conn_info(&c[0], 0, "org.q.none", 0, &in, &off) == -ESRCH);
	CHECK(conn_info(&c[0], c[0].id, NULL, 1ull << 20, &in, &off) ==
	      -EINVAL);
	names_teardown(bus, c, 1);
	return 0;
}

static int c49_conn_info_meta(void)
{
	char bn[64];
	struct conn c[2];
	const struct kdbus_info *in;
	const struct kdbus_item *it;
	uint64_t off;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0);
	CHECK(hello_meta(bn, &c[1], 0, 0, "target") == 0);
	CHECK(ACQ(&c[1], "org.q.a", 0, NULL) == 0);
	CHECK(conn_info(&c[0], c[1].id, NULL, _KDBUS_ATTACH_ANY, &in, &off) ==
	      0);
	it = info_item(in, KDBUS_ITEM_CONN_DESCRIPTION, 0);
	CHECK(it && !strcmp((const char *)it->data, "target"));
	it = info_item(in, KDBUS_ITEM_OWNED_NAME, 0);
	CHECK(it &&
	      !strcmp(((const struct kdbus_name *)it->data)->name, "org.q.a"));
	CHECK(info_item(in, KDBUS_ITEM_CREDS, 0) &&
	      info_item(in, KDBUS_ITEM_PIDS, 0));
	/* S = 0: only the implicit items, never a TIMESTAMP */
	CHECK(!info_item(in, KDBUS_ITEM_PID_COMM, 0) &&
	      !info_item(in, KDBUS_ITEM_EXE, 0) &&
	      !info_item(in, KDBUS_ITEM_TIMESTAMP, 0));
	CHECK(free_off(&c[0], off) == 0);
	/* names at query time; S raised by UPDATE */
	CHECK(REL(&c[1], "org.q.a") == 0);
	CHECK(update_attach(&c[1], KDBUS_ITEM_ATTACH_FLAGS_SEND,
			    KDBUS_ATTACH_PID_COMM) == 0);
	CHECK(conn_info(&c[0], c[1].id, NULL, _KDBUS_ATTACH_ANY, &in, &off) ==
	      0);
	CHECK(!info_item(in, KDBUS_ITEM_OWNED_NAME, 0) &&
	      info_item(in, KDBUS_ITEM_PID_COMM, 0));
	CHECK(free_off(&c[0], off) == 0);
	/* Q limits too */
	CHECK(conn_info(&c[0], c[1].id, NULL, KDBUS_ATTACH_PIDS, &in, &off) ==
	      0);
	CHECK(info_item(in, KDBUS_ITEM_PIDS, 0) &&
	      !info_item(in, KDBUS_ITEM_CREDS, 0));
	CHECK(((const struct kdbus_pids *)info_item(in, KDBUS_ITEM_PIDS, 0)
		       ->data)
		      ->pid == (uint64_t)getpid());
	CHECK(free_off(&c[0], off) == 0);
	names_teardown(bus, c, 2);
	return 0;
}

static int c50_bus_creator_info(void)
{
	struct kdbus_bloom_parameter bp = { BLOOM_SIZE, 1 };
	char bn[64], path[256];
	struct buf b;
	struct kdbus_cmd_info *ci;
	const struct kdbus_info *in;
	const struct kdbus_item *it;
	struct conn c;
	int fd, pass;

	for (pass = 0; pass < 2; pass++) {
		snprintf(path, sizeof(path), "%s/control", base);
		fd = open(path, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0);
		{
			struct kdbus_cmd *mk = buf_init(&b, sizeof(*mk));

			mk->flags = KDBUS_MAKE_ACCESS_WORLD;
		}
		buf_item(&b, KDBUS_ITEM_BLOOM_PARAMETER, &bp, sizeof(bp));
		snprintf(bn, sizeof(bn), "%u-t%d-creator%d", geteuid(),
			 (int)getpid(), pass);
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, bn);
		if (pass)
			buf_u64(&b, KDBUS_ITEM_ATTACH_FLAGS_SEND,
				KDBUS_ATTACH_CREDS);
		CHECK(call(fd, KDBUS_CMD_BUS_MAKE, b.w) == 0);
		CHECK(hello(bn, &c) == 0);
		ci = buf_init(&b, sizeof(*ci));
		ci->attach_flags = _KDBUS_ATTACH_ANY;
		CHECK(call(c.fd, KDBUS_CMD_BUS_CREATOR_INFO, b.w) == 0);
		in = (const void *)(c.pool + ci->offset);
		CHECK(in->size == ci->info_size && in->id != 0 &&
		      in->flags == KDBUS_MAKE_ACCESS_WORLD);
		it = in->items;
		CHECK(it->type == KDBUS_ITEM_MAKE_NAME &&
		      !strcmp((const char *)it->data, bn));
		CHECK(!!info_item(in, KDBUS_ITEM_CREDS, 0) == pass);
		CHECK(!info_item(in, KDBUS_ITEM_PIDS, 0));
		CHECK(free_off(&c, ci->offset) == 0);
		/* the query's mask limits too */
		ci = buf_init(&b, sizeof(*ci));
		ci->attach_flags = KDBUS_ATTACH_PIDS;
		CHECK(call(c.fd, KDBUS_CMD_BUS_CREATOR_INFO, b.w) == 0);
		in = (const void *)(c.pool + ci->offset);
		CHECK(!info_item(in, KDBUS_ITEM_CREDS, 0));
		CHECK(free_off(&c, ci->offset) == 0);
		conn_close(&c);
		close(fd);
	}
	return 0;
}

struct listed {
	uint64_t id, flags;
	int has_name;
	uint64_t name_flags;
	char name[256];
};

static int do_list(struct conn *c, uint64_t flags, struct listed *out, int max,
		   int *n)
{
	struct kdbus_cmd_list cl = { sizeof(cl), flags, 0, 0, 0 };
	const uint8_t *p, *end;
	int ret;

	*n = 0;
	ret = call(c->fd, KDBUS_CMD_LIST, &cl);
	if (ret)
		return ret;
	if (!cl.list_size)
		return cl.offset == c->pool_size && free_off(c, cl.offset) == 0
			       ? 0
			       : -EPROTO;
	p = c->pool + cl.offset;
	end = p + cl.list_size;
	while (p < end && *n < max) {
		const struct kdbus_info *in = (const void *)p;
		const struct kdbus_item *it =
			info_item(in, KDBUS_ITEM_OWNED_NAME, 0);
		struct listed *l = &out[(*n)++];

		memset(l, 0, sizeof(*l));
		l->id = in->id;
		l->flags = in->flags;
		if (it) {
			const struct kdbus_name *kn = (const void *)it->data;

			l->has_name = 1;
			l->name_flags = kn->flags;
			snprintf(l->name, sizeof(l->name), "%s", kn->name);
		}
		p += ALIGN8(in->size);
	}
	return free_off(c, cl.offset);
}

static int count_listed(const struct listed *l, int n, uint64_t id,
			const char *name)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (l[i].id == id &&
		    (name ? l[i].has_name && !strcmp(l[i].name, name)
			  : !l[i].has_name))
			k++;
	return k;
}

static int c51_list_unique(void)
{
	char bn[64];
	struct conn c[3];
	struct listed l[16];
	int bus, n, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	for (i = 0; i < 3; i++)
		CHECK(hello(bn, &c[i]) == 0);
	CHECK(ACQ(&c[1], "org.q.a", 0, NULL) == 0);
	CHECK(do_list(&c[0], KDBUS_LIST_UNIQUE, l, 16, &n) == 0);
	CHECK(n == 3);
	for (i = 0; i < 3; i++)
		CHECK(count_listed(l, n, c[i].id, NULL) == 1 &&
		      l[i].flags == KDBUS_HELLO_ACCEPT_FD);
	CHECK(l[0].id < l[1].id && l[1].id < l[2].id);
	names_teardown(bus, c, 3);
	return 0;
}

static int c52_list_names(void)
{
	char bn[64];
	struct conn c[3];
	struct listed l[16];
	int bus, n, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	for (i = 0; i < 3; i++)
		CHECK(hello(bn, &c[i]) == 0);
	CHECK(ACQ(&c[0], "org.q.a", KDBUS_NAME_ALLOW_REPLACEMENT, NULL) == 0);
	CHECK(ACQ(&c[1], "org.q.a", KDBUS_NAME_QUEUE, NULL) == 0);
	CHECK(ACQ(&c[1], "org.q.b", 0, NULL) == 0);
	CHECK(do_list(&c[2], KDBUS_LIST_NAMES, l, 16, &n) == 0);
	CHECK(n == 2 && count_listed(l, n, c[0].id, "org.q.a") == 1 &&
	      count_listed(l, n, c[1].id, "org.q.b") == 1);
	for (i = 0; i < n; i++)
		if (l[i].id == c[0].id)
			CHECK(l[i].name_flags ==
			      (KDBUS_NAME_PRIMARY |
			       KDBUS_NAME_ALLOW_REPLACEMENT));
	CHECK(do_list(&c[2], KDBUS_LIST_NAMES | KDBUS_LIST_QUEUED, l, 16, &n) ==
	      0);
	CHECK(n == 3 && count_listed(l, n, c[1].id, "org.q.a") == 1);
	for (i = 0; i < n; i++)
		if (l[i].id == c[1].id && !strcmp(l[i].name, "org.q.a"))
			CHECK(l[i].name_flags ==
			      (KDBUS_NAME_IN_QUEUE | KDBUS_NAME_QUEUE));
	CHECK(do_list(&c[2], KDBUS_LIST_QUEUED, l, 16, &n) == 0 && n == 1);
	/* no activators on this bus: ACTIVATORS alone lists nothing */
	CHECK(do_list(&c[2], KDBUS_LIST_ACTIVATORS, l, 16, &n) == 0 && n == 0);
	names_teardown(bus, c, 3);
	return 0;
}

static int c53_list_unique_names(void)
{
	char bn[64];
	struct conn c[3];
	struct listed l[16];
	int bus, n, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	for (i = 0; i < 3; i++)
		CHECK(hello(bn, &c[i]) == 0);
	CHECK(ACQ(&c[0], "org.q.a", 0, NULL) == 0);
	CHECK(ACQ(&c[0], "org.q.b", 0, NULL) == 0);
	CHECK(do_list(&c[2], KDBUS_LIST_UNIQUE | KDBUS_LIST_NAMES, l, 16, &n) ==
	      0);
	CHECK(n == 4 && count_listed(l, n, c[0].id, NULL) == 0 &&
	      count_listed(l, n, c[1].id, NULL) == 1 &&
	      count_listed(l, n, c[2].id, NULL) == 1);
	/* one connection's records are contiguous */
	CHECK(l[0].id == c[0].id && l[1].id == c[0].id);
	names_teardown(bus, c, 3);
	return 0;
}

static int c54_list_flags(void)
{
	char bn[64];
	struct conn c[1];
	struct listed l[4];
	int bus, n;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c[0]) == 0);
	CHECK(do_list(&c[0], 1ull << 4, l, 4, &n) == -EINVAL);
	CHECK(do_list(&c[0], 0, l, 4, &n) == 0 && n == 0);
	names_teardown(bus, c, 1);
	return 0;
}

static int c55_query_pool(void)
{
	char bn[64], big[1024];
	struct conn a, t;
	struct listed l[4];
	const struct kdbus_info *in;
	struct rmsg r;
	uint64_t off;
	int bus, n = 0, k = 0;

	memset(big, 'q', sizeof(big));
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(hello_sized(bn, &t, 8192) == 0);
	/* queue quota exhausted (pool/2 queued): queries still succeed */
	for (;;) {
		struct msgspec s = spec_to(t.id, big, sizeof(big));
		int ret = send_msg(&a, &s, NULL);

		if (ret) {
			CHECK(ret == -ENOBUFS);
			break;
		}
		CHECK(++k < 20);
	}
	CHECK(do_list(&t, KDBUS_LIST_UNIQUE, l, 4, &n) == 0 && n == 2);
	CHECK(conn_info(&t, a.id, NULL, 0, &in, &off) == 0);
	CHECK(free_off(&t, off) == 0);
	/* pool full of unfreed slices: EXFULL */
	while (recv_msg(&t, &r) == 0)
		;
	for (;;) {
		struct msgspec s = spec_to(t.id, big, 200);

		if (send_msg(&a, &s, NULL))
			break;
		CHECK(recv_msg(&t, &r) == 0);
		CHECK(++k < 100);
	}
	while (conn_info(&t, a.id, NULL, 0, &in, &off) == 0)
		CHECK(++k < 200); /* takes what small ranges are left */
	CHECK(conn_info(&t, a.id, NULL, 0, &in, &off) == -EXFULL);
	CHECK(do_list(&t, KDBUS_LIST_UNIQUE, l, 4, &n) == -EXFULL);
	conn_close(&a);
	conn_close(&t);
	close(bus);
	return 0;
}

/* ---- RECV extensions (lines 66 to 70) ---------------------------------------- */

static int recv_flags(struct conn *c, uint64_t flags, int64_t prio,
		      struct kdbus_cmd_recv *out)
{
	struct kdbus_cmd_recv rc = { .size = sizeof(rc),
				     .flags = flags,
				     .priority = prio };
	int ret = call(c->fd, KDBUS_CMD_RECV, &rc);

	if (out)
		*out = rc;
	return ret;
}

static int send_prio(struct conn *from, struct conn *to, const char *d,
		     int64_t prio)
{
	struct buf mb;
	struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
	struct kdbus_vec v = { strlen(d), { (uintptr_t)d } };
	struct kdbus_cmd_send cmd = { .size = sizeof(cmd) };

	m->dst_id = to->id;
	m->payload_type = KDBUS_PAYLOAD_DBUS;
	m->cookie = 1;
	m->priority = prio;
	buf_item(&mb, KDBUS_ITEM_PAYLOAD_VEC, &v, sizeof(v));
	cmd.msg_address = (uintptr_t)m;
	return call(from->fd, KDBUS_CMD_SEND, &cmd);
}

static char first_byte(struct conn *c, uint64_t off)
{
	const struct kdbus_msg *m = (const void *)(c->pool + off);
	const struct kdbus_item *it = msg_item(m, KDBUS_ITEM_PAYLOAD_OFF, 0);

	return it ? (char)((const uint8_t *)m)
			       [((const struct kdbus_vec *)it->data)->offset]
		  : 0;
}

static int c66_recv_peek(void)
{
	char bn[64];
	struct conn a, b;
	struct kdbus_cmd_recv r1, r2, r3;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(send_prio(&a, &b, "p", 0) == 0);
	CHECK(recv_flags(&b, KDBUS_RECV_PEEK, 0, &r1) == 0);
	CHECK(first_byte(&b, r1.msg.offset) == 'p');
	CHECK(recv_flags(&b, KDBUS_RECV_PEEK, 0, &r2) == 0);
	CHECK(free_off(&b, r2.msg.offset) == 0); /* only drops the hold */
	CHECK(recv_flags(&b, 0, 0, &r3) == 0);
	CHECK(r1.msg.offset == r2.msg.offset && r2.msg.offset == r3.msg.offset);
	CHECK(first_byte(&b, r3.msg.offset) == 'p');
	CHECK(free_off(&b, r3.msg.offset) == 0);
	CHECK(recv_flags(&b, KDBUS_RECV_PEEK, 0, &r1) == -EAGAIN);
	CHECK(recv_flags(&b, KDBUS_RECV_PEEK | KDBUS_RECV_DROP, 0, &r1) ==
	      -EINVAL);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

struct caller_arg {
	struct conn *c;
	uint64_t dst;
	int ret;
};

static void *sync_caller(void *p)
{
	struct caller_arg *a = p;
	struct msgspec s = spec_to(a->dst, "call", 4);
	struct kdbus_msg_info info;

	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 555;
	s.timeout_or_reply = now_ns() + 30ull * 1000000000ull;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	a->ret = send_msg(a->c, &s, &info);
	return NULL;
}

static int c67_recv_drop(void)
{
	char bn[64];
	struct conn a, b, d;
	struct kdbus_cmd_recv rc;
	struct caller_arg ca;
	struct msgspec s;
	struct note n;
	pthread_t t;
	struct pollfd pfd;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0 && hello(bn, &d) == 0);
	CHECK(send_prio(&a, &b, "1", 0) == 0 && send_prio(&a, &b, "2", 0) == 0);
	CHECK(recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == 0);
	CHECK(rc.msg.offset == b.pool_size && rc.msg.msg_size == 0);
	CHECK(recv_flags(&b, 0, 0, &rc) == 0 &&
	      first_byte(&b, rc.msg.offset) == '2');
	CHECK(free_off(&b, rc.msg.offset) == 0);
	CHECK(recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == -EAGAIN);
	/* an async call dropped: REPLY_DEAD */
	s = spec_to(b.id, "c", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 77;
	s.timeout_or_reply = now_ns() + 30ull * 1000000000ull;
	CHECK(send_msg(&a, &s, NULL) == 0);
	CHECK(recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == 0);
	CHECK(recv_note(&a, &n) == 0 && n.type == KDBUS_ITEM_REPLY_DEAD &&
	      n.msg->cookie_reply == 77);
	/* a sync call dropped: EPIPE */
	ca.c = &d;
	ca.dst = b.id;
	CHECK(pthread_create(&t, NULL, sync_caller, &ca) == 0);
	pfd.fd = b.fd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK(recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == 0);
	pthread_join(t, NULL);
	CHECK(ca.ret == -EPIPE);
	conn_close(&a);
	conn_close(&b);
	conn_close(&d);
	close(bus);
	return 0;
}

static int c68_drop_priority(void)
{
	char bn[64];
	struct conn a;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(recv_flags(&a, KDBUS_RECV_DROP | KDBUS_RECV_USE_PRIORITY, 0,
			 NULL) == -EINVAL);
	conn_close(&a);
	close(bus);
	return 0;
}

static int c69_recv_priority(void)
{
	static const struct {
		const char *d;
		int64_t p;
	} q[] = {
		{ "a", 5 }, { "b", -3 }, { "c", 5 }, { "d", -3 }, { "e", 0 },
	};
	static const char order[] = "bdeca";
	char bn[64];
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int bus, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	for (i = 0; i < 5; i++)
		CHECK(send_prio(&a, &b, q[i].d, q[i].p) == 0);
	/* below every queued value: nothing taken */
	CHECK(recv_flags(&b, KDBUS_RECV_USE_PRIORITY, -4, &rc) == -EAGAIN);
	/* plain RECV is FIFO */
	CHECK(recv_flags(&b, 0, 0, &rc) == 0 &&
	      first_byte(&b, rc.msg.offset) == 'a');
	CHECK(free_off(&b, rc.msg.offset) == 0);
	CHECK(send_prio(&a, &b, "a", 5) == 0);
	/* now b, d (-3), e (0), c, a (5, c older) */
	for (i = 0; i < 5; i++) {
		char want = order[i];

		CHECK(recv_flags(&b, KDBUS_RECV_USE_PRIORITY, INT64_MAX, &rc) ==
		      0);
		CHECK(first_byte(&b, rc.msg.offset) == want);
		CHECK(free_off(&b, rc.msg.offset) == 0);
	}
	CHECK(recv_flags(&b, KDBUS_RECV_USE_PRIORITY, INT64_MAX, &rc) ==
	      -EAGAIN);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c70_dropped_counter(void)
{
	char bn[64];
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int bus, i, k;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(hello_sized(bn, &b, 4096) == 0);
	CHECK(match_all_user(&b) == 0);
	/* broadcasts beyond b's queue quota are lost and counted */
	for (i = 0; i < 40; i++)
		CHECK(bcast(&a) == 0);
	for (k = 0; recv_flags(&b, 0, 0, &rc) == 0; k++) {
		if (k == 0)
			CHECK(rc.dropped_msgs > 0 &&
			      (rc.return_flags &
			       KDBUS_RECV_RETURN_DROPPED_MSGS));
		else
			CHECK(rc.dropped_msgs == 0 &&
			      !(rc.return_flags &
				KDBUS_RECV_RETURN_DROPPED_MSGS));
		CHECK(free_off(&b, rc.msg.offset) == 0);
	}
	CHECK(k > 0 && k < 40);
	/* EAGAIN reports it too */
	for (i = 0; i < 40; i++)
		CHECK(bcast(&a) == 0);
	for (k = 0; recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == 0; k++)
		if (k == 0)
			CHECK(rc.dropped_msgs > 0);
	CHECK(recv_flags(&b, 0, 0, &rc) == -EAGAIN && rc.dropped_msgs == 0);
	for (i = 0; i < 40; i++)
		CHECK(bcast(&a) == 0);
	while (recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == 0 && rc.dropped_msgs)
		;
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

/* ---- synchronous calls (lines 71 to 75) -------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

struct callee_arg {
	struct conn *c;
	pthread_t caller;
	int reply; /* reply after signalling */
	int received;
};

static void *signalling_callee(void *p)
{
	struct callee_arg *a = p;
	struct pollfd pfd = { a->c->fd, POLLIN, 0 };
	struct rmsg r;
	struct msgspec s;

	if (poll(&pfd, 1, 10000) != 1 || recv_msg(a->c, &r))
		return NULL;
	a->received++;
	pthread_kill(a->caller, SIGUSR1);
	usleep(100000);
	if (a->reply) {
		s = spec_to(r.msg->src_id, "re", 2);
		s.timeout_or_reply = r.msg->cookie;
		send_msg(a->c, &s, NULL);
	}
	free_off(a->c, r.offset);
	return NULL;
}

static int sync_call_cookie(struct conn *c, uint64_t dst, uint64_t cookie,
			    uint64_t deadline, struct kdbus_msg_info *info)
{
	struct msgspec s = spec_to(dst, "call", 4);

	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = cookie;
	s.timeout_or_reply = deadline;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	return send_msg(c, &s, info);
}

static int set_handler(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	return sigaction(SIGUSR1, &sa, NULL);
}

static int c71_sync_sa_restart(void)
{
	char bn[64];
	struct conn a, b;
	struct callee_arg ca = { 0 };
	struct kdbus_msg_info info;
	pthread_t t;
	int bus, ret;

	CHECK(set_handler(1) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	ca.c = &b;
	ca.caller = pthread_self();
	ca.reply = 1;
	got_signal = 0;
	CHECK(pthread_create(&t, NULL, signalling_callee, &ca) == 0);
	ret = sync_call_cookie(&a, b.id, 901, now_ns() + 30ull * 1000000000ull,
			       &info);
	pthread_join(t, NULL);
	CHECK(got_signal && ca.received == 1);
	CHECK(ret == 0 && first_byte(&a, info.offset) == 'r');
	CHECK(free_off(&a, info.offset) == 0);
	CHECK(NOQUEUE(&b));
	signal(SIGUSR1, SIG_DFL);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c72_sync_eintr_repeat(void)
{
	char bn[64];
	struct conn a, b;
	struct callee_arg ca = { 0 };
	struct kdbus_msg_info info;
	uint64_t deadline = now_ns() + 30ull * 1000000000ull;
	pthread_t t;
	int bus, ret;

	CHECK(set_handler(0) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	ca.c = &b;
	ca.caller = pthread_self();
	ca.reply = 1;
	got_signal = 0;
	CHECK(pthread_create(&t, NULL, signalling_callee, &ca) == 0);
	ret = sync_call_cookie(&a, b.id, 902, deadline, &info);
	pthread_join(t, NULL); /* the reply arrived meanwhile */
	CHECK(got_signal && ret == -EINTR);
	CHECK(NOQUEUE(&a)); /* kept with the call, not queued */
	ret = sync_call_cookie(&a, b.id, 902, deadline, &info);
	CHECK(ret == 0 && first_byte(&a, info.offset) == 'r');
	CHECK(free_off(&a, info.offset) == 0);
	CHECK(ca.received == 1 && NOQUEUE(&b));
	signal(SIGUSR1, SIG_DFL);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c73_sync_interrupted_deadline(void)
{
	char bn[64];
	struct conn a, b;
	struct callee_arg ca = { 0 };
	struct kdbus_msg_info info;
	uint64_t deadline;
	pthread_t t;
	int bus, ret;

	CHECK(set_handler(0) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	ca.c = &b;
	ca.caller = pthread_self();
	deadline = now_ns() + 2000000000ull; /* 2 s */
	CHECK(pthread_create(&t, NULL, signalling_callee, &ca) == 0);
	ret = sync_call_cookie(&a, b.id, 903, deadline, &info);
	pthread_join(t, NULL);
	CHECK(ret == -EINTR);
	while (now_ns() < deadline + 300000000ull)
		usleep(50000);
	CHECK(NOQUEUE(&a)); /* no REPLY_TIMEOUT */
	CHECK(sync_call_cookie(&a, b.id, 903, deadline, &info) == -ETIMEDOUT);
	CHECK(ca.received == 1 && NOQUEUE(&b));
	signal(SIGUSR1, SIG_DFL);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c74_timeouts(void)
{
	char bn[64];
	struct conn a, b;
	struct kdbus_msg_info info;
	struct msgspec s;
	struct note n;
	int bus, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	s = spec_to(b.id, "x", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 1234;
	s.timeout_or_reply = now_ns() + 50000000ull;
	CHECK(send_msg(&a, &s, NULL) == 0);
	for (i = 0; i < 300 && recv_note(&a, &n) == -EAGAIN; i++)
		usleep(10000);
	CHECK(n.msg && n.type == KDBUS_ITEM_REPLY_TIMEOUT &&
	      n.msg->cookie_reply == 1234);
	CHECK(sync_call_cookie(&a, b.id, 1235, now_ns() + 50000000ull, &info) ==
	      -ETIMEDOUT);
	usleep(100000);
	CHECK(NOQUEUE(&a));
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c75_cookie_zero(void)
{
	char bn[64];
	struct conn a, b;
	struct msgspec s;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	s = spec_to(b.id, "x", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 0;
	s.timeout_or_reply = now_ns() + 1000000000ull;
	CHECK(send_msg(&a, &s, NULL) == -EINVAL);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

/* ---- file descriptors (lines 56 to 63) --------------------------------------- */

static int send_fds(struct conn *from, uint64_t dst, uint64_t flags,
		    const int *fds, int n, uint64_t cookie, uint64_t reply,
		    uint64_t send_flags, struct kdbus_msg_info *info)
{
	struct buf mb;
	struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
	struct kdbus_cmd_send cmd = { .size = sizeof(cmd) };
	int ret;

	m->dst_id = dst;
	m->flags = flags;
	m->payload_type = KDBUS_PAYLOAD_DBUS;
	m->cookie = cookie;
	m->timeout_ns = reply;
	buf_item(&mb, KDBUS_ITEM_FDS, fds, 4 * (size_t)n);
	if (flags & KDBUS_MSG_SIGNAL) {
		struct kdbus_item *it = buf_item(&mb, KDBUS_ITEM_BLOOM_FILTER,
						 NULL, 8 + BLOOM_SIZE);
		(void)it;
	}
	cmd.flags = send_flags;
	cmd.msg_address = (uintptr_t)m;
	ret = call(from->fd, KDBUS_CMD_SEND, &cmd);
	if (info)
		*info = cmd.reply;
	return ret;
}

/* The FDS entries of the message at @off. */
static int msg_fds(struct conn *c, uint64_t off, int *out, int max)
{
	const struct kdbus_msg *m = (const void *)(c->pool + off);
	const struct kdbus_item *it = msg_item(m, KDBUS_ITEM_FDS, 0);
	int i, n;

	if (!it)
		return -1;
	n = (int)((it->size - 16) / 4);
	for (i = 0; i < n && i < max; i++)
		out[i] = ((const int32_t *)it->data)[i];
	return n;
}

static int same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int fds_supported(void)
{
	char bn[64];
	struct conn a;
	int bus, ok = 0;

	if (bus_make(bn, sizeof(bn), &bus))
		return 0;
	if (!hello(bn, &a)) {
		ok = neg_msg_item(a.fd, KDBUS_ITEM_FDS);
		conn_close(&a);
	}
	close(bus);
	return ok;
}

#define NEED_FDS()                                                         \
	do {                                                               \
		if (!fds_supported())                                      \
			return notimpl(                                    \
				"FDS message item zeroed by negotiation"); \
	} while (0)

static int c56_fds_install(void)
{
	char bn[64];
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int p[2], mf, bus, got[3], n, i, fds[3];

	NEED_FDS();
	CHECK(pipe(p) == 0);
	mf = make_memfd(4096, 0);
	CHECK(mf >= 0);
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = mf;
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(send_fds(&a, b.id, 0, fds, 3, 1, 0, 0, NULL) == 0);
	CHECK(recv_flags(&b, 0, 0, &rc) == 0);
	CHECK(!(rc.msg.return_flags & KDBUS_RECV_RETURN_INCOMPLETE_FDS));
	n = msg_fds(&b, rc.msg.offset, got, 3);
	CHECK(n == 3);
	for (i = 0; i < 3; i++) {
		CHECK(got[i] >= 0 && got[i] != fds[i] &&
		      same_file(got[i], fds[i]));
		CHECK(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
	}
	CHECK(free_off(&b, rc.msg.offset) == 0);
	close(p[0]);
	close(p[1]);
	close(mf);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c57_fds_no_accept(void)
{
	struct hello_opts o = { 0, 0, 0, NULL, 0 };
	char bn[64];
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int p[2], bus;

	NEED_FDS();
	CHECK(pipe(p) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello_ex(bn, &b, &o) == 0);
	CHECK(send_fds(&a, b.id, 0, p, 1, 1, 0, 0, NULL) == -ECOMM);
	CHECK(recv_flags(&b, 0, 0, &rc) == -EAGAIN && rc.dropped_msgs == 0);
	CHECK(match_all_user(&b) == 0);
	CHECK(send_fds(&a, b.id, KDBUS_MSG_SIGNAL, p, 1, 1, 0, 0, NULL) == 0);
	CHECK(recv_flags(&b, 0, 0, &rc) == -EAGAIN && rc.dropped_msgs == 1);
	close(p[0]);
	close(p[1]);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c58_fds_kinds(void)
{
	char bn[64], path[64];
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int fds[17], sv[2], p[2], bus, i, opath, file;

	NEED_FDS();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(pipe(p) == 0);
	for (i = 0; i < 17; i++)
		fds[i] = p[0];
	CHECK(send_fds(&a, b.id, 0, fds, 17, 1, 0, 0, NULL) == -EMFILE);
	fds[0] = 1000; /* closed */
	CHECK(send_fds(&a, b.id, 0, fds, 1, 1, 0, 0, NULL) == -EBADF);
	CHECK(send_fds(&a, b.id, 0, &a.fd, 1, 1, 0, 0, NULL) == -EOPNOTSUPP);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(send_fds(&a, b.id, 0, sv, 1, 1, 0, 0, NULL) == -EOPNOTSUPP);
	CHECK(recv_flags(&b, 0, 0, &rc) == -EAGAIN);
	snprintf(path, sizeof(path), "/proc/self/status");
	opath = open(path, O_PATH | O_CLOEXEC);
	file = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(opath >= 0 && file >= 0);
	fds[0] = p[1];
	fds[1] = opath;
	fds[2] = file;
	CHECK(send_fds(&a, b.id, 0, fds, 3, 1, 0, 0, NULL) == 0);
	CHECK(recv_flags(&b, 0, 0, &rc) == 0);
	{
		int got[3];

		CHECK(msg_fds(&b, rc.msg.offset, got, 3) == 3);
		for (i = 0; i < 3; i++)
			CHECK(got[i] >= 0 && close(got[i]) == 0);
	}
	CHECK(free_off(&b, rc.msg.offset) == 0);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	close(opath);
	close(file);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c59_fds_broadcast(void)
{
	char bn[64];
	struct conn a;
	int p[2], bus;

	NEED_FDS();
	CHECK(pipe(p) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(send_fds(&a, KDBUS_DST_ID_BROADCAST, KDBUS_MSG_SIGNAL, p, 1, 1, 0,
		       0, NULL) == -ENOTUNIQ);
	close(p[0]);
	close(p[1]);
	conn_close(&a);
	close(bus);
	return 0;
}

static int c60_fds_inflight(void)
{
	char bn[64];
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int p[2], fds[16], bus, i, got[16];

	NEED_FDS();
	CHECK(pipe(p) == 0);
	for (i = 0; i < 16; i++)
		fds[i] = p[0];
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(send_fds(&a, b.id, 0, fds, 10, 1, 0, 0, NULL) == 0);
	CHECK(send_fds(&a, b.id, 0, fds, 6, 1, 0, 0, NULL) == 0);
	CHECK(send_fds(&a, b.id, 0, fds, 1, 1, 0, 0, NULL) == -EMFILE);
	CHECK(recv_flags(&b, 0, 0, &rc) == 0);
	CHECK(msg_fds(&b, rc.msg.offset, got, 16) == 10);
	for (i = 0; i < 10; i++)
		close(got[i]);
	CHECK(free_off(&b, rc.msg.offset) == 0);
	CHECK(send_fds(&a, b.id, 0, fds, 1, 1, 0, 0, NULL) == 0);
	close(p[0]);
	close(p[1]);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int rlimit_child(void *arg)
{
	struct conn *b = arg;
	struct kdbus_cmd_recv rc;
	struct rlimit rl;
	int got[2], hi = -1, i;

	/* no descriptor number left */
	for (i = 0; i < 4096; i++) {
		int fd = dup(0);

		if (fd < 0)
			break;
		hi = fd;
	}
	if (hi < 0)
		return -1;
	rl.rlim_cur = rl.rlim_max = (rlim_t)hi + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (recv_flags(b, 0, 0, &rc))
		return -1;
	if (!(rc.msg.return_flags & KDBUS_RECV_RETURN_INCOMPLETE_FDS))
		return -1;
	if (msg_fds(b, rc.msg.offset, got, 2) != 2 || got[0] != -1 ||
	    got[1] != -1)
		return -1;
	return 0;
}

static int c61_fds_rlimit(void)
{
	char bn[64];
	struct conn a, b;
	int p[2], bus;

	NEED_FDS();
	CHECK(pipe(p) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(send_fds(&a, b.id, 0, p, 2, 1, 0, 0, NULL) == 0);
	CHECK(in_child(rlimit_child, &b) == 0);
	close(p[0]);
	close(p[1]);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c62_fds_peek_drop(void)
{
	char bn[64], ch;
	struct conn a, b;
	struct kdbus_cmd_recv rc;
	int p[2], bus, got[1], before, after;

	NEED_FDS();
	CHECK(pipe(p) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(send_fds(&a, b.id, 0, &p[1], 1, 1, 0, 0, NULL) == 0);
	close(p[1]); /* the queued message holds the only write end */
	before = dup(0);
	close(before);
	CHECK(recv_flags(&b, KDBUS_RECV_PEEK, 0, &rc) == 0);
	CHECK(msg_fds(&b, rc.msg.offset, got, 1) == 1 && got[0] == -1);
	after = dup(0);
	close(after);
	CHECK(before == after); /* nothing was installed */
	CHECK(recv_flags(&b, KDBUS_RECV_DROP, 0, &rc) == 0);
	/* the write end is gone with the message: EOF */
	CHECK(read(p[0], &ch, 1) == 0);
	close(p[0]);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

struct fd_replier {
	struct conn *c;
	int fd;
	int ret;
};

static void *fd_reply_thread(void *arg)
{
	struct fd_replier *f = arg;
	struct pollfd pfd = { f->c->fd, POLLIN, 0 };
	struct rmsg r;

	f->ret = -1;
	if (poll(&pfd, 1, 10000) != 1 || recv_msg(f->c, &r))
		return NULL;
	f->ret = send_fds(f->c, r.msg->src_id, 0, &f->fd, 1, 2, r.msg->cookie,
			  0, NULL);
	free_off(f->c, r.offset);
	return NULL;
}

static int c63_fds_sync_reply(void)
{
	struct hello_opts o = { 0, 0, 0, NULL, 0 };
	char bn[64];
	struct conn a, b, n;
	struct kdbus_msg_info info;
	struct fd_replier fr;
	pthread_t t;
	int p[2], bus, got[1];

	NEED_FDS();
	CHECK(pipe(p) == 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0 &&
	      hello_ex(bn, &n, &o) == 0);
	fr.c = &b;
	fr.fd = p[0];
	CHECK(pthread_create(&t, NULL, fd_reply_thread, &fr) == 0);
	CHECK(sync_call_cookie(&a, b.id, 61, now_ns() + 30ull * 1000000000ull,
			       &info) == 0);
	pthread_join(t, NULL);
	CHECK(fr.ret == 0);
	CHECK(msg_fds(&a, info.offset, got, 1) == 1 && got[0] >= 0 &&
	      same_file(got[0], p[0]));
	close(got[0]);
	CHECK(free_off(&a, info.offset) == 0);
	/* caller without ACCEPT_FD */
	CHECK(pthread_create(&t, NULL, fd_reply_thread, &fr) == 0);
	CHECK(sync_call_cookie(&n, b.id, 62, now_ns() + 30ull * 1000000000ull,
			       &info) == -EREMOTEIO);
	pthread_join(t, NULL);
	CHECK(fr.ret == -ECOMM);
	close(p[0]);
	close(p[1]);
	conn_close(&a);
	conn_close(&b);
	conn_close(&n);
	close(bus);
	return 0;
}

/* ---- CANCEL_FD (lines 64 and 65) --------------------------------------------- */

/* A call with @n CANCEL_FD items carrying @fd. */
static int send_cancel(struct conn *c, uint64_t dst, uint64_t cookie, int sync,
		       int fd, int n)
{
	struct buf mb, cb;
	struct kdbus_msg *m = buf_init(&mb, sizeof(*m));
	struct kdbus_cmd_send *cmd = buf_init(&cb, sizeof(*cmd));
	int32_t v = fd;
	int i;

	m->dst_id = dst;
	m->flags = KDBUS_MSG_EXPECT_REPLY;
	m->payload_type = KDBUS_PAYLOAD_DBUS;
	m->cookie = cookie;
	m->timeout_ns = now_ns() + 30ull * 1000000000ull;
	buf_done(&mb);
	cmd->flags = sync ? KDBUS_SEND_SYNC_REPLY : 0;
	cmd->msg_address = (uintptr_t)m;
	for (i = 0; i < n; i++)
		buf_item(&cb, KDBUS_ITEM_CANCEL_FD, &v, sizeof(v));
	buf_done(&cb);
	return call(c->fd, KDBUS_CMD_SEND, cb.w);
}

static int cancel_supported(void)
{
	char bn[64];
	struct conn a;
	int bus, ok = 0;

	if (bus_make(bn, sizeof(bn), &bus))
		return 0;
	if (!hello(bn, &a)) {
		ok = neg_item(a.fd, KDBUS_CMD_SEND,
			      sizeof(struct kdbus_cmd_send),
			      KDBUS_ITEM_CANCEL_FD);
		conn_close(&a);
	}
	close(bus);
	return ok;
}

struct canceller {
	struct conn *callee;
	int efd;
};

static void *cancel_thread(void *p)
{
	struct canceller *k = p;
	struct pollfd pfd = { k->callee->fd, POLLIN, 0 };
	uint64_t one = 1;

	if (poll(&pfd, 1, 10000) == 1)
		(void)!write(k->efd, &one, sizeof(one));
	return NULL;
}

static int c64_cancel_fd(void)
{
	char bn[64];
	struct conn a, b;
	struct canceller k;
	struct msgspec s;
	struct rmsg r;
	pthread_t t;
	int bus, efd;

	if (!cancel_supported())
		return notimpl("CANCEL_FD item zeroed by negotiation");
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	k.callee = &b;
	k.efd = efd;
	CHECK(pthread_create(&t, NULL, cancel_thread, &k) == 0);
	CHECK(send_cancel(&a, b.id, 31, 1, efd, 1) == -ECANCELED);
	pthread_join(t, NULL);
	/* the call stays queued; its reply finds no tracker */
	CHECK(recv_msg(&b, &r) == 0 && r.msg->cookie == 31);
	s = spec_to(a.id, "r", 1);
	s.timeout_or_reply = 31;
	CHECK(send_msg(&b, &s, NULL) == -EBADSLT);
	CHECK(free_off(&b, r.offset) == 0);
	/* already readable: ECANCELED at once */
	CHECK(send_cancel(&a, b.id, 32, 1, efd, 1) == -ECANCELED);
	CHECK(NOQUEUE(&a)); /* no REPLY_TIMEOUT or other notification */
	close(efd);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c65_cancel_fd_rules(void)
{
	char bn[64];
	struct conn a, b;
	struct rmsg r;
	int bus, efd;

	if (!cancel_supported())
		return notimpl("CANCEL_FD item zeroed by negotiation");
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(send_cancel(&a, b.id, 41, 0, 1000, 1) == 0); /* async: ignored */
	CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
	CHECK(send_cancel(&a, b.id, 42, 1, efd, 2) == -EINVAL);
	CHECK(send_cancel(&a, b.id, 43, 1, 1000, 1) == -EBADF);
	CHECK(NOQUEUE(&b)); /* nothing was sent */
	close(efd);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

/* ---- quotas (lines 103 to 106) ----------------------------------------------- */

/* HELLO on a fresh endpoint fd with a one-page pool, not mapped. */
static int raw_hello(const char *bus)
{
	struct kdbus_cmd_hello h;
	int fd = ep_open(bus);

	if (fd < 0)
		return -errno;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.pool_size = 4096;
	if (ioctl(fd, KDBUS_CMD_HELLO, &h) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int c103_conn_limit(void)
{
	enum {
		N = 1024
	};
	char b1[64], b2[64];
	static int fds[N + 1];
	struct rlimit rl;
	int bus1, bus2, i, extra;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max < N + 64)
		return envskip("RLIMIT_NOFILE hard limit below 1088");
	rl.rlim_cur = rl.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHECK(bus_make(b1, sizeof(b1), &bus1) == 0);
	CHECK(bus_make(b2, sizeof(b2), &bus2) == 0);
	/* 1024 connections of this uid over two buses */
	for (i = 0; i < N; i++) {
		fds[i] = raw_hello(i % 2 ? b2 : b1);
		CHECK(fds[i] >= 0);
	}
	CHECK(raw_hello(b1) == -EMFILE);
	CHECK(raw_hello(b2) == -EMFILE);
	close(fds[0]);
	extra = raw_hello(b2);
	CHECK(extra >= 0);
	close(extra);
	for (i = 1; i < N; i++)
		close(fds[i]);
	close(bus1);
	close(bus2);
	return 0;
}

struct uid_hello {
	const char *bus;
	int fd; /* opened by the parent: the connection is the file */
	uid_t uid;
};

static int uid_hello_fn(void *p)
{
	struct uid_hello *u = p;
	struct kdbus_cmd_hello h;

	if (setuid(u->uid))
		return -1;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = KDBUS_HELLO_ACCEPT_FD;
	h.pool_size = POOL_SIZE;
	return ioctl(u->fd, KDBUS_CMD_HELLO, &h) < 0 ? -1 : 0;
}

/* A connection made by @uid (HELLO in a child), used from here. */
static int conn_as(const char *bus, uid_t uid, struct conn *c)
{
	struct uid_hello u = { bus, ep_open(bus), uid };
	struct kdbus_cmd_list cl = { sizeof(cl), KDBUS_LIST_UNIQUE, 0, 0, 0 };

	memset(c, 0, sizeof(*c));
	c->fd = u.fd;
	if (u.fd < 0 || in_child(uid_hello_fn, &u))
		return -1;
	c->pool_size = POOL_SIZE;
	c->pool = mmap(NULL, POOL_SIZE, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED)
		return -1;
	/* our own ID: the last record of a LIST is the newest connection */
	if (call(c->fd, KDBUS_CMD_LIST, &cl) || !cl.list_size)
		return -1;
	{
		const uint8_t *p = c->pool + cl.offset, *end = p + cl.list_size;
		const struct kdbus_info *in = NULL;

		while (p < end) {
			in = (const void *)p;
			p += ALIGN8(in->size);
		}
		c->id = in->id;
	}
	/* the HELLO slice and the LIST result */
	free_off(c, cl.offset);
	return 0;
}

static int c104_queue_per_user(void)
{
	char bn[64];
	struct conn a, b, d;
	struct note n;
	int bus, i;

	if (geteuid() != 0)
		return envskip("needs root to make connections of other uids");
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(conn_as(bn, 1000, &b) == 0);
	CHECK(conn_as(bn, 1000, &d) == 0);
	CHECK(match_empty(&b, 1) == 0);
	for (i = 0; i < 256; i++)
		CHECK(send_prio(&a, &b, "q", 0) == 0);
	CHECK(send_prio(&a, &b, "q", 0) == -ENOBUFS);
	CHECK(send_prio(&d, &b, "u", 0) == 0); /* another uid still can */
	/* line 105: the kernel has its own slot */
	CHECK(ACQ(&a, "org.quota.x", 0, NULL) == 0);
	for (i = 0; i < 256; i++) {
		struct rmsg r;

		CHECK(recv_msg(&b, &r) == 0 && free_off(&b, r.offset) == 0);
	}
	{
		struct rmsg r;

		CHECK(recv_msg(&b, &r) == 0 && r.data && r.data[0] == 'u');
		CHECK(free_off(&b, r.offset) == 0);
	}
	CHECK(recv_note(&b, &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD);
	CHECK(send_prio(&a, &b, "q", 0) == 0);
	conn_close(&a);
	conn_close(&b);
	conn_close(&d);
	close(bus);
	return 0;
}

static int c105_kernel_slot(void)
{
	/* checked inside c104: after uid 0 hit 256 queued messages at b,
	 * NAME_ADD still reached b
	 */
	return c104_queue_per_user();
}

static int c106_match_limit(void)
{
	char bn[64];
	struct conn a;
	int bus, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	for (i = 0; i < 256; i++)
		CHECK(match_empty(&a, (uint64_t)i) == 0);
	CHECK(match_empty(&a, 9999) == -EMFILE);
	{
		struct kdbus_cmd_match m = { sizeof(m), 0, 0, 7 };

		CHECK(call(a.fd, KDBUS_CMD_MATCH_REMOVE, &m) == 0);
	}
	CHECK(match_empty(&a, 9999) == 0);
	conn_close(&a);
	close(bus);
	return 0;
}

/* ---- the rest of the kinds (3 to 6), policy (76 to 85), endpoints (86 to
 * 92), activators (93 to 98), monitors (99 to 102) --------------------------- */

static int c03_hello_two_kinds(void)
{
	char name[64];
	struct buf b;
	struct kdbus_cmd_hello *h;
	int bus, fd;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	fd = ep_open(name);
	CHECK(fd >= 0);
	h = buf_init(&b, sizeof(*h));
	h->pool_size = POOL_SIZE;
	h->flags = KDBUS_HELLO_MONITOR | KDBUS_HELLO_ACTIVATOR;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	h->flags = KDBUS_HELLO_POLICY_HOLDER | KDBUS_HELLO_MONITOR;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	h->flags = KDBUS_HELLO_POLICY_HOLDER | KDBUS_HELLO_ACTIVATOR;
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	close(fd);
	close(bus);
	return 0;
}

static int c05_hello_name_item(void)
{
	char name[64];
	struct buf b;
	struct kdbus_cmd_hello *h;
	int bus, fd;

	CHECK(bus_make(name, sizeof(name), &bus) == 0);
	fd = ep_open(name);
	CHECK(fd >= 0);
	h = buf_init(&b, sizeof(*h));
	h->pool_size = POOL_SIZE;
	buf_str(&b, KDBUS_ITEM_NAME, "org.k.a");
	CHECK(call(fd, KDBUS_CMD_HELLO, b.w) == -EINVAL);
	close(fd);
	close(bus);
	return 0;
}

static int c76_policy_default_talk(void)
{
	char bn[64];
	struct conn p, u, u2;
	int bus;

	if (geteuid() != 0)
		return envskip("needs root to make connections of other uids");
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0 && conn_as(bn, 1000, &u2) == 0);
	CHECK(send_prio(&u, &p, "x", 0) == -EPERM);
	CHECK(send_prio(&u, &u2, "y", 0) == 0);
	CHECK(send_prio(&p, &u, "z", 0) == 0); /* the bus owner may */
	conn_close(&p);
	conn_close(&u);
	conn_close(&u2);
	close(bus);
	return 0;
}

static int c78_policy_reply_window(void)
{
	char bn[64];
	struct conn p, u;
	struct msgspec s;
	struct rmsg r;
	int bus;

	if (geteuid() != 0)
		return envskip("needs root to make connections of other uids");
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0);
	/* p calls u; u may not TALK to p, but its reply is accepted */
	s = spec_to(u.id, "c", 1);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 71;
	s.timeout_or_reply = now_ns() + 30ull * 1000000000ull;
	CHECK(send_msg(&p, &s, NULL) == 0);
	CHECK(recv_msg(&u, &r) == 0 && free_off(&u, r.offset) == 0);
	CHECK(send_prio(&u, &p, "x", 0) == -EPERM);
	s = spec_to(p.id, "r", 1);
	s.timeout_or_reply = 71;
	CHECK(send_msg(&u, &s, NULL) == 0);
	CHECK(recv_msg(&p, &r) == 0 && r.msg->cookie_reply == 71);
	CHECK(free_off(&p, r.offset) == 0);
	conn_close(&p);
	conn_close(&u);
	close(bus);
	return 0;
}

static int c79_policy_broadcast(void)
{
	char bn[64];
	struct conn p, u, p2;
	struct kdbus_cmd_recv rc;
	int bus;

	if (geteuid() != 0)
		return envskip("needs root to make connections of other uids");
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0 && hello(bn, &p2) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0);
	CHECK(match_all_user(&u) == 0 && match_all_user(&p2) == 0);
	CHECK(bcast(&p) == 0);
	/* u (uid 1000) may not TALK to p (uid 0): skipped, not counted */
	CHECK(recv_flags(&u, 0, 0, &rc) == -EAGAIN && rc.dropped_msgs == 0);
	CHECK(recv_flags(&p2, 0, 0, &rc) == 0 &&
	      free_off(&p2, rc.msg.offset) == 0);
	conn_close(&p);
	conn_close(&p2);
	conn_close(&u);
	close(bus);
	return 0;
}

static int c85_policy_update_ordinary(void)
{
	char bn[64];
	struct conn a;
	struct buf b;
	struct kdbus_policy_access pa = { KDBUS_POLICY_ACCESS_WORLD,
					  KDBUS_POLICY_SEE, 0 };
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	buf_init(&b, sizeof(struct kdbus_cmd));
	buf_str(&b, KDBUS_ITEM_NAME, "org.p.a");
	buf_item(&b, KDBUS_ITEM_POLICY_ACCESS, &pa, sizeof(pa));
	buf_done(&b);
	CHECK(call(a.fd, KDBUS_CMD_UPDATE, b.w) == -EOPNOTSUPP);
	conn_close(&a);
	close(bus);
	return 0;
}

/* ---- kinds, faked credentials, policy, custom endpoints, activators and
 * monitors: helpers
 */

static struct kdbus_cmd_hello *hello_buf(struct buf *b, uint64_t flags)
{
	struct kdbus_cmd_hello *h = buf_init(b, sizeof(*h));

	h->flags = flags;
	h->pool_size = POOL_SIZE;
	return h;
}

static void bus_node(char *p, size_t n, const char *bus, const char *node)
{
	snprintf(p, n, "%s/%s/%s", base, bus, node);
}

/* HELLO built in @b on node @path; fills @c. */
static int hello_at(const char *path, struct conn *c, struct buf *b)
{
	struct kdbus_cmd_hello *h = (void *)b->w;
	int ret;

	memset(c, 0, sizeof(*c));
	buf_done(b);
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	ret = call(c->fd, KDBUS_CMD_HELLO, b->w);
	if (ret)
		goto err;
	c->id = h->id;
	c->pool_size = h->pool_size;
	c->pool = mmap(NULL, c->pool_size, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	ret = free_off(c, h->offset);
	if (ret)
		goto err;
	return 0;
err:
	close(c->fd);
	c->fd = -1;
	c->pool = NULL;
	return ret;
}

static int hello_on_bus(const char *bus, struct conn *c, struct buf *b)
{
	char path[256];

	bus_node(path, sizeof(path), bus, "bus");
	return hello_at(path, c, b);
}

static void pol_name(struct buf *b, const char *name)
{
	buf_str(b, KDBUS_ITEM_NAME, name);
}

static void pol_acc(struct buf *b, uint64_t type, uint64_t access, uint64_t id)
{
	struct kdbus_policy_access pa = { type, access, id };

	buf_item(b, KDBUS_ITEM_POLICY_ACCESS, &pa, sizeof(pa));
}

/* A policy holder for @name granting @access to (@type, @id). */
static int holder(const char *bus, struct conn *c, const char *name,
		  uint64_t type, uint64_t access, uint64_t id)
{
	struct buf b;

	hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
	pol_name(&b, name);
	pol_acc(&b, type, access, id);
	return hello_on_bus(bus, c, &b);
}

static int activator(const char *bus, struct conn *c, const char *name)
{
	struct buf b;

	hello_buf(&b, KDBUS_HELLO_ACTIVATOR | KDBUS_HELLO_ACCEPT_FD);
	pol_name(&b, name);
	return hello_on_bus(bus, c, &b);
}

static int monitor(const char *bus, struct conn *c, uint64_t flags,
		   uint64_t recv, size_t pool)
{
	struct buf b;
	struct kdbus_cmd_hello *h = hello_buf(&b, KDBUS_HELLO_MONITOR | flags);

	h->attach_flags_recv = recv;
	if (pool)
		h->pool_size = pool;
	return hello_on_bus(bus, c, &b);
}

/* Send @d to the owner of @name. */
static int send_name(struct conn *from, const char *name, const char *d,
		     uint64_t flags)
{
	struct msgspec s = spec_to(KDBUS_DST_ID_NAME, d, strlen(d) + 1);

	s.dst_name = name;
	s.flags = flags;
	return send_msg(from, &s, NULL);
}

/* Receive one message carrying the string payload @want; FREEs it. */
static int recv_str(struct conn *c, const char *want)
{
	struct rmsg r;
	int ret = recv_msg(c, &r);

	if (ret)
		return ret;
	/* with or without the NUL (send_name() sends it, send_prio() not) */
	ret = r.data && (r.len == strlen(want) + 1 || r.len == strlen(want)) &&
			      !memcmp(r.data, want, r.len)
		      ? 0
		      : -EPROTO;
	free_off(c, r.offset);
	return ret;
}

/* Is @id in a LIST of @flags, and with which name flags for @name? */
static int list_find(struct conn *c, uint64_t flags, uint64_t id,
		     const char *name, uint64_t *nflags)
{
	struct kdbus_cmd_list cl = { sizeof(cl), flags, 0, 0, 0 };
	const uint8_t *p, *end;
	int found = 0;

	if (call(c->fd, KDBUS_CMD_LIST, &cl))
		return -1;
	for (p = c->pool + cl.offset, end = p + cl.list_size; p < end;) {
		const struct kdbus_info *in = (const void *)p;
		const struct kdbus_item *it =
			info_item(in, KDBUS_ITEM_OWNED_NAME, 0);

		if (in->id == id) {
			if (!name) {
				found = 1;
			} else if (it &&
				   !strcmp(((const struct kdbus_name *)it->data)
						   ->name,
					   name)) {
				found = 1;
				if (nflags)
					*nflags = ((const struct kdbus_name *)
							   it->data)
							  ->flags;
			}
		}
		p += ALIGN8(in->size);
	}
	if (cl.list_size)
		free_off(c, cl.offset);
	return found;
}

struct uid_conn {
	const char *bus;
	int fd;
	uid_t uid;
	gid_t gid;
	gid_t groups[2];
	int ngroups;
};

static int uid_conn_fn(void *p)
{
	struct uid_conn *u = p;
	struct kdbus_cmd_hello h;

	if (setgroups(u->ngroups, u->groups) || setgid(u->gid) ||
	    setuid(u->uid))
		return -1;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = KDBUS_HELLO_ACCEPT_FD;
	h.pool_size = POOL_SIZE;
	return ioctl(u->fd, KDBUS_CMD_HELLO, &h) < 0 ? -1 : 0;
}

/* Like conn_as(), with a gid and supplementary groups too. */
static int conn_as_groups(const char *bus, uid_t uid, gid_t gid,
			  const gid_t *groups, int ngroups, struct conn *c)
{
	struct uid_conn u = { bus, ep_open(bus), uid, gid, { 0, 0 }, ngroups };
	struct kdbus_cmd_list cl = { sizeof(cl), KDBUS_LIST_UNIQUE, 0, 0, 0 };
	const uint8_t *p, *end;
	const struct kdbus_info *in = NULL;
	int i;

	for (i = 0; i < ngroups && i < 2; i++)
		u.groups[i] = groups[i];
	memset(c, 0, sizeof(*c));
	c->fd = u.fd;
	if (u.fd < 0 || in_child(uid_conn_fn, &u))
		return -1;
	c->pool_size = POOL_SIZE;
	c->pool = mmap(NULL, POOL_SIZE, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED)
		return -1;
	if (call(c->fd, KDBUS_CMD_LIST, &cl) || !cl.list_size)
		return -1;
	for (p = c->pool + cl.offset, end = p + cl.list_size; p < end;
	     p += ALIGN8(in->size))
		in = (const void *)p;
	c->id = in->id;
	free_off(c, cl.offset);
	return 0;
}

#define NEED_ROOT()                                                      \
	do {                                                             \
		if (geteuid() != 0)                                      \
			return envskip("needs root to make connections " \
				       "of other uids");                 \
	} while (0)

/* ---- kinds (lines 4 and 6) ------------------------------------------------ */

struct unpriv_arg {
	const char *bus;
};

static int unpriv_hello_fn(void *p)
{
	struct unpriv_arg *a = p;
	struct kdbus_creds cr = { 0 };
	struct conn c;
	struct buf b;
	int bad = 0;

	if (setuid(1000))
		return -1;
	hello_buf(&b, KDBUS_HELLO_MONITOR);
	bad |= hello_on_bus(a->bus, &c, &b) != -EPERM;
	hello_buf(&b, KDBUS_HELLO_ACTIVATOR);
	pol_name(&b, "org.k.act");
	bad |= hello_on_bus(a->bus, &c, &b) != -EPERM;
	hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
	pol_name(&b, "org.k.pol");
	pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
	bad |= hello_on_bus(a->bus, &c, &b) != -EPERM;
	hello_buf(&b, 0);
	buf_item(&b, KDBUS_ITEM_CREDS, &cr, sizeof(cr));
	bad |= hello_on_bus(a->bus, &c, &b) != -EPERM;
	hello_buf(&b, 0);
	{
		struct kdbus_pids pi = { 1, 1, 0 };

		buf_item(&b, KDBUS_ITEM_PIDS, &pi, sizeof(pi));
	}
	bad |= hello_on_bus(a->bus, &c, &b) != -EPERM;
	hello_buf(&b, 0);
	buf_str(&b, KDBUS_ITEM_SECLABEL, "unconfined");
	bad |= hello_on_bus(a->bus, &c, &b) != -EPERM;
	/* an ordinary HELLO still works */
	hello_buf(&b, 0);
	bad |= hello_on_bus(a->bus, &c, &b) != 0;
	return bad ? -1 : 0;
}

static int c04_hello_unprivileged(void)
{
	struct unpriv_arg a;
	char bn[64];
	int bus;

	NEED_ROOT();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	a.bus = bn;
	CHECK(in_child(unpriv_hello_fn, &a) == 0);
	close(bus);
	return 0;
}

static int c06_kinds_commands(void)
{
	uint64_t zero[BLOOM_SIZE / 8] = { 0 };
	struct conn k[3], o;
	struct kdbus_cmd_recv rc;
	char bn[64];
	int bus, i;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &o) == 0);
	CHECK(activator(bn, &k[0], "org.k.act") == 0);
	CHECK(monitor(bn, &k[1], 0, 0, 0) == 0);
	CHECK(holder(bn, &k[2], "org.k.pol", KDBUS_POLICY_ACCESS_WORLD,
		     KDBUS_POLICY_SEE, 0) == 0);
	for (i = 0; i < 3; i++) {
		CHECK(send_prio(&k[i], &o, "x", 0) == -EOPNOTSUPP);
		CHECK(match_add(&k[i], 1, zero, BLOOM_SIZE, 0, 0) ==
		      -EOPNOTSUPP);
		CHECK(ACQ(&k[i], "org.k.other", 0, NULL) == -EOPNOTSUPP);
		CHECK(REL(&k[i], "org.k.other") == -EOPNOTSUPP);
	}
	/* RECV: activators and monitors yes, policy holders no */
	CHECK(recv_flags(&k[0], 0, 0, &rc) == -EAGAIN);
	CHECK(recv_flags(&k[2], 0, 0, &rc) == -EOPNOTSUPP);
	/* the monitor saw o's... nothing yet, or notifications: drain */
	while (recv_flags(&k[1], 0, 0, &rc) == 0)
		free_off(&k[1], rc.msg.offset);
	for (i = 0; i < 3; i++)
		conn_close(&k[i]);
	conn_close(&o);
	close(bus);
	return 0;
}

/* ---- faked credentials (lines 20 and 21) --------------------------------- */

static int hello_faked(const char *bn, struct conn *c)
{
	struct kdbus_creds cr = {
		4242, 4242, 4242, 4242, 4343, 4343, 4343, 4343
	};
	struct kdbus_pids pi = { (uint64_t)getpid(), (uint64_t)getpid(), 0 };
	struct kdbus_cmd_hello *h;
	struct buf b;

	h = hello_buf(&b, KDBUS_HELLO_ACCEPT_FD);
	h->attach_flags_send = _KDBUS_ATTACH_ANY;
	buf_item(&b, KDBUS_ITEM_CREDS, &cr, sizeof(cr));
	buf_item(&b, KDBUS_ITEM_PIDS, &pi, sizeof(pi));
	return hello_on_bus(bn, c, &b);
}

static int c20_meta_faked_creds(void)
{
	const struct kdbus_info *in;
	const struct kdbus_item *it;
	struct conn f, r;
	struct rmsg m;
	uint64_t off;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello_faked(bn, &f) == 0);
	CHECK(hello_meta(bn, &r, 0, _KDBUS_ATTACH_ANY, NULL) == 0);
	/* malformed: a short CREDS item */
	{
		struct buf b;
		uint64_t x[7] = { 0 };
		struct conn bad;

		hello_buf(&b, 0);
		buf_item(&b, KDBUS_ITEM_CREDS, x, sizeof(x));
		CHECK(hello_on_bus(bn, &bad, &b) == -EINVAL);
	}
	CHECK(conn_info(&r, f.id, NULL, _KDBUS_ATTACH_ANY, &in, &off) == 0);
	it = info_item(in, KDBUS_ITEM_CREDS, 0);
	CHECK(it && ((const struct kdbus_creds *)it->data)->uid == 4242 &&
	      ((const struct kdbus_creds *)it->data)->egid == 4343);
	it = info_item(in, KDBUS_ITEM_PIDS, 0);
	CHECK(it &&
	      ((const struct kdbus_pids *)it->data)->pid == (uint64_t)getpid());
	CHECK(!info_item(in, KDBUS_ITEM_PID_COMM, 0) &&
	      !info_item(in, KDBUS_ITEM_EXE, 0) &&
	      !info_item(in, KDBUS_ITEM_CAPS, 0));
	CHECK(free_off(&r, off) == 0);
	CHECK(ping(&f, &r, &m) == 0);
	it = msg_item(m.msg, KDBUS_ITEM_CREDS, 0);
	CHECK(it && it->size == 80 &&
	      ((const struct kdbus_creds *)it->data)->euid == 4242);
	CHECK(!msg_item(m.msg, KDBUS_ITEM_PID_COMM, 0) &&
	      !msg_item(m.msg, KDBUS_ITEM_EXE, 0) &&
	      !msg_item(m.msg, KDBUS_ITEM_CAPS, 0));
	CHECK(free_off(&r, m.offset) == 0);
	conn_close(&f);
	conn_close(&r);
	close(bus);
	return 0;
}

static int c21_faked_unprivileged(void)
{
	struct conn f, p;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	CHECK(ACQ(&p, "org.f.a", 0, NULL) == 0); /* the creator may */
	CHECK(hello_faked(bn, &f) == 0);
	CHECK(ACQ(&f, "org.f.b", 0, NULL) == -EPERM);
	conn_close(&f);
	conn_close(&p);
	close(bus);
	return 0;
}

/* ---- names and notifications (lines 37, 43, 46) ---------------------------- */

static int c37_name_own_policy(void)
{
	struct conn u, h;
	char bn[64];
	int bus;

	NEED_ROOT();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0);
	CHECK(ACQ(&u, "org.p.own", 0, NULL) == -EPERM);
	CHECK(holder(bn, &h, "org.p.own", KDBUS_POLICY_ACCESS_USER,
		     KDBUS_POLICY_OWN, 1000) == 0);
	CHECK(ACQ(&u, "org.p.own", 0, NULL) == 0);
	CHECK(ACQ(&u, "org.p.other", 0, NULL) == -EPERM);
	conn_close(&u);
	conn_close(&h);
	close(bus);
	return 0;
}

static int c43_notify_no_monitor(void)
{
	struct conn w, m, o;
	struct note n;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &w) == 0);
	CHECK(match_empty(&w, 1) == 0);
	CHECK(monitor(bn, &m, 0, 0, 0) == 0);
	conn_close(&m);
	CHECK(NOQUEUE(&w));
	CHECK(hello(bn, &o) == 0);
	CHECK(recv_note(&w, &n) == 0 && n.type == KDBUS_ITEM_ID_ADD &&
	      n.id == o.id);
	conn_close(&o);
	conn_close(&w);
	close(bus);
	return 0;
}

static int c46_notify_activator(void)
{
	struct conn w, a, c;
	struct note n;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &w) == 0);
	CHECK(match_empty(&w, 1) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(recv_note(&w, &n) == 0 && n.type == KDBUS_ITEM_ID_ADD &&
	      n.id == a.id && (n.flags & KDBUS_HELLO_ACTIVATOR));
	CHECK(recv_note(&w, &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD &&
	      n.new_id == a.id &&
	      n.new_flags == (KDBUS_NAME_ACTIVATOR | KDBUS_NAME_PRIMARY));
	CHECK(hello(bn, &c) == 0);
	CHECK(recv_note(&w, &n) == 0 && n.type == KDBUS_ITEM_ID_ADD);
	CHECK(ACQ(&c, "org.a.n", 0, NULL) == 0);
	CHECK(recv_note(&w, &n) == 0 && n.type == KDBUS_ITEM_NAME_CHANGE &&
	      n.old_id == a.id && (n.old_flags & KDBUS_NAME_ACTIVATOR) &&
	      n.new_id == c.id && (n.new_flags & KDBUS_NAME_PRIMARY));
	conn_close(&c);
	conn_close(&a);
	conn_close(&w);
	close(bus);
	return 0;
}

/* ---- policy (lines 77, 80 to 84) --------------------------------------------- */

static int c77_policy_talk_grant(void)
{
	struct conn p, u, h;
	struct msgspec s;
	char bn[64];
	int bus;

	NEED_ROOT();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	CHECK(ACQ(&p, "org.p.svc", 0, NULL) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0);
	CHECK(send_name(&u, "org.p.svc", "n", 0) == -EPERM);
	CHECK(send_prio(&u, &p, "i", 0) == -EPERM);
	CHECK(holder(bn, &h, "org.p.svc", KDBUS_POLICY_ACCESS_WORLD,
		     KDBUS_POLICY_TALK, 0) == 0);
	CHECK(send_name(&u, "org.p.svc", "n", 0) == 0);
	CHECK(recv_str(&p, "n") == 0);
	s = spec_to(p.id, "i", 2);
	CHECK(send_msg(&u, &s, NULL) == 0);
	CHECK(recv_str(&p, "i") == 0);
	conn_close(&h);
	/* the grant went with its holder */
	CHECK(send_prio(&u, &p, "i", 0) == -EPERM);
	conn_close(&u);
	conn_close(&p);
	close(bus);
	return 0;
}

static int c80_policy_user_group(void)
{
	static const gid_t groups[] = { 777 };
	struct conn p, u, h;
	struct buf b;
	char bn[64];
	int bus;

	NEED_ROOT();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	CHECK(ACQ(&p, "org.p.g", 0, NULL) == 0);
	CHECK(conn_as_groups(bn, 1000, 555, groups, 1, &u) == 0);
	CHECK(send_prio(&u, &p, "x", 0) == -EPERM);
	CHECK(holder(bn, &h, "org.p.g", KDBUS_POLICY_ACCESS_USER,
		     KDBUS_POLICY_TALK, 1000) == 0);
	CHECK(send_prio(&u, &p, "x", 0) == 0);
	/* UPDATE to other users and groups */
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_name(&b, "org.p.g");
	pol_acc(&b, KDBUS_POLICY_ACCESS_USER, KDBUS_POLICY_TALK, 1001);
	pol_acc(&b, KDBUS_POLICY_ACCESS_GROUP, KDBUS_POLICY_TALK, 999);
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == 0);
	CHECK(send_prio(&u, &p, "x", 0) == -EPERM);
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_name(&b, "org.p.g");
	pol_acc(&b, KDBUS_POLICY_ACCESS_GROUP, KDBUS_POLICY_TALK, 555);
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == 0); /* egid */
	CHECK(send_prio(&u, &p, "x", 0) == 0);
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_name(&b, "org.p.g");
	pol_acc(&b, KDBUS_POLICY_ACCESS_GROUP, KDBUS_POLICY_TALK, 777);
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == 0); /* supplementary */
	CHECK(send_prio(&u, &p, "x", 0) == 0);
	conn_close(&h);
	conn_close(&u);
	conn_close(&p);
	close(bus);
	return 0;
}

static int c81_policy_wildcard(void)
{
	struct conn u, h;
	struct buf b;
	char bn[64];
	int bus;

	NEED_ROOT();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0);
	hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
	pol_name(&b, "org.x.*");
	pol_acc(&b, KDBUS_POLICY_ACCESS_USER, KDBUS_POLICY_OWN, 1000);
	pol_name(&b, "org.x.b");
	pol_acc(&b, KDBUS_POLICY_ACCESS_USER, KDBUS_POLICY_TALK, 1000);
	CHECK(hello_on_bus(bn, &h, &b) == 0);
	CHECK(ACQ(&u, "org.x.a", 0, NULL) == 0);
	CHECK(ACQ(&u, "org.x.a.b", 0, NULL) == -EPERM);
	CHECK(ACQ(&u, "org.x", 0, NULL) == -EPERM);
	CHECK(ACQ(&u, "org.x.b", 0, NULL) == -EPERM); /* exact entry wins */
	conn_close(&h);
	conn_close(&u);
	close(bus);
	return 0;
}

static int c82_policy_holder_unique(void)
{
	struct conn h1, h2, u;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(holder(bn, &h1, "org.h.a", KDBUS_POLICY_ACCESS_WORLD,
		     KDBUS_POLICY_SEE, 0) == 0);
	CHECK(holder(bn, &h2, "org.h.a", KDBUS_POLICY_ACCESS_WORLD,
		     KDBUS_POLICY_SEE, 0) == -EEXIST);
	conn_close(&h1);
	CHECK(holder(bn, &h2, "org.h.a", KDBUS_POLICY_ACCESS_WORLD,
		     KDBUS_POLICY_SEE, 0) == 0);
	conn_close(&h2);
	if (geteuid() == 0) {
		CHECK(conn_as(bn, 1000, &u) == 0);
		CHECK(holder(bn, &h1, "org.h.b", KDBUS_POLICY_ACCESS_WORLD,
			     KDBUS_POLICY_OWN, 0) == 0);
		conn_close(&h1); /* its entries vanish */
		CHECK(ACQ(&u, "org.h.b", 0, NULL) == -EPERM);
		conn_close(&u);
	}
	close(bus);
	return 0;
}

static int c83_policy_update_atomic(void)
{
	struct conn u, h;
	struct buf b;
	char bn[64];
	int bus;

	NEED_ROOT();
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(conn_as(bn, 1000, &u) == 0);
	CHECK(holder(bn, &h, "org.u.a", KDBUS_POLICY_ACCESS_USER,
		     KDBUS_POLICY_OWN, 1000) == 0);
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_name(&b, "org.u.b");
	pol_acc(&b, KDBUS_POLICY_ACCESS_USER, KDBUS_POLICY_OWN, 1000);
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == 0);
	CHECK(ACQ(&u, "org.u.a", 0, NULL) == -EPERM);
	CHECK(ACQ(&u, "org.u.b", 0, NULL) == 0);
	CHECK(REL(&u, "org.u.b") == 0);
	/* an invalid item: the old set stays */
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_name(&b, "org.u.c");
	pol_acc(&b, KDBUS_POLICY_ACCESS_USER, KDBUS_POLICY_OWN, 1000);
	pol_name(&b, "org.u.d");
	pol_acc(&b, 9, KDBUS_POLICY_OWN, 1000);
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == -EINVAL);
	CHECK(ACQ(&u, "org.u.c", 0, NULL) == -EPERM);
	CHECK(ACQ(&u, "org.u.b", 0, NULL) == 0);
	conn_close(&h);
	conn_close(&u);
	close(bus);
	return 0;
}

static int c84_policy_item_order(void)
{
	static const uint64_t bad[][2] = { { 0, 0 }, { 4, 0 }, { 1, 3 } };
	struct conn h;
	struct buf b;
	char bn[64];
	size_t i;
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
	pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
	pol_name(&b, "org.o.a");
	pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
	CHECK(hello_on_bus(bn, &h, &b) == -EINVAL);
	hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
	pol_name(&b, "org.o.a");
	pol_name(&b, "org.o.b");
	pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
	CHECK(hello_on_bus(bn, &h, &b) == -EINVAL);
	hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER); /* no NAME group */
	CHECK(hello_on_bus(bn, &h, &b) == -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
		pol_name(&b, "org.o.a");
		pol_acc(&b, bad[i][0], bad[i][1], 0);
		CHECK(hello_on_bus(bn, &h, &b) == -EINVAL);
	}
	{
		struct kdbus_policy_access pa = { 3, 0, 0 };

		/* a short POLICY_ACCESS payload */
		hello_buf(&b, KDBUS_HELLO_POLICY_HOLDER);
		pol_name(&b, "org.o.a");
		buf_item(&b, KDBUS_ITEM_POLICY_ACCESS, &pa, 16);
		CHECK(hello_on_bus(bn, &h, &b) == -EINVAL);
	}
	/* UPDATE: the same rules */
	CHECK(holder(bn, &h, "org.o.a", KDBUS_POLICY_ACCESS_WORLD,
		     KDBUS_POLICY_SEE, 0) == 0);
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == -EINVAL);
	buf_init(&b, sizeof(struct kdbus_cmd));
	pol_name(&b, "org.o.b");
	buf_done(&b);
	CHECK(call(h.fd, KDBUS_CMD_UPDATE, b.w) == -EINVAL);
	conn_close(&h);
	close(bus);
	return 0;
}

/* ---- custom endpoints (lines 86 to 92) ------------------------------------- */

/* ENDPOINT_MAKE on a fresh descriptor of @bus; the owner fd or -errno. */
static int ep_make(const char *bus, const char *name, uint64_t flags,
		   const char *grant, uint64_t access)
{
	struct buf b;
	struct kdbus_cmd *k = buf_init(&b, sizeof(*k));
	int fd = ep_open(bus), ret;

	if (fd < 0)
		return -errno;
	k->flags = flags;
	buf_str(&b, KDBUS_ITEM_MAKE_NAME, name);
	if (grant) {
		pol_name(&b, grant);
		pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, access, 0);
	}
	buf_done(&b);
	ret = call(fd, KDBUS_CMD_ENDPOINT_MAKE, b.w);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static int ep_update(int fd, const char *grant, uint64_t access)
{
	struct buf b;

	buf_init(&b, sizeof(struct kdbus_cmd));
	if (grant) {
		pol_name(&b, grant);
		pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, access, 0);
	}
	buf_done(&b);
	return call(fd, KDBUS_CMD_ENDPOINT_UPDATE, b.w);
}

static int ep_hello(const char *bus, const char *ep, struct conn *c,
		    uint64_t flags)
{
	char path[256];
	struct buf b;

	bus_node(path, sizeof(path), bus, ep);
	hello_buf(&b, KDBUS_HELLO_ACCEPT_FD | flags);
	if (flags & (KDBUS_HELLO_ACTIVATOR | KDBUS_HELLO_POLICY_HOLDER)) {
		pol_name(&b, "org.e.k");
		pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
	}
	return hello_at(path, c, &b);
}

struct ep_child {
	const char *bus;
};

static int ep_unpriv_fn(void *p)
{
	struct ep_child *a = p;
	char nm[64];
	int fd;

	if (setuid(1000))
		return -1;
	snprintf(nm, sizeof(nm), "1000-x");
	fd = ep_make(a->bus, nm, 0, NULL, 0);
	return fd == -EPERM ? 0 : -1;
}

static int c86_endpoint_make(void)
{
	char bn[64], nm[128], path[256];
	struct ep_child a;
	struct stat st;
	int bus, ep, ep2, fd;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	snprintf(nm, sizeof(nm), "%u-ep1", geteuid());
	ep = ep_make(bn, nm, KDBUS_MAKE_ACCESS_WORLD, NULL, 0);
	CHECK(ep >= 0);
	bus_node(path, sizeof(path), bn, nm);
	CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	      (st.st_mode & 0777) == 0666 && st.st_uid == geteuid());
	snprintf(nm, sizeof(nm), "%u-ep2", geteuid());
	ep2 = ep_make(bn, nm, 0, NULL, 0);
	CHECK(ep2 >= 0);
	bus_node(path, sizeof(path), bn, nm);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(ep_make(bn, nm, 0, NULL, 0) == -EEXIST);
	CHECK(ep_make(bn, "99999-x", 0, NULL, 0) == -EINVAL);
	snprintf(nm, sizeof(nm), "%u-", geteuid());
	while (strlen(nm) < 64)
		strcat(nm, "x");
	CHECK(ep_make(bn, nm, 0, NULL, 0) == -ENAMETOOLONG);
	snprintf(nm, sizeof(nm), "%u-ep3", geteuid());
	CHECK(ep_make(bn, nm, 1ull << 5, NULL, 0) == -EINVAL);
	CHECK(ep_make(bn, nm, 0, "org.w.*", KDBUS_POLICY_SEE) == -EINVAL);
	/* a second ENDPOINT_MAKE on an owner descriptor */
	{
		struct buf b;

		buf_init(&b, sizeof(struct kdbus_cmd));
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, nm);
		buf_done(&b);
		CHECK(call(ep, KDBUS_CMD_ENDPOINT_MAKE, b.w) == -EBADFD);
	}
	/* ENDPOINT_MAKE through a custom endpoint: never privileged */
	snprintf(nm, sizeof(nm), "%u-ep1", geteuid());
	bus_node(path, sizeof(path), bn, nm);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	{
		struct buf b;

		buf_init(&b, sizeof(struct kdbus_cmd));
		snprintf(nm, sizeof(nm), "%u-ep4", geteuid());
		buf_str(&b, KDBUS_ITEM_MAKE_NAME, nm);
		buf_done(&b);
		CHECK(call(fd, KDBUS_CMD_ENDPOINT_MAKE, b.w) == -EPERM);
	}
	close(fd);
	if (geteuid() == 0) {
		a.bus = bn;
		CHECK(in_child(ep_unpriv_fn, &a) == 0);
	}
	close(ep2);
	close(ep);
	close(bus);
	return 0;
}

static int c87_endpoint_empty_policy(void)
{
	char bn[64], nm[64];
	struct conn p, e;
	struct kdbus_cmd_list cl = { sizeof(cl),
				     KDBUS_LIST_UNIQUE | KDBUS_LIST_NAMES, 0, 0,
				     0 };
	const struct kdbus_info *in;
	uint64_t off;
	int bus, ep;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	CHECK(ACQ(&p, "org.e.a", 0, NULL) == 0);
	snprintf(nm, sizeof(nm), "%u-ep", geteuid());
	ep = ep_make(bn, nm, 0, NULL, 0);
	CHECK(ep >= 0);
	CHECK(ep_hello(bn, nm, &e, 0) == 0);
	CHECK(send_name(&e, "org.e.a", "x", 0) == -ESRCH);
	CHECK(send_prio(&e, &p, "x", 0) == -ENXIO);
	CHECK(ACQ(&e, "org.e.b", 0, NULL) == -EPERM);
	CHECK(conn_info(&e, p.id, NULL, 0, &in, &off) == -ENXIO);
	CHECK(conn_info(&e, 0, "org.e.a", 0, &in, &off) == -ESRCH);
	CHECK(call(e.fd, KDBUS_CMD_LIST, &cl) == 0 && cl.list_size == 0);
	/* the default endpoint still sees and reaches it */
	CHECK(send_prio(&p, &e, "y", 0) == 0);
	CHECK(recv_str(&e, "y") == 0);
	/* a call opens a window: e's reply needs no SEE or TALK */
	{
		struct msgspec s = spec_to(e.id, "c", 1);
		struct rmsg r;

		s.flags = KDBUS_MSG_EXPECT_REPLY;
		s.cookie = 87;
		s.timeout_or_reply = now_ns() + 30ull * 1000000000ull;
		CHECK(send_msg(&p, &s, NULL) == 0);
		CHECK(recv_str(&e, "c") == 0);
		s = spec_to(p.id, "r", 1);
		s.timeout_or_reply = 87;
		CHECK(send_msg(&e, &s, NULL) == 0);
		CHECK(recv_msg(&p, &r) == 0 && r.msg->cookie_reply == 87);
		CHECK(free_off(&p, r.offset) == 0);
		CHECK(send_msg(&e, &s, NULL) == -ENXIO); /* window closed */
	}
	conn_close(&e);
	close(ep);
	conn_close(&p);
	close(bus);
	return 0;
}

static int c88_endpoint_grant(void)
{
	char bn[64], nm[64];
	struct conn p, q, e;
	int bus, ep;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0 && hello(bn, &q) == 0);
	CHECK(ACQ(&p, "org.e.a", 0, NULL) == 0);
	CHECK(ACQ(&q, "org.e.q", 0, NULL) == 0);
	snprintf(nm, sizeof(nm), "%u-ep", geteuid());
	ep = ep_make(bn, nm, 0, NULL, 0);
	CHECK(ep >= 0);
	CHECK(ep_hello(bn, nm, &e, 0) == 0);
	CHECK(send_name(&e, "org.e.a", "x", 0) == -ESRCH);
	CHECK(ep_update(ep, "org.e.a", KDBUS_POLICY_TALK) == 0);
	CHECK(send_name(&e, "org.e.a", "x", 0) == 0);
	CHECK(recv_str(&p, "x") == 0);
	CHECK(send_prio(&e, &p, "y", 0) == 0);
	CHECK(list_find(&e, KDBUS_LIST_NAMES, p.id, "org.e.a", NULL) == 1);
	CHECK(list_find(&e, KDBUS_LIST_UNIQUE, q.id, NULL, NULL) == 0);
	/* SEE without TALK: same uid, still refused */
	{
		struct buf b;

		buf_init(&b, sizeof(struct kdbus_cmd));
		pol_name(&b, "org.e.a");
		pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_TALK, 0);
		pol_name(&b, "org.e.q");
		pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
		buf_done(&b);
		CHECK(call(ep, KDBUS_CMD_ENDPOINT_UPDATE, b.w) == 0);
	}
	CHECK(send_name(&e, "org.e.q", "z", 0) == -EPERM);
	CHECK(send_prio(&e, &q, "z", 0) == -EPERM);
	/* an update with no groups denies everything again */
	CHECK(ep_update(ep, NULL, 0) == 0);
	CHECK(send_name(&e, "org.e.a", "x", 0) == -ESRCH);
	conn_close(&e);
	close(ep);
	conn_close(&p);
	conn_close(&q);
	close(bus);
	return 0;
}

static int c89_endpoint_notify_see(void)
{
	char bn[64], nm[64];
	struct conn p, e;
	struct note n;
	int bus, ep;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0);
	snprintf(nm, sizeof(nm), "%u-ep", geteuid());
	ep = ep_make(bn, nm, 0, "org.e.vis", KDBUS_POLICY_SEE);
	CHECK(ep >= 0);
	CHECK(ep_hello(bn, nm, &e, 0) == 0);
	CHECK(match_name_rule(&e, 1, KDBUS_ITEM_NAME_ADD, KDBUS_MATCH_ID_ANY,
			      KDBUS_MATCH_ID_ANY, NULL) == 0);
	CHECK(ACQ(&p, "org.e.hidden", 0, NULL) == 0);
	CHECK(NOQUEUE(&e));
	CHECK(ACQ(&p, "org.e.vis", 0, NULL) == 0);
	CHECK(recv_note(&e, &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD &&
	      !strcmp(n.name, "org.e.vis"));
	CHECK(NOQUEUE(&e));
	conn_close(&e);
	close(ep);
	conn_close(&p);
	close(bus);
	return 0;
}

static int c90_endpoint_kinds(void)
{
	char bn[64], nm[64];
	struct conn e;
	int bus, ep;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	snprintf(nm, sizeof(nm), "%u-ep", geteuid());
	ep = ep_make(bn, nm, 0, NULL, 0);
	CHECK(ep >= 0);
	CHECK(ep_hello(bn, nm, &e, KDBUS_HELLO_MONITOR) == -EOPNOTSUPP);
	CHECK(ep_hello(bn, nm, &e, KDBUS_HELLO_ACTIVATOR) == -EOPNOTSUPP);
	CHECK(ep_hello(bn, nm, &e, KDBUS_HELLO_POLICY_HOLDER) == -EOPNOTSUPP);
	CHECK(ep_hello(bn, nm, &e, 0) == 0);
	conn_close(&e);
	close(ep);
	close(bus);
	return 0;
}

static int c91_endpoint_close(void)
{
	char bn[64], nm[64], path[256];
	struct conn p, p2, e;
	struct kdbus_cmd_recv rc;
	struct pollfd pf;
	struct rmsg r;
	int bus, ep;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &p) == 0 && hello(bn, &p2) == 0);
	snprintf(nm, sizeof(nm), "%u-ep", geteuid());
	ep = ep_make(bn, nm, 0, NULL, 0);
	CHECK(ep >= 0);
	CHECK(ep_hello(bn, nm, &e, 0) == 0);
	close(ep);
	bus_node(path, sizeof(path), bn, nm);
	CHECK(access(path, F_OK) != 0 && errno == ENOENT);
	pf.fd = e.fd;
	pf.events = POLLIN;
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP) &&
	      (pf.revents & POLLERR));
	CHECK(recv_flags(&e, 0, 0, &rc) == -ECONNRESET);
	CHECK(ping(&p, &p2, &r) == 0 && free_off(&p2, r.offset) == 0);
	conn_close(&e);
	conn_close(&p);
	conn_close(&p2);
	close(bus);
	return 0;
}

static int c92_endpoint_update_badfd(void)
{
	char bn[64], nm[64], path[256];
	struct conn c;
	int bus, fd, ep;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &c) == 0);
	CHECK(ep_update(c.fd, NULL, 0) == -EBADFD);
	CHECK(ep_update(bus, NULL, 0) == -EBADFD);
	fd = ep_open(bn);
	CHECK(fd >= 0);
	CHECK(ep_update(fd, NULL, 0) == -EBADFD);
	close(fd);
	snprintf(path, sizeof(path), "%s/control", base);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ep_update(fd, NULL, 0) == -EBADFD);
	close(fd);
	snprintf(nm, sizeof(nm), "%u-ep", geteuid());
	ep = ep_make(bn, nm, 0, NULL, 0);
	CHECK(ep >= 0);
	bus_node(path, sizeof(path), bn, nm);
	fd = open(path, O_RDWR | O_CLOEXEC); /* a user of the endpoint */
	CHECK(fd >= 0);
	CHECK(ep_update(fd, NULL, 0) == -EBADFD);
	close(fd);
	/* bad items on the owner */
	{
		struct buf b;

		buf_init(&b, sizeof(struct kdbus_cmd));
		pol_acc(&b, KDBUS_POLICY_ACCESS_WORLD, KDBUS_POLICY_SEE, 0);
		buf_done(&b);
		CHECK(call(ep, KDBUS_CMD_ENDPOINT_UPDATE, b.w) == -EINVAL);
	}
	CHECK(ep_update(ep, "org.e.ok", KDBUS_POLICY_SEE) == 0);
	close(ep);
	conn_close(&c);
	close(bus);
	return 0;
}

/* ---- activators (lines 93 to 98) --------------------------------------------- */

static int c93_activator_queue(void)
{
	struct conn a, c;
	struct pollfd pf;
	uint64_t nf = 0;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(hello(bn, &c) == 0);
	CHECK(list_find(&c, KDBUS_LIST_ACTIVATORS, a.id, "org.a.n", &nf) == 1 &&
	      (nf & KDBUS_NAME_ACTIVATOR));
	CHECK(list_find(&c, KDBUS_LIST_NAMES | KDBUS_LIST_UNIQUE, a.id, NULL,
			NULL) == 0);
	pf.fd = a.fd;
	pf.events = POLLIN;
	CHECK(poll(&pf, 1, 0) == 0);
	CHECK(send_name(&c, "org.a.n", "1", 0) == 0);
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN));
	CHECK(send_name(&c, "org.a.n", "2", KDBUS_MSG_NO_AUTO_START) ==
	      -EADDRNOTAVAIL);
	CHECK(send_prio(&c, &a, "3", 0) == -ENXIO);
	CHECK(recv_str(&a, "1") == 0);
	CHECK(NOQUEUE(&a));
	conn_close(&c);
	conn_close(&a);
	close(bus);
	return 0;
}

static int c94_activator_unique(void)
{
	struct conn a, a2;
	struct buf b;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(activator(bn, &a2, "org.a.n") == -EEXIST);
	/* exactly one plain name */
	hello_buf(&b, KDBUS_HELLO_ACTIVATOR);
	CHECK(hello_on_bus(bn, &a2, &b) == -EINVAL);
	hello_buf(&b, KDBUS_HELLO_ACTIVATOR);
	pol_name(&b, "org.a.x");
	pol_name(&b, "org.a.y");
	CHECK(hello_on_bus(bn, &a2, &b) == -EINVAL);
	hello_buf(&b, KDBUS_HELLO_ACTIVATOR);
	pol_name(&b, "org.a.*");
	CHECK(hello_on_bus(bn, &a2, &b) == -EINVAL);
	conn_close(&a);
	CHECK(activator(bn, &a2, "org.a.n") == 0);
	conn_close(&a2);
	close(bus);
	return 0;
}

static int c95_activator_handover(void)
{
	struct conn a, c, s;
	uint64_t rf;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(hello(bn, &c) == 0 && hello(bn, &s) == 0);
	CHECK(send_name(&c, "org.a.n", "1", 0) == 0);
	CHECK(send_name(&c, "org.a.n", "2", 0) == 0);
	CHECK(send_prio(&c, &s, "by-id", 0) == 0);
	CHECK(send_name(&c, "org.a.n", "3", 0) == 0);
	CHECK(ACQ(&s, "org.a.n", 0, &rf) == 0);
	CHECK(rf == (KDBUS_NAME_PRIMARY | KDBUS_NAME_ACQUIRED));
	CHECK(recv_str(&s, "by-id") == 0);
	CHECK(recv_str(&s, "1") == 0);
	CHECK(recv_str(&s, "2") == 0);
	CHECK(recv_str(&s, "3") == 0);
	CHECK(NOQUEUE(&s) && NOQUEUE(&a));
	conn_close(&s);
	conn_close(&c);
	conn_close(&a);
	close(bus);
	return 0;
}

struct sync_call {
	struct conn *c;
	const char *name;
	int ret;
	struct kdbus_msg_info reply;
};

static void *sync_call_thread(void *p)
{
	struct sync_call *sc = p;
	struct msgspec s = spec_to(KDBUS_DST_ID_NAME, "call", 5);

	s.dst_name = sc->name;
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 9090;
	s.timeout_or_reply = now_ns() + 20ull * 1000000000ull;
	s.send_flags = KDBUS_SEND_SYNC_REPLY;
	sc->ret = send_msg(sc->c, &s, &sc->reply);
	return NULL;
}

static int c96_activator_sync_call(void)
{
	struct conn a, c, s;
	struct sync_call sc;
	struct pollfd pf;
	struct msgspec m;
	struct rmsg r;
	pthread_t t;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(hello(bn, &c) == 0 && hello(bn, &s) == 0);
	sc.c = &c;
	sc.name = "org.a.n";
	sc.ret = 1;
	CHECK(pthread_create(&t, NULL, sync_call_thread, &sc) == 0);
	pf.fd = a.fd;
	pf.events = POLLIN;
	CHECK(poll(&pf, 1, 10000) == 1);
	CHECK(ACQ(&s, "org.a.n", 0, NULL) == 0);
	CHECK(recv_msg(&s, &r) == 0 && r.msg->cookie == 9090 &&
	      r.msg->src_id == c.id);
	CHECK(free_off(&s, r.offset) == 0);
	m = spec_to(c.id, "reply", 6);
	m.timeout_or_reply = 9090;
	CHECK(send_msg(&s, &m, NULL) == 0);
	pthread_join(t, NULL);
	CHECK(sc.ret == 0);
	r.msg = (void *)(c.pool + sc.reply.offset);
	CHECK(r.msg->cookie_reply == 9090 && r.msg->src_id == s.id);
	CHECK(free_off(&c, sc.reply.offset) == 0);
	conn_close(&s);
	conn_close(&c);
	conn_close(&a);
	close(bus);
	return 0;
}

static int c97_activator_take_back(void)
{
	struct conn a, c, s, w;
	struct note n;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(hello(bn, &c) == 0 && hello(bn, &s) == 0);
	CHECK(ACQ(&s, "org.a.n", 0, NULL) == 0);
	CHECK(hello(bn, &w) == 0);
	CHECK(match_name_rule(&w, 1, KDBUS_ITEM_NAME_CHANGE, KDBUS_MATCH_ID_ANY,
			      KDBUS_MATCH_ID_ANY, "org.a.n") == 0);
	CHECK(send_name(&c, "org.a.n", "x", 0) == 0);
	CHECK(send_name(&c, "org.a.n", "y", 0) == 0);
	CHECK(send_prio(&c, &s, "id", 0) == 0);
	CHECK(REL(&s, "org.a.n") == 0);
	CHECK(recv_note(&w, &n) == 0 && n.old_id == s.id && n.new_id == a.id &&
	      (n.new_flags & KDBUS_NAME_ACTIVATOR) &&
	      (n.new_flags & KDBUS_NAME_PRIMARY));
	CHECK(recv_str(&a, "x") == 0 && recv_str(&a, "y") == 0);
	CHECK(recv_str(&s, "id") == 0 && NOQUEUE(&s));
	/* and again on disconnect */
	CHECK(ACQ(&s, "org.a.n", 0, NULL) == 0);
	CHECK(send_name(&c, "org.a.n", "z", 0) == 0);
	conn_close(&s);
	CHECK(recv_str(&a, "z") == 0);
	conn_close(&w);
	conn_close(&c);
	conn_close(&a);
	close(bus);
	return 0;
}

static int c98_activator_fds_dropped(void)
{
	struct conn a, c, s;
	struct kdbus_cmd_recv rc;
	struct msgspec m;
	struct buf b;
	int bus, p[2];
	char bn[64];

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(activator(bn, &a, "org.a.n") == 0);
	CHECK(hello(bn, &c) == 0);
	CHECK(pipe(p) == 0);
	m = spec_to(KDBUS_DST_ID_NAME, "f", 1);
	m.dst_name = "org.a.n";
	m.fds = p;
	m.n_fds = 1;
	CHECK(send_msg(&c, &m, NULL) == 0);
	CHECK(send_name(&c, "org.a.n", "plain", 0) == 0);
	hello_buf(&b, 0); /* no ACCEPT_FD */
	CHECK(hello_on_bus(bn, &s, &b) == 0);
	CHECK(ACQ(&s, "org.a.n", 0, NULL) == 0);
	CHECK(recv_flags(&s, 0, 0, &rc) == 0 && rc.dropped_msgs == 1 &&
	      (rc.return_flags & KDBUS_RECV_RETURN_DROPPED_MSGS));
	{
		struct kdbus_msg *msg = (void *)(s.pool + rc.msg.offset);
		const struct kdbus_item *it =
			msg_item(msg, KDBUS_ITEM_PAYLOAD_OFF, 0);

		CHECK(it && !memcmp((uint8_t *)msg +
					    ((const struct kdbus_vec *)it->data)
						    ->offset,
				    "plain", 6));
	}
	CHECK(free_off(&s, rc.msg.offset) == 0);
	CHECK(NOQUEUE(&s) && NOQUEUE(&a));
	close(p[0]);
	close(p[1]);
	conn_close(&s);
	conn_close(&c);
	conn_close(&a);
	close(bus);
	return 0;
}

/* ---- monitors (lines 99 to 102) ---------------------------------------------- */

static int c99_monitor_traffic(void)
{
	struct conn a, b, m;
	struct msgspec s;
	struct rmsg r;
	struct note n;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(monitor(bn, &m, KDBUS_HELLO_ACCEPT_FD, 0, 0) == 0);
	s = spec_to(b.id, "call", 5);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 31;
	s.timeout_or_reply = now_ns() + 30ull * 1000000000ull;
	CHECK(send_msg(&a, &s, NULL) == 0);
	CHECK(recv_str(&b, "call") == 0);
	s = spec_to(a.id, "reply", 6);
	s.timeout_or_reply = 31;
	CHECK(send_msg(&b, &s, NULL) == 0);
	CHECK(recv_str(&a, "reply") == 0);
	CHECK(bcast(&a) == 0); /* nobody matches it */
	CHECK(ACQ(&a, "org.m.a", 0, NULL) == 0);
	CHECK(recv_msg(&m, &r) == 0 && r.msg->cookie == 31 &&
	      r.msg->src_id == a.id && r.msg->dst_id == b.id);
	CHECK(free_off(&m, r.offset) == 0);
	CHECK(recv_msg(&m, &r) == 0 && r.msg->cookie_reply == 31 &&
	      r.msg->src_id == b.id);
	CHECK(free_off(&m, r.offset) == 0);
	CHECK(recv_msg(&m, &r) == 0 &&
	      r.msg->dst_id == KDBUS_DST_ID_BROADCAST && r.msg->src_id == a.id);
	CHECK(free_off(&m, r.offset) == 0);
	CHECK(recv_note(&m, &n) == 0 && n.type == KDBUS_ITEM_NAME_ADD &&
	      !strcmp(n.name, "org.m.a"));
	CHECK(NOQUEUE(&m));
	/* the monitor's DROP of a call copy does not end the call */
	s = spec_to(b.id, "c2", 3);
	s.flags = KDBUS_MSG_EXPECT_REPLY;
	s.cookie = 32;
	s.timeout_or_reply = now_ns() + 30ull * 1000000000ull;
	CHECK(send_msg(&a, &s, NULL) == 0);
	{
		struct kdbus_cmd_recv rc;

		CHECK(recv_flags(&m, KDBUS_RECV_DROP, 0, &rc) == 0);
	}
	CHECK(recv_str(&b, "c2") == 0);
	s = spec_to(a.id, "r2", 3);
	s.timeout_or_reply = 32;
	CHECK(send_msg(&b, &s, NULL) == 0);
	conn_close(&m);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c100_monitor_meta_fds(void)
{
	struct conn a, b, m;
	struct msgspec s;
	struct rmsg r;
	char bn[64];
	int bus, p[2], got[2];

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello_meta(bn, &a, _KDBUS_ATTACH_ANY, 0, NULL) == 0);
	CHECK(hello_meta(bn, &b, 0, 0, NULL) == 0);
	CHECK(monitor(bn, &m, 0, KDBUS_ATTACH_PID_COMM, 0) == 0);
	CHECK(pipe(p) == 0);
	s = spec_to(b.id, "f", 1);
	s.fds = p;
	s.n_fds = 1;
	CHECK(send_msg(&a, &s, NULL) == 0);
	CHECK(recv_msg(&b, &r) == 0 &&
	      !msg_item(r.msg, KDBUS_ITEM_PID_COMM, 0));
	CHECK(msg_fds(&b, r.offset, got, 2) == 1 && got[0] >= 0);
	close(got[0]);
	CHECK(free_off(&b, r.offset) == 0);
	CHECK(recv_msg(&m, &r) == 0 && msg_item(r.msg, KDBUS_ITEM_PID_COMM, 0));
	CHECK(msg_fds(&m, r.offset, got, 2) == 1 && got[0] == -1);
	CHECK(free_off(&m, r.offset) == 0);
	close(p[0]);
	close(p[1]);
	conn_close(&m);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

static int c101_monitor_invisible(void)
{
	const struct kdbus_info *in;
	struct conn a, m;
	uint64_t off;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0);
	CHECK(monitor(bn, &m, 0, 0, 0) == 0);
	CHECK(list_find(&a,
			KDBUS_LIST_UNIQUE | KDBUS_LIST_NAMES |
				KDBUS_LIST_ACTIVATORS | KDBUS_LIST_QUEUED,
			m.id, NULL, NULL) == 0);
	CHECK(list_find(&a, KDBUS_LIST_UNIQUE, a.id, NULL, NULL) == 1);
	CHECK(conn_info(&a, m.id, NULL, 0, &in, &off) == -ENXIO);
	CHECK(send_prio(&a, &m, "x", 0) == -ENXIO);
	conn_close(&m);
	conn_close(&a);
	close(bus);
	return 0;
}

static int c102_monitor_drops(void)
{
	struct conn a, b, m;
	struct kdbus_cmd_recv rc;
	char big[1024];
	char bn[64];
	int bus, i;

	memset(big, 'm', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &a) == 0 && hello(bn, &b) == 0);
	CHECK(monitor(bn, &m, 0, 0, 4096) == 0);
	for (i = 0; i < 10; i++) {
		struct msgspec s = spec_to(b.id, big, sizeof(big));

		CHECK(send_msg(&a, &s, NULL) == 0);
	}
	CHECK(recv_flags(&m, 0, 0, &rc) == 0 && rc.dropped_msgs >= 1 &&
	      (rc.return_flags & KDBUS_RECV_RETURN_DROPPED_MSGS));
	CHECK(free_off(&m, rc.msg.offset) == 0);
	for (i = 0; i < 10; i++)
		CHECK(recv_str(&b, big) == 0);
	conn_close(&m);
	conn_close(&a);
	conn_close(&b);
	close(bus);
	return 0;
}

/* ---- namespaces (line 22) ------------------------------------------------ */

struct ns_hello {
	int fd;
	int user; /* 1: a new user namespace without a mapping; 0: pid ns */
};

static int ns_hello_raw(int fd)
{
	struct kdbus_cmd_hello h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = KDBUS_HELLO_ACCEPT_FD;
	h.attach_flags_recv = KDBUS_ATTACH_CREDS | KDBUS_ATTACH_PIDS;
	h.pool_size = POOL_SIZE;
	return ioctl(fd, KDBUS_CMD_HELLO, &h) < 0 ? -1 : 0;
}

static int ns_hello_fn(void *p)
{
	struct ns_hello *a = p;
	pid_t pid;
	int st;

	if (a->user)
		return unshare(CLONE_NEWUSER) ? -1 : ns_hello_raw(a->fd);
	if (unshare(CLONE_NEWPID))
		return -1;
	pid = fork(); /* the first process of the new pid namespace */
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(ns_hello_raw(a->fd) ? 1 : 0);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A receiver whose HELLO ran in a new namespace; used from here. */
static int ns_conn(const char *bus, int user, struct conn *c)
{
	struct ns_hello a = { ep_open(bus), user };
	struct kdbus_cmd_list cl = { sizeof(cl), KDBUS_LIST_UNIQUE, 0, 0, 0 };
	const uint8_t *p, *end;
	const struct kdbus_info *in = NULL;

	memset(c, 0, sizeof(*c));
	c->fd = a.fd;
	if (a.fd < 0 || in_child(ns_hello_fn, &a))
		return -1;
	c->pool_size = POOL_SIZE;
	c->pool = mmap(NULL, POOL_SIZE, PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->pool == MAP_FAILED)
		return -1;
	if (call(c->fd, KDBUS_CMD_LIST, &cl) || !cl.list_size)
		return -1;
	for (p = c->pool + cl.offset, end = p + cl.list_size; p < end;
	     p += ALIGN8(in->size))
		in = (const void *)p;
	c->id = in->id;
	free_off(c, cl.offset);
	return 0;
}

static int c22_ns_receivers(void)
{
	const struct kdbus_item *it;
	struct conn s, rp, ru;
	struct rmsg r;
	char bn[64];
	int bus;

	CHECK(bus_make(bn, sizeof(bn), &bus) == 0);
	CHECK(hello(bn, &s) == 0);
	if (ns_conn(bn, 0, &rp) || ns_conn(bn, 1, &ru)) {
		conn_close(&s);
		close(bus);
		return envskip("unshare(CLONE_NEWPID/CLONE_NEWUSER) refused");
	}
	CHECK(ping(&s, &rp, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_PIDS, 0);
	CHECK(it && ((const struct kdbus_pids *)it->data)->pid == 0 &&
	      ((const struct kdbus_pids *)it->data)->tid == 0);
	CHECK(free_off(&rp, r.offset) == 0);
	CHECK(ping(&s, &ru, &r) == 0);
	it = msg_item(r.msg, KDBUS_ITEM_CREDS, 0);
	CHECK(it && ((const struct kdbus_creds *)it->data)->uid == 65534 &&
	      ((const struct kdbus_creds *)it->data)->euid == 65534);
	/* the pid namespace is the sender's: the pid is visible there */
	it = msg_item(r.msg, KDBUS_ITEM_PIDS, 0);
	CHECK(it &&
	      ((const struct kdbus_pids *)it->data)->pid == (uint64_t)getpid());
	CHECK(free_off(&ru, r.offset) == 0);
	conn_close(&rp);
	conn_close(&ru);
	conn_close(&s);
	close(bus);
	return 0;
}
