// What a joined receiver makes of ANNOUNCEs: only its pinned sender's, with
// the fixed fields of the join, and never going backwards.
import { describe, expect, it } from 'vitest';
import { Phase } from '../../src/protocol/constants.js';
import type { Announce } from '../../src/protocol/packets.js';
import { FIXED_FIELDS, changedField, judgeAnnounce } from '../../src/receiver/pinning.js';

const joined: Announce = {
  session: 7, phase: Phase.Sending, controlPort: 4000, imageSize: 1 << 20, chunkSize: 1 << 20, symbolSize: 1444, stripeSize: 4, chunkCount: 1,
  manifestSize: 97, progress: 3, rateKiB: 0, heartbeat: 0, manifestDigest: Buffer.alloc(32, 1), groupSize: 1, nackBackoffMs: 0, cipher: 0, salt: Buffer.alloc(16, 2),
};
const pin = { address: '10.0.0.1', announce: joined };

describe('pinned sender', () => {
  it('takes a later ANNOUNCE of the same sender, whose rate, heartbeat and group may change', () => {
    expect(judgeAnnounce(pin, { ...joined, phase: Phase.Repairing, progress: 9, rateKiB: 5, heartbeat: 3, groupSize: 9, nackBackoffMs: 40 }, '10.0.0.1')).toBe('update');
    expect(judgeAnnounce(pin, joined, '10.0.0.1')).toBe('update');
  });

  it('calls forged any ANNOUNCE from another address, or changing any fixed field', () => {
    expect(judgeAnnounce(pin, joined, '10.0.0.2')).toBe('forged');
    expect(judgeAnnounce(pin, { ...joined, phase: Phase.Ended }, '10.0.0.2')).toBe('forged');
    const changes: Partial<Announce> = {
      session: 8, controlPort: 4001, imageSize: 2 << 20, chunkSize: 1 << 19, symbolSize: 1400, stripeSize: 0, chunkCount: 2, manifestSize: 130,
      manifestDigest: Buffer.alloc(32, 3), cipher: 1, salt: Buffer.alloc(16, 4), streamFlags: 1, segmentChunks: 32,
    };
    expect(Object.keys(changes).sort()).toEqual([...FIXED_FIELDS].sort());
    for (const [field, value] of Object.entries(changes)) {
      const a = { ...joined, [field]: value } as Announce;
      expect(changedField(joined, a)).toBe(field);
      expect(judgeAnnounce(pin, a, '10.0.0.1')).toBe('forged');
    }
  });

  it('calls stale an ANNOUNCE that would move phase or progress backwards (a replay of the same session)', () => {
    expect(judgeAnnounce(pin, { ...joined, phase: Phase.Waiting, progress: 0 }, '10.0.0.1')).toBe('stale');
    expect(judgeAnnounce(pin, { ...joined, progress: 2 }, '10.0.0.1')).toBe('stale');
    expect(judgeAnnounce({ ...pin, announce: { ...joined, phase: Phase.Repairing } }, { ...joined, progress: 9 }, '10.0.0.1')).toBe('stale');
  });
});
