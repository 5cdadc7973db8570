import { cipherName } from '../security/options.js';
import { BlockcastError, ExitCode } from '../errors.js';
import { SenderSession, type SendOptions, type SendSummary } from '../sender/session.js';
import { senderProgress, type ProgressOptions } from './progress.js';
import { forwardEvents, makeReporter, mb, type Reporter } from './report.js';
import { neverJoined, receiverStatus, writeStatusFile, type StatusDocument } from './status-file.js';
import { stopOnSignals } from './interrupt.js';

export interface SendCommandOptions extends SendOptions, ProgressOptions {
  json?: boolean;
  quiet?: boolean;
  /** Write each receiver's outcome here at the end (status-file.ts). */
  statusFile?: string;
}

export async function sendCommand(opts: SendCommandOptions): Promise<number> {
  const r = makeReporter(!!opts.json, opts.quiet);
  const session = new SenderSession(opts);
  describe(session, r, opts.image);
  const progress = senderProgress(r, opts, () => session.progress());
  session.on('start', () => progress.start()); // after the 'start' event and line
  let imageSize = 0;
  session.once('prepared', (p: { imageSize: number }) => (imageSize = p.imageSize));
  const k = session.opts.keys;
  if (k.signKey || k.groupKey) r.human(`session ${[k.signKey ? 'signed' : '', k.groupKey ? `sealed (${cipherName(k.cipher!)}${k.encryptData === false ? ', DATA in the clear' : ', DATA encrypted'})` : ''].filter(Boolean).join(' and ')}`);
  const { receivers: listed, minReceivers } = session.opts;
  const waitingFor = listed.length > 0 ? `${listed.join(', ')}${minReceivers > listed.length ? ` (at least ${minReceivers})` : ''}` : `${minReceivers} receiver(s)`;
  const stop = (): void => session.abort();
  // SIGUSR1: start now with whoever has joined (udp-sender's keyboard start, for scripts).
  const startNow = (): void => {
    const joined = session.startNow();
    if (joined === 0) process.stderr.write('blockcast: SIGUSR1: no receiver has joined yet; still waiting\n');
    else if (joined === undefined) r.human('SIGUSR1 ignored: the session has started already');
    else r.human(`SIGUSR1: starting with ${joined} receiver(s)`);
  };
  const release = stopOnSignals(stop);
  process.on('SIGUSR1', startNow);
  // Printed once the signal handlers are in: a script may stop the send as soon as it reads this line.
  r.human(`waiting for ${waitingFor} on ${session.opts.group}:${session.opts.port} via ${session.opts.interfaceName} (${session.opts.interfaceAddress}); reports to UDP port ${session.opts.controlPort || 'ephemeral'}`);
  let summary: SendSummary;
  try {
    summary = await session.run();
  } catch (err) {
    if (opts.statusFile) writeStatus(opts.statusFile, statusOf(session, imageSize, undefined, (err as Error).message));
    throw err;
  } finally {
    progress.stop();
    release();
    process.off('SIGUSR1', startNow);
  }
  if (opts.statusFile) writeStatus(opts.statusFile, statusOf(session, imageSize, summary));
  progress.final();
  r.event('summary', summary as unknown as Record<string, unknown>);
  report(r, summary);
  if (summary.receivers.length === 0) throw new BlockcastError('ENORECEIVERS', 'No receiver joined: nothing was sent');
  if (!summary.ok) {
    const bad = summary.receivers.filter((x) => x.state !== 'done').length + summary.neverJoined.length;
    const missing = summary.neverJoined.length > 0 ? `; listed but never joined: ${summary.neverJoined.join(', ')}` : '';
    throw new BlockcastError('ERECEIVERSFAILED', `${bad} of ${summary.receivers.length + summary.neverJoined.length} receiver(s) did not complete${missing}`);
  }
  return ExitCode.Ok;
}

