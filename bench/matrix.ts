/**
 * The side-by-side benchmark matrix: blockcast, udpcast (with and without its
 * FEC) and uftp, on a real ext4 image and a random one, against receivers,
 * random loss and a link rate cap, in a netns lab this script builds. Every
 * cell is one verified transfer (bench/tools.ts); a cell that does not verify
 * is reported as failed, not timed.
 *
 *   tsx bench/matrix.ts [--tools blockcast,blockcast-prepared,blockcast-prepared-zstd,udpcast,udpcast-fec,uftp]
 *                       [--receivers 1,4,16] [--loss 0,1,5] [--tbf 0,50]
 *                       [--images ext4,random] [--random-size 512M]
 *                       [--timeout 300] [--out bench/results] [--quick] [--lab bcmtx]
 *   tsx bench/matrix.ts --merge a/matrix.json,b/matrix.json [--out DIR]
 *
 * --tbf lists link caps in Mbit/s (tc tbf on every link), 0 = uncapped;
 * under a cap every sender is paced at 95% of it. The default cap is
 * 50 Mbit/s because on a 2-core lab no tool reaches a gigabit with 16
 * receivers; only a cap below what the CPU sustains makes the wire the
 * limit. --quick is the CI-sized run: a small ext4 image (/usr/include,
 * 512 MiB), receivers 1 and 4, loss 0 and 1%, uncapped. Writes matrix.json,
 * matrix.md and SVG plots (MB/s against receivers, and time against loss,
 * per image and cap) into --out. --merge runs
 * nothing: it joins earlier runs' matrix.json files (a later file's cell
 * replaces an earlier one's) and writes the same outputs from them.
 * --lab names the run's namespaces and links, so that a second run (say, of
 * link-bound capped cells) can go on beside the first without tearing its
 * lab down (1–6 letters or digits, starting with a letter).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { parseSize } from '../src/validate.js';
import { ext4Image } from './ext4.js';
import { Lab, cleanupStale } from './lab/netns.js';
import { PORT, TOOLS, cli, runTransfer, sha256File, type ToolName, type ToolRun } from './tools.js';

interface Cell extends ToolRun {
  image: string;
  loss: number;
  /** Link cap, Mbit/s; 0 = uncapped. */
  tbfMbit: number;
}

const { values } = parseArgs({
  options: {
    tools: { type: 'string', default: TOOLS.join(',') },
    receivers: { type: 'string', default: '1,4,16' },
    loss: { type: 'string', default: '0,1,5' },
    tbf: { type: 'string', default: '0,50' },
    images: { type: 'string', default: 'ext4,random' },
    'random-size': { type: 'string', default: '512M' },
    timeout: { type: 'string', default: '300' },
    out: { type: 'string', default: 'bench/results' },
    quick: { type: 'boolean', default: false },
    merge: { type: 'string' },
    lab: { type: 'string', default: 'bcmtx' },
  },
});

interface MatrixJson {
  started: string;
  machine: string;
  argv: string[];
  /** blockcast's git commit (with "+changes" if the tree was not clean); absent in runs before it was recorded. */
  commit?: string;
  /** The runs a merged file was made from. */
  sources?: Pick<MatrixJson, 'started' | 'machine' | 'argv' | 'commit'>[];
  cells: Cell[];
}
const cellKey = (c: Cell): string => `${c.image}|${c.tbfMbit}|${c.receivers}|${c.loss}|${c.tool}`;
const sources: MatrixJson[] = (values.merge ?? '').split(',').filter(Boolean).map((f) => JSON.parse(readFileSync(f, 'utf8')) as MatrixJson);
type Run = Pick<MatrixJson, 'started' | 'machine' | 'argv' | 'commit'>;
const sourceRuns: Run[] = sources.flatMap((m): Run[] => m.sources ?? [{ started: m.started, machine: m.machine, argv: m.argv, commit: m.commit }]);
const mergedCells = [...new Map(sources.flatMap((m) => m.cells).map((c) => [cellKey(c), c])).values()];
const uniq = <T,>(xs: T[]): T[] => [...new Set(xs)];
const sortedNumbers = (xs: number[]): number[] => uniq(xs).sort((a, b) => a - b);
const numbers = (s: string): number[] => s.split(',').filter(Boolean).map(Number);
const merging = sources.length > 0;
const tools = merging ? TOOLS.filter((t) => mergedCells.some((c) => c.tool === t)) : (values.tools!.split(',') as ToolName[]);
for (const t of tools) if (!TOOLS.includes(t)) throw new Error(`unknown tool ${t}; known: ${TOOLS.join(', ')}`);
const receiversList = merging ? sortedNumbers(mergedCells.map((c) => c.receivers)) : values.quick ? [1, 4] : numbers(values.receivers!);
const losses = merging ? sortedNumbers(mergedCells.map((c) => c.loss)) : values.quick ? [0, 1] : numbers(values.loss!);
const labName = values.lab!;
const caps = merging ? sortedNumbers(mergedCells.map((c) => c.tbfMbit)) : values.quick ? [0] : numbers(values.tbf!);
const imageNames = merging ? uniq(mergedCells.map((c) => c.image)) : values.quick ? ['ext4-small'] : values.images!.split(',');
const out = path.resolve(values.out!);
mkdirSync(out, { recursive: true });
const work = path.join('/dev/shm', `blockcast-matrix-${process.pid}`);
mkdirSync(work, { recursive: true });

