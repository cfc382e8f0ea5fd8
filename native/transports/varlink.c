// SPDX-License-Identifier: MIT
/*
 * varlink: the Varlink protocol (https://varlink.org), implemented here from
 * its public specification: every message is one JSON object followed by a
 * NUL byte on an AF_UNIX stream connection.  No Varlink library is used.
 *
 * Interface (in Varlink's IDL):
 *
 *   interface org.ipcbench.Echo
 *   method Echo(data: string) -> (data: string)
 *
 *   interface org.ipcbench.Broadcast
 *   method Subscribe(filter: string) -> (data: string)
 *
 * `data` is the whole ipcbench message (32-byte header included), base64
 * (RFC 4648, padded), since JSON has no byte strings.
 *
 * RPC, one connected socketpair per channel:
 *   -> {"method":"org.ipcbench.Echo.Echo","parameters":{"data":"..."}}\0
 *   <- {"parameters":{"data":"..."}}\0
 * A call of another method is answered with the standard
 * org.varlink.service.MethodNotFound error and the server waits for the next
 * call; a call without a valid `data` gets org.varlink.service.
 * InvalidParameter; text that is not a JSON object ends the connection
 * (-EBADMSG), as there is no way to find the next message boundary one can
 * trust.
 *
 * Broadcast, one socketpair per subscriber: the subscriber (the Varlink
 * client) calls Subscribe with "more":true and filter "data" (interested)
 * or "control" (not); the publisher (the service) answers with one reply
 * per broadcast carrying "continues":true, and the final BYE without it,
 * which ends the call.  The service filters by what each subscriber asked
 * for: HELLO/BYE go to every subscriber, data only to "data" subscribers
 * (the publish() mask is not consulted, as on a D-Bus bus).
 *
 * Waits poll in slices of VL_SLICE_MS so that *tp_params.abort is
 * honoured; a peer that closed its end is -EPIPE.
 */
#define _GNU_SOURCE
#include "../core/base64.h"
#include "../core/payload.h"
#include "../core/transport.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VL_SLICE_MS 200
#define VL_MAX_DEPTH 32
#define VL_OVERHEAD 256 /* JSON around the base64 payload */
#define VL_ECHO "org.ipcbench.Echo.Echo"
#define VL_SUBSCRIBE "org.ipcbench.Broadcast.Subscribe"

/* ---- JSON: a validating reader for one top-level object ---- */

/* A span of the input: the raw contents of a JSON string (escapes kept). */
struct vl_span {
	const char *p;
	size_t len;
	int escaped;
	int present;
};

struct vl_message {
	struct vl_span method, error, data, filter;
	int has_parameters;
	int more, oneway, continues;
};

struct vl_reader {
	const char *p, *end;
	const char *why;
};

static void vl_ws(struct vl_reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
				 *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int vl_bad(struct vl_reader *r, const char *why)
{
	if (!r->why)
		r->why = why;
	return -EBADMSG;
}

static int vl_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int vl_string(struct vl_reader *r, struct vl_span *out)
{
	const char *start;
	int escaped = 0;

	if (r->p >= r->end || *r->p != '"')
		return vl_bad(r, "expected a string");
	start = ++r->p;
	while (r->p < r->end) {
		unsigned char ch = (unsigned char)*r->p;

		if (ch == '"') {
			if (out) {
				out->p = start;
				out->len = (size_t)(r->p - start);
				out->escaped = escaped;
				out->present = 1;
			}
			r->p++;
			return 0;
		}
		if (ch < 0x20)
			return vl_bad(r, "control character in a string");
		if (ch == '\\') {
			escaped = 1;
			if (++r->p >= r->end)
				break;
			if (*r->p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (r->p + i >= r->end ||
					    vl_hex(r->p[i]) < 0)
						return vl_bad(r,
							      "bad \\u escape");
				r->p += 4;
			} else if (!strchr("\"\\/bfnrt", *r->p)) {
				return vl_bad(r, "bad escape in a string");
			}
		}
		r->p++;
	}
	return vl_bad(r, "unterminated string");
}

static int vl_number(struct vl_reader *r)
{
	const char *s = r->p;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return vl_bad(r, "bad number");
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return vl_bad(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return vl_bad(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	return r->p > s ? 0 : vl_bad(r, "bad number");
}

static int vl_literal(struct vl_reader *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n))
		return vl_bad(r, "bad literal");
	r->p += n;
	return 0;
}

static int vl_value(struct vl_reader *r, int depth, int *boolean);

/* Just after '{' or '[': 1 when the container is empty (its closer consumed), 0 when an element follows. */
static int vl_empty(struct vl_reader *r, char close)
{
	vl_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 1;
	}
	return 0;
}

