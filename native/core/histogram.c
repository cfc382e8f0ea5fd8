// SPDX-License-Identifier: MIT
/*
 * Bucket arithmetic follows the published HdrHistogram layout (Gil Tene):
 * each bucket holds sub_bucket_count linear sub-buckets, the first bucket
 * covers [0, sub_bucket_count) and each next bucket doubles the unit.
 * The encoding is the V2 format: 40-byte header, then counts as ZigZag
 * LEB128 varints with runs of zeros written as one negative count.
 */
#include "histogram.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define V2_ENCODING_COOKIE 0x1c849313

static int bucket_index(const struct histogram *h, int64_t v)
{
	int pow2ceiling = 64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask));

	return pow2ceiling - h->unit_magnitude -
	       (h->sub_bucket_half_count_magnitude + 1);
}

static int sub_bucket_index(const struct histogram *h, int64_t v, int bucket)
{
	return (int)(v >> (bucket + h->unit_magnitude));
}

static int32_t counts_index(const struct histogram *h, int bucket, int sub)
{
	int32_t base = (bucket + 1) << h->sub_bucket_half_count_magnitude;

	return base + (sub - h->sub_bucket_half_count);
}

static int64_t value_from_index(const struct histogram *h, int32_t index)
{
	int bucket = (index >> h->sub_bucket_half_count_magnitude) - 1;
	int sub = (index & (h->sub_bucket_half_count - 1)) +
		  h->sub_bucket_half_count;

	if (bucket < 0) {
		sub -= h->sub_bucket_half_count;
		bucket = 0;
	}
	return (int64_t)sub << (bucket + h->unit_magnitude);
}

static int64_t highest_equivalent(const struct histogram *h, int64_t v)
{
	int bucket = bucket_index(h, v);
	int sub = sub_bucket_index(h, v, bucket);
	int adjusted = sub >= h->sub_bucket_count ? bucket + 1 : bucket;
	int64_t lowest = (int64_t)sub << (bucket + h->unit_magnitude);
	int64_t range = (int64_t)1 << (h->unit_magnitude + adjusted);

	return lowest + range - 1;
}

int histogram_init(struct histogram *h, int64_t lowest, int64_t highest,
		   int digits)
{
	int64_t largest_single_unit, smallest_untrackable;
	int sub_bucket_count_magnitude, buckets;

	if (lowest < 1 || digits < 1 || digits > 5 || highest < 2 * lowest)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->lowest = lowest;
	h->highest = highest;
	h->digits = digits;
	largest_single_unit = 2 * (int64_t)pow(10, digits);
	sub_bucket_count_magnitude =
		(int)ceil(log2((double)largest_single_unit));
	h->sub_bucket_half_count_magnitude =
		(sub_bucket_count_magnitude > 1 ? sub_bucket_count_magnitude : 1) - 1;
	h->unit_magnitude = (int)floor(log2((double)lowest));
	h->sub_bucket_count = 1 << (h->sub_bucket_half_count_magnitude + 1);
	h->sub_bucket_half_count = h->sub_bucket_count / 2;
	h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1)
			     << h->unit_magnitude;

	smallest_untrackable = (int64_t)h->sub_bucket_count << h->unit_magnitude;
	buckets = 1;
	while (smallest_untrackable <= highest) {
		if (smallest_untrackable > INT64_MAX / 2) {
			buckets++;
			break;
		}
		smallest_untrackable <<= 1;
		buckets++;
	}
	h->bucket_count = buckets;
	h->counts_len = (buckets + 1) * (h->sub_bucket_count / 2);
	h->counts = calloc((size_t)h->counts_len, sizeof(int64_t));
	if (!h->counts)
		return -ENOMEM;
	h->min = INT64_MAX;
	return 0;
}

void histogram_deinit(struct histogram *h)
{
	free(h->counts);
	h->counts = NULL;
}

void histogram_reset(struct histogram *h)
{
	memset(h->counts, 0, (size_t)h->counts_len * sizeof(int64_t));
	h->total = 0;
	h->min = INT64_MAX;
	h->max = 0;
	h->overflow = 0;
}

