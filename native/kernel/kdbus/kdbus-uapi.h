/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * The kdbus userspace ABI, written from the ipcbench specification
 * (shared/kdbus-abi.md and its second part, shared/kdbus-abi-full.md),
 * shared by our kernel module, its tests and the ipcbench kdbus transport.
 * The header describes the whole ABI; what the module implements is what
 * negotiation reports (docs/kdbus.md).
 *
 * Every structure is 8-byte aligned and made of fixed-width fields, so 32-bit
 * and 64-bit userspace share one layout.  Items are built by hand: there is
 * deliberately no fixed-size "struct kdbus_item" union to take sizeof() of
 * (spec 4.2); struct kdbus_item below is only the 16-byte header followed by
 * a flexible payload.
 */
#ifndef KDBUS_UAPI_H
#define KDBUS_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KDBUS_IOCTL_MAGIC 0x95
#define KDBUS_DST_ID_NAME (0ULL)
#define KDBUS_SRC_ID_KERNEL (0ULL)
#define KDBUS_DST_ID_BROADCAST (~0ULL)
#define KDBUS_MATCH_ID_ANY (~0ULL)
#define KDBUS_FLAG_NEGOTIATE (1ULL << 63)
#define KDBUS_PAYLOAD_KERNEL (0ULL)
#define KDBUS_PAYLOAD_DBUS (0x4442757344427573ULL)

#define KDBUS_ITEM_HEADER_SIZE 16
#define KDBUS_ALIGN8(x) (((x) + 7) & ~7ULL)

/* Limits of spec section 18. */
#define KDBUS_CMD_MAX_SIZE 32768
#define KDBUS_MSG_MAX_PAYLOAD_VEC_SIZE (2ULL * 1024 * 1024)
#define KDBUS_MSG_MAX_MEMFD_ITEMS 16
#define KDBUS_MSG_MAX_FDS 16
#define KDBUS_BUS_BLOOM_MIN 8
#define KDBUS_BUS_BLOOM_MAX 4096
#define KDBUS_NAME_MAX_LEN 63 /* bus and description names */
#define KDBUS_WKN_MAX_LEN 255 /* well-known names */
#define KDBUS_MATCH_MAX 256
#define KDBUS_CONN_MAX_MSGS 256
#define KDBUS_CONN_MAX_REQUESTS_PENDING 128
#define KDBUS_CONN_MAX_NAMES 256
#define KDBUS_USER_MAX_CONN 1024
#define KDBUS_USER_MAX_BUSES 16
#define KDBUS_CONN_MAX_FDS_PER_USER 16 /* in flight per destination */
#define KDBUS_SECLABEL_MAX 4096	       /* HELLO SECLABEL item */
#define KDBUS_CMDLINE_MAX 4096	       /* CMDLINE metadata, truncated */

enum kdbus_item_type {
	_KDBUS_ITEM_NULL = 0,
	KDBUS_ITEM_NEGOTIATE = 1,
	KDBUS_ITEM_PAYLOAD_VEC = 2,
	KDBUS_ITEM_PAYLOAD_OFF = 3,
	KDBUS_ITEM_PAYLOAD_MEMFD = 4,
	KDBUS_ITEM_FDS = 5,
	KDBUS_ITEM_CANCEL_FD = 6,
	KDBUS_ITEM_BLOOM_PARAMETER = 7,
	KDBUS_ITEM_BLOOM_FILTER = 8,
	KDBUS_ITEM_BLOOM_MASK = 9,
	KDBUS_ITEM_DST_NAME = 10,
	KDBUS_ITEM_MAKE_NAME = 11,
	KDBUS_ITEM_ATTACH_FLAGS_SEND = 12,
	KDBUS_ITEM_ATTACH_FLAGS_RECV = 13,
	KDBUS_ITEM_ID = 14,
	KDBUS_ITEM_NAME = 15,
	KDBUS_ITEM_DST_ID = 16,

