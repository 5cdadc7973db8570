// Resolves --interface (a name like eth0 or an IPv4 address) to the local
// IPv4 address the native sockets use. With no option, both sides pick the
// default route's interface, so a sender and a receiver on one host find
// each other; with no default route there is no good guess (loopback
// would make a node wait silently for a sender it can never hear), so the
// caller must choose, from the list the error gives.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { BlockcastError, invalidOption } from '../errors.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** What resolveInterface reads of the host (tests pass their own). */
export interface HostNetwork {
  interfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  defaultRouteInterface(): string | undefined;
}

export const hostNetwork: HostNetwork = { interfaces: () => os.networkInterfaces(), defaultRouteInterface };

function ipv4Of(host: HostNetwork, name: string): string | undefined {
  return host.interfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}

/** The interface of the IPv4 default route, if there is one. */
function defaultRouteInterface(): string | undefined {
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
      if (destination === '00000000' && mask === '00000000' && iface) return iface;
    }
  } catch {
    // not Linux, or no /proc: no default route known
  }
  return undefined;
}

/** "eth1 (10.0.0.2), lo (127.0.0.1)": every interface with an IPv4 address. */
export function ipv4Interfaces(host: HostNetwork = hostNetwork): string {
  const list = Object.entries(host.interfaces()).flatMap(([name, addrs]) =>
    (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => `${name} (${a.address})`),
  );
  return list.length > 0 ? list.join(', ') : 'none';
}

export function resolveInterface(value: string | undefined, host: HostNetwork = hostNetwork): { name: string; address: string } {
  if (value === undefined || value === '') {
    const iface = host.defaultRouteInterface();
    const address = iface ? ipv4Of(host, iface) : undefined;
    if (iface && address) return { name: iface, address };
    const why = iface ? `the default route's interface ${iface} has no IPv4 address` : 'this host has no IPv4 default route';
    throw new BlockcastError('EINVALIDOPTION', `No --interface given and ${why} to pick one from: choose one with --interface NAME|ADDRESS; interfaces with IPv4 addresses: ${ipv4Interfaces(host)}`);
  }
  if (IPV4.test(value)) {
    const owner = Object.entries(host.interfaces()).find(([, addrs]) => addrs?.some((a) => a.address === value));
    if (!owner) throw invalidOption('interface', 'an interface name or an IPv4 address of this host', value);
    return { name: owner[0], address: value };
  }
  const address = ipv4Of(host, value);
  if (!address) throw invalidOption('interface', 'an interface with an IPv4 address', value);
  return { name: value, address };
}

/** The interface's MTU (Linux sysfs), or undefined when it cannot be read. */
export function interfaceMtu(name: string): number | undefined {
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
  } catch {
    return undefined;
  }
}
