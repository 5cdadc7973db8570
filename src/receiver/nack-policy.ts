// Which losses to report to the sender, and when: a pure policy over the
// loss lists the native receiver returns. It sends nothing and reads no
// clock; the caller passes the time.
import { Phase, Stream } from '../protocol/constants.js';
import { NackKind, type Announce, type NackEntry, type NackKindValue } from '../protocol/packets.js';
import { nackBackoffMs } from './backoff.js';
import { nackCounters, type NackCounters } from './stats.js';
import { advertTrustMs, backoffWindowMs, nackHoldoffMs } from './timing.js';

const NACK_LOOKAHEAD_CHUNKS = 8;
/** The most loss entries asked of the native receiver per stream and tick. */
export const NACK_ENTRIES_PER_TICK = 256;
/** REPAIR_ADVs held at most (anyone can send them): the oldest is forgotten first. */
export const MAX_ADVERTS = 1024;
/**
 * Times in a row a chunk's report may be suppressed by a REPAIR_ADV; the
 * next is sent anyway, so forged adverts cannot hold a repair back forever.
 */
export const MAX_SUPPRESSIONS = 2;

/** What the policy reads of the sender's latest ANNOUNCE. */
export type NackAnnounce = Pick<Announce, 'phase' | 'progress' | 'chunkCount' | 'groupSize' | 'nackBackoffMs' | 'rateKiB'> &
  Partial<Pick<Announce, 'chunkSize' | 'symbolSize'>>;

/** Bytes an entry asks the sender for: its symbols, or for a whole chunk (wire length unknown) the chunk size, an upper bound. */
function entryBytes(kind: NackKindValue, pairs: number[], a: NackAnnounce): number {
  if (kind === NackKind.WholeChunk) return a.chunkSize ?? 0;
  let symbols = 0;
  for (let r = 1; r < pairs.length; r += 2) symbols += pairs[r]!;
  return symbols * (a.symbolSize ?? 0);
}

/** How far to look for losses in each stream: chunks below these numbers. */
export interface NackReach {
  manifestBelow: number;
  imageBelow: number;
}

/** One stream's losses as the native receiver's missing() lists them. */
export interface StreamLosses {
  stream: number;
  /** Entries of (chunk, kind, count, then count pairs). */
  flat: Uint32Array;
}

export interface NackPlan {
  /** Reports to send now. */
  entries: NackEntry[];
  /** True while losses are outstanding: incomplete chunks the sender has passed. */
  outstanding: boolean;
}

const keyOf = (stream: number, chunk: number): number => stream * 2 ** 32 + chunk;

export class NackPolicy {
  /** When each chunk was last reported (or its report suppressed). */
  private readonly lastNack = new Map<number, number>();
  /** When each newly seen loss may first be reported (random backoff). */
  private readonly nackDue = new Map<number, number>();
  /** The sender's latest REPAIR_ADV per chunk, while it is recent enough to trust. */
  private readonly advertised = new Map<number, { at: number; stripes: number[] }>();
  /** Reports suppressed in a row per chunk, since its last report sent. */
  private readonly suppressed = new Map<number, number>();

  constructor(
    readonly counters: NackCounters = nackCounters(),
    private readonly random: () => number = Math.random,
  ) {}

  /** Notes the sender's REPAIR_ADV: the parity it plans per stripe of a chunk, as (stripe, count) pairs. */
  advertise(stream: number, chunk: number, stripes: number[], now: number): void {
    const key = keyOf(stream, chunk);
    // Re-inserted, so that the map's order is the order of arrival.
    this.advertised.delete(key);
    this.advertised.set(key, { at: now, stripes });
    if (this.advertised.size > MAX_ADVERTS) this.advertised.delete(this.advertised.keys().next().value!);
  }

  /**
   * A chunk is due once the sender has passed it. Its announced progress is
   * authoritative but up to one announce interval old; the highest chunk
   * seen in data is current but any packet can claim any chunk, so it only
   * counts a few chunks beyond the announced progress.
   * Image chunks are asked for only once the manifest says which are sent.
   * Undefined while the sender waits to start: nothing is due.
   */
  reach(a: NackAnnounce, manifestChunks: number, haveManifest: boolean, seenImage: number, seenManifest: number): NackReach | undefined {
    if (a.phase === Phase.Waiting) return undefined;
    const repairing = a.phase === Phase.Repairing;
    const imageBelow = !haveManifest ? 0 : repairing ? a.chunkCount : Math.max(a.progress, Math.min(seenImage, a.progress + NACK_LOOKAHEAD_CHUNKS));
    const manifestBelow = haveManifest ? 0 : repairing || a.progress > 0 || seenImage >= 0 ? manifestChunks : seenManifest;
    return { manifestBelow, imageBelow };
  }