	KDBUS_ITEM_TIMESTAMP = 0x1000,
	KDBUS_ITEM_CREDS = 0x1001,
	KDBUS_ITEM_PIDS = 0x1002,
	KDBUS_ITEM_AUXGROUPS = 0x1003,
	KDBUS_ITEM_OWNED_NAME = 0x1004,
	KDBUS_ITEM_TID_COMM = 0x1005,
	KDBUS_ITEM_PID_COMM = 0x1006,
	KDBUS_ITEM_EXE = 0x1007,
	KDBUS_ITEM_CMDLINE = 0x1008,
	KDBUS_ITEM_CGROUP = 0x1009,
	KDBUS_ITEM_CAPS = 0x100a,
	KDBUS_ITEM_SECLABEL = 0x100b,
	KDBUS_ITEM_AUDIT = 0x100c,
	KDBUS_ITEM_CONN_DESCRIPTION = 0x100d,

	KDBUS_ITEM_POLICY_ACCESS = 0x2000,

	KDBUS_ITEM_NAME_ADD = 0x8000,
	KDBUS_ITEM_NAME_REMOVE = 0x8001,
	KDBUS_ITEM_NAME_CHANGE = 0x8002,
	KDBUS_ITEM_ID_ADD = 0x8003,
	KDBUS_ITEM_ID_REMOVE = 0x8004,
	KDBUS_ITEM_REPLY_TIMEOUT = 0x8005,
	KDBUS_ITEM_REPLY_DEAD = 0x8006,
};

/* Attach flags (spec 5.3, 24.1): bit b requests item 0x1000 + b. */
enum kdbus_attach_flags {
	KDBUS_ATTACH_TIMESTAMP = 1ULL << 0,
	KDBUS_ATTACH_CREDS = 1ULL << 1,
	KDBUS_ATTACH_PIDS = 1ULL << 2,
	KDBUS_ATTACH_AUXGROUPS = 1ULL << 3,
	KDBUS_ATTACH_NAMES = 1ULL << 4,
	KDBUS_ATTACH_TID_COMM = 1ULL << 5,
	KDBUS_ATTACH_PID_COMM = 1ULL << 6,
	KDBUS_ATTACH_EXE = 1ULL << 7,
	KDBUS_ATTACH_CMDLINE = 1ULL << 8,
	KDBUS_ATTACH_CGROUP = 1ULL << 9,
	KDBUS_ATTACH_CAPS = 1ULL << 10,
	KDBUS_ATTACH_SECLABEL = 1ULL << 11,
	KDBUS_ATTACH_AUDIT = 1ULL << 12,
	KDBUS_ATTACH_CONN_DESCRIPTION = 1ULL << 13,
};

#define _KDBUS_ATTACH_ALL 0x3fffULL
#define _KDBUS_ATTACH_ANY (~0ULL)

struct kdbus_item {
	__u64 size; /* header + payload, without trailing padding */
	__u64 type;
	__u64 data[]; /* payload; 8-aligned because the header is 16 bytes */
};

struct kdbus_vec {
	__u64 size;
	union {
		__u64 address; /* SEND: user address, 0 = padding */
		__u64 offset;  /* received: from the message start */
	};
};

struct kdbus_memfd {
	__u64 start;
	__u64 size;
	__s32 fd;
	__u32 __pad;
};

struct kdbus_bloom_parameter {
	__u64 size;
	__u64 n_hash;
};

struct kdbus_bloom_filter {
	__u64 generation;
	__u64 data[];
};

struct kdbus_timestamp {
	__u64 seqnum;
	__u64 monotonic_ns;
	__u64 realtime_ns;
};

struct kdbus_notify_id_change {
	__u64 id;
	__u64 flags; /* ID_*: HELLO flags; inside name changes: name flags */
};

struct kdbus_notify_name_change {
	struct kdbus_notify_id_change old_id;
	struct kdbus_notify_id_change new_id;
	char name[];
};

/* Metadata payloads (spec 24.1).  Ids and pids are u64 on the wire. */
struct kdbus_creds {
	__u64 uid;
	__u64 euid;
	__u64 suid;
	__u64 fsuid;
	__u64 gid;
	__u64 egid;
	__u64 sgid;
	__u64 fsgid;
};