void histogram_record(struct histogram *h, int64_t v)
{
	int bucket, sub;
	int32_t idx;

	if (v < 0)
		v = 0;
	if (v > h->highest) {
		h->overflow++;
		v = h->highest;
	}
	bucket = bucket_index(h, v);
	sub = sub_bucket_index(h, v, bucket);
	idx = counts_index(h, bucket, sub);
	h->counts[idx]++;
	h->total++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

int histogram_add(struct histogram *dst, const struct histogram *src)
{
	int32_t i;

	if (dst->counts_len != src->counts_len ||
	    dst->unit_magnitude != src->unit_magnitude)
		return -EINVAL;
	for (i = 0; i < src->counts_len; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->overflow += src->overflow;
	if (src->total && src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

/*
 * HdrHistogram's convention, so that any HdrHistogram tool reading the encoded
 * histogram reports the same figures: the count at a percentile is rounded up
 * (guarding against a floating-point result 1 ulp too large), and the value
 * reported is the highest value equivalent to the bucket that count reaches
 * (the lowest one for percentile 0).
 */
int64_t histogram_percentile(const struct histogram *h, double percentile)
{
	double fp, ulp;
	int64_t wanted, seen = 0;
	int32_t i;

	if (!h->total)
		return 0;
	if (percentile > 100.0)
		percentile = 100.0;
	fp = percentile / 100.0 * (double)h->total;
	ulp = fp > 0 ? pow(2.0, floor(log2(fp)) - 52) : 0;
	wanted = (int64_t)ceil(fp - ulp);
	if (wanted < 1)
		wanted = 1;
	for (i = 0; i < h->counts_len; i++) {
		seen += h->counts[i];
		if (seen >= wanted) {
			int64_t lo = value_from_index(h, i);

			return percentile == 0.0 ? lo : highest_equivalent(h, lo);
		}
	}
	return 0;
}

/* The maximum as HdrHistogram reports it: its bucket's highest equivalent value. */
int64_t histogram_max(const struct histogram *h)
{
	return h->total ? highest_equivalent(h, h->max) : 0;
}

/* The minimum as HdrHistogram reports it: its bucket's lowest equivalent value. */
int64_t histogram_min(const struct histogram *h)
{
	int bucket;

	if (!h->total)
		return 0;
	bucket = bucket_index(h, h->min);
	return (int64_t)sub_bucket_index(h, h->min, bucket) << (bucket + h->unit_magnitude);
}

/* Mean over bucket midpoints (HdrHistogram's median equivalent values). */
double histogram_mean(const struct histogram *h)
{
	double sum = 0;
	int32_t i;

	if (!h->total)
		return 0;
	for (i = 0; i < h->counts_len; i++) {
		if (h->counts[i]) {
			int64_t lo = value_from_index(h, i);
			int64_t size = highest_equivalent(h, lo) - lo + 1;

			sum += (double)h->counts[i] * (double)(lo + size / 2);
		}
	}
	return sum / (double)h->total;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static size_t put_zigzag(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;

	/* LEB128 with HdrHistogram's cap: the 9th byte carries 8 bits. */
	while (n < 8 && z >= 0x80) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

size_t histogram_encoded_max(const struct histogram *h)
{
	return 40 + (size_t)h->counts_len * 9;
}

long histogram_encode(const struct histogram *h, uint8_t *out, size_t cap)
{
	int32_t last = -1, i;
	size_t pos = 40;
	union {
		double d;
		uint64_t u;
	} ratio = { .d = 1.0 };

	if (cap < histogram_encoded_max(h))
		return -ENOSPC;
	for (i = 0; i < h->counts_len; i++)
		if (h->counts[i])
			last = i;
	for (i = 0; i <= last;) {
		if (h->counts[i] == 0) {
			int64_t zeros = 0;

			while (i <= last && h->counts[i] == 0) {
				zeros++;
				i++;
			}
			pos += put_zigzag(out + pos, zeros > 1 ? -zeros : 0);
		} else {
			pos += put_zigzag(out + pos, h->counts[i]);
			i++;
		}
	}
	put_be32(out, V2_ENCODING_COOKIE);
	put_be32(out + 4, (uint32_t)(pos - 40));
	put_be32(out + 8, 0);	/* normalizing index offset */
	put_be32(out + 12, (uint32_t)h->digits);
	put_be64(out + 16, (uint64_t)h->lowest);
	put_be64(out + 24, (uint64_t)h->highest);
	put_be64(out + 32, ratio.u);
	return (long)pos;
}
