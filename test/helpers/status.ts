// A STATUS report for tests: a receiving node with zero figures, any field overridden.
import { FailReason, ReceiverState } from '../../src/protocol/constants.js';
import type { Status } from '../../src/protocol/packets.js';

export function makeStatus(receiverId: number, o: Partial<Status> = {}): Status {
  return {
    session: 1,
    receiverId,
    state: ReceiverState.Receiving,
    reason: FailReason.None,
    nonce: Buffer.alloc(16),
    overloaded: false,
    chunksDone: 0,
    capacity: 0,
    packets: 0,
    malformed: 0,
    duplicates: 0,
    imageDigest: Buffer.alloc(0),
    name: `node${receiverId}`,
    ...o,
  };
}