/* Just after an element: 1 when another follows (',' consumed), 0 at the closer (consumed), < 0 otherwise. */
static int vl_next(struct vl_reader *r, char close)
{
	vl_ws(r);
	if (r->p < r->end && (*r->p == ',' || *r->p == close))
		return *r->p++ == ',';
	return vl_bad(r, close == '}' ? "expected ',' or '}'"
				      : "expected ',' or ']'");
}

/* An object; for each member calls member(ctx, key) which either consumes
 * the value itself (returns 1) or lets it be skipped (returns 0). */
static int vl_object(struct vl_reader *r, int depth,
		     int (*member)(struct vl_reader *, void *,
				   const struct vl_span *, int),
		     void *ctx)
{
	if (depth > VL_MAX_DEPTH)
		return vl_bad(r, "nested too deeply");
	if (r->p >= r->end || *r->p != '{')
		return vl_bad(r, "expected an object");
	r->p++;
	if (vl_empty(r, '}'))
		return 0;
	for (;;) {
		struct vl_span key = { 0 };
		int rc;

		vl_ws(r);
		rc = vl_string(r, &key);
		if (rc)
			return rc;
		vl_ws(r);
		if (r->p >= r->end || *r->p != ':')
			return vl_bad(r, "expected ':'");
		r->p++;
		vl_ws(r);
		rc = member ? member(r, ctx, &key, depth) : 0;
		if (rc < 0)
			return rc;
		if (rc == 0) {
			rc = vl_value(r, depth + 1, NULL);
			if (rc)
				return rc;
		}
		rc = vl_next(r, '}');
		if (rc <= 0)
			return rc;
	}
}

/* *boolean (when asked) receives 1/0 for true/false, -1 for anything else */
static int vl_value(struct vl_reader *r, int depth, int *boolean)
{
	int rc;

	if (boolean)
		*boolean = -1;
	if (depth > VL_MAX_DEPTH)
		return vl_bad(r, "nested too deeply");
	if (r->p >= r->end)
		return vl_bad(r, "truncated");
	switch (*r->p) {
	case '{':
		return vl_object(r, depth, NULL, NULL);
	case '[':
		r->p++;
		if (vl_empty(r, ']'))
			return 0;
		do {
			vl_ws(r);
			rc = vl_value(r, depth + 1, NULL);
			if (rc)
				return rc;
			rc = vl_next(r, ']');
		} while (rc > 0);
		return rc;
	case '"':
		return vl_string(r, NULL);
	case 't':
		rc = vl_literal(r, "true");
		if (!rc && boolean)
			*boolean = 1;
		return rc;
	case 'f':
		rc = vl_literal(r, "false");
		if (!rc && boolean)
			*boolean = 0;
		return rc;
	case 'n':
		return vl_literal(r, "null");
	default:
		return vl_number(r);
	}
}

static int vl_key_is(const struct vl_span *k, const char *s)
{
	return !k->escaped && k->len == strlen(s) && !memcmp(k->p, s, k->len);
}

static int vl_span_is(const struct vl_span *s, const char *str)
{
	return s->present && vl_key_is(s, str);
}

