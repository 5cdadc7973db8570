// Manifest segments of a stream session: their format, the checks on them,
// and the hash chain that decides which received segments are the sender's.
import { describe, expect, it } from 'vitest';
import { hash, zeroHash } from '../../src/protocol/hash.js';
import { SegmentChain, decodeSegment, encodeSegment, segmentBytes, segmentSlots, type Segment } from '../../src/protocol/segments.js';

const CHUNK = 4096;
const K = 4;
const geometry = (index: number) => ({ index, segmentChunks: K, chunkSize: CHUNK });
const h = (n: number): Buffer => hash(Buffer.from([n]));

function segment(index: number, o: Partial<Segment> = {}): Segment {
  return { index, chunkHashes: [h(1), zeroHash(CHUNK), h(3), h(4)], zero: [false, true, false, false], last: false, previous: Buffer.alloc(32), imageSize: 0, imageDigest: Buffer.alloc(32), ...o };
}

describe('manifest segments', () => {
  it('round-trip, a full one and a short last one carrying the size and digest', () => {
    const full = segment(2, { previous: h(9) });
    expect(encodeSegment(full).length).toBe(segmentBytes(K));
    expect(decodeSegment(encodeSegment(full), geometry(2))).toEqual(full);
    const last = segment(3, { chunkHashes: [h(5), zeroHash(100)], zero: [false, true], last: true, imageSize: 3 * K * CHUNK + CHUNK + 100, imageDigest: h(7) });
    expect(decodeSegment(encodeSegment(last), geometry(3))).toEqual(last);
    // An image ending on a segment boundary: an empty last segment.
    const empty = segment(2, { chunkHashes: [], zero: [], last: true, imageSize: 2 * K * CHUNK, imageDigest: h(8) });
    expect(decodeSegment(encodeSegment(empty), geometry(2))).toEqual(empty);
    expect(segmentSlots(8, K)).toBe(3);
  });

  it('refuses a segment out of its place, short before the end, lying about zeros or about the size', () => {
    const bad = (s: Segment, index = s.index): string => {
      try {
        decodeSegment(encodeSegment(s), geometry(index));
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(bad(segment(1), 2)).toBe('segment: index 1 in the place of 2');
    expect(bad(segment(1, { chunkHashes: [h(1)], zero: [false] }))).toBe('segment: 1 chunks, expected 4');
    expect(bad(segment(1, { zero: [true, true, false, false] }))).toBe('segment: chunk 4 is marked zero but its hash is not that of zeros');
    expect(bad(segment(1, { last: true, imageSize: 100 }))).toBe('segment: image size does not match its chunks');
    expect(bad(segment(0, { chunkHashes: [], zero: [], last: true, imageSize: 0 }))).toBe('segment: image size does not match its chunks');
    const b = encodeSegment(segment(1));
    b[0] ^= 1;
    expect(() => decodeSegment(b, geometry(1))).toThrow('segment: bad magic');
  });
});

describe('the segment chain', () => {
  const bytes = [encodeSegment(segment(0))];
  bytes.push(encodeSegment(segment(1, { previous: hash(bytes[0]!) })));
  bytes.push(encodeSegment(segment(2, { previous: hash(bytes[1]!), chunkHashes: [h(1)], zero: [false], last: true, imageSize: 2 * K * CHUNK + 1, imageDigest: h(2) })));

  function chain() {
    const taken: number[] = [];
    const rejected: number[] = [];
    const c = new SegmentChain(
      (index, b) => {
        taken.push(index);
        return decodeSegment(b, geometry(index)).previous;
      },
      (index) => rejected.push(index),
    );
    return { c, taken, rejected };
  }

  it('takes a segment once the ANNOUNCE that published it names its hash, in either order', () => {
    const { c, taken } = chain();
    c.received(0, bytes[0]!);
    expect(taken).toEqual([]); // not vouched for yet
    c.announced(1, hash(bytes[0]!));
    expect(taken).toEqual([0]);
    c.announced(2, hash(bytes[1]!));
    c.received(1, bytes[1]!);
    expect(taken).toEqual([0, 1]);
    expect(c.has(1)).toBe(true);
  });

  it('walks back from a vouched segment to the earlier ones it names', () => {
    const { c, taken } = chain();
    c.received(0, bytes[0]!);
    c.received(1, bytes[1]!);
    c.received(2, bytes[2]!);
    c.announced(3, hash(bytes[2]!)); // only the newest head was heard
    expect(taken).toEqual([2, 1, 0]);
  });

  it('rejects a forged segment that the head or the next segment contradicts, and takes the real one after', () => {
    const { c, taken, rejected } = chain();
    const forged = encodeSegment(segment(1, { previous: hash(bytes[0]!), chunkHashes: [h(6), h(6), h(6), h(6)], zero: [false, false, false, false] }));
    c.received(1, forged);
    c.announced(2, hash(bytes[1]!));
    expect(rejected).toEqual([1]);
    expect(taken).toEqual([]);
    c.received(1, bytes[1]!);
    expect(taken).toEqual([1]);
    // Segment 0 forged: segment 1, taken, names the real one.
    c.received(0, encodeSegment(segment(0, { chunkHashes: [h(6), h(6), h(6), h(6)], zero: [false, false, false, false] })));
    expect(rejected).toEqual([1, 0]);
    c.received(0, bytes[0]!);
    expect(taken).toEqual([1, 0]);
  });
});
