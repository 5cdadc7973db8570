// The resume journal: records only after the target is synced, keyed by the
// image, a torn tail ignored, another image's or a corrupt journal never trusted.
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JOURNAL_BATCH_CHUNKS, JOURNAL_HEADER_SIZE, Journal, encodeRecords, journalPath, readJournal } from '../../src/receiver/journal.js';
import { tempDir } from '../helpers/image.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const key = { manifestDigest: Buffer.alloc(32, 5), chunkCount: 1000, chunkSize: 1 << 20 };

function journal(name: string, append = false): { j: Journal; file: string; warnings: string[]; close: () => void } {
  const file = path.join(tmp.dir, name);
  const fd = openSync(path.join(tmp.dir, `${path.basename(name)}.target`), 'w');
  const warnings: string[] = [];
  const j = new Journal(file, key, 1234, append, fd, (m) => warnings.push(m));
  return { j, file, warnings, close: () => closeSync(fd) };
}

describe('resume journal', () => {
  it('records chunks once flushed, in runs, under the receiver id, and appends to a trusted one', async () => {
    const { j, file, close } = journal('a.journal');
    for (const c of [5, 3, 4, 9]) j.add(c);
    expect(readJournal(file, key).chunks).toEqual([]); // nothing before the target is synced
    await j.flush();
    expect(j.syncs).toBe(1);
    expect(readJournal(file, key)).toEqual({ verdict: 'trusted', receiverId: 1234, chunks: [3, 4, 5, 9], tornBytes: 0 });
    expect(readFileSync(file).length).toBe(JOURNAL_HEADER_SIZE + 2 * 16); // runs 3..5 and 9
    await j.close();
    close();
    const again = journal('a.journal', true);
    again.j.add(10);
    await again.j.close();
    again.close();
    expect(readJournal(file, key).chunks).toEqual([3, 4, 5, 9, 10]);
  });

  it('flushes by itself every JOURNAL_BATCH_CHUNKS chunks', async () => {
    const { j, file, close } = journal('b.journal');
    for (let c = 0; c < JOURNAL_BATCH_CHUNKS; c++) j.add(c);
    await j.flush(); // waits for the batch already under way
    expect(readJournal(file, key).chunks.length).toBe(JOURNAL_BATCH_CHUNKS);
    await j.remove();
    close();
    expect(existsSync(file)).toBe(false);
  });

  it('ignores a torn tail, trusts no other image, and never a corrupt header', async () => {
    const { j, file, close } = journal('c.journal');
    j.add(1);
    await j.close();
    close();
    appendFileSync(file, encodeRecords(key.manifestDigest, [7]).subarray(0, 10)); // torn
    expect(readJournal(file, key)).toMatchObject({ verdict: 'trusted', chunks: [1], tornBytes: 10 });
    const forged = Buffer.concat([readFileSync(file).subarray(0, JOURNAL_HEADER_SIZE + 16), encodeRecords(Buffer.alloc(32, 6), [8])]);
    writeFileSync(file, forged); // a record of another image's digest
    expect(readJournal(file, key).chunks).toEqual([1]);
    expect(readJournal(file, { ...key, manifestDigest: Buffer.alloc(32, 6) })).toMatchObject({ verdict: 'other-image', receiverId: 1234, chunks: [] });
    expect(readJournal(file, { ...key, chunkCount: 999 }).verdict).toBe('other-image');
    const bad = readFileSync(file);
    bad[30] ^= 1;
    writeFileSync(file, bad);
    expect(readJournal(file, key)).toEqual({ verdict: 'corrupt', chunks: [], tornBytes: 0 });
    expect(readJournal(path.join(tmp.dir, 'none'), key).verdict).toBe('missing');
  });

  it('records past the image are not trusted', async () => {
    const { j, file, close } = journal('d.journal');
    await j.close();
    close();
    appendFileSync(file, encodeRecords(key.manifestDigest, [999, 1000]));
    expect(readJournal(file, key).chunks).toEqual([]);
  });

  it('lives beside a file, under /var/lib/blockcast for a block device, or where --journal says', () => {
    expect(journalPath('/data/node.img', 'file')).toBe('/data/node.img.blockcast-journal');
    expect(journalPath('/dev/nonexistent-disk', 'block')).toBe('/var/lib/blockcast/dev_nonexistent-disk.journal');
    expect(journalPath('/dev/sda', 'block', '/run/j')).toBe('/run/j');
  });

  it('turns itself off with one warning when it cannot be written', async () => {
    const { j, warnings, close } = journal('no-such-dir/e.journal');
    j.add(1);
    await j.close();
    close();
    expect(warnings).toEqual([expect.stringMatching(/resume journal .*e\.journal is off .*a restart will not resume/)]);
  });
});