static int vl_param_member(struct vl_reader *r, void *ctx,
			   const struct vl_span *key, int depth)
{
	struct vl_message *m = ctx;
	struct vl_span *dst = vl_key_is(key, "data")	 ? &m->data
			      : vl_key_is(key, "filter") ? &m->filter
							 : NULL;

	(void)depth;
	if (!dst)
		return 0;
	if (r->p < r->end && *r->p != '"')
		return vl_bad(r, "parameters.data/filter must be a string");
	return vl_string(r, dst) ?: 1;
}

static int vl_top_member(struct vl_reader *r, void *ctx,
			 const struct vl_span *key, int depth)
{
	struct vl_message *m = ctx;
	int *flag = NULL, b, rc;

	if (vl_key_is(key, "method") || vl_key_is(key, "error")) {
		struct vl_span *dst = key->p[0] == 'm' ? &m->method : &m->error;

		if (r->p < r->end && *r->p != '"')
			return vl_bad(r, "method/error must be a string");
		return vl_string(r, dst) ?: 1;
	}
	if (vl_key_is(key, "parameters")) {
		if (r->p < r->end && *r->p == 'n') /* null: no parameters */
			return vl_literal(r, "null") ?: 1;
		m->has_parameters = 1;
		return vl_object(r, depth + 1, vl_param_member, m) ?: 1;
	}
	if (vl_key_is(key, "more"))
		flag = &m->more;
	else if (vl_key_is(key, "oneway"))
		flag = &m->oneway;
	else if (vl_key_is(key, "continues"))
		flag = &m->continues;
	if (!flag)
		return 0;
	rc = vl_value(r, depth + 1, &b);
	if (rc)
		return rc;
	if (b < 0)
		return vl_bad(r, "more/oneway/continues must be a boolean");
	*flag = b;
	return 1;
}

static int vl_parse(const char *text, size_t len, struct vl_message *m,
		    const char **why)
{
	struct vl_reader r = { text, text + len, NULL };
	int rc;

	memset(m, 0, sizeof(*m));
	vl_ws(&r);
	rc = vl_object(&r, 0, vl_top_member, m);
	if (!rc) {
		vl_ws(&r);
		if (r.p != r.end)
			rc = vl_bad(&r, "text after the object");
	}
	if (rc && why)
		*why = r.why ? r.why : "malformed";
	return rc;
}

/* ---- base64 (RFC 4648, padded), straight from the JSON string ---- */

/* 0..63 for the alphabet, 64 for '=', 0xff for anything else */
static uint8_t b64_table[256];

static void b64_table_init(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i;

	if (b64_table['A'] == 0 && b64_table['B'] == 1)
		return;
	memset(b64_table, 0xff, sizeof(b64_table));
	for (i = 0; i < 64; i++)
		b64_table[(unsigned char)alphabet[i]] = (uint8_t)i;
	b64_table['='] = 64;
}

static int b64_value(unsigned char c)
{
	return b64_table[c] < 64 ? b64_table[c] : -1;
}

/* Next character of the string, resolving the escapes a JSON writer may use
 * for the base64 alphabet ("\/", "\u002b"); -1 at the end, -2 if invalid. */
static int span_next(const struct vl_span *s, size_t *i)
{
	unsigned char c;

	if (*i >= s->len)
		return -1;
	c = (unsigned char)s->p[(*i)++];
	if (c != '\\')
		return c;
	if (*i >= s->len)
		return -2;
	c = (unsigned char)s->p[(*i)++];
	if (c == '/' || c == '\\' || c == '"')
		return c;
	if (c == 'u' && *i + 4 <= s->len) {
		int v = 0, k;

		for (k = 0; k < 4; k++)
			v = v * 16 +
			    vl_hex(s->p[*i + k]); /* validated by the reader */
		*i += 4;
		return v < 0x80 ? v : -2;
	}
	return -2;
}

