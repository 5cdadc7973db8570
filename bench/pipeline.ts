/**
 * The compression pipeline benchmark (issue 3): a real ext4 image
 * (bench/ext4.ts: mkfs.ext4 -d from about 1.1 GB of system files in a 2 GiB
 * image) sent to N receivers in the netns lab, compressed and with
 * --no-compress; then a 16 GiB sparse ext4 image of the same files, for
 * peak memory.
 *
 *   tsx bench/pipeline.ts [--receivers 1,4,16] [--plain 4] [--sparse-size 16G]
 *                         [--target-dir /dev/shm] [--json FILE]
 *
 * Logical MB/s = image bytes / transfer time; wire MB/s = bytes the sender
 * put on the wire / transfer time (MB = 10^6 bytes). Every target is checked
 * by SHA-256. Targets are created by the receivers (sparse), so zero chunks
 * take no memory: 16 receivers of this image need about 18 GiB of tmpfs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runE2e, type E2eResult } from './e2e.js';
import { ext4Image } from './ext4.js';

interface Row {
  label: string;
  receivers: number;
  compress: boolean;
  result: E2eResult;
}

function row(r: Row): string {
  const x = r.result;
  const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  return (
    `| ${r.label} | ${r.receivers} | ${r.compress ? 'lz4' : 'none'} | ${x.verified ? 'yes' : 'FAILED'} | ${f(x.seconds, 2)} | ${f(x.logicalMBps)} | ${f(x.wireMBps)} | ` +
    `${f(x.compressionRatio, 2)} / ${f(x.reductionRatio, 2)} | ${f(x.cpuSecondsPerGiB.sender, 2)} / ${f(x.cpuSecondsPerGiB.receiver, 2)} | ${f(x.senderPeakRssMB, 0)} / ${f(x.receiverPeakRssMB, 0)} | ${x.maxBacklog} |`
  );
}

const HEADER =
  '| image | N | coding | verified | s | logical MB/s | wire MB/s | lz4 ratio / with zeros | CPU s per logical GiB sender / receiver | peak RSS MB sender / receiver | max backlog |\n' +
  '|---|---|---|---|---|---|---|---|---|---|---|';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      receivers: { type: 'string', default: '1,4,16' },
      plain: { type: 'string', default: '4' },
      'sparse-size': { type: 'string', default: '16G' },
      'target-dir': { type: 'string', default: '/dev/shm' },
      rate: { type: 'string', default: '10g' },
      json: { type: 'string' },
    },
  });
  const list = (s: string): number[] => (s ? s.split(',').map(Number) : []);
  const img = ext4Image({ size: '2G' });
  console.log(`ext4 image ${img.path}: ${(img.imageBytes / 2 ** 30).toFixed(2)} GiB, ${(img.fileBytes / 1e9).toFixed(2)} GB of files from ${img.trees.join(', ')}`);
  console.log(HEADER);
  const rows: Row[] = [];
  const run = async (label: string, image: string, receivers: number, compress: boolean): Promise<void> => {
    const result = await runE2e({
      receivers, size: 0, mtu: 1500, rate: values.rate!, loss: 0, ceiling: false, wholeSkb: false, rxGro: false, image,
      targets: 'sparse', targetDir: values['target-dir']!, sendArgs: compress ? [] : ['--no-compress'],
    });
    const r = { label, receivers, compress, result };
    rows.push(r);
    console.log(row(r));
    for (const f of result.failures) console.log(`  ${f}`);
  };
  for (const n of list(values.receivers!)) {
    await run('ext4 2 GiB', img.path, n, true);
    if (list(values.plain!).includes(n)) await run('ext4 2 GiB', img.path, n, false);
  }
  if (values['sparse-size']) {
    const big = ext4Image({ size: values['sparse-size'] });
    await run(`ext4 ${values['sparse-size']} sparse`, big.path, 1, true);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ image: img, rows }, null, 2) + '\n');
  process.exitCode = rows.every((r) => r.result.verified) ? 0 : 1;
}
