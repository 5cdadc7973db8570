import { cipherName } from '../security/options.js';
import { BlockcastError, ExitCode } from '../errors.js';
import { SenderSession, type SendOptions, type SendSummary } from '../sender/session.js';
import { forwardEvents, makeReporter, mb } from './report.js';

export async function sendCommand(opts: SendOptions & { json?: boolean; quiet?: boolean }): Promise<number> {
  const r = makeReporter(!!opts.json, opts.quiet);
  const session = new SenderSession(opts);
  forwardEvents(session, r, ['prepared', 'start', 'receiver-joined', 'receiver-done', 'receiver-failed', 'receiver-lost', 'first-pass', 'warning', 'waiting']);
  session.on('prepared', (p: { source: string; imageSize: number; chunkCount: number; zeroChunks: number; seconds: number; imageDigest: string; window?: number }) =>
    r.human(
      p.source === 'stream'
        ? `reading the image from stdin as it is sent (size unknown until its end; at most ${p.window} chunks kept past the slowest receiver)`
        : `${p.source === 'prepared' ? 'opened prepared image' : 'scanned'} ${opts.image}: ${mb(p.imageSize)} MB in ${p.chunkCount} chunks, ` +
            `${p.zeroChunks} all-zero, digest ${p.imageDigest.slice(0, 16)}… (${p.seconds.toFixed(2)} s)`,
    ),
  );
  session.on('receiver-joined', (p: { name: string; address: string }) => r.human(`receiver joined: ${p.name} (${p.address})`));
  session.on('start', (p: { receivers: number; session: number }) => r.human(`sending to ${p.receivers} receiver(s), session ${p.session.toString(16)}`));
  session.on('waiting', (p: { joined: number; needed: number; seconds: number }) => r.human(`still waiting for receivers: ${p.joined} of ${p.needed} joined after ${p.seconds} s`));
  session.on('receiver-done', (p: { name: string }) => r.human(`receiver done: ${p.name}`));
  session.on('receiver-failed', (p: { name: string; reason: number; message?: string }) => r.human(`receiver FAILED: ${p.name} (reason ${p.reason}${p.message ? `: ${p.message}` : ''})`));
  session.on('receiver-lost', (p: { name: string }) => r.human(`receiver LOST (silent): ${p.name}`));
  const k = session.opts.keys;
  if (k.signKey || k.groupKey) r.human(`session ${[k.signKey ? 'signed' : '', k.groupKey ? `sealed (${cipherName(k.cipher!)}${k.encryptData === false ? ', DATA in the clear' : ', DATA encrypted'})` : ''].filter(Boolean).join(' and ')}`);
  r.human(`waiting for ${session.opts.minReceivers} receiver(s) on ${session.opts.group}:${session.opts.port} via ${session.opts.interfaceName} (${session.opts.interfaceAddress})`);
  const stop = (): void => session.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let summary: SendSummary;
  try {
    summary = await session.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  r.event('summary', summary as unknown as Record<string, unknown>);
  r.human(
    `sent ${mb(summary.imageSize)} MB in ${summary.seconds.toFixed(2)} s: ${summary.mbps.toFixed(1)} MB/s logical, ` +
      `${summary.wireMbps.toFixed(1)} MB/s on the wire, compression ${summary.compressionRatio.toFixed(2)}x (${summary.reductionRatio.toFixed(2)}x with zero chunks left out), ${summary.repairSymbols} repair symbols${summary.gso ? ' (GSO)' : ''}`,
  );
  for (const rc of summary.receivers) {
    r.human(`  ${rc.state.padEnd(9)} ${rc.name} ${rc.address}: packets ${rc.packets}, asked repair of ${rc.symbolsRequested} symbols in ${rc.nackPackets} NACKs, duplicates ${rc.duplicates}`);
  }
  if (summary.receivers.length === 0) throw new BlockcastError('ENORECEIVERS', 'No receiver joined: nothing was sent');
  if (!summary.ok) {
    const bad = summary.receivers.filter((x) => x.state !== 'done').length;
    throw new BlockcastError('ERECEIVERSFAILED', `${bad} of ${summary.receivers.length} receiver(s) did not complete`);
  }
  return ExitCode.Ok;
}
