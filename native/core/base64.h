/* SPDX-License-Identifier: MIT */
#ifndef IPCBENCH_BASE64_H
#define IPCBENCH_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Standard base64 (RFC 4648) with padding; out needs 4*ceil(n/3)+1 bytes. */
size_t base64_encode(const uint8_t *in, size_t n, char *out);

#endif
