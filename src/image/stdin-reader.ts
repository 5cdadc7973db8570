// Reads a pipe (stdin) ahead in a thread of its own, chunk by chunk, so that
// the producer never waits for this process's event loop: a read per chunk
// asked from the main thread stalled the pipe whenever the loop was busy
// (measured: 4.8 s to take 192 MiB from `cat` in a sending process, against
// 0.2 s for `cat | cat`). The main thread grants credits (how many chunks
// may be read in all). A pipe is read through a description of its own
// opened non-blocking (/proc/self/fd/N; a socket is made non-blocking): a
// thread blocked in read(2) on a producer that sends nothing could not be
// stopped, and Node joins every thread at exit, so `send -` would never
// exit (even process.exit() waits).
// An empty pipe is polled with a short back-off (0.05 ms doubling to 4 ms).
// Chunks are read into a ring of slots in shared memory, reused lap after
// lap: a fresh 1 MiB buffer per chunk cost more in page faults (measured
// 1.5 ms per MiB here) than the read itself, and the workers hash and
// compress straight from the slot, with no buffer moved anywhere.
import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { native } from '../native/binding.js';

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

/** The thread: plain JavaScript, so that it runs from src/ (tests) and dist/ alike. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, constants, fstatSync, openSync, readSync } = require('node:fs');
const { chunkSize, credits, ring, slots } = workerData;
const pause = new Int32Array(new SharedArrayBuffer(4));
let fd = workerData.fd;
try {
  if (fstatSync(fd).isFIFO()) fd = openSync('/proc/self/fd/' + fd, constants.O_RDONLY | constants.O_NONBLOCK);
} catch {} // no /proc: the shared description, as it is
let idleMs = 0.05;
(function main() {
for (let sent = 0; ; sent++) {
  for (let c; (c = Atomics.load(credits, 0)) <= sent; ) {
    if (c < 0) return;
    Atomics.wait(credits, 0, c);
  }
  const slot = sent % slots;
  const buf = Buffer.from(ring, slot * chunkSize, chunkSize);
  let got = 0;
  while (got < chunkSize) {
    let n;
    try {
      n = readSync(fd, buf, got, chunkSize - got, null);
    } catch (e) {
      if (e.code === 'EAGAIN') {
        if (Atomics.load(credits, 0) < 0) return; // closed while the producer is idle
        Atomics.wait(pause, 0, 0, idleMs);
        idleMs = Math.min(4, idleMs * 2);
        continue;
      }
      parentPort.postMessage({ error: e.message, got });
      return;
    }
    if (n === 0) break;
    got += n;
    idleMs = 0.05;
  }
  parentPort.postMessage({ slot, length: got });
  if (got < chunkSize) return;
}
})();
if (fd !== workerData.fd) closeSync(fd);
`;

type Message = { slot: number; length: number } | { error: string; got: number };

export class StdinReader {
  private readonly worker: Worker;
  private readonly credits = new Int32Array(new SharedArrayBuffer(4));
  /** The slots chunks are read into: chunk n is in slot n % slots until chunk n + slots is read. */
  readonly ring: SharedArrayBuffer;
  private allowed = 0;
  private released = 0;
  private readonly arrived: Message[] = [];
  private waiting?: (m: Message) => void;
  private failure?: Error;

  /** `slots`: chunks the ring holds (see release()). */
  constructor(
    fd: number,
    private readonly chunkSize: number,
    private readonly slots: number,
  ) {
    this.ring = new SharedArrayBuffer(chunkSize * slots);
    // A socket (stdin from a process spawned by Node, ssh) has no /proc description of its own: its
    // reads are made non-blocking in place, which only this process's stdin shares.
    if (isSocket(fd)) native.fs.setNonBlocking?.(fd);
    this.worker = new Worker(THREAD, { eval: true, workerData: { fd, chunkSize, credits: this.credits, ring: this.ring, slots } });
    this.worker.on('message', (m: Message) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(m);
      else this.arrived.push(m);
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.waiting?.({ error: err.message, got: 0 });
    });
    // A thread blocked reading a pipe whose producer is idle must not keep the process alive (see next()).
    this.worker.unref();
  }

  /** Lets the thread read chunks up to `total` (counted from the first) ahead of being asked, as far as the ring allows. */
  allow(total: number): void {
    this.allowed = Math.max(this.allowed, total);
    this.grant();
  }

  /** The first `count` chunks' bytes are no longer needed: their slots may be read into again. */
  release(count: number): void {
    this.released = Math.max(this.released, count);
    this.grant();
  }

  private grant(): void {
    if (Atomics.load(this.credits, 0) < 0) return; // closed
    const total = Math.min(this.allowed, this.released + this.slots);
    if (total <= Atomics.load(this.credits, 0)) return;
    Atomics.store(this.credits, 0, total);
    Atomics.notify(this.credits, 0);
  }

  /**
   * The next chunk's bytes (fewer only at the end, none at EOF), a view of
   * its slot in the ring, valid until release() passes it; or what the read
   * reported.
   */
  async next(): Promise<{ data: Buffer } | { error: string; got: number }> {
    if (this.failure) return { error: this.failure.message, got: 0 };
    let m = this.arrived.shift();
    if (!m) {
      // Kept alive only while a chunk is awaited: an idle producer must not hold the process at its end.
      this.worker.ref();
      m = await new Promise<Message>((resolve) => (this.waiting = resolve));
      this.worker.unref();
    }
    return 'error' in m ? m : { data: Buffer.from(this.ring, m.slot * this.chunkSize, m.length) };
  }

  /**
   * Stops the thread (within its back-off if it waits on an idle pipe); a
   * chunk awaited is answered at once.
   */
  close(): void {
    Atomics.store(this.credits, 0, -1);
    Atomics.notify(this.credits, 0);
    this.worker.unref();
    void this.worker.terminate();
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ error: 'the reader is closed', got: 0 });
  }
}
