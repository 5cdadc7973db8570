// Each member's repair credit: how many repair bytes its NACKs may still
// ask for. It bounds what one member can make the sender multicast, however
// its reports are forged, by a small multiple of what the sender sent.
//
// The credit is FACTOR × the first pass's DATA bytes multicast so far (from
// the session's start, so a late joiner may ask for all of them), less what
// the member's NACK entries were charged: each accepted entry costs the
// symbols it names × the symbol size, whether or not another receiver's
// report already asked for the same repair. An entry beyond the credit is
// dropped whole.
//
// Why only first-pass bytes earn credit, not repair bytes too: a member's
// own repairs would then pay for its next request (it asks X, the sender
// sends X, its credit grows by X), so a member could keep the sender
// repairing forever. With FACTOR = 2 a receiver that joined before the
// first pass is served up to 2/3 loss (it needs F·p/(1−p) in all, the loss
// of every round repaired again), and one that joins after it, needing the
// whole image, up to 1/2 loss (F/(1−p)); the margin the sender adds for the
// loss a round meets (repairs.ts repairMargin) is its own policy and is not
// charged.

export const REPAIR_CREDIT_FACTOR = 2;

/** What the budget reads and writes of a member. */
export interface Charged {
  repairCharged: number;
}

export class RepairBudget {
  /** The first pass's DATA bytes sent (or queued) so far. */
  firstPassBytes = 0;

  constructor(readonly factor = REPAIR_CREDIT_FACTOR) {}

  /** A first-pass chunk's DATA bytes went out (or were queued to): every member's credit grows. */
  firstPassSent(bytes: number): void {
    this.firstPassBytes += bytes;
  }

  /** Repair bytes `m` may still ask for. */
  credit(m: Charged): number {
    return Math.max(0, this.factor * this.firstPassBytes - m.repairCharged);
  }

  /** Charges `bytes` to `m` if its credit covers them; false (nothing charged) if not. */
  charge(m: Charged, bytes: number): boolean {
    if (bytes > this.credit(m)) return false;
    m.repairCharged += bytes;
    return true;
  }
}
