/**
 * Same-run comparison of two checkouts (e.g. main before and after a
 * change): runs bench/e2e.ts of each checkout, A then B, cell by cell, so
 * that both meet the same machine on the same day (this VM drifts by a third
 * between days). Each checkout must be built (`npm ci` or `npm run build`).
 *
 *   tsx bench/ab.ts --a /work/before --b . [--receivers 1,4,16] [--loss 0] [--rounds 1] [--out FILE] -- [e2e args]
 *
 * Prints, per cell and round, logical MB/s and repair overhead of each and
 * B/A, then per cell the medians over the rounds (use --rounds 3 or more:
 * single runs vary by about ±15% here).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    receivers: { type: 'string', default: '1,4,16' },
    loss: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
if (!values.a) throw new Error('--a DIR (the baseline checkout) is required');

interface Row {
  receivers: number;
  loss: number;
  round: number;
  which: 'A' | 'B';
  logicalMBps: number;
  repairRatio: number;
  verified: boolean;
}

function runE2e(dir: string, receivers: number, loss: number): Omit<Row, 'round' | 'which'> {
  const json = path.join(os.tmpdir(), `blockcast-ab-${process.pid}.json`);
  try {
    execFileSync('npx', ['tsx', 'bench/e2e.ts', '--receivers', String(receivers), '--loss', String(loss), '--json', json, ...positionals], {
      cwd: path.resolve(dir),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    // a run that did not verify still wrote its JSON; it is reported as failed below
  }
  const r = JSON.parse(readFileSync(json, 'utf8')) as { logicalMBps: number; repairRatio: number; verified: boolean };
  rmSync(json, { force: true });
  return { receivers, loss, logicalMBps: r.logicalMBps, repairRatio: r.repairRatio, verified: r.verified };
}

const rows: Row[] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const loss of values.loss!.split(',').map(Number)) {
    for (const receivers of values.receivers!.split(',').map(Number)) {
      for (const [which, dir] of [['A', values.a], ['B', values.b!]] as const) {
        console.error(`# round ${round}: ${which} (${dir}) N=${receivers} loss ${loss}%`);
        rows.push({ ...runE2e(dir, receivers, loss), round, which });
      }
    }
  }
}

const lines = ['| N | loss | round | A MB/s | B MB/s | B/A | A repair | B repair | verified |', '|---|---|---|---|---|---|---|---|---|'];
for (let i = 0; i < rows.length; i += 2) {
  const [a, b] = [rows[i]!, rows[i + 1]!];
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  lines.push(
    `| ${a.receivers} | ${a.loss}% | ${a.round} | ${a.logicalMBps.toFixed(1)} | ${b.logicalMBps.toFixed(1)} | ${(b.logicalMBps / a.logicalMBps).toFixed(3)} | ${pct(a.repairRatio)} | ${pct(b.repairRatio)} | ${a.verified && b.verified ? 'both' : `A ${a.verified}, B ${b.verified}`} |`,
  );
}
// Per cell, the median of each side's rounds: one run on this VM varies by
// ±15% (measured: 296 to 372 MB/s for one build at N = 1 in one hour).
const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
lines.push('', '| N | loss | rounds | A median MB/s | B median MB/s | B/A | A median repair | B median repair | all verified |', '|---|---|---|---|---|---|---|---|---|');
const cells = new Map<string, Row[]>();
for (const r of rows) cells.set(`${r.receivers}/${r.loss}`, [...(cells.get(`${r.receivers}/${r.loss}`) ?? []), r]);
for (const group of cells.values()) {
  const side = (w: 'A' | 'B'): Row[] => group.filter((r) => r.which === w);
  const [a, b] = [side('A'), side('B')];
  const [am, bm] = [median(a.map((r) => r.logicalMBps)), median(b.map((r) => r.logicalMBps))];
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  lines.push(
    `| ${group[0]!.receivers} | ${group[0]!.loss}% | ${a.length} | ${am.toFixed(1)} | ${bm.toFixed(1)} | ${(bm / am).toFixed(3)} | ${pct(median(a.map((r) => r.repairRatio)))} | ${pct(median(b.map((r) => r.repairRatio)))} | ${group.every((r) => r.verified)} |`,
  );
}
console.log(lines.join('\n'));
if (values.out) writeFileSync(values.out, JSON.stringify(rows, null, 2) + '\n');
