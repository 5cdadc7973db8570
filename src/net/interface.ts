// Resolves --interface (a name like eth0 or an IPv4 address) to the local
// IPv4 address the native sockets use. With no option, both sides pick the
// same default, so a sender and a receiver on one host find each other.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { invalidOption } from '../errors.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Of(name: string): string | undefined {
  return os.networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
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
    // not Linux, or no /proc: fall through to loopback
  }
  return undefined;
}

export function resolveInterface(value: string | undefined): { name: string; address: string } {
  if (value === undefined || value === '') {
    const iface = defaultRouteInterface();
    const address = iface ? ipv4Of(iface) : undefined;
    if (iface && address) return { name: iface, address };
    return { name: 'lo', address: '127.0.0.1' };
  }
  if (IPV4.test(value)) {
    const owner = Object.entries(os.networkInterfaces()).find(([, addrs]) => addrs?.some((a) => a.address === value));
    if (!owner) throw invalidOption('interface', 'an interface name or an IPv4 address of this host', value);
    return { name: owner[0], address: value };
  }
  const address = ipv4Of(value);
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
