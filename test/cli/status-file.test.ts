import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { neverJoined, receiverStatus, writeStatusFile, type StatusDocument } from '../../src/cli/status-file.js';
import { FailReason } from '../../src/protocol/constants.js';
import type { ReceiverSummary } from '../../src/sender/participants.js';
import { testResources } from '../helpers/resources.js';

const tmp = testResources();
const geometry = { imageSize: 10 * 1024 * 1024 + 5, chunkSize: 1024 * 1024 };
const summary = (o: Partial<ReceiverSummary>): ReceiverSummary => ({
  id: 1, name: 'n1', address: '10.0.0.1', port: 40000, state: 'done', reason: 0, packets: 0, duplicates: 0, malformed: 0,
  symbolsRequested: 0, nackPackets: 0, repairCharged: 0, chunksDone: 11, seconds: 1.23456, ...o,
});

describe('status file', () => {
  it("maps each receiver's outcome to a state, a reason and the bytes it had", () => {
    expect(receiverStatus(summary({}), geometry)).toEqual({ name: 'n1', address: '10.0.0.1', port: 40000, state: 'done', reason: '', bytes: geometry.imageSize, seconds: 1.235 });
    expect(receiverStatus(summary({ state: 'failed', reason: FailReason.TargetTooSmall, chunksDone: 0 }), geometry)).toMatchObject({ state: 'failed', reason: 'target too small', bytes: 0 });
    expect(receiverStatus(summary({ state: 'failed', message: 'reported a digest that does not match the image' }), geometry).reason).toBe('reported a digest that does not match the image');
    expect(receiverStatus(summary({ state: 'lost', chunksDone: 3 }), geometry)).toMatchObject({ state: 'lost', bytes: 3 * 1024 * 1024 });
    expect(receiverStatus(summary({ state: 'receiving', chunksDone: 4 }), geometry)).toMatchObject({ state: 'incomplete', reason: 'the session ended before it finished' });
    expect(neverJoined('n9')).toEqual({ name: 'n9', address: '', port: 0, state: 'never-joined', reason: 'never joined', bytes: 0, seconds: 0 });
  });

  it('replaces the file whole, leaving no temporary file behind', () => {
    const file = path.join(tmp.dir, 'status.json');
    writeFileSync(file, 'old');
    const doc: StatusDocument = { version: 1, session: 'abc', image: 'i.img', imageSize: 5, ok: true, finishedAt: new Date(0).toISOString(), receivers: [neverJoined('x')] };
    writeStatusFile(file, doc);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc);
    expect(readdirSync(tmp.dir)).toEqual(['status.json']);
  });
});
