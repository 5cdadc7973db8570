// The session facade on an injected clock: its timeouts are read from the
// Clock it is given, not the wall clock. No sender takes part.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ReceiverSession } from '../../src/receiver/session.js';
import { uniqueChannel } from '../helpers/cli.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();

function session(clock: FakeClock, waitTimeout: number): ReceiverSession {
  const { group, port } = uniqueChannel();
  return new ReceiverSession({ target: path.join(tmp.dir, 't.img'), interface: '127.0.0.1', group, port: Number(port), waitTimeout, workers: 1 }, clock);
}

describe('receiver session', { timeout: 20_000 }, () => {
  it('gives up waiting for a sender when its clock says the wait timeout has passed', async () => {
    const clock = new FakeClock(0);
    const s = session(clock, 30);
    s.once('ready', () => setImmediate(() => clock.advance(30_001))); // the wait starts once 'ready' is out
    const started = performance.now();
    await expect(s.run()).rejects.toThrow(/^No sender announced a session this node accepts on .* within 30 s$/);
    expect(performance.now() - started).toBeLessThan(10_000); // one idle tick, not 30 s
  });

  it('ends with EABORTED when aborted before a sender appears', async () => {
    const s = session(new FakeClock(0), 0);
    s.once('ready', () => s.abort());
    await expect(s.run()).rejects.toMatchObject({ code: 'EABORTED', message: 'Receive aborted' });
    expect(s.stats()).toBeDefined();
  });
});
