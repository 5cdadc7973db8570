// Parsing and checking of user-facing option values. Every message names the
// option, what was expected and what was received.
import { invalidOption } from './errors.js';

const RATE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
const SIZE_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** "800m", "10g", "1.5g" (bits per second, like udpcast's --max-bitrate) -> bytes per second; "0"/"unlimited" -> 0. */
export function parseRate(name: string, value: string | number): number {
  if (typeof value === 'number') return checkNonNegative(name, value);
  const v = value.trim().toLowerCase();
  if (v === 'unlimited' || v === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:bit|bps|b)?(?:\/s)?$/.exec(v);
  if (!m) throw invalidOption(name, 'a bit rate such as 800m, 10g or unlimited', value);
  return (Number(m[1]) * RATE_UNITS[m[2] ?? '']!) / 8;
}

/** "1m", "256k", "512MiB", 4096 -> bytes. */
export function parseSize(name: string, value: string | number): number {
  if (typeof value === 'number') return checkInteger(name, value, 0, Number.MAX_SAFE_INTEGER);
  const v = value.trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/.exec(v);
  if (!m) throw invalidOption(name, 'a size such as 1m, 512k or 4096', value);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2] ?? '']!);
}

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw invalidOption(name, `an integer between ${min} and ${max}`, value);
  }
  return n;
}

export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw invalidOption(name, `a number between ${min} and ${max}`, value);
  }
  return n;
}

function checkNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidOption(name, 'a non-negative number', value);
  return value;
}

export function checkMulticastGroup(name: string, value: string): string {
  const parts = value.split('.').map(Number);
  const ok = parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) && parts[0]! >= 224 && parts[0]! <= 239;
  if (!ok) throw invalidOption(name, 'an IPv4 multicast address (224.0.0.0-239.255.255.255)', value);
  return value;
}
