// A small seeded PRNG (sfc32, seeded through splitmix32) for the fuzzers:
// the same seed gives the same packets, so every failure reproduces.
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(readonly seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform u32. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0x100000000 ? Math.floor((this.u32() / 0x100000000) * n) : Math.floor(this.float() * n);
  }

  /** A float in [0, 1). */
  float(): number {
    return (this.u32() * 0x200000 + (this.u32() >>> 11)) / 2 ** 53;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const x = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (x >>> (8 * j)) & 0xff;
    }
    return b;
  }
}

/** The seed to use: FUZZ_SEED from the environment (to reproduce a failure), else a fresh one. */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) >>> 0 : (Math.random() * 0x100000000) >>> 0;
}