static long vl_base64_decode(const struct vl_span *s, uint8_t *out, size_t cap)
{
	size_t i = 0, n = 0;
	int quad[4], k = 0, pad = 0;

	b64_table_init();
	if (!s->escaped) {
		/* fast path: plain characters */
		const unsigned char *p = (const unsigned char *)s->p;
		size_t len = s->len, j;

		if (len % 4)
			return -EBADMSG;
		if (len &&
		    (len / 4) * 3 - (p[len - 1] == '=') - (p[len - 2] == '=') >
			    cap)
			return -EMSGSIZE;
		/* all full quads but the last: no padding allowed there */
		for (j = 0; j + 4 < len; j += 4) {
			uint32_t a = b64_table[p[j]], b = b64_table[p[j + 1]];
			uint32_t c = b64_table[p[j + 2]],
				 d = b64_table[p[j + 3]];

			if ((a | b | c | d) & 0xc0)
				return -EBADMSG;
			out[n++] = (uint8_t)(a << 2 | b >> 4);
			out[n++] = (uint8_t)((b & 15) << 4 | c >> 2);
			out[n++] = (uint8_t)((c & 3) << 6 | d);
		}
		if (len) {
			int a = b64_value(p[j]), b = b64_value(p[j + 1]);
			int c = p[j + 2] == '=' ? -3 : b64_value(p[j + 2]);
			int d = p[j + 3] == '=' ? -3 : b64_value(p[j + 3]);

			if (a < 0 || b < 0 || c == -1 || d == -1 ||
			    (c == -3 && d != -3))
				return -EBADMSG;
			out[n++] = (uint8_t)(a << 2 | b >> 4);
			if (c >= 0)
				out[n++] = (uint8_t)((b & 15) << 4 | c >> 2);
			if (d >= 0)
				out[n++] = (uint8_t)((c & 3) << 6 | d);
		}
		return (long)n;
	}
	for (;;) {
		int ch = span_next(s, &i);

		if (ch == -2)
			return -EBADMSG;
		if (ch == -1)
			break;
		if (pad && ch != '=')
			return -EBADMSG;
		if (ch == '=') {
			if (k < 2)
				return -EBADMSG;
			pad++;
			quad[k++] = 0;
		} else {
			quad[k] = b64_value((unsigned char)ch);
			if (quad[k++] < 0)
				return -EBADMSG;
		}
		if (k == 4) {
			int bytes = 3 - pad;

			if (n + (size_t)bytes > cap)
				return -EMSGSIZE;
			out[n++] = (uint8_t)(quad[0] << 2 | quad[1] >> 4);
			if (bytes > 1)
				out[n++] = (uint8_t)((quad[1] & 15) << 4 |
						     quad[2] >> 2);
			if (bytes > 2)
				out[n++] =
					(uint8_t)((quad[2] & 3) << 6 | quad[3]);
			k = 0;
			if (pad)
				pad = 4; /* nothing may follow */
		}
	}
	return k ? -EBADMSG : (long)n;
}

/* ---- the transport ---- */

struct vl_chan {
	int fd;
	int wants_data; /* publisher: the subscription's filter */
};

struct tp_conn {
	enum tp_role role;
	struct tp_params params;
	struct vl_chan *chans;
	unsigned n;
	char *in; /* received text */
	size_t in_cap, in_have, in_used;
	uint8_t *msg; /* decoded payload of the last message */
	size_t msg_cap;
	char *out; /* message being written */
	size_t out_cap;
	int ended; /* subscriber: the call's final reply came */
};

static void vl_close(struct tp_conn *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		if (c->chans[i].fd >= 0)
			close(c->chans[i].fd);
	free(c->chans);
	free(c->in);
	free(c->msg);
	free(c->out);
	free(c);
}

