// Symbol ids within a chunk: sources are 0..K-1; repair symbols carry
// REPAIR_BIT, their stripe and their parity index (wire.ts). The C++
// engine has the same functions in the generated wire.h.
import { REPAIR_BIT, REPAIR_INDEX_MASK, REPAIR_STRIPE_SHIFT } from './wire.js';

export function isRepairSymbol(id: number): boolean {
  return (id & REPAIR_BIT) !== 0;
}

export function repairSymbolId(stripe: number, index: number): number {
  return (REPAIR_BIT | (stripe << REPAIR_STRIPE_SHIFT) | (index & REPAIR_INDEX_MASK)) >>> 0;
}

export function repairStripe(id: number): number {
  return (id & ~REPAIR_BIT) >>> REPAIR_STRIPE_SHIFT;
}

export function repairIndex(id: number): number {
  return id & REPAIR_INDEX_MASK;
}