struct kdbus_pids {
	__u64 pid;
	__u64 tid;
	__u64 ppid;
};

/* followed by 4 sets of W u32 words: inheritable, permitted, effective,
 * bounding; W = last_cap / 32 + 1
 */
struct kdbus_caps {
	__u32 last_cap;
	__u32 caps[];
};

struct kdbus_audit {
	__u32 sessionid;
	__u32 loginuid;
};

/* Kernel-written names (OWNED_NAME items, LIST records). */
struct kdbus_name {
	__u64 flags;
	char name[];
};

enum kdbus_policy_access_type {
	_KDBUS_POLICY_ACCESS_NULL = 0,
	KDBUS_POLICY_ACCESS_USER = 1,
	KDBUS_POLICY_ACCESS_GROUP = 2,
	KDBUS_POLICY_ACCESS_WORLD = 3,
};

enum kdbus_policy_type {
	KDBUS_POLICY_SEE = 0,
	KDBUS_POLICY_TALK = 1,
	KDBUS_POLICY_OWN = 2,
};

struct kdbus_policy_access {
	__u64 type;   /* enum kdbus_policy_access_type */
	__u64 access; /* enum kdbus_policy_type */
	__u64 id;     /* uid or gid; ignored for WORLD */
};

/* Generic command header (spec 4.1). */
struct kdbus_cmd {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	struct kdbus_item items[];
};

enum kdbus_make_flags {
	KDBUS_MAKE_ACCESS_GROUP = 1ULL << 0,
	KDBUS_MAKE_ACCESS_WORLD = 1ULL << 1,
};

enum kdbus_hello_flags {
	KDBUS_HELLO_ACCEPT_FD = 1ULL << 0,
	KDBUS_HELLO_ACTIVATOR = 1ULL << 1,
	KDBUS_HELLO_POLICY_HOLDER = 1ULL << 2,
	KDBUS_HELLO_MONITOR = 1ULL << 3,
};

struct kdbus_cmd_hello {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__u64 attach_flags_send;
	__u64 attach_flags_recv;
	__u64 bus_flags;
	__u64 id;
	__u64 pool_size;
	__u64 offset;
	__u64 items_size;
	__u8 id128[16];
	struct kdbus_item items[];
};

struct kdbus_cmd_free {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__u64 offset;
	struct kdbus_item items[];
};

struct kdbus_cmd_info {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__u64 id;
	__u64 attach_flags;
	__u64 offset;
	__u64 info_size;
	struct kdbus_item items[];
};

/* Result of CONN_INFO, BUS_CREATOR_INFO and each LIST record. */
struct kdbus_info {
	__u64 size;
	__u64 id;
	__u64 flags;
	struct kdbus_item items[];
};

enum kdbus_list_flags {
	KDBUS_LIST_UNIQUE = 1ULL << 0,
	KDBUS_LIST_NAMES = 1ULL << 1,
	KDBUS_LIST_ACTIVATORS = 1ULL << 2,
	KDBUS_LIST_QUEUED = 1ULL << 3,
};

struct kdbus_cmd_list {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__u64 offset;
	__u64 list_size;
	struct kdbus_item items[];
};

struct kdbus_msg_info {
	__u64 offset;
	__u64 msg_size;
	__u64 return_flags;
};

enum kdbus_send_flags {
	KDBUS_SEND_SYNC_REPLY = 1ULL << 0,
};

struct kdbus_cmd_send {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__u64 msg_address;
	struct kdbus_msg_info reply;
	struct kdbus_item items[];
};

enum kdbus_msg_flags {
	KDBUS_MSG_EXPECT_REPLY = 1ULL << 0,
	KDBUS_MSG_NO_AUTO_START = 1ULL << 1,
	KDBUS_MSG_SIGNAL = 1ULL << 2,
};

struct kdbus_msg {
	__u64 size;
	__u64 flags;
	__s64 priority;
	__u64 dst_id;
	__u64 src_id;
	__u64 payload_type;
	__u64 cookie;
	union {
		__u64 timeout_ns;
		__u64 cookie_reply;
	};
	struct kdbus_item items[];
};

