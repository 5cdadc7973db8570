/**
 * Sealed against plain sessions in the same run (issue 16's acceptance:
 * signed + sealed sessions reach at least 90% of plain sessions' logical
 * MB/s). Runs bench/e2e.ts's lab cell by cell, the variants interleaved
 * within each round (their order rotated from round to round), so that every
 * variant meets the same machine: a single run varies by about ±15% here.
 *
 *   tsx bench/security.ts [--images ext4=FILE,random=512M] [--receivers 1,4] [--rounds 3]
 *                         [--variants plain,default,aes] [--max-buffer 128M] [--sparse-targets]
 *                         [--out FILE.json]
 *   tsx bench/security.ts --report A.json[,B.json]   # the table again, rounds of several runs pooled
 *
 * An image is NAME=FILE, or NAME=SIZE for random (incompressible) data made
 * once under /var/tmp/blockcast-bench. Variants: plain (no keys); default
 * (signed + sealed with the default cipher, the fastest on this CPU, DATA
 * encrypted); aegis (AEGIS-256); aes (AES-256-GCM);
 * aes-auth (the same with send --no-encrypt); chacha (ChaCha20-Poly1305). Uncapped
 * (--rate 10g, no tbf), no C ceiling. Prints per round, then per cell the
 * medians and each variant's ratio to plain.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseSize } from '../src/validate.js';
import { formatE2e, runE2e, type E2eResult, type SessionKeys } from './e2e.js';

const VARIANTS: Record<string, SessionKeys | undefined> = {
  plain: undefined,
  default: {},
  aegis: { cipher: 'aegis-256' },
  aes: { cipher: 'aes-256-gcm' },
  'aes-auth': { cipher: 'aes-256-gcm', encrypt: false },
  chacha: { cipher: 'chacha20-poly1305' },
};

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: 'ext4=/var/tmp/blockcast-bench/ext4-1G.img,random=512M' },
    receivers: { type: 'string', default: '1,4' },
    rounds: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'plain,default,aes' },
    'max-buffer': { type: 'string', default: '128M' },
    'sparse-targets': { type: 'boolean', default: true },
    out: { type: 'string' },
    report: { type: 'string' },
  },
});

/** NAME=FILE, or NAME=SIZE: random bytes written once to /var/tmp/blockcast-bench/random-SIZE.img. */
function imageFile(spec: string): { name: string; file: string } {
  const [name, what] = spec.split('=') as [string, string];
  if (!/^\d+[kmgKMG]?$/.test(what)) return { name, file: what };
  const file = `/var/tmp/blockcast-bench/random-${what}.img`;
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('bash', ['-c', `head -c ${parseSize('size', what)} /dev/urandom > ${file}.tmp && mv ${file}.tmp ${file}`]);
  }
  return { name, file };
}

interface Row {
  image: string;
  receivers: number;
  variant: string;
  round: number;
  result: E2eResult;
}

// Pooled runs keep their rounds apart: run k's round r becomes 100 k + r.
const rows: Row[] = values.report
  ? values.report.split(',').flatMap((f, k) => (JSON.parse(readFileSync(f, 'utf8')) as Row[]).map((r) => ({ ...r, round: 100 * k + r.round })))
  : [];
const variants = values.report ? [...new Set(rows.map((r) => r.variant))] : values.variants!.split(',');
for (const v of variants) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}: ${Object.keys(VARIANTS).join(', ')}`);
const images = values.report ? [] : values.images!.split(',').map(imageFile);
for (let round = 1; !values.report && round <= Number(values.rounds); round++) {
  for (const { name, file } of images) {
    for (const receivers of values.receivers!.split(',').map(Number)) {
      // Rotate the order so that no variant always runs first after a cell change.
      const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]!);
      for (const variant of order) {
        console.error(`# round ${round}: ${name} N=${receivers} ${variant}`);
        const keys = VARIANTS[variant];
        const result = await runE2e({
          receivers,
          size: 0,
          mtu: 1500,
          rate: '10g',
          loss: 0,
          ceiling: false,
          wholeSkb: false,
          rxGro: false,
          image: file,
          receiveArgs: ['--max-buffer', values['max-buffer']!],
          ...(values['sparse-targets'] ? { targets: 'sparse' as const } : {}),
          ...(keys ? { keys } : {}),
        });
        console.error(formatE2e(result));
        rows.push({ image: name, receivers, variant, round, result });
      }
    }
  }
}

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((x, y) => x - y);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

const out = [
  '| image | N | variant | rounds: logical MB/s | median logical MB/s | / plain | per-round / plain (median) | median wire MB/s | sender CPU s/GiB | receiver CPU s/GiB (mean) | all verified |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
const cells = new Map<string, Row[]>();
for (const r of rows) cells.set(`${r.image}/${r.receivers}`, [...(cells.get(`${r.image}/${r.receivers}`) ?? []), r]);
for (const group of cells.values()) {
  const of = (v: string): Row[] => group.filter((r) => r.variant === v);
  const plain = median(of('plain').map((r) => r.result.logicalMBps));
  for (const v of variants) {
    const rs = of(v);
    if (!rs.length) continue;
    const logical = median(rs.map((r) => r.result.logicalMBps));
    // Paired: each round against the same round's plain run, which cancels the VM's drift between rounds.
    const paired = median(rs.map((r) => r.result.logicalMBps / (of('plain').find((p) => p.round === r.round)?.result.logicalMBps ?? NaN)));
    out.push(
      `| ${group[0]!.image} | ${group[0]!.receivers} | ${v} | ${rs.map((r) => f(r.result.logicalMBps)).join(', ')} | ${f(logical)} | ${f(logical / plain, 3)} | ${f(paired, 3)} | ` +
        `${f(median(rs.map((r) => r.result.wireMBps)))} | ${f(median(rs.map((r) => r.result.cpuSecondsPerGiB.sender)), 2)} | ` +
        `${f(median(rs.map((r) => r.result.cpuSecondsPerGiB.receiver)), 2)} | ${rs.every((r) => r.result.verified)} |`,
    );
  }
}
console.log(out.join('\n'));
if (values.out) writeFileSync(values.out, JSON.stringify(rows, null, 2) + '\n');
