import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GROUP, DEFAULT_MAX_BUFFER, DEFAULT_PORT, DEFAULT_SENDER_TIMEOUT_S, DEFAULT_SOCKET_BUFFER } from '../../src/defaults.js';
import { BlockcastError } from '../../src/errors.js';
import { defaultWorkerThreads } from '../../src/image/pool.js';
import { RECEIVE_DEFAULTS, resolveReceiveOptions, type ReceiveOptions } from '../../src/receiver/options.js';
import { ReceiverSession } from '../../src/receiver/session.js';

const base: ReceiveOptions = { target: '/tmp/t.img', interface: '127.0.0.1' };

/** The message resolveReceiveOptions throws for `extra`, checking it is an EINVALIDOPTION. */
function rejection(extra: Partial<ReceiveOptions>): string {
  try {
    resolveReceiveOptions({ ...base, ...extra });
  } catch (err) {
    expect(err).toBeInstanceOf(BlockcastError);
    expect((err as BlockcastError).code).toBe('EINVALIDOPTION');
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

describe('receive options', () => {
  it('applies the defaults', () => {
    const o = resolveReceiveOptions(base);
    expect([o.target, o.interfaceAddress, o.name, o.workers]).toEqual(['/tmp/t.img', '127.0.0.1', os.hostname().slice(0, 64), defaultWorkerThreads()]);
    expect([o.group, o.port, o.waitTimeout, o.senderTimeout]).toEqual([DEFAULT_GROUP, DEFAULT_PORT, 0, DEFAULT_SENDER_TIMEOUT_S]);
    expect([o.maxBuffer, o.socketBuffer, o.gro, o.targetZeroed]).toEqual([DEFAULT_MAX_BUFFER, DEFAULT_SOCKET_BUFFER, true, false]);
    expect(o.session).toBeUndefined();
    expect(o.expectDigest).toBeUndefined();
    // What the CLI shows in --help is what is applied.
    expect(o).toMatchObject(RECEIVE_DEFAULTS);
  });

  it('keeps what it is given, trims the name and lower-cases the digest', () => {
    const digest = 'AB'.repeat(32);
    const o = resolveReceiveOptions({ ...base, group: '239.1.2.3', port: 5000, name: 'n'.repeat(80), session: 7, expectDigest: digest, gro: false, workers: 2 });
    expect(o).toMatchObject({ group: '239.1.2.3', port: 5000, name: 'n'.repeat(64), session: 7, expectDigest: 'ab'.repeat(32), gro: false, workers: 2 });
  });

  it('names each bad option, what was expected and what was received', () => {
    expect(rejection({ target: '' })).toBe('A target (file, block device, or - for stdout) or a pipe command is required');
    expect(rejection({ target: 'x.img', pipe: 'cat' })).toBe('Give either a target (x.img) or a pipe command, not both');
    expect(rejection({ target: undefined, pipe: ' ' })).toBe('The pipe command is empty');
    expect(rejection({ expectDigest: 'xyz' })).toBe('Expected 64 hex digits for expectDigest but received "xyz"');
    expect(rejection({ group: '10.1.2.3' })).toBe('Expected an IPv4 multicast address (224.0.0.0-239.255.255.255) for group but received "10.1.2.3"');
    expect(rejection({ port: 0 })).toBe('Expected an integer between 1 and 65535 for port but received 0');
    expect(rejection({ interface: 'nosuch0' })).toBe('Expected an interface with an IPv4 address for interface but received "nosuch0"');
    expect(rejection({ waitTimeout: -1 })).toBe('Expected a number between 0 and 1000000000 for waitTimeout but received -1');
    expect(rejection({ senderTimeout: 0.1 })).toBe('Expected a number between 0.5 and 1000000 for senderTimeout but received 0.1');
    expect(rejection({ maxBuffer: 1 })).toBe('Expected an integer between 134217728 and 35184372088832 for maxBuffer but received 1');
    expect(rejection({ socketBuffer: -1 })).toBe('Expected an integer between 0 and 2147483647 for socketBuffer but received -1');
    expect(rejection({ workers: 0 })).toBe('Expected an integer between 1 and 64 for workers but received 0');
    expect(rejection({ session: 0 })).toBe('Expected an integer between 1 and 4294967295 for session but received 0');
  });

  it('is what the session checks its options with', () => {
    expect(() => new ReceiverSession({ ...base, port: 70000 })).toThrow('Expected an integer between 1 and 65535 for port but received 70000');
    expect(new ReceiverSession(base).opts).toEqual(resolveReceiveOptions(base));
  });
});
