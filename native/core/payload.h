/* SPDX-License-Identifier: MIT */
/*
 * Message framing and integrity: every message starts with a 32-byte header
 * carrying a sequence number, the send time and a checksum over the body, so
 * that a lost, duplicated, reordered or corrupted message fails the case.
 */
#ifndef IPCBENCH_PAYLOAD_H
#define IPCBENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define MSG_MAGIC 0x42435049u /* "IPCB" little-endian */
#define MSG_PROTOCOL 1u	      /* bumped when the header or handshake changes */

enum msg_flags {
	MSG_DATA = 0,
	MSG_HELLO = 1u << 0, /* handshake: body carries the protocol version */
	MSG_BYE = 1u << 1,   /* last message: the peer reports and exits */
	MSG_MARK =
		1u
		<< 2, /* first timed message: peers start their CPU accounting */
};

struct msg_hdr {
	uint32_t magic;
	uint32_t flags;
	uint64_t seq;
	uint64_t sent_ns; /* CLOCK_MONOTONIC when sent (broadcast latency) */
	uint32_t len;	  /* whole message, header included */
	uint32_t check;	  /* body hash folded with seq */
};

#define MSG_HDR_SIZE ((size_t)sizeof(struct msg_hdr))

enum payload_verdict {
	PAYLOAD_OK = 0,
	PAYLOAD_SHORT = 1,    /* fewer bytes than a header, or than hdr.len */
	PAYLOAD_MAGIC = 2,    /* not one of our messages */
	PAYLOAD_SEQ = 3,      /* lost, duplicated or reordered */
	PAYLOAD_CHECKSUM = 4, /* body corrupted */
};

/* A reusable message: the body is pseudo-random bytes filled once, its hash
 * computed once, so that stamping a message costs only the header. */
struct payload {
	uint8_t *buf;
	size_t len;
	uint64_t body_hash;
};

int payload_init(struct payload *pl, size_t len, uint64_t seed);
void payload_deinit(struct payload *pl);
void payload_stamp(struct payload *pl, uint64_t seq, uint32_t flags,
		   uint64_t sent_ns);
uint64_t payload_hash(const void *data, size_t len);
uint32_t payload_fold(uint64_t body_hash, uint64_t seq);
enum payload_verdict payload_verify(const void *data, size_t len,
				    uint64_t expect_seq);
const char *payload_verdict_str(enum payload_verdict v);

#endif
