/* SPDX-License-Identifier: MIT */
/*
 * A latency histogram with HdrHistogram's bucket layout (int64 counts), so
 * that its V2 encoding can be decoded by hdr-histogram-js or any other
 * HdrHistogram implementation.  Values are nanoseconds.
 */
#ifndef IPCBENCH_HISTOGRAM_H
#define IPCBENCH_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

struct histogram {
	int64_t lowest;		/* lowest discernible value */
	int64_t highest;	/* highest trackable value */
	int digits;		/* significant value digits */
	int unit_magnitude;
	int sub_bucket_half_count_magnitude;
	int32_t sub_bucket_count;
	int32_t sub_bucket_half_count;
	int64_t sub_bucket_mask;
	int32_t bucket_count;
	int32_t counts_len;
	int64_t total;
	int64_t min;
	int64_t max;
	int64_t overflow;	/* values above highest, clamped into it */
	int64_t *counts;
};

int histogram_init(struct histogram *h, int64_t lowest, int64_t highest,
		   int digits);
void histogram_deinit(struct histogram *h);
void histogram_reset(struct histogram *h);
void histogram_record(struct histogram *h, int64_t value);
int histogram_add(struct histogram *dst, const struct histogram *src);
int64_t histogram_percentile(const struct histogram *h, double percentile);
int64_t histogram_min(const struct histogram *h);
int64_t histogram_max(const struct histogram *h);
double histogram_mean(const struct histogram *h);
/* The uncompressed V2 encoding (big-endian header + ZigZag LEB128 counts).
 * Returns the number of bytes written, or -ENOSPC when cap is too small;
 * histogram_encoded_max() gives a sufficient capacity. */
size_t histogram_encoded_max(const struct histogram *h);
long histogram_encode(const struct histogram *h, uint8_t *out, size_t cap);

/* The histogram every ipcbench measurement uses: 1 ns .. 100 s, 3 digits. */
#define HIST_LOWEST 1
#define HIST_HIGHEST 100000000000ll
#define HIST_DIGITS 3

#endif
