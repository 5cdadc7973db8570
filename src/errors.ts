// One error class for everything blockcast reports; `code` is stable API
// for callers, `exitCode` is what the CLI exits with.
import { getSystemErrorName } from 'node:util';

export const ExitCode = {
  Ok: 0,
  Failed: 1, // the session ran but some receiver failed or was lost
  Usage: 2, // bad command line or option
  Target: 3, // target too small, unwritable, disk full
  Session: 4, // no sender / no receivers / sender ended early / timeout
  Verify: 5, // data did not verify against the manifest
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'EINVALIDOPTION'
  | 'ETARGETTOOSMALL'
  | 'ETARGETIO'
  | 'EIMAGE'
  | 'ENORECEIVERS'
  | 'ENOSENDER'
  | 'ESENDERENDED'
  | 'ERECEIVERSFAILED'
  | 'EDIGEST'
  | 'ENATIVE'
  | 'EABORTED'
  | 'EKEY';

const exitCodes: Record<ErrorCode, ExitCodeValue> = {
  EINVALIDOPTION: ExitCode.Usage,
  ETARGETTOOSMALL: ExitCode.Target,
  ETARGETIO: ExitCode.Target,
  EIMAGE: ExitCode.Target,
  ENORECEIVERS: ExitCode.Session,
  ENOSENDER: ExitCode.Session,
  ESENDERENDED: ExitCode.Session,
  ERECEIVERSFAILED: ExitCode.Failed,
  EDIGEST: ExitCode.Verify,
  ENATIVE: ExitCode.Failed,
  EABORTED: ExitCode.Failed,
  EKEY: ExitCode.Usage, // a key file missing, unreadable, malformed or too open
};

export class BlockcastError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly syscall?: string;

  constructor(code: ErrorCode, message: string, opts: { syscall?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BlockcastError';
    this.code = code;
    this.exitCode = exitCodes[code];
    if (opts.syscall) this.syscall = opts.syscall;
  }
}

export function invalidOption(name: string, expected: string, actual: unknown): BlockcastError {
  return new BlockcastError('EINVALIDOPTION', `Expected ${expected} for ${name} but received ${JSON.stringify(actual)}`);
}

/** "ENETUNREACH (errno 101)": native calls report bare errno values. */
export function errnoName(errno: number): string {
  try {
    return `${getSystemErrorName(-errno)} (errno ${errno})`;
  } catch {
    return `errno ${errno}`;
  }
}
