/**
 * When a receiver first reports a loss: a delay drawn from NORM's truncated
 * exponential distribution (RFC 5740, after the NACK building block of
 * RFC 5401) over [0, windowMs), with λ = ln(groupSize) + 1. Few receivers
 * of a large group draw early delays, so the sender's REPAIR_ADV of their
 * needs reaches the rest before they report, and most stay silent; a
 * uniform draw would make as many report early as late.
 */
export function nackBackoffMs(windowMs: number, groupSize: number, u = Math.random()): number {
  const lambda = Math.log(Math.max(1, groupSize)) + 1;
  return (windowMs / lambda) * Math.log1p(u * Math.expm1(lambda));
}
