/* SPDX-License-Identifier: MIT */
/*
 * The byte-stream core shared by every transport whose messages travel as
 * bytes through file descriptors (pipe, unix-stream, unix-seqpacket, fifo,
 * tcp): one read loop that keeps bytes past the current message, one write
 * loop, one fan-out.  A transport built on it only decides how its
 * descriptors come to exist (pipe2, socketpair, mkfifo + open, a loopback
 * TCP connection) and fills conn->chans; everything after that is shared.
 */
#ifndef IPCBENCH_FDSTREAM_H
#define IPCBENCH_FDSTREAM_H

#include "../core/transport.h"

enum fd_kind {
	FD_PIPE,      /* read()/write(): pipes and fifos */
	FD_STREAM,    /* recv()/send(): AF_UNIX and TCP stream sockets */
	FD_SEQPACKET, /* send() in records of at most SEQPACKET_CHUNK bytes */
};

struct fd_chan {
	int rfd;
	int wfd;
};

struct tp_conn {
	enum fd_kind kind;
	struct tp_params params;
	struct fd_chan *chans; /* publisher: one per subscriber; else one */
	unsigned n_chans;
	uint8_t *buf;
	size_t cap;
	size_t have; /* bytes in buf */
	size_t used; /* bytes of buf taken by the last message */
	/* transport-private state and its destructor (called by fd_close
	 * before the descriptors are closed) */
	void *ext;
	void (*ext_free)(struct tp_conn *c);
};

/* A connection with n_chans channels, every fd -1. */
int fd_conn_alloc(enum fd_kind kind, const struct tp_params *p,
		  unsigned n_chans, struct tp_conn **out);
void fd_close(struct tp_conn *c);
int fd_connect(struct tp_conn *c, char *err);
int fd_call(struct tp_conn *c, const void *req, size_t len,
	    struct tp_msg *reply);
int fd_recv(struct tp_conn *c, struct tp_msg *msg);
int fd_reply(struct tp_conn *c, const void *data, size_t len);
int fd_publish(struct tp_conn *c, const void *data, size_t len,
	       const uint8_t *interested);
/* Close every fd of the peer lists peers[0..n-1] (failure paths). */
void fd_close_peer_lists(struct tp_peer_fds *peers, unsigned n);

#endif
