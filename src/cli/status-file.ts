// send --status-file: each receiver's outcome as one JSON document, written
// at the end of the session (after uftp's -S status file) to a temporary
// name beside FILE and renamed over it, so a reader never sees half a file.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { FailReason } from '../protocol/constants.js';
import type { ReceiverSummary } from '../sender/participants.js';

export type StatusState = 'done' | 'failed' | 'lost' | 'never-joined' | 'incomplete';

export interface ReceiverStatus {
  name: string;
  /** Where it reported from; '' and 0 if it never joined. */
  address: string;
  port: number;
  state: StatusState;
  /** Why it is not done ('' if it is). */
  reason: string;
  /** Image bytes it had written and verified, as it last reported. */
  bytes: number;
  /** From its join to its end (or to the end of the session). */
  seconds: number;
}

export interface StatusDocument {
  version: 1;
  /** Session id, hex, as the sender prints it. */
  session: string;
  image: string;
  imageSize: number;
  /** Every receiver done, none of the listed missing. */
  ok: boolean;
  /** Why the send itself failed (e.g. --start-timeout), if it did. */
  error?: string;
  finishedAt: string;
  receivers: ReceiverStatus[];
}

const failReasons: Record<number, string> = {
  [FailReason.TargetTooSmall]: 'target too small',
  [FailReason.TargetIo]: 'target I/O error',
  [FailReason.DigestMismatch]: 'written image did not verify',
  [FailReason.Aborted]: 'aborted on the receiver',
  [FailReason.SenderEnded]: 'sender ended first',
  [FailReason.ImageRejected]: 'image rejected (--expect-digest)',
};

export function receiverStatus(r: ReceiverSummary, geometry: { imageSize: number; chunkSize: number }): ReceiverStatus {
  const state: StatusState = r.state === 'done' || r.state === 'failed' || r.state === 'lost' ? r.state : 'incomplete';
  const reason =
    state === 'done' ? '' :
    state === 'lost' ? 'silent for longer than the receiver timeout' :
    state === 'incomplete' ? 'the session ended before it finished' :
    r.message ?? failReasons[r.reason] ?? `reason ${r.reason}`;
  const bytes = state === 'done' ? geometry.imageSize : Math.min(geometry.imageSize, r.chunksDone * geometry.chunkSize);
  return { name: r.name, address: r.address, port: r.port, state, reason, bytes, seconds: Math.round(r.seconds * 1000) / 1000 };
}

export function neverJoined(name: string): ReceiverStatus {
  return { name, address: '', port: 0, state: 'never-joined', reason: 'never joined', bytes: 0, seconds: 0 };
}

/** Writes `doc` to `file` atomically (temporary file in the same directory, fsync, rename). */
export function writeStatusFile(file: string, doc: StatusDocument): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(doc, null, 2) + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // renamed or never written
    }
    throw err;
  }
}
