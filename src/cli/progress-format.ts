// The text of the live progress lines: sizes, rates, ETAs and bars, as
// plain strings (no terminal codes), so tests can check them as they are.
import type { ReceiveProgress } from '../receiver/progress.js';
import type { ReceiverView, SenderView } from './progress-view.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal units, like the rest of the CLI's MB figures: 999 B, 1.5 kB, 512.0 MB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < UNITS.length - 1) {
    n /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${UNITS[u]}`;
}

export function formatRate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? '-- B/s' : `${formatBytes(bytesPerSecond)}/s`;
}

/** 42s, 3m05s, 1h02m; '--' when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A bar of `width` characters, ASCII so that any console (a rescue system's too) draws it. */
export function formatBar(percent: number, width = 16): string {
  const filled = Math.max(0, Math.min(width, Math.floor((percent / 100) * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function formatPercent(percent: number): string {
  return `${percent.toFixed(1).padStart(5)}%`;
}

/**
 * The sender's two lines: where the pass (or the repairs) stand, and the
 * receivers. Most important first: a narrow terminal cuts the ends off.
 */
export function senderLines(v: SenderView): [string, string] {
  const c = v.counts;
  const receivers = `receivers: ${c.joined} joined, ${c.done} done, ${c.failed} failed, ${c.lost} lost, ${c.catchingUp} catching up | repair ${(v.repairShare * 100).toFixed(1)}%`;
  const bar = `${formatBar(v.percent)} ${formatPercent(v.percent)}`;
  const eta = `ETA ${formatEta(v.etaSeconds)}`;
  if (v.stage === 'waiting') return ['waiting for receivers', receivers];
  if (v.stage === 'first-pass') {
    return [`sending ${bar} ${v.value}/${v.total} ${eta} | ${formatRate(v.bytesPerSecond)}, wire ${formatRate(v.wireBytesPerSecond)}`, receivers];
  }
  const label = v.stage === 'repair' ? 'repair ' : 'ending ';
  const missing = `${v.missing} receiver${v.missing === 1 ? '' : 's'} missing data`;
  return [`${label} ${bar} ${eta} | ${missing} | slowest ${v.value}/${v.total} | wire ${formatRate(v.wireBytesPerSecond)}`, receivers];
}

/** The receiver's two lines: bytes on the target, rate and ETA; repairs asked. */
export function receiverLines(p: ReceiveProgress, v: ReceiverView): [string, string] {
  const label = p.state === 'Verifying' ? 'verifying' : 'receiving';
  return [
    `${label} ${formatBar(v.percent)} ${formatPercent(v.percent)} ETA ${formatEta(v.etaSeconds)} | ${formatRate(v.bytesPerSecond)} | ${formatBytes(p.bytesWritten)} of ${formatBytes(p.imageSize)}`,
    `repairs asked: ${p.symbolsRequested} symbols in ${p.nackPackets} NACKs`,
  ];
}
