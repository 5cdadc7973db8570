// Argument parsers for commander options: a bad value is a usage error
// (exit 2) that names the option.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { BlockcastError } from '../../errors.js';
import { parseSize } from '../../validate.js';

export function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

export function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
    return n;
  };
}

export function size(name: string) {
  return (v: string): number => {
    try {
      return parseSize(name, v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** `a,b,c`, or `@FILE` with one name a line (blank lines and # comments skipped). */
export function nameList(value: string): string[] {
  if (!value.startsWith('@')) return value.split(',').map((n) => n.trim()).filter(Boolean);
  const file = value.slice(1);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BlockcastError('EINVALIDOPTION', `Cannot read the receivers file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const names = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  if (names.length === 0) throw new BlockcastError('EINVALIDOPTION', `The receivers file ${file} names no receiver`);
  return names;
}
