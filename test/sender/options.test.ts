import { describe, expect, it } from 'vitest';
import { DEFAULT_FEC_STRIPE, DEFAULT_GROUP, DEFAULT_PORT, DEFAULT_RECEIVER_TIMEOUT_S, DEFAULT_SOCKET_BUFFER } from '../../src/defaults.js';
import { BlockcastError } from '../../src/errors.js';
import { MAX_CHUNK_SIZE } from '../../src/protocol/constants.js';
import { SEND_DEFAULTS, resolveSendOptions, type SendOptions } from '../../src/sender/options.js';

const base: SendOptions = { image: 'disk.img', interface: '127.0.0.1' };
const resolve = (o: Partial<SendOptions>) => resolveSendOptions({ ...base, ...o });
/** The message resolveSendOptions throws for `o` (and that it is a usage error). */
function rejection(o: Partial<SendOptions>): string {
  try {
    resolve(o);
  } catch (err) {
    expect(err).toBeInstanceOf(BlockcastError);
    expect((err as BlockcastError).code).toBe('EINVALIDOPTION');
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(o)}`);
}

describe('resolveSendOptions', () => {
  it('fills in every default', () => {
    const o = resolve({});
    // Pinned as literals, so that a changed default shows up here.
    const pinned = { group: DEFAULT_GROUP, port: DEFAULT_PORT, mtu: 1500, rate: '1g', rateBytes: 125e6, ttl: 1, chunkSize: 1024 * 1024, minReceivers: 1, maxWait: 0 };
    const flags = { gso: true, fecStripe: DEFAULT_FEC_STRIPE, fecRatio: 0, loopback: true, codec: { name: 'zstd', level: 1 }, receiverTimeout: DEFAULT_RECEIVER_TIMEOUT_S, socketBuffer: DEFAULT_SOCKET_BUFFER };
    expect(o).toMatchObject({ image: 'disk.img', interfaceAddress: '127.0.0.1', interfaceName: 'lo', ...pinned, ...flags });
    expect(o.workers).toBeGreaterThanOrEqual(1);
    expect(o.workers).toBeLessThanOrEqual(4);
    expect(o.session).toBeGreaterThanOrEqual(1);
    for (const [k, v] of Object.entries(SEND_DEFAULTS)) expect(o[k as keyof typeof o], k).toBe(v);
  });

  it('reports to a fixed control port: the data port + 1 unless set (0: ephemeral), never the data port', () => {
    expect(resolve({}).controlPort).toBe(DEFAULT_PORT + 1);
    expect(resolve({ port: 40000 }).controlPort).toBe(40001);
    expect(resolve({ port: 65535 }).controlPort).toBe(65534);
    expect(resolve({ controlPort: 0 }).controlPort).toBe(0);
    expect(rejection({ port: 5000, controlPort: 5000 })).toContain('controlPort 5000 is the data port');
    expect(resolve({ receivers: ['a', 'b', 'a'] }).receivers).toEqual(['a', 'b']);
    expect(rejection({ receivers: [''] })).toContain('receiver names of 1 to 64 bytes');
  });

  it('keeps what the caller set', () => {
    const o = resolve({ rate: 'unlimited', session: 7, fecStripe: 0, fecRatio: 0.05, gso: false, workers: 2, maxWait: 1.5 });
    expect(o).toMatchObject({ rateBytes: 0, session: 7, fecStripe: 0, fecRatio: 0.05, gso: false, workers: 2, maxWait: 1.5 });
  });

  it('resolves the codec: a name, a level (alone it means zstd), --no-compress', () => {
    expect(resolve({ codec: 'zstd' }).codec).toEqual({ name: 'zstd', level: 1 });
    expect(resolve({ codec: 'lz4' }).codec).toEqual({ name: 'lz4', level: 0 });
    expect(resolve({ level: 7 }).codec).toEqual({ name: 'zstd', level: 7 });
    expect(resolve({ codec: 'none' }).codec).toEqual({ name: 'none', level: 0 });
    expect(resolve({ compress: false }).codec).toEqual({ name: 'none', level: 0 });
    expect(rejection({ codec: 'brotli' as never })).toBe('Expected zstd, lz4, none for codec but received "brotli"');
    expect(rejection({ codec: 'zstd', level: 0 })).toBe('Expected an integer between 1 and 22 for level but received 0');
    expect(rejection({ codec: 'lz4', level: 3 })).toBe('level applies to zstd only, not to codec lz4');
    expect(rejection({ codec: 'zstd', compress: false })).toBe('--no-compress contradicts codec zstd');
  });

  it('names the option, what it expects and what it got', () => {
    const integer = (name: string, min: number, max: number, v: unknown) => `Expected an integer between ${min} and ${max} for ${name} but received ${JSON.stringify(v)}`;
    const number = (name: string, min: number, max: number, v: unknown) => `Expected a number between ${min} and ${max} for ${name} but received ${JSON.stringify(v)}`;
    expect(rejection({ interface: 'nosuch0' })).toContain('for interface but received "nosuch0"');
    expect(rejection({ chunkSize: 1000 })).toBe(integer('chunkSize', 4096, MAX_CHUNK_SIZE, 1000));
    expect(rejection({ mtu: 100 })).toBe(integer('mtu', 576, 65535, 100));
    expect(rejection({ mtu: 576, chunkSize: MAX_CHUNK_SIZE })).toBe(`chunkSize ${MAX_CHUNK_SIZE} needs more than 65535 symbols at mtu 576`);
    expect(rejection({ group: '10.1.2.3' })).toBe('Expected an IPv4 multicast address (224.0.0.0-239.255.255.255) for group but received "10.1.2.3"');
    expect(rejection({ port: 0 })).toBe(integer('port', 1, 65535, 0));
    expect(rejection({ rate: 'fast' })).toBe('Expected a bit rate such as 800m, 10g or unlimited for rate but received "fast"');
    expect(rejection({ rate: -1 })).toBe('Expected a non-negative number for rate but received -1');
    expect(rejection({ ttl: 256 })).toBe(integer('ttl', 0, 255, 256));
    expect(rejection({ minReceivers: 0 })).toBe(integer('minReceivers', 1, 100000, 0));
    expect(rejection({ maxWait: -1 })).toBe(number('maxWait', 0, 1e9, -1));
    expect(rejection({ receiverTimeout: 0.1 })).toBe(number('receiverTimeout', 0.5, 1e6, 0.1));
    expect(rejection({ socketBuffer: -1 })).toBe(integer('socketBuffer', 0, 2 ** 31 - 1, -1));
    expect(rejection({ fecStripe: 255 })).toBe(integer('fecStripe', 0, 254, 255));
    expect(rejection({ fecRatio: 2 })).toBe(number('fec', 0, 1, 2));
    expect(rejection({ workers: 0 })).toBe(integer('workers', 1, 64, 0));
    expect(rejection({ session: 0 })).toBe(integer('session', 1, 2 ** 32 - 1, 0));
  });

  it('checks the interface first, then chunk size and mtu, as before', () => {
    expect(rejection({ interface: 'nosuch0', chunkSize: 1 })).toContain('interface');
    expect(rejection({ chunkSize: 1, mtu: 1 })).toContain('chunkSize');
  });
});
