// A sliding anti-replay window (RFC 4303 §3.4.3, as WireGuard keeps it):
// the highest sequence number accepted and which of the `size` below it
// were seen. Packets may arrive reordered within the window; anything at or
// below its floor, or seen already, is a replay.
export class ReplayWindow {
  private top = -1;
  private readonly seen: Uint8Array;

  constructor(private readonly size: number) {
    this.seen = new Uint8Array(size);
  }

  /** Would `seq` be accepted? (Check before the tag, mark after it verifies.) */
  fresh(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) return false;
    if (seq > this.top) return true;
    if (seq <= this.top - this.size) return false;
    return this.seen[seq % this.size] === 0;
  }

  /** Records `seq` as accepted; returns false (and records nothing) for a replay. */
  mark(seq: number): boolean {
    if (!this.fresh(seq)) return false;
    if (seq > this.top) {
      // Slots between the old top and seq become fresh for their new numbers.
      const from = Math.max(this.top + 1, seq - this.size + 1);
      for (let s = from; s < seq; s++) this.seen[s % this.size] = 0;
      this.top = seq;
    }
    this.seen[seq % this.size] = 1;
    return true;
  }
}