static int vl_alloc(const struct tp_params *p, enum tp_role role, unsigned n,
		    struct tp_conn **out)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	size_t text = (p->max_msg + 2) / 3 * 4 + VL_OVERHEAD;
	unsigned i;

	if (!c)
		return -ENOMEM;
	c->role = role;
	c->params = *p;
	c->n = n;
	c->chans = calloc(n, sizeof(*c->chans));
	c->in_cap = text;
	c->in = malloc(c->in_cap);
	c->msg_cap = p->max_msg;
	c->msg = malloc(c->msg_cap);
	c->out_cap = text;
	c->out = malloc(c->out_cap);
	if (!c->chans || !c->in || !c->msg || !c->out) {
		vl_close(c);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		c->chans[i].fd = -1;
	*out = c;
	return 0;
}

static int vl_poll(struct tp_conn *c, int fd, short events)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int n = poll(&pfd, 1, VL_SLICE_MS);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return 0; /* ready, or an error the next call reports */
		if (c->params.abort && *c->params.abort)
			return -ECANCELED;
	}
}

static int vl_write(struct tp_conn *c, int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			int rc;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno == ECONNRESET ? -EPIPE : -errno;
			rc = vl_poll(c, fd, POLLOUT);
			if (rc)
				return rc;
			continue;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read up to the next NUL; text and len get the message without it. */
static int vl_read(struct tp_conn *c, int fd, const char **text, size_t *len)
{
	size_t scanned;

	if (c->in_used) {
		memmove(c->in, c->in + c->in_used, c->in_have - c->in_used);
		c->in_have -= c->in_used;
		c->in_used = 0;
	}
	scanned = 0;
	for (;;) {
		char *nul = c->in_have > scanned ? memchr(c->in + scanned, 0,
							  c->in_have - scanned)
						 : NULL;
		ssize_t r;

		if (nul) {
			*text = c->in;
			*len = (size_t)(nul - c->in);
			c->in_used = *len + 1;
			return 0;
		}
		scanned = c->in_have;
		if (c->in_have == c->in_cap)
			return -EMSGSIZE; /* no NUL within the largest message */
		r = recv(fd, c->in + c->in_have, c->in_cap - c->in_have,
			 MSG_DONTWAIT);
		if (r < 0) {
			int rc;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno == ECONNRESET ? -EPIPE : -errno;
			rc = vl_poll(c, fd, POLLIN);
			if (rc)
				return rc;
			continue;
		}
		if (r == 0)
			return -EPIPE;
		c->in_have += (size_t)r;
	}
}

/* Write "<prefix><base64 of data><suffix>\0" to fd. */
static int vl_send_data(struct tp_conn *c, int fd, const char *prefix,
			const void *data, size_t len, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	size_t need = pl + (len + 2) / 3 * 4 + 1 + sl + 1, n;

	if (need > c->out_cap)
		return -EMSGSIZE;
	memcpy(c->out, prefix, pl);
	n = pl + base64_encode(data, len, c->out + pl);
	memcpy(c->out + n, suffix, sl + 1); /* with the NUL terminator */
	return vl_write(c, fd, c->out, n + sl + 1);
}

static int vl_send_text(struct tp_conn *c, int fd, const char *text)
{
	return vl_write(c, fd, text, strlen(text) + 1);
}

static int vl_take_data(struct tp_conn *c, const struct vl_message *m,
			struct tp_msg *msg)
{
	long n;

	if (!m->data.present)
		return -EBADMSG;
	n = vl_base64_decode(&m->data, c->msg, c->msg_cap);
	if (n < 0)
		return (int)n;
	msg->data = c->msg;
	msg->len = (size_t)n;
	return 0;
}

/* A reply (client or subscriber side): an error reply is -EREMOTEIO. */
static int vl_read_reply(struct tp_conn *c, struct vl_message *m)
{
	const char *text, *why;
	size_t len;
	int rc = vl_read(c, c->chans[0].fd, &text, &len);

	if (rc)
		return rc;
	rc = vl_parse(text, len, m, &why);
	if (rc)
		return rc;
	if (m->error.present)
		return -EREMOTEIO;
	return 0;
}

static int vl_prepare(const struct tp_params *p, struct tp_conn **out,
		      struct tp_peer_fds *peers, char *err)
{
	unsigned n = p->subscribers ? p->subscribers : 1, i;
	struct tp_conn *c;
	int rc, sp[2];

	rc = vl_alloc(p, p->subscribers ? TP_ROLE_PUBLISHER : TP_ROLE_CLIENT, n,
		      &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
			rc = tp_fail(err, -errno, "socketpair: %s",
				     strerror(errno));
			while (i--) {
				close(peers[i].fds[0]);
				peers[i].n = 0;
			}
			vl_close(c);
			return rc;
		}
		c->chans[i].fd = sp[0];
		peers[i].fds[0] = sp[1];
		peers[i].n = 1;
	}
	*out = c;
	return 0;
}

