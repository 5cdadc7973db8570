// Which codec a chunk's wire bytes get (docs/PROTOCOL.md, "Wire bytes and
// coding"): a chunk is stored or sent coded only where that shrinks it, so
// every codec falls back to raw per chunk.
import { BlockcastError, invalidOption } from '../errors.js';
import { native } from '../native/binding.js';
import { Coding, type CodingValue } from '../protocol/constants.js';
import { ZSTD_UNAVAILABLE } from './zstd.js';

export const CODEC_NAMES = ['zstd', 'lz4', 'none'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export interface ChunkCodec {
  name: CodecName;
  /** zstd's compression level; 0 for the other codecs, which have none. */
  level: number;
}

/**
 * `prepare`'s default: zstd -9. Measured on ext4-1G.img (bench/RESULTS.md,
 * "zstd codec"): 1.6x fewer bytes than LZ4 at ~40 s per GiB on 2 vCPUs;
 * levels 6-15 send within 2% of it, and level 19 another 11% fewer bytes
 * for 9x the time. Every level decodes at the same speed.
 */
export const PREPARE_DEFAULT_CODEC: ChunkCodec = { name: 'zstd', level: 9 };
/**
 * Raw sends compress as they go, on the sender's cores, ahead of the wire:
 * zstd -1. Measured on ext4-1G.img under a 1 Gbit/s cap (bench/RESULTS.md,
 * "zstd codec"): 1.4x faster end to end than LZ4 at the same sender CPU per
 * GiB, since it puts 0.75x the bytes on the wire and a sender spends more
 * on packets than on compressing (zstd -1 compresses at ~0.8x LZ4's speed
 * per core). --codec lz4 where the sender has few cores for a fast link.
 */
export const SEND_DEFAULT_CODEC: ChunkCodec = { name: 'zstd', level: 1 };
/** zstd's level when --codec zstd names none and the defaults are not zstd. */
export const DEFAULT_ZSTD_LEVEL = 3;

/** The coding a chunk coded with `codec` carries on the wire (when coding shrank it). */
export function codingOf(codec: ChunkCodec): CodingValue {
  return codec.name === 'zstd' ? Coding.Zstd : codec.name === 'lz4' ? Coding.Lz4 : Coding.Raw;
}

/**
 * The codec for `name` and `level`, either of which may be absent (then the
 * defaults apply; `compress: false` means none). Throws EINVALIDOPTION on an
 * unknown codec or a level out of range, ENATIVE for zstd without libzstd.
 */
export function resolveCodec(o: { codec?: string; level?: number; compress?: boolean }, defaults: ChunkCodec): ChunkCodec {
  const name = o.codec ?? (o.compress === false ? 'none' : o.level !== undefined ? 'zstd' : defaults.name);
  if (!(CODEC_NAMES as readonly string[]).includes(name)) throw invalidOption('codec', CODEC_NAMES.join(', '), name);
  if (o.compress === false && name !== 'none') throw new BlockcastError('EINVALIDOPTION', `--no-compress contradicts codec ${name}`);
  if (name !== 'zstd') {
    if (o.level !== undefined) throw new BlockcastError('EINVALIDOPTION', `level applies to zstd only, not to codec ${name}`);
    return { name: name as CodecName, level: 0 };
  }
  if (!native.zstd) throw new BlockcastError('ENATIVE', `Codec zstd is unavailable: ${ZSTD_UNAVAILABLE}`);
  const level = o.level ?? (defaults.name === 'zstd' ? defaults.level : DEFAULT_ZSTD_LEVEL);
  if (!Number.isInteger(level) || level < native.zstd.minLevel || level > native.zstd.maxLevel) {
    throw invalidOption('level', `an integer between ${native.zstd.minLevel} and ${native.zstd.maxLevel}`, level);
  }
  return { name: 'zstd', level };
}

/** "zstd -19", "lz4", "none": how summaries name a codec. */
export function codecLabel(c: ChunkCodec): string {
  return c.name === 'zstd' ? `zstd -${c.level}` : c.name;
}
