import { isatty } from 'node:tty';
import { BlockcastError, ExitCode } from '../errors.js';
import { outputsInOrder } from '../receiver/options.js';
import { ReceiverSession, type ReceiveOptions } from '../receiver/session.js';
import { receiverProgress, type ProgressOptions } from './progress.js';
import { forwardEvents, makeReporter, mb } from './report.js';
import { stopOnSignals } from './interrupt.js';

export async function receiveCommand(opts: ReceiveOptions & ProgressOptions): Promise<number> {
  if (opts.target === '-' && isatty(1)) throw new BlockcastError('EINVALIDOPTION', 'receive - writes the image to stdout, which is a terminal: pipe it into a command (or use --pipe CMD)');
  // `receive -`: stdout carries the image, so JSON events go to stderr with the human lines.
  const r = makeReporter(!!opts.json, opts.quiet, opts.target === '-' ? 'stderr' : 'stdout');
  const session = new ReceiverSession(opts);
  const progress = receiverProgress(r, opts, () => session.progress());
  const destination = opts.pipe !== undefined ? `| ${opts.pipe}` : opts.target === '-' ? 'stdout' : opts.target;
  forwardEvents(session, r, ['ready', 'session', 'manifest', 'resume', 'warning']);
  session.on('resume', (p: { journal: string; candidates: number | 'all' }) =>
    r.human(p.candidates === 'all' ? 'resuming: re-hashing the target against the manifest' : `resuming: ${p.candidates} chunks verified by an interrupted run (${p.journal}); checking them`),
  );
  session.on('session', (p: { session: number; sender: string; imageSize: number }) => {
    r.human(`joined session ${p.session.toString(16)} from ${p.sender}: ${p.imageSize ? `${mb(p.imageSize)} MB image` : 'a stream (size known at its end)'} -> ${destination}`);
    progress.start();
  });
  session.on('warning', (p: { message: string }) => r.human(`warning: ${p.message}`));
  r.human(`listening on ${session.opts.group}:${session.opts.port} via ${session.opts.interfaceAddress}`);
  const k = session.opts.keys;
  // Without --trust nothing proves who the sender is: say so, once (docs/SECURITY.md).
  if (!k.trusted?.length) {
    const message = `accepting any sender: without --trust, a stranger on this network can make this node ${k.groupKey ? 'join a session sealed by any holder of the group key' : 'join its session'}`;
    r.human(message);
    // After 'ready', which provisioners read as the first event.
    session.once('ready', () => r.event('warning', { message }));
  }
  const stop = (): void => session.abort();
  const release = stopOnSignals(stop);
  try {
    const s = await session.run();
    progress.final();
    r.event('done', s as unknown as Record<string, unknown>);
    r.human(
      `done: ${mb(s.imageSize)} MB verified${outputsInOrder(opts) ? ` and delivered to ${destination}` : ''} in ${s.seconds.toFixed(2)} s (${s.mbps.toFixed(1)} MB/s), digest ${s.imageDigest.slice(0, 16)}…, ` +
        `${s.keptChunks > 0 ? `${s.keptChunks} chunks kept from the target (${s.rehashedChunks} re-hashed), ` : ''}${s.symbolsRequested} symbols re-requested, ${s.malformed} malformed / ${s.foreign} foreign / ${s.forged} forged packets dropped`,
    );
    return ExitCode.Ok;
  } finally {
    progress.stop();
    release();
  }
}