/* Publisher: take every subscriber's Subscribe call. */
static int vl_connect(struct tp_conn *c, char *err)
{
	unsigned i;

	if (c->role != TP_ROLE_PUBLISHER)
		return 0;
	for (i = 0; i < c->n; i++) {
		struct vl_message m;
		const char *text, *why = "";
		size_t len;
		int rc = vl_read(c, c->chans[i].fd, &text, &len);

		if (rc)
			return tp_fail(
				err, rc,
				"subscriber %u: reading its Subscribe call: %s",
				i, strerror(-rc));
		rc = vl_parse(text, len, &m, &why);
		if (rc)
			return tp_fail(err, rc,
				       "subscriber %u: malformed call: %s", i,
				       why);
		if (!vl_span_is(&m.method, VL_SUBSCRIBE) || !m.more ||
		    !(vl_span_is(&m.filter, "data") ||
		      vl_span_is(&m.filter, "control")))
			return tp_fail(
				err, -EPROTO,
				"subscriber %u: expected %s with more and a filter",
				i, VL_SUBSCRIBE);
		c->chans[i].wants_data = vl_span_is(&m.filter, "data");
	}
	return 0;
}

static int vl_attach(const struct tp_params *p, enum tp_role role,
		     const int *fds, int n_fds, struct tp_conn **out, char *err)
{
	struct tp_conn *c;
	int rc;

	if (n_fds != 1)
		return tp_fail(err, -EINVAL, "expected 1 inherited fd, got %d",
			       n_fds);
	rc = vl_alloc(p, role, 1, &c);
	if (rc)
		return tp_fail(err, rc, "out of memory");
	c->chans[0].fd = fds[0];
	if (role == TP_ROLE_SUBSCRIBER) {
		rc = vl_send_text(
			c, fds[0],
			p->interested
				? "{\"method\":\"" VL_SUBSCRIBE
				  "\",\"parameters\":{\"filter\":\"data\"},\"more\":true}"
				: "{\"method\":\"" VL_SUBSCRIBE
				  "\",\"parameters\":{\"filter\":\"control\"},\"more\":true}");
		if (rc) {
			vl_close(c);
			return tp_fail(err, rc,
				       "sending the Subscribe call: %s",
				       strerror(-rc));
		}
	}
	*out = c;
	return 0;
}

static int vl_call(struct tp_conn *c, const void *req, size_t len,
		   struct tp_msg *reply)
{
	struct vl_message m;
	int rc;

	rc = vl_send_data(c, c->chans[0].fd,
			  "{\"method\":\"" VL_ECHO
			  "\",\"parameters\":{\"data\":\"",
			  req, len, "\"}}");
	if (rc)
		return rc;
	rc = vl_read_reply(c, &m);
	if (rc)
		return rc;
	if (m.continues)
		return -EPROTO; /* we never asked for more */
	return vl_take_data(c, &m, reply);
}

