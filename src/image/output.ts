// Where a receiver writes an image in order rather than at offsets: its own
// stdout (`receive -`), or the stdin of a command (`receive --pipe CMD`,
// run by /bin/sh -c, as `udp-receiver | gunzip | partclone.restore` is).
// Only verified bytes are ever given to write().
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, fsyncSync, ftruncateSync, openSync, write as fsWrite } from 'node:fs';
import { sleep } from '../core/clock.js';
import { BlockcastError } from '../errors.js';
import { native } from '../native/binding.js';
import { checkCapacity, inspectTarget, type TargetInfo } from './target.js';

export interface OrderedOutput {
  /** How messages name it: "stdout" or the command. */
  readonly name: string;
  /** Bytes handed on so far. */
  readonly written: number;
  /** Resolves once the consumer has all of `data` (the buffer may then be reused); rejects with a BlockcastError. */
  write(data: Buffer): Promise<void>;
  /** `data` is all zeros: the same as write(), but a target known to read as zeros may skip it. */
  zeros(data: Buffer): Promise<void>;
  /** The image is complete: close the stream and (a command) wait for its exit status, which must be 0. */
  finish(): Promise<void>;
  /** The session failed: stop the consumer without waiting for it. */
  abort(): void;
  /** A stream's size is known (its last segment): a target too small fails now, naming both sizes. */
  sizeKnown?(imageSize: number): void;
  /** Bytes a file or device can hold (STATUS capacity); undefined for a stream. */
  readonly capacity?: number;
}

/** `-` is stdout; a pipe command is given separately. */
export const STDOUT_TARGET = '-';

/**
 * Pipe buffers are 64 KiB: a 1 MiB chunk would cross in 16 hand-offs
 * between writer and reader, each a wake-up that costs most on a busy host.
 * Grown (as far as the kernel allows) so a chunk crosses in one or two.
 */
export const PIPE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Grows `fd`'s pipe buffer if it is a pipe; anything else is left as it is. */
export function growPipe(fd: number): void {
  native.fs.growPipe(fd, PIPE_BUFFER_BYTES);
}

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
  ) {
    growPipe(fd);
  }

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

  zeros(data: Buffer): Promise<void> {
    return this.write(data);
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

/**
 * A file or block device as the target of a stream session: written at
 * increasing offsets as the stream arrives, its size learnt at the end (a
 * file is then truncated to it). A device too small fails as soon as the
 * stream is known to exceed it.
 */
export class FileOutput implements OrderedOutput {
  written = 0;
  private readonly fd: number;
  private readonly info: TargetInfo;
  private closed = false;

  constructor(readonly path: string) {
    this.info = inspectTarget(path);
    try {
      this.fd = this.info.kind === 'block' ? openSync(path, constants.O_RDWR | constants.O_EXCL) : openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new BlockcastError('ETARGETIO', `Cannot open target ${path}: ${e.message}${e.code === 'EBUSY' ? ' (is it mounted or in use?)' : ''}`, { syscall: e.syscall, cause: err });
    }
  }

  get name(): string {
    return this.path;
  }

  get capacity(): number {
    return this.info.capacity;
  }

  sizeKnown(imageSize: number): void {
    checkCapacity(this.path, this.info, imageSize);
  }

  async write(data: Buffer): Promise<void> {
    if (this.written + data.length > this.info.capacity) {
      throw new BlockcastError('ETARGETTOOSMALL', `Target too small: the stream has reached ${this.written + data.length} bytes but ${this.path} holds only ${this.info.capacity} bytes`);
    }
    let done = 0;
    try {
      while (done < data.length) {
        const at = this.written + done;
        done += await new Promise<number>((resolve, reject) => fsWrite(this.fd, data, done, data.length - done, at, (err, n) => (err ? reject(err) : resolve(n))));
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new BlockcastError('ETARGETIO', `Writing ${this.path} at offset ${this.written + done} failed${e.code === 'ENOSPC' ? ' (disk full)' : ''}: ${e.message}`, { cause: e });
    }
    this.written += data.length;
  }

  /** A file this receiver created reads as zeros where nothing was written: skip them (the final truncate keeps the size). */
  async zeros(data: Buffer): Promise<void> {
    if (this.info.created) this.written += data.length;
    else await this.write(data);
  }

  async finish(): Promise<void> {
    try {
      if (this.info.kind === 'file') ftruncateSync(this.fd, this.written);
      fsyncSync(this.fd);
    } catch (err) {
      throw new BlockcastError('ETARGETIO', `Finishing ${this.path} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.abort();
    }
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
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
    const fd = (this.child.stdin as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd === 'number' && fd >= 0) growPipe(fd);
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

  zeros(data: Buffer): Promise<void> {
    return this.write(data);
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

/** The ordered output for a receive target: `-` (stdout), a pipe command, or (a stream session) a file or device. */
export function openOutput(target: { pipe?: string; target: string }): OrderedOutput {
  if (target.pipe !== undefined) return new CommandOutput(target.pipe);
  return target.target === STDOUT_TARGET ? new FdOutput(1) : new FileOutput(target.target);
}
