// Where a receiver writes an image in order rather than at offsets: its own
// stdout (`receive -`), or the stdin of a command (`receive --pipe CMD`,
// run by /bin/sh -c, as `udp-receiver | gunzip | partclone.restore` is).
// Only verified bytes are ever given to write().
import { spawn, type ChildProcess } from 'node:child_process';
import { write as fsWrite } from 'node:fs';
import { sleep } from '../core/clock.js';
import { BlockcastError } from '../errors.js';

export interface OrderedOutput {
  /** How messages name it: "stdout" or the command. */
  readonly name: string;
  /** Bytes handed on so far. */
  readonly written: number;
  /** Resolves once the consumer has all of `data` (the buffer may then be reused); rejects with a BlockcastError. */
  write(data: Buffer): Promise<void>;
  /** The image is complete: close the stream and (a command) wait for its exit status, which must be 0. */
  finish(): Promise<void>;
  /** The session failed: stop the consumer without waiting for it. */
  abort(): void;
}

/** `-` is stdout; a pipe command is given separately. */
export const STDOUT_TARGET = '-';

/**
 * Writes to a file descriptor the process inherited (fd 1), through libuv's
 * thread pool so that a slow reader never blocks the event loop. The fd is
 * never wrapped in process.stdout, which would make it non-blocking.
 */
export class FdOutput implements OrderedOutput {
  written = 0;

  constructor(
    private readonly fd: number,
    readonly name = 'stdout',
  ) {}

  async write(data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      try {
        done += await new Promise<number>((resolve, reject) => fsWrite(this.fd, data, done, data.length - done, null, (err, n) => (err ? reject(err) : resolve(n))));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        // A non-blocking pipe (set by whoever shares it) that is full: wait for its reader.
        if (e.code === 'EAGAIN') {
          await sleep(2);
          continue;
        }
        throw this.failure(e, this.written + done);
      }
    }
    this.written += data.length;
  }

  private failure(e: NodeJS.ErrnoException, at: number): BlockcastError {
    if (e.code === 'EPIPE') {
      return new BlockcastError('ETARGETIO', `The reader of ${this.name} closed it after ${at} bytes (EPIPE): the image was not delivered whole`, { cause: e });
    }
    return new BlockcastError('ETARGETIO', `Writing the image to ${this.name} failed after ${at} bytes: ${e.message}`, { syscall: e.syscall, cause: e });
  }

  async finish(): Promise<void> {}

  abort(): void {}
}

/** How a child ended, for messages: "status 3" or "signal SIGTERM". */
function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `status ${code}`;
}

/**
 * Runs CMD via /bin/sh -c with the image on its stdin (its stdout and stderr
 * are blockcast's). It runs in its own process group, so that a failed
 * session stops the whole pipeline it may start (`gunzip | partclone...`).
 */
export class CommandOutput implements OrderedOutput {
  written = 0;
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private spawnError?: Error;

  constructor(readonly command: string) {
    this.child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'], detached: true });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        resolve({ code: null, signal: null });
      });
      this.child.once('exit', (code, signal) => resolve((this.exit = { code, signal })));
    });
    // Errors on its stdin (EPIPE once it exits) are reported by write(); never an unhandled 'error'.
    this.child.stdin!.on('error', () => {});
  }

  get name(): string {
    return `--pipe command "${this.command}"`;
  }

  async write(data: Buffer): Promise<void> {
    const stdin = this.child.stdin!;
    const err = await new Promise<Error | null | undefined>((resolve) => {
      if (stdin.destroyed || !stdin.writable) return resolve(new Error('its stdin is closed'));
      stdin.write(data, resolve);
    });
    if (err) throw await this.stopped(err as NodeJS.ErrnoException);
    this.written += data.length;
  }

  /** Why a write failed: the command stopped reading (it exited, or closed its stdin). */
  private async stopped(err: NodeJS.ErrnoException): Promise<BlockcastError> {
    // It has most likely exited: give it a moment to say how.
    const exit = await Promise.race([this.exited, sleep(1000).then(() => undefined)]);
    const how = exit && (exit.code !== null || exit.signal) ? ` and exited with ${exitText(exit.code, exit.signal)}` : '';
    const why = err.code === 'EPIPE' ? 'EPIPE' : err.message;
    return new BlockcastError('ETARGETIO', `The ${this.name} stopped reading (${why}) with ${this.written} bytes of the image delivered${how}: the image was not delivered whole`, { cause: err });
  }

  async finish(): Promise<void> {
    const stdin = this.child.stdin!;
    await new Promise<void>((resolve) => (stdin.writable ? stdin.end(resolve) : resolve()));
    const { code, signal } = await this.exited;
    if (this.spawnError) throw new BlockcastError('ETARGETIO', `Cannot run the ${this.name}: ${this.spawnError.message}`, { cause: this.spawnError });
    if (code !== 0) throw new BlockcastError('ETARGETIO', `The ${this.name} exited with ${exitText(code, signal)} after reading the whole image (${this.written} bytes)`);
  }

  abort(): void {
    this.child.stdin!.destroy();
    if (this.exit || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** The ordered output for a receive target of `-` (stdout) or a pipe command. */
export function openOutput(target: { pipe?: string }): OrderedOutput {
  return target.pipe !== undefined ? new CommandOutput(target.pipe) : new FdOutput(1);
}