/** Human lines for the session's events; --json forwards them as they are. */
function describe(session: SenderSession, r: Reporter, image: string): void {
  forwardEvents(session, r, ['prepared', 'start', 'receiver-joined', 'receiver-done', 'receiver-failed', 'receiver-lost', 'receiver-rejoined', 'first-pass', 'warning', 'waiting', 'receiver-catching-up', 'receiver-caught-up', 'receiver-dropped']);
  session.on('prepared', (p: { source: string; imageSize: number; chunkCount: number; zeroChunks: number; seconds: number; imageDigest: string; window?: number }) =>
    r.human(
      p.source === 'stream'
        ? `reading the image from stdin as it is sent (size unknown until its end; at most ${p.window} chunks kept past the slowest receiver)`
        : `${p.source === 'prepared' ? 'opened prepared image' : 'scanned'} ${image}: ${mb(p.imageSize)} MB in ${p.chunkCount} chunks, ` +
            `${p.zeroChunks} all-zero, digest ${p.imageDigest.slice(0, 16)}… (${p.seconds.toFixed(2)} s)`,
    ),
  );
  session.on('receiver-joined', (p: { name: string; address: string }) => r.human(`receiver joined: ${p.name} (${p.address})`));
  session.on('start', (p: { receivers: number; session: number }) => r.human(`sending to ${p.receivers} receiver(s), session ${p.session.toString(16)}`));
  session.on('waiting', (p: { joined: number; needed: number; missing: string[]; seconds: number }) =>
    r.human(`still waiting for receivers: ${p.joined} of ${p.needed} joined after ${p.seconds} s${p.missing.length > 0 ? `; missing: ${p.missing.join(', ')}` : ''}`),
  );
  session.on('receiver-done', (p: { name: string }) => r.human(`receiver done: ${p.name}`));
  session.on('receiver-failed', (p: { name: string; reason: number; message?: string }) => r.human(`receiver FAILED: ${p.name} (reason ${p.reason}${p.message ? `: ${p.message}` : ''})`));
  session.on('receiver-lost', (p: { name: string }) => r.human(`receiver LOST (silent): ${p.name}`));
  session.on('receiver-rejoined', (p: { name: string; address: string }) => r.human(`receiver rejoined after a restart: ${p.name} (${p.address}); its earlier run is replaced`));
  session.on('receiver-catching-up', (p: { name: string; detail: string; atChunk: number; chunkCount: number }) => r.human(`receiver catching up: ${p.name} (${p.detail}; at chunk ${p.atChunk} of ${p.chunkCount}); the others go on without it`));
  session.on('receiver-caught-up', (p: { name: string }) => r.human(`receiver caught up: ${p.name}`));
  session.on('receiver-dropped', (p: { name: string; message?: string }) => r.human(`receiver DROPPED: ${p.name} (${p.message ?? 'too slow'})`));
  session.on('warning', (p: { message: string }) => r.human(`warning: ${p.message}`));
}

function report(r: Reporter, summary: SendSummary): void {
  r.human(
    `sent ${mb(summary.imageSize)} MB in ${summary.seconds.toFixed(2)} s: ${summary.mbps.toFixed(1)} MB/s logical, ` +
      `${summary.wireMbps.toFixed(1)} MB/s on the wire, compression ${summary.compressionRatio.toFixed(2)}x (${summary.reductionRatio.toFixed(2)}x with zero chunks left out), ${summary.repairSymbols} repair symbols${summary.gso ? ' (GSO)' : ''}`,
  );
  for (const rc of summary.receivers) {
    const moved = rc.catchUp ? `; ${rc.catchUp.caughtUp ? 'caught up after it was moved' : 'moved'} to catch-up at chunk ${rc.catchUp.atChunk} (${rc.catchUp.detail})` : '';
    r.human(`  ${rc.state.padEnd(9)} ${rc.name} ${rc.address}: packets ${rc.packets}, asked repair of ${rc.symbolsRequested} symbols in ${rc.nackPackets} NACKs, duplicates ${rc.duplicates}${rc.rejoins ? `, restarted and rejoined ${rc.rejoins}x (earlier runs replaced)` : ''}${moved}`);
  }
  if (summary.neverJoined.length > 0) r.human(`listed receivers that never joined: ${summary.neverJoined.join(', ')}`);
  const unfinished = summary.receivers.filter((x) => summary.notFinished.includes(x.name));
  if (unfinished.length > 0) r.human(`listed receivers that did not finish: ${unfinished.map((x) => `${x.name} (${x.state})`).join(', ')}`);
}

function statusOf(session: SenderSession, imageSize: number, summary: SendSummary | undefined, error?: string): StatusDocument {
  const geometry = { imageSize, chunkSize: session.opts.chunkSize };
  const receivers = summary?.receivers ?? session.receivers();
  const present = new Set(receivers.map((x) => x.name));
  return {
    version: 1,
    session: session.opts.session.toString(16),
    image: session.opts.image,
    imageSize: geometry.imageSize,
    ok: summary?.ok ?? false,
    ...(error ? { error } : {}),
    finishedAt: new Date().toISOString(),
    receivers: [...receivers.map((x) => receiverStatus(x, geometry)), ...session.opts.receivers.filter((n) => !present.has(n)).map(neverJoined)],
  };
}

function writeStatus(file: string, doc: StatusDocument): void {
  try {
    writeStatusFile(file, doc);
  } catch (err) {
    throw new BlockcastError('ETARGETIO', `Writing the status file ${file} failed: ${(err as Error).message}`, { cause: err });
  }
}
