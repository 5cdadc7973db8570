import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { BlockcastError, ExitCode } from '../../src/errors.js';
import { resolveInterface, type HostNetwork } from '../../src/net/interface.js';

const v4 = (address: string): os.NetworkInterfaceInfo =>
  ({ address, family: 'IPv4', netmask: '255.255.255.0', mac: '00:00:00:00:00:00', internal: false, cidr: `${address}/24` }) as os.NetworkInterfaceInfo;

function host(route: string | undefined): HostNetwork {
  return { interfaces: () => ({ lo: [v4('127.0.0.1')], eth1: [v4('10.0.0.2')], eth2: [] }), defaultRouteInterface: () => route };
}

describe('resolveInterface', () => {
  it("takes the default route's interface when none is given", () => {
    expect(resolveInterface(undefined, host('eth1'))).toEqual({ name: 'eth1', address: '10.0.0.2' });
  });

  it('with no default route, fails as a usage error listing the interfaces to choose from (no loopback fallback)', () => {
    let err: unknown;
    try {
      resolveInterface(undefined, host(undefined));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BlockcastError);
    expect((err as BlockcastError).exitCode).toBe(ExitCode.Usage);
    expect((err as Error).message).toBe(
      'No --interface given and this host has no IPv4 default route to pick one from: choose one with --interface NAME|ADDRESS; interfaces with IPv4 addresses: lo (127.0.0.1), eth1 (10.0.0.2)',
    );
  });

  it("says so when the default route's interface has no IPv4 address", () => {
    expect(() => resolveInterface(undefined, host('eth2'))).toThrow("the default route's interface eth2 has no IPv4 address");
  });

  it('loopback stays usable when asked for', () => {
    expect(resolveInterface('lo', host(undefined))).toEqual({ name: 'lo', address: '127.0.0.1' });
    expect(resolveInterface('127.0.0.1', host(undefined))).toEqual({ name: 'lo', address: '127.0.0.1' });
  });
});
