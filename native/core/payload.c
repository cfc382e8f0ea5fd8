// SPDX-License-Identifier: MIT
#include "payload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Four independent multiply-xor lanes over 64-bit words: fast enough that
 * verifying a 1 MiB body costs a fraction of copying it, and position
 * dependent (lanes differ and the tail is mixed with the length), so a
 * swapped or flipped word changes the result.
 */
#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full

static inline uint64_t mix(uint64_t acc, uint64_t w)
{
	acc ^= w;
	acc *= P1;
	return acc ^ (acc >> 29);
}

uint64_t payload_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t a = 1, b = 2, c = 3, d = 4, w[4], tail = 0;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		memcpy(w, p + i, 32);
		a = mix(a, w[0]);
		b = mix(b, w[1]);
		c = mix(c, w[2]);
		d = mix(d, w[3]);
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(w, p + i, 8);
		a = mix(a, w[0]);
	}
	if (i < len)
		memcpy(&tail, p + i, len - i);
	a = mix(a, tail ^ ((uint64_t)len * P2));
	return mix(mix(mix(a, b), c), d);
}

uint32_t payload_fold(uint64_t body_hash, uint64_t seq)
{
	uint64_t h = body_hash ^ (seq * P2);

	return (uint32_t)(h ^ (h >> 32));
}

int payload_init(struct payload *pl, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	if (len < MSG_HDR_SIZE || len > UINT32_MAX)
		return -EINVAL;
	pl->buf = aligned_alloc(64, (len + 63) & ~(size_t)63);
	if (!pl->buf)
		return -ENOMEM;
	pl->len = len;
	for (i = MSG_HDR_SIZE; i < len; i++) {
		/* xorshift64: cheap incompressible filler */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pl->buf[i] = (uint8_t)x;
	}
	pl->body_hash =
		payload_hash(pl->buf + MSG_HDR_SIZE, len - MSG_HDR_SIZE);
	memset(pl->buf, 0, MSG_HDR_SIZE);
	return 0;
}

void payload_deinit(struct payload *pl)
{
	free(pl->buf);
	pl->buf = NULL;
}

void payload_stamp(struct payload *pl, uint64_t seq, uint32_t flags,
		   uint64_t sent_ns)
{
	struct msg_hdr h = {
		.magic = MSG_MAGIC,
		.flags = flags,
		.seq = seq,
		.sent_ns = sent_ns,
		.len = (uint32_t)pl->len,
		.check = payload_fold(pl->body_hash, seq),
	};

	memcpy(pl->buf, &h, sizeof(h));
}

enum payload_verdict payload_verify(const void *data, size_t len,
				    uint64_t expect_seq)
{
	struct msg_hdr h;
	uint64_t body;

	if (len < MSG_HDR_SIZE)
		return PAYLOAD_SHORT;
	memcpy(&h, data, sizeof(h));
	if (h.magic != MSG_MAGIC)
		return PAYLOAD_MAGIC;
	if (h.len != len)
		return PAYLOAD_SHORT;
	if (h.seq != expect_seq)
		return PAYLOAD_SEQ;
	body = payload_hash((const uint8_t *)data + MSG_HDR_SIZE,
			    len - MSG_HDR_SIZE);
	if (payload_fold(body, h.seq) != h.check)
		return PAYLOAD_CHECKSUM;
	return PAYLOAD_OK;
}

const char *payload_verdict_str(enum payload_verdict v)
{
	switch (v) {
	case PAYLOAD_OK:
		return "ok";
	case PAYLOAD_SHORT:
		return "message truncated";
	case PAYLOAD_MAGIC:
		return "not an ipcbench message (bad magic)";
	case PAYLOAD_SEQ:
		return "sequence number mismatch (message lost, duplicated or reordered)";
	case PAYLOAD_CHECKSUM:
		return "payload checksum mismatch (message corrupted)";
	}
	return "unknown";
}
