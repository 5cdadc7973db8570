// The receiver's chunk memory: a fixed set of buffers lent to the native
// receiver to assemble chunks into.
import type { NativeReceiver } from '../native/binding.js';

/**
 * Memory for chunks is a fixed set of buffers ("slots", --max-buffer in
 * all) that JS owns and lends to the native receiver to assemble into. A
 * completed chunk's slot travels to a worker to be verified and written and
 * comes back by transfer: no copies, no allocation per chunk. When every
 * slot is busy the native side drops symbols, and they are repaired later.
 */
export class ChunkSlots {
  private readonly buffers: Buffer[] = [];

  constructor(
    private readonly rx: Pick<NativeReceiver, 'provide'>,
    /** True once the session has an outcome: slots are no longer lent. */
    private readonly ended: () => boolean,
  ) {}

  /** How many slots of `chunkSize` bytes fit in `maxBuffer` (at least 4). */
  static countFor(chunkSize: number, maxBuffer: number): number {
    return Math.max(4, Math.floor(maxBuffer / chunkSize));
  }

  /** Allocates the slots for chunks of `chunkSize` within `maxBuffer` bytes (at least 4) and lends them all. */
  create(chunkSize: number, maxBuffer: number): void {
    const count = ChunkSlots.countFor(chunkSize, maxBuffer);
    for (let id = 0; id < count; id++) {
      this.buffers.push(Buffer.allocUnsafeSlow(chunkSize));
      this.lend(id);
    }
  }

  get count(): number {
    return this.buffers.length;
  }

  buffer(id: number): Buffer {
    return this.buffers[id]!;
  }

  lend(id: number): void {
    if (!this.ended()) this.rx.provide(this.buffers[id]!, id);
  }

  /** A slot's memory is back from a worker (moved, not copied): lend it again. */
  returned(id: number, memory: ArrayBuffer): void {
    this.restore(id, memory);
    this.lend(id);
  }

  /** A slot's memory is back from a worker, but its bytes are still needed: lend it later. */
  restore(id: number, memory: ArrayBuffer): void {
    this.buffers[id] = Buffer.from(memory);
  }
}
