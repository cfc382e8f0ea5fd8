// Seeded random numbers for the resampling methods: every interval ipcbench prints is reproducible for the same
// data and seed. mulberry32 (a 32-bit state PRNG, fine for resampling indices), normal deviates by Box–Muller,
// gamma deviates by Marsaglia & Tsang (2000, "A simple method for generating gamma variables", ACM TOMS 26:363),
// and beta deviates as a ratio of gammas.

export type Rand = () => number;

/** Deterministic PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomIndex(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

/** Standard normal deviate (Box–Muller; one of the pair is discarded to keep the generator stateless). */
export function normalDeviate(rand: Rand): number {
  let u = rand();
  while (u <= 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Gamma(shape, 1) deviate. */
export function gammaDeviate(rand: Rand, shape: number): number {
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a)
    let u = rand();
    while (u <= 0) u = rand();
    return gammaDeviate(rand, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalDeviate(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rand();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Beta(a, b) deviate. For large a + b (order statistics of big samples) the normal approximation with the same
 * mean and variance is used; its error there is far below one histogram bucket.
 */
export function betaDeviate(rand: Rand, a: number, b: number): number {
  if (a + b > 1e5) {
    const mean = a / (a + b);
    const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
    return Math.min(1, Math.max(0, mean + sd * normalDeviate(rand)));
  }
  const x = gammaDeviate(rand, a);
  const y = gammaDeviate(rand, b);
  return x / (x + y);
}

/** A stable 32-bit hash (FNV-1a) so each case or metric gets its own resampling stream, independent of order. */
export function seedOf(text: string, base = 0): number {
  let h = 2166136261 ^ base;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
