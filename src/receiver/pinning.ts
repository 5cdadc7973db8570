// The sender a receiver joined, pinned: its address, its session and every
// field of its ANNOUNCE that cannot change within a session. Anything that
// disagrees with the pin is not from that sender (or not from now), so it
// changes nothing.
import { AnnounceFlag } from '../protocol/constants.js';
import type { Announce } from '../protocol/packets.js';

/** A stream session (`send -`): its size, segments and newest segment's hash grow as the sender reads. */
export function isStream(a: Pick<Announce, 'streamFlags'>): boolean {
  return ((a.streamFlags ?? 0) & AnnounceFlag.Stream) !== 0;
}

/** ANNOUNCE fields fixed for a whole session; a later ANNOUNCE that changes one is forged. */
export const FIXED_FIELDS = [
  'session',
  'controlPort',
  'imageSize',
  'chunkSize',
  'symbolSize',
  'stripeSize',
  'chunkCount',
  'manifestSize',
  'manifestDigest',
  'cipher',
  'salt',
  'streamFlags',
  'segmentChunks',
] as const satisfies readonly (keyof Announce)[];

/** Fixed in a file session, but growing in a stream session (checked by judgeAnnounce instead). */
const STREAM_GROWING: readonly string[] = ['imageSize', 'manifestDigest'];

/** The first fixed field in which two ANNOUNCEs differ, or undefined if none does. */
export function changedField(a: Announce, b: Announce): (typeof FIXED_FIELDS)[number] | undefined {
  for (const f of FIXED_FIELDS) {
    if (isStream(a) && STREAM_GROWING.includes(f)) continue;
    const x = a[f];
    const y = b[f];
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y) ? !x.equals(y) : x !== y) return f;
  }
  return undefined;
}

/**
 * True if `a` would move the sender backwards: an earlier phase or less
 * progress than already seen (a replayed or reordered ANNOUNCE).
 */
export function goesBack(latest: Pick<Announce, 'phase' | 'progress' | 'segments'>, a: Pick<Announce, 'phase' | 'progress' | 'segments'>): boolean {
  return a.phase < latest.phase || a.progress < latest.progress || (a.segments ?? 0) < (latest.segments ?? 0);
}

/** What to do with an ANNOUNCE once a sender is pinned. */
export type AnnounceVerdict = 'update' | 'forged' | 'stale';

/** The joined sender: where it sends from, and its latest ANNOUNCE (whose fixed fields are the join's). */
export interface PinnedSender {
  address: string;
  announce: Announce;
}

/**
 * Judges an ANNOUNCE against the pinned sender: from another address, of
 * another session or with another fixed field it is forged; one that would
 * move phase or progress backwards is stale; anything else updates the pin.
 */
export function judgeAnnounce(pin: PinnedSender, a: Announce, address: string): AnnounceVerdict {
  if (address !== pin.address || changedField(pin.announce, a) !== undefined) return 'forged';
  if (goesBack(pin.announce, a)) return 'stale';
  const p = pin.announce;
  // A stream's size is set once, at its end; the same segments have the same newest hash.
  if (isStream(p) && ((p.imageSize !== 0 && a.imageSize !== p.imageSize) || (a.segments === p.segments && !a.manifestDigest.equals(p.manifestDigest)))) return 'forged';
  return 'update';
}