/* Server: the next Echo call; other calls get the standard errors. */
static int vl_recv_call(struct tp_conn *c, struct tp_msg *msg)
{
	int fd = c->chans[0].fd;

	for (;;) {
		struct vl_message m;
		const char *text, *why;
		size_t len;
		int rc = vl_read(c, fd, &text, &len);

		if (rc)
			return rc;
		rc = vl_parse(text, len, &m, &why);
		if (rc) {
			fprintf(stderr,
				"ipcbench-peer: varlink: malformed message (%s)\n",
				why);
			return rc;
		}
		if (!m.method.present)
			return -EBADMSG; /* a reply where a call must be */
		if (!vl_span_is(&m.method, VL_ECHO)) {
			rc = vl_send_text(
				c, fd,
				"{\"error\":\"org.varlink.service.MethodNotFound\","
				"\"parameters\":{\"method\":\"(not ours)\"}}");
			if (rc)
				return rc;
			continue;
		}
		rc = vl_take_data(c, &m, msg);
		if (rc == -EBADMSG || rc == -EMSGSIZE) {
			rc = vl_send_text(
				c, fd,
				"{\"error\":\"org.varlink.service.InvalidParameter\","
				"\"parameters\":{\"parameter\":\"data\"}}");
			if (rc)
				return rc;
			continue;
		}
		if (rc)
			return rc;
		if (m.oneway)
			continue; /* no reply allowed; not used by the driver */
		return 0;
	}
}

static int vl_recv(struct tp_conn *c, struct tp_msg *msg)
{
	struct vl_message m;
	int rc;

	if (c->role == TP_ROLE_SERVER)
		return vl_recv_call(c, msg);
	if (c->ended)
		return -EPIPE; /* the call is over: nothing more will come */
	rc = vl_read_reply(c, &m);
	if (rc)
		return rc;
	if (!m.continues)
		c->ended = 1;
	return vl_take_data(c, &m, msg);
}

static int vl_reply(struct tp_conn *c, const void *data, size_t len)
{
	return vl_send_data(c, c->chans[0].fd, "{\"parameters\":{\"data\":\"",
			    data, len, "\"}}");
}

static int vl_publish(struct tp_conn *c, const void *data, size_t len,
		      const uint8_t *interested)
{
	struct msg_hdr h;
	const char *suffix;
	size_t n = 0;
	unsigned i;
	int control;

	(void)interested; /* the subscriptions' filters decide */
	if (len < MSG_HDR_SIZE)
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	control = !!(h.flags & (MSG_HELLO | MSG_BYE));
	/* the final reply (BYE) ends each Subscribe call */
	suffix = (h.flags & MSG_BYE) ? "\"}}" : "\"},\"continues\":true}";
	for (i = 0; i < c->n; i++) {
		int rc;

		if (!control && !c->chans[i].wants_data)
			continue;
		if (!n) {
			/* encode once, write to each subscriber */
			static const char prefix[] =
				"{\"parameters\":{\"data\":\"";
			size_t sl = strlen(suffix);

			if (sizeof(prefix) - 1 + (len + 2) / 3 * 4 + sl + 1 >
			    c->out_cap)
				return -EMSGSIZE;
			memcpy(c->out, prefix, sizeof(prefix) - 1);
			n = sizeof(prefix) - 1 +
			    base64_encode(data, len,
					  c->out + sizeof(prefix) - 1);
			memcpy(c->out + n, suffix, sl + 1);
			n += sl + 1;
		}
		rc = vl_write(c, c->chans[i].fd, c->out, n);
		if (rc)
			return rc;
	}
	return 0;
}

const struct transport_ops varlink_ops = {
	.name = "varlink",
	.prepare = vl_prepare,
	.connect = vl_connect,
	.attach = vl_attach,
	.call = vl_call,
	.recv = vl_recv,
	.reply = vl_reply,
	.publish = vl_publish,
	.close = vl_close,
};

TRANSPORT_REGISTER(varlink_ops);
