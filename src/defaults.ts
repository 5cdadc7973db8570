// Defaults shared by the CLI, the library API and the docs. A sender and a
// receiver started with no options on one host find each other.
export const DEFAULT_GROUP = '239.255.77.77';
export const DEFAULT_PORT = 9753;
export const DEFAULT_RATE = '1g';
export const DEFAULT_TTL = 1;
export const DEFAULT_SOCKET_BUFFER = 32 * 1024 * 1024;
/** The sender's unicast socket for receivers' reports. */
export const CONTROL_SOCKET_BUFFER = 8 * 1024 * 1024;
export const DEFAULT_RECEIVER_TIMEOUT_S = 10;
export const DEFAULT_SENDER_TIMEOUT_S = 15;
export const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;
export const ANNOUNCE_INTERVAL_MS = 100;
export const STATUS_INTERVAL_MS = 1000;
/**
 * How often a receiver checks for losses to report: often once the sender
 * only repairs (the session's tail, where every round trip counts), less
 * while it still sends the first pass (reports then overlap new data), and
 * rarely when nothing the sender has passed is missing (an ANNOUNCE of new
 * progress wakes it): each timer wake-up costs CPU that hundreds of
 * receivers on one host share.
 */
export const NACK_INTERVAL_MS = 20;
export const FIRST_PASS_NACK_INTERVAL_MS = 100;
export const IDLE_TICK_MS = 250;
export const NACK_HOLDOFF_MS = 150;
export const DEFAULT_FEC_STRIPE = 200;
/** How long the sender gathers receivers' reports of a loss before repairing it (> one repair-phase NACK tick). */
export const REPAIR_WINDOW_MS = 60;
/**
 * After a repair round is on the wire, how long a report of the same chunk
 * may still predate its arrival: a receiver's tick, its random backoff and a
 * round trip. Parity of the round is subtracted from such reports.
 */
export const REPAIR_HOLD_MS = FIRST_PASS_NACK_INTERVAL_MS + 50;
/**
 * The window over which receivers spread the first report of a loss: the
 * default (one receiver, or a fast link), and the most it grows to on a slow
 * link in a group's first pass and in its repair tail (where each round trip
 * counts).
 */
export const NACK_BACKOFF_MS = 20;
export const MAX_NACK_BACKOFF_MS = 500;
export const MAX_TAIL_NACK_BACKOFF_MS = 200;
/**
 * How long the sender gathers reports of a chunk's loss into one round, and
 * how long a receiver trusts a REPAIR_ADV to describe that round, when
 * receivers spread their reports over `backoffMs`: the backoff, plus
 * receivers noticing the loss up to a first-pass tick apart, plus the
 * default window for the reports' trip.
 */
export function collectionWindowMs(backoffMs: number): number {
  return backoffMs <= NACK_BACKOFF_MS ? REPAIR_WINDOW_MS : backoffMs + FIRST_PASS_NACK_INTERVAL_MS + REPAIR_WINDOW_MS;
}