enum kdbus_recv_flags {
	KDBUS_RECV_PEEK = 1ULL << 0,
	KDBUS_RECV_DROP = 1ULL << 1,
	KDBUS_RECV_USE_PRIORITY = 1ULL << 2,
};

enum kdbus_recv_return_flags {
	KDBUS_RECV_RETURN_INCOMPLETE_FDS = 1ULL << 0,
	KDBUS_RECV_RETURN_DROPPED_MSGS = 1ULL << 1,
};

struct kdbus_cmd_recv {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__s64 priority;
	__u64 dropped_msgs;
	struct kdbus_msg_info msg;
	struct kdbus_item items[];
};

enum kdbus_match_flags {
	KDBUS_MATCH_REPLACE = 1ULL << 0,
};

struct kdbus_cmd_match {
	__u64 size;
	__u64 flags;
	__u64 return_flags;
	__u64 cookie;
	struct kdbus_item items[];
};

enum kdbus_name_flags {
	KDBUS_NAME_REPLACE_EXISTING = 1ULL << 0,
	KDBUS_NAME_ALLOW_REPLACEMENT = 1ULL << 1,
	KDBUS_NAME_QUEUE = 1ULL << 2,
	KDBUS_NAME_IN_QUEUE = 1ULL << 3,
	KDBUS_NAME_ACTIVATOR = 1ULL << 4,
	KDBUS_NAME_PRIMARY = 1ULL << 5,
	KDBUS_NAME_ACQUIRED = 1ULL << 6,
};

/* ioctl numbers: the size field is sizeof the fixed part (spec section 3). */
#define KDBUS_CMD_BUS_MAKE _IOW(KDBUS_IOCTL_MAGIC, 0x00, struct kdbus_cmd)
#define KDBUS_CMD_ENDPOINT_MAKE _IOW(KDBUS_IOCTL_MAGIC, 0x10, struct kdbus_cmd)
#define KDBUS_CMD_ENDPOINT_UPDATE \
	_IOW(KDBUS_IOCTL_MAGIC, 0x11, struct kdbus_cmd)
#define KDBUS_CMD_HELLO _IOWR(KDBUS_IOCTL_MAGIC, 0x80, struct kdbus_cmd_hello)
#define KDBUS_CMD_UPDATE _IOW(KDBUS_IOCTL_MAGIC, 0x81, struct kdbus_cmd)
#define KDBUS_CMD_BYEBYE _IOW(KDBUS_IOCTL_MAGIC, 0x82, struct kdbus_cmd)
#define KDBUS_CMD_FREE _IOW(KDBUS_IOCTL_MAGIC, 0x83, struct kdbus_cmd_free)
#define KDBUS_CMD_CONN_INFO _IOR(KDBUS_IOCTL_MAGIC, 0x84, struct kdbus_cmd_info)
#define KDBUS_CMD_BUS_CREATOR_INFO \
	_IOR(KDBUS_IOCTL_MAGIC, 0x85, struct kdbus_cmd_info)
#define KDBUS_CMD_LIST _IOR(KDBUS_IOCTL_MAGIC, 0x86, struct kdbus_cmd_list)
#define KDBUS_CMD_SEND _IOW(KDBUS_IOCTL_MAGIC, 0x90, struct kdbus_cmd_send)
#define KDBUS_CMD_RECV _IOR(KDBUS_IOCTL_MAGIC, 0x91, struct kdbus_cmd_recv)
#define KDBUS_CMD_NAME_ACQUIRE _IOW(KDBUS_IOCTL_MAGIC, 0xa0, struct kdbus_cmd)
#define KDBUS_CMD_NAME_RELEASE _IOW(KDBUS_IOCTL_MAGIC, 0xa1, struct kdbus_cmd)
#define KDBUS_CMD_MATCH_ADD \
	_IOW(KDBUS_IOCTL_MAGIC, 0xb0, struct kdbus_cmd_match)
#define KDBUS_CMD_MATCH_REMOVE \
	_IOW(KDBUS_IOCTL_MAGIC, 0xb1, struct kdbus_cmd_match)

#endif /* KDBUS_UAPI_H */
