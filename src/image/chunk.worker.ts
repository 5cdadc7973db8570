// Worker-thread tasks (piscina): hash chunks of the source image, and on the
// receiver verify a chunk against the manifest and pwrite it. The main
// thread only orchestrates; hashing and disk I/O never block it.
import { readSync, writeSync } from 'node:fs';
import { Piscina } from 'piscina';
import { hash } from '../protocol/hash.js';

export interface HashTask {
  kind: 'hash';
  fd: number;
  offset: number;
  length: number;
}

export interface VerifyWriteTask {
  kind: 'verify-write';
  fd: number;
  offset: number;
  /** The receiver's chunk buffer, moved here and moved back in the result. */
  buffer: ArrayBuffer;
  length: number;
  expected: Uint8Array;
}

export type ChunkTask = HashTask | VerifyWriteTask;

export interface HashResult {
  digest: Uint8Array;
}

export type VerifyWriteResult = { buffer: ArrayBuffer } & (
  | { ok: true; digest: Uint8Array }
  | { ok: false; reason: 'mismatch'; digest: Uint8Array }
  | { ok: false; reason: 'io'; code: string; message: string }
);

function hashRange(t: HashTask): HashResult {
  const buf = Buffer.allocUnsafe(t.length);
  let done = 0;
  while (done < t.length) {
    const n = readSync(t.fd, buf, done, t.length - done, t.offset + done);
    if (n === 0) throw new Error(`image shrank while reading at offset ${t.offset + done}`);
    done += n;
  }
  return { digest: hash(buf) };
}

function verifyAndWrite(t: VerifyWriteTask): VerifyWriteResult {
  const data = Buffer.from(t.buffer, 0, t.length);
  const digest = hash(data);
  if (!digest.equals(Buffer.from(t.expected))) return { ok: false, reason: 'mismatch', digest, buffer: t.buffer };
  try {
    let done = 0;
    while (done < data.length) done += writeSync(t.fd, data, done, data.length - done, t.offset + done);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, reason: 'io', code: e.code ?? 'EIO', message: e.message, buffer: t.buffer };
  }
  return { ok: true, digest, buffer: t.buffer };
}

/** Hands the chunk buffer back to the main thread by transfer, not copy. */
function moveBack(result: VerifyWriteResult): unknown {
  return Piscina.move({ [Piscina.transferableSymbol]: result.buffer, [Piscina.valueSymbol]: result } as never);
}

export default function run(task: ChunkTask): unknown {
  return task.kind === 'hash' ? hashRange(task) : moveBack(verifyAndWrite(task));
}
