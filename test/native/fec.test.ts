// The Reed-Solomon codec: any k of a stripe's symbols rebuild it, and the
// ISA-L and portable backends produce the same bytes.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { native, type FecBackend } from '../../src/native/binding.js';

const { fec } = native;
const backends: FecBackend[] = fec.backend === 'isa-l' ? ['isa-l', 'portable'] : ['portable'];

function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]): void => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i < n; i++) pick(i + 1, [...acc, i]);
  };
  pick(0, []);
  return out;
}

describe('FEC codec', () => {
  for (const backend of backends) {
    it(`${backend}: every erasure pattern of small stripes decodes (exhaustive)`, () => {
      for (const [k, m] of [
        [1, 3],
        [3, 3],
        [4, 4],
        [5, 3],
      ] as const) {
        const sources = Array.from({ length: k }, () => randomBytes(61));
        const parityIdx = Array.from({ length: m }, (_, i) => i);
        const symbols = [...sources, ...fec.encode(sources, parityIdx, backend)];
        for (const keep of subsets(k + m, k)) {
          const missing = Array.from({ length: k }, (_, i) => i).filter((i) => !keep.includes(i));
          const rebuilt = fec.decode(keep.map((i) => symbols[i]!), keep, missing, backend);
          expect(rebuilt, `k=${k} keep=${keep}`).not.toBeNull();
          missing.forEach((s, i) => expect(rebuilt![i]!.equals(sources[s]!)).toBe(true));
        }
      }
    });

    it(`${backend}: fresh parity indices far apart still rebuild a k=32 stripe`, () => {
      const k = 32;
      const sources = Array.from({ length: k }, () => randomBytes(1448));
      // A receiver that lost sources 3, 9 and 31 and caught parity 0, 117 and 222.
      const parity = fec.encode(sources, [0, 117, 222], backend);
      const keepSources = Array.from({ length: k }, (_, i) => i).filter((i) => ![3, 9, 31].includes(i));
      const rows = [...keepSources, k + 0, k + 117, k + 222];
      const rebuilt = fec.decode([...keepSources.map((i) => sources[i]!), ...parity], rows, [3, 9, 31], backend)!;
      expect(rebuilt.map((b) => b.toString('hex'))).toEqual([3, 9, 31].map((i) => sources[i]!.toString('hex')));
    });
  }

  it.skipIf(fec.backend !== 'isa-l')('ISA-L and the portable backend produce identical parity (needs libisal-dev)', () => {
    for (const k of [1, 7, 32, 64, 200]) {
      const sources = Array.from({ length: k }, () => randomBytes(1000));
      const idx = Array.from({ length: Math.min(20, 255 - k) }, (_, i) => (i * 37) % (255 - k));
      const a = fec.encode(sources, idx, 'isa-l');
      const b = fec.encode(sources, idx, 'portable');
      expect(a.map((x) => x.toString('hex'))).toEqual(b.map((x) => x.toString('hex')));
    }
  });

  it('refuses duplicate rows and out-of-range parity indices', () => {
    const s = [randomBytes(8), randomBytes(8)];
    expect(fec.decode([s[0]!, s[0]!], [0, 0], [1])).toBeNull();
    expect(() => fec.encode(s, [253])).toThrow(/parity index out of range/);
  });
});