/** The images, with their SHA-256 and (for blockcast-prepared, -zstd) a copy prepared with LZ4, or with prepare's default (zstd). */
async function images(): Promise<{ name: string; path: string; bytes: number; want: string }[]> {
  const list = [];
  for (const name of imageNames) {
    let file: string;
    if (name === 'ext4') file = ext4Image().path;
    else if (name === 'ext4-small') file = ext4Image({ size: '512M', trees: ['/usr/include'] }).path;
    else if (name === 'random') {
      file = path.join(work, 'random.img');
      execFileSync('bash', ['-c', `head -c ${parseSize('random-size', values['random-size']!)} /dev/urandom > ${file}`]);
    } else throw new Error(`unknown image ${name}: ext4, ext4-small or random`);
    if (tools.includes('blockcast-prepared')) execFileSync(process.execPath, [cli, 'prepare', file, '-o', `${file}.bcp`, '--codec', 'lz4', '--quiet']);
    if (tools.includes('blockcast-prepared-zstd')) execFileSync(process.execPath, [cli, 'prepare', file, '-o', `${file}.zstd.bcp`, '--quiet']);
    list.push({ name, path: file, bytes: statSync(file).size, want: await sha256File(file) });
  }
  return list;
}

const cells: Cell[] = merging ? mergedCells : [];
const started = merging ? new Date(sourceRuns[0]!.started) : new Date();
const f1 = (n: number): string => n.toFixed(1);
const commit = ((): string | undefined => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    return execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() ? `${head}+changes` : head;
  } catch {
    return undefined; // not a git checkout
  }
})();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`;
// Rewritten after every cell, so that a long run stopped midway keeps what it measured.
// A merged file keeps its sources' commands, so that merging it again still lists them.
const writeJson = (): void =>
  writeFileSync(path.join(out, 'matrix.json'), JSON.stringify({ started: started.toISOString(), machine, argv: process.argv.slice(2), commit: merging ? undefined : commit, ...(merging ? { sources: sourceRuns } : {}), cells }, null, 2) + '\n');
try {
  for (const img of merging ? [] : await images()) {
    console.log(`image ${img.name}: ${img.path}, ${(img.bytes / 2 ** 20).toFixed(0)} MiB`);
    for (const tbf of caps) {
      for (const n of receiversList) {
        cleanupStale(labName);
        const lab = Lab.create({ name: labName, receivers: n, subnet: 12, ...(tbf > 0 ? { rateMbit: tbf } : {}) });
        try {
          for (const loss of losses) {
            lab.receiverNs.forEach((_, i) => lab.setLoss(i, loss, loss > 0 ? [PORT, PORT + 1] : []));
            for (const tool of tools) {
              const r = await runTransfer({
                tool, lab, image: img.path, imageBytes: img.bytes, want: img.want, work, timeoutS: Number(values.timeout),
                ...(tbf > 0 ? { paceMbit: tbf } : {}),
              });
              const cell = { ...r, image: img.name, loss, tbfMbit: tbf };
              cells.push(cell);
              writeJson();
              console.log(`${img.name} N=${n} loss ${loss}% ${tbf ? `tbf ${tbf}` : 'uncapped'} ${tool}: ${r.verified ? `${r.seconds.toFixed(2)} s, ${f1(r.mbps)} MB/s` : `FAILED (${r.failure})`}`);
            }
          }
        } finally {
          lab.destroy();
        }
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

writeJson();

// Markdown: one table per image and rate cap; rows (N, loss), columns tools,
// cells MB/s per receiver, with blockcast's best over udpcast's and over the
// best other tool's.
const runs: Run[] = merging ? sourceRuns : [{ started: started.toISOString(), machine, argv: process.argv.slice(2), commit }];
const md: string[] = [`# Benchmark matrix`, '', `Run${runs.length > 1 ? 's' : ''} from ${runs[0]!.started} on ${runs[0]!.machine}${merging ? ', merged' : ''}:`, '', '```sh'];
for (const r of runs) md.push(`npx tsx bench/matrix.ts ${r.argv.join(' ')}${r.commit ? `   # blockcast ${r.commit}` : ''}`.trim());
md.push('```', '');
md.push('MB/s per receiver (image bytes / wall time from sender launch to last receiver done); FAILED = did not verify or timed out.', '');
for (const image of imageNames) {
  for (const tbf of caps) {
    if (!cells.some((c) => c.image === image && c.tbfMbit === tbf)) continue;
    md.push(`## ${image}, ${tbf ? `links capped at ${tbf} Mbit/s` : 'uncapped'}`, '');
    md.push(`| N | loss | ${tools.join(' | ')} | best blockcast / udpcast | best blockcast / best other |`, `|---|---|${tools.map(() => '---').join('|')}|---|---|`);
    for (const n of receiversList) {
      for (const loss of losses) {
        const row = tools.map((t) => cells.find((c) => c.image === image && c.tbfMbit === tbf && c.receivers === n && c.loss === loss && c.tool === t));
        if (row.every((c) => !c)) continue; // not run (a partial or merged matrix)
        const ours = Math.max(0, ...row.filter((c) => c?.verified && c.tool.startsWith('blockcast')).map((c) => c!.mbps));
        const theirs = Math.max(0, ...row.filter((c) => c?.verified && !c.tool.startsWith('blockcast')).map((c) => c!.mbps));
        const udpcast = row.find((c) => c?.tool === 'udpcast' && c.verified)?.mbps ?? 0;
        const ratio = (x: number): string => (ours > 0 && x > 0 ? `${(ours / x).toFixed(1)}×` : '');
        md.push(`| ${n} | ${loss}% | ${row.map((c) => (!c ? '' : c.verified ? f1(c.mbps) : 'FAILED')).join(' | ')} | ${ratio(udpcast)} | ${ratio(theirs)} |`);
      }
    }
    md.push('');
  }
}

async function plot(name: string, spec: TopLevelSpec): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  writeFileSync(path.join(out, name), await view.toSVG());
  md.push(`![${name}](${name})`, '');
}