  /** Reports incomplete chunks the sender has already passed, at most once per holdoff per chunk. */
  plan(now: number, a: NackAnnounce, losses: readonly StreamLosses[]): NackPlan {
    const holdoff = nackHoldoffMs(a.rateKiB);
    const window = backoffWindowMs(a.nackBackoffMs);
    this.forgetStaleAdverts(now, window);
    const entries: NackEntry[] = [];
    const stillMissing = new Set<number>();
    // The sender repairs in order at its rate: an entry behind many bytes of
    // this tick's requests cannot arrive before they are sent, so it is not
    // asked for again before then (a restarted or late receiver asking for
    // half the image would otherwise re-ask, and be charged, every holdoff).
    const bytesPerMs = a.rateKiB * 1.024;
    let queued = 0;
    for (const { stream, flat } of losses) {
      for (let i = 0; i < flat.length; ) {
        const chunk = flat[i]!;
        const kind = flat[i + 1]! as NackKindValue;
        const count = flat[i + 2]!;
        const pairs = Array.from(flat.subarray(i + 3, i + 3 + 2 * count));
        i += 3 + 2 * count;
        const key = keyOf(stream, chunk);
        stillMissing.add(key);
        // (count 0: held parity already covers every stripe, except for a
        // whole-chunk entry, which names no stripes at all.)
        const last = this.lastNack.get(key);
        if ((count === 0 && kind !== NackKind.WholeChunk) || (last !== undefined && now - last < holdoff)) continue;
        // A random backoff before the first report of a loss lets the
        // sender's REPAIR_ADV, prompted by a faster receiver, arrive first.
        let due = this.nackDue.get(key);
        if (due === undefined) this.nackDue.set(key, (due = now + nackBackoffMs(window, a.groupSize, this.random())));
        if (now < due) continue;
        this.nackDue.delete(key);
        this.lastNack.set(key, now);
        if (kind === NackKind.StripeNeeds && this.coveredByAdvert(key, pairs, now, window) && (this.suppressed.get(key) ?? 0) < MAX_SUPPRESSIONS) {
          this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
          this.counters.nacksSuppressed++;
          continue;
        }
        this.suppressed.delete(key);
        entries.push({ stream, chunk, kind, pairs });
        queued += entryBytes(kind, pairs, a);
        if (bytesPerMs > 0) this.lastNack.set(key, now + queued / bytesPerMs);
        for (let r = 1; r < pairs.length; r += 2) this.counters.symbolsRequested += pairs[r]!;
      }
    }
    // Forget backoffs of losses repaired before they were reported.
    for (const key of this.nackDue.keys()) if (!stillMissing.has(key)) this.nackDue.delete(key);
    for (const key of this.suppressed.keys()) if (!stillMissing.has(key)) this.suppressed.delete(key);
    return { entries, outstanding: stillMissing.size > 0 };
  }

  /** When the earliest report held back by its backoff falls due (Infinity: none is). */
  nextDue(): number {
    let next = Infinity;
    for (const due of this.nackDue.values()) next = Math.min(next, due);
    return next;
  }

  /** True if a recent REPAIR_ADV plans at least as much parity as this receiver needs in every stripe. */
  private coveredByAdvert(key: number, needs: number[], now: number, window: number): boolean {
    const adv = this.advertised.get(key);
    if (!adv || now - adv.at > advertTrustMs(window)) return false;
    for (let i = 0; i < needs.length; i += 2) {
      let planned = 0;
      for (let j = 0; j < adv.stripes.length; j += 2) if (adv.stripes[j] === needs[i]) planned = adv.stripes[j + 1]!;
      if (planned < needs[i + 1]!) return false;
    }
    return true;
  }

  /** An advert older than the trust window is never consulted again: drop it, so the map holds only the rounds in flight. */
  private forgetStaleAdverts(now: number, window: number): void {
    const trust = advertTrustMs(window);
    for (const [key, adv] of this.advertised) if (now - adv.at > trust) this.advertised.delete(key);
  }

  /** Adverts held (for tests: the map stays bounded). */
  get advertCount(): number {
    return this.advertised.size;
  }
}

/**
 * A stream session's reach: every segment announced (ANNOUNCE counts those
 * sent), and image chunks as in reach() but only those whose segment is
 * known (the others may be zero chunks, never sent).
 */
export function streamReach(a: NackAnnounce & Pick<Announce, 'segments'>, knownChunks: number, seenImage: number): NackReach | undefined {
  if (a.phase === Phase.Waiting) return undefined;
  const firstPass = a.phase === Phase.Repairing ? a.progress : Math.max(a.progress, Math.min(seenImage, a.progress + NACK_LOOKAHEAD_CHUNKS));
  return { manifestBelow: a.segments ?? 0, imageBelow: Math.min(knownChunks, firstPass) };
}

/** The streams in the order their losses are asked for and reported: the manifest first. */
export function streamsToCheck(reach: NackReach): { stream: number; below: number }[] {
  return [
    { stream: Stream.Manifest, below: reach.manifestBelow },
    { stream: Stream.Image, below: reach.imageBelow },
  ].filter((s) => s.below > 0);
}

/** The losses the policy looks at this tick, read from the native receiver, and the NACK entries it decides on. */
export function planLossReports(
  nacks: NackPolicy,
  rx: { missing(stream: number, below: number, maxEntries: number): Uint32Array },
  a: Announce,
  assembly: { manifestChunks: number; haveManifest: boolean },
  stream: { catalog: { known: number } } | undefined,
  now: number,
  seenImage: number,
  seenManifest: number,
): { entries: NackEntry[]; outstanding: boolean } {
  const reach = stream ? streamReach(a, stream.catalog.known, seenImage) : nacks.reach(a, assembly.manifestChunks, assembly.haveManifest, seenImage, seenManifest);
  if (!reach) return { entries: [], outstanding: false };
  const losses = streamsToCheck(reach).map(({ stream: s, below }) => ({ stream: s, flat: rx.missing(s, below, NACK_ENTRIES_PER_TICK) }));
  return nacks.plan(now, a, losses);
}
