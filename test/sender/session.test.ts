// The facade alone: options checked at construction, and a session that is
// aborted before anyone joins walks waiting -> sending -> ending -> ended.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockcastError } from '../../src/errors.js';
import { SenderSession } from '../../src/sender/session.js';
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

  it('resolves an aborted session with no receivers as not ok', async () => {
    const { group, port } = uniqueChannel();
    const s = new SenderSession({ image: sampleImage(tmp.dir, 300_000), interface: '127.0.0.1', group, port: Number(port) });
    const events: string[] = [];
    for (const e of ['prepared', 'start', 'first-pass', 'receiver-joined']) s.on(e, () => events.push(e));
    s.on('prepared', () => setTimeout(() => s.abort(), 100));
    const summary = await s.run();
    expect(events).toEqual(['prepared', 'start']);
    expect(summary).toMatchObject({ ok: false, receivers: [], imageSize: 300_000, repairJobs: 0 });
  });
});
