// Listening: what a receiver opens before any sender is heard, and before
// it says 'ready' (provisioners start the sender on that): the control
// socket for ACKs, the chunk pool's native threads, and last the native
// receiver on the multicast group, so that nothing is joined before.
import dgram from 'node:dgram';
import { BlockcastError } from '../errors.js';
import { ChunkPool } from '../image/pool.js';
import type { NativeReceiver, NativeReceiverBatch } from '../native/binding.js';
import { bindError } from '../net/bind.js';
import { joinGroup } from './join.js';
import type { ResolvedReceiveOptions } from './options.js';

export interface Listening {
  pool: ChunkPool;
  control: dgram.Socket;
  rx: NativeReceiver;
}

export interface ListenHooks {
  /** A datagram on the control socket (an ACK, maybe). */
  ack(msg: Buffer, address: string, port: number): void;
  batch(batch: NativeReceiverBatch): void;
  /** The control socket failed after it was bound. */
  error(err: Error): void;
}

/** Opens all three, or closes what it opened and throws. */
export async function listen(opts: ResolvedReceiveOptions, hooks: ListenHooks): Promise<Listening> {
  // Verified writes run on native threads, started now; a worker thread
  // (tens of ms of CPU to start) only when a range must be zeroed or a
  // chunk's coding is one the addon does not decode. An in-order output
  // (ordered-writer.ts) has them verify only, decoding into its reused buffers.
  const pool = new ChunkPool({ nativeWrites: true, threads: opts.workers });
  const control = dgram.createSocket('udp4');
  control.on('message', (msg, rinfo) => hooks.ack(msg, rinfo.address, rinfo.port));
  try {
    await new Promise<void>((resolve, reject) => {
      control.once('error', (err) => reject(bindError(err, opts.controlPort, 'control-port')));
      control.bind(opts.controlPort, () => {
        control.removeAllListeners('error');
        control.on('error', (err) => hooks.error(err));
        resolve();
      });
    });
    try {
      await pool.started;
    } catch (err) {
      throw new BlockcastError('ENATIVE', `Worker threads failed to start: ${(err as Error).message}`, { cause: err });
    }
    return { pool, control, rx: joinGroup(opts, (batch) => hooks.batch(batch)) };
  } catch (err) {
    // The first failure is the one to report: closing what was opened must not replace it.
    control.close();
    await pool.close().catch(() => {});
    throw err;
  }
}
