// Pending repairs: the union, per chunk, of the symbols receivers reported
// missing. Requests that arrive before a chunk's repair goes out merge into
// it, so a symbol lost by many receivers is resent once.

export interface RepairRequest {
  stream: number;
  chunk: number;
  symbols: Uint32Array;
}

export class RepairQueue {
  // Insertion order = order of first request: the oldest need is served first.
  private readonly pending = new Map<number, { stream: number; chunk: number; want: Uint8Array }>();

  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds runs of missing symbols ([start, count, ...]) for a chunk with
   * `symbolCount` symbols. Returns the number of symbols named, or -1 if a
   * run falls outside the chunk (the report is malformed).
   */
  add(stream: number, chunk: number, symbolCount: number, ranges: number[]): number {
    for (let i = 0; i < ranges.length; i += 2) {
      if (ranges[i + 1]! === 0 || ranges[i]! + ranges[i + 1]! > symbolCount) return -1;
    }
    const key = stream * 2 ** 32 + chunk;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { stream, chunk, want: new Uint8Array(symbolCount) };
      this.pending.set(key, entry);
    }
    let named = 0;
    for (let i = 0; i < ranges.length; i += 2) {
      entry.want.fill(1, ranges[i]!, ranges[i]! + ranges[i + 1]!);
      named += ranges[i + 1]!;
    }
    return named;
  }

  /** Takes the oldest pending repair. */
  take(): RepairRequest | undefined {
    const first = this.pending.entries().next();
    if (first.done) return undefined;
    const [key, entry] = first.value;
    this.pending.delete(key);
    const ids: number[] = [];
    entry.want.forEach((w, i) => {
      if (w) ids.push(i);
    });
    return { stream: entry.stream, chunk: entry.chunk, symbols: Uint32Array.from(ids) };
  }
}
