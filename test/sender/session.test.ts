// The facade alone: options checked at construction, and a session that is
// aborted before anyone joins walks waiting -> ending -> ended, never sending.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { BlockcastError } from '../../src/errors.js';
import { SenderSession } from '../../src/sender/session.js';
import { WAITING_NOTICE_MS } from '../../src/sender/timing.js';
import { uniqueChannel } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

describe('SenderSession', () => {
  it('checks its options when constructed', () => {
    expect(() => new SenderSession({ image: 'x', interface: '127.0.0.1', rate: 'fast' })).toThrow('Expected a bit rate such as 800m, 10g or unlimited for rate but received "fast"');
    const s = new SenderSession({ image: 'x', interface: '127.0.0.1', mtu: 9000 });
    expect(s.opts).toMatchObject({ interfaceAddress: '127.0.0.1', mtu: 9000, minReceivers: 1 });
    expect(s.symbolSize).toBeGreaterThan(8000);
  });

  it('fails on an image that does not exist', async () => {
    const s = new SenderSession({ image: path.join(tmp.dir, 'missing.img'), interface: '127.0.0.1' });
    const err = (await s.run().catch((e: unknown) => e)) as BlockcastError;
    expect(err).toBeInstanceOf(BlockcastError);
    expect(err.code).toBe('EIMAGE');
  });

  it('never starts with nobody joined: says it is still waiting, and an abort ends it without a first pass', async () => {
    const { group, port } = uniqueChannel();
    const clock = new FakeClock(0);
    const s = new SenderSession({ image: sampleImage(tmp.dir, 300_000), interface: '127.0.0.1', group, port: Number(port), maxWait: 1 }, clock);
    const events: string[] = [];
    for (const e of ['prepared', 'start', 'first-pass', 'receiver-joined']) s.on(e, () => events.push(e));
    const waiting: unknown[] = [];
    s.on('waiting', (w) => {
      waiting.push(w);
      s.abort();
    });
    // Long past --max-wait and the notice interval: with nobody joined it still waits.
    s.on('prepared', () => setTimeout(() => clock.advance(WAITING_NOTICE_MS + 1), 100));
    const summary = await s.run();
    expect(waiting).toEqual([{ joined: 0, needed: 1, missing: [], seconds: 10 }]);
    expect(events).toEqual(['prepared']);
    expect(summary).toMatchObject({ ok: false, receivers: [], imageSize: 300_000, repairJobs: 0, dataPackets: 0 });
  });
});