// One pair of plots per image and link cap: MB/s against receivers (no loss)
// and seconds against loss (most receivers), a line per tool.
const linePlot = (name: string, title: string, values: Cell[], x: [keyof Cell, string, boolean], y: [keyof Cell, string]): Promise<void> =>
  plot(name, {
    title,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: x[0], type: 'quantitative', title: x[1], ...(x[2] ? { scale: { type: 'log', base: 2 } } : {}) },
      y: { field: y[0], type: 'quantitative', title: y[1] },
      color: { field: 'tool', type: 'nominal' },
    },
    width: 480,
    height: 280,
  });
for (const image of imageNames) {
  for (const tbf of caps) {
    const ok = cells.filter((c) => c.image === image && c.verified && c.tbfMbit === tbf);
    if (ok.length === 0) continue;
    const rate = tbf ? `${tbf} Mbit/s` : 'uncapped';
    const suffix = tbf ? `-tbf${tbf}` : '';
    const most = Math.max(...ok.map((c) => c.receivers));
    await linePlot(`throughput-${image}${suffix}.svg`, `${image}: MB/s per receiver against receivers (loss 0%, ${rate})`,
      ok.filter((c) => c.loss === 0), ['receivers', 'receivers', true], ['mbps', 'MB/s per receiver']);
    await linePlot(`time-vs-loss-${image}${suffix}.svg`, `${image}: seconds against random loss (${most} receivers, ${rate})`,
      ok.filter((c) => c.receivers === most), ['loss', 'loss %', false], ['seconds', 'seconds']);
  }
}
writeFileSync(path.join(out, 'matrix.md'), md.join('\n'));
console.log(`wrote ${out}/matrix.json, matrix.md and plots`);
process.exitCode = cells.every((c) => c.verified) ? 0 : 1;
