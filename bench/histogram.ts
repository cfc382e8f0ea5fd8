// HdrHistogram interchange. The native side produces the uncompressed V2 encoding; here it is wrapped in the
// standard compressed form (cookie 0x1c849314, zlib deflate) and base64 ("HISTF..."), which hdr-histogram-js,
// HdrHistogram (Java/C/Go/Rust) and HistogramLogAnalyzer all read. Merging (per-subscriber histograms) and
// percentiles of merged histograms use hdr-histogram-js.
import * as hdr from 'hdr-histogram-js';
import { deflateSync } from 'node:zlib';
import type { Latency } from './result.js';

const V2_COMPRESSED_COOKIE = 0x1c849314;

export function compressV2(v2: Buffer): string {
  const body = deflateSync(v2);
  const head = Buffer.alloc(8);
  head.writeInt32BE(V2_COMPRESSED_COOKIE, 0);
  head.writeInt32BE(body.length, 4);
  return Buffer.concat([head, body]).toString('base64');
}

export function decodeHistogram(compressedBase64: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(compressedBase64, 64, false);
}

/** Summary of a histogram in the result schema's shape (ns). */
export function latencyOf(h: hdr.Histogram, encoded?: string): Latency {
  const count = h.totalCount;
  return {
    count,
    min: count ? h.minNonZeroValue : 0,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.mean,
    histogram: encoded ?? hdr.encodeIntoCompressedBase64(h),
  };
}

/** Merge compressed histograms (e.g. one per subscriber) into one summary. */
export function mergeHistograms(encoded: readonly string[]): Latency {
  const total = hdr.build({ bitBucketSize: 64, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 100e9 });
  for (const e of encoded) {
    const h = decodeHistogram(e);
    total.add(h);
    h.destroy();
  }
  const out = latencyOf(total);
  total.destroy();
  return out;
}
