/**
 * The compression pipeline benchmark (issue 3): a real ext4 image
 * (bench/ext4.ts: mkfs.ext4 -d from about 1.1 GB of system files in a 2 GiB
 * image) sent to N receivers in the netns lab, compressed and with
 * --no-compress; then a 16 GiB sparse ext4 image of the same files, for
 * peak memory.
 *
 *   tsx bench/pipeline.ts [--receivers 1,4,16] [--plain 4] [--sparse-size 16G]
 *                         [--tbf MBIT] [--rate 10g] [--target-dir /dev/shm] [--json FILE]
 *
 * --tbf caps every link (tc tbf) so that the wire, not this machine's two
 * shared cores, is the bottleneck, as on a real network.
 *
 * Logical MB/s = image bytes / transfer time; wire MB/s = bytes the sender
 * put on the wire / transfer time (MB = 10^6 bytes). Every target is checked
 * by SHA-256. Targets are created by the receivers (sparse), so zero chunks
 * take no memory: 16 receivers of this image need about 18 GiB of tmpfs.
 * Up to 4 receivers, targets are pre-allocated and --target-zeroed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runE2e, type E2eResult } from './e2e.js';
import { ext4Image } from './ext4.js';

type Mode = 'prepared' | 'raw' | 'raw --no-compress';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

interface Row {
  label: string;
  receivers: number;
  mode: Mode;
  result: E2eResult;
}

function row(r: Row): string {
  const x = r.result;
  const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  return (
    `| ${r.label} | ${r.receivers} | ${r.mode} | ${x.verified ? 'yes' : 'FAILED'} | ${f(x.seconds, 2)} | ${f(x.logicalMBps)} | ${f(x.wireMBps)} | ` +
    `${f(x.compressionRatio, 2)} / ${f(x.reductionRatio, 2)} | ${f(x.cpuSecondsPerGiB.sender, 2)} / ${f(x.cpuSecondsPerGiB.receiver, 2)} | ${f(x.senderPeakRssMB, 0)} / ${f(x.receiverPeakRssMB, 0)} | ${x.maxBacklog} |`
  );
}

const HEADER =
  '| image | N | send | verified | s | logical MB/s | wire MB/s | lz4 ratio / with zeros | CPU s per logical GiB sender / receiver | peak RSS MB sender / receiver | max backlog |\n' +
  '|---|---|---|---|---|---|---|---|---|---|---|';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      receivers: { type: 'string', default: '1,4,16' },
      plain: { type: 'string', default: '4' },
      'sparse-size': { type: 'string', default: '16G' },
      'target-dir': { type: 'string', default: '/dev/shm' },
      rate: { type: 'string', default: '10g' },
      tbf: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const list = (s: string): number[] => (s ? s.split(',').map(Number) : []);
  const img = ext4Image({ size: '2G' });
  console.log(`ext4 image ${img.path}: ${(img.imageBytes / 2 ** 30).toFixed(2)} GiB, ${(img.fileBytes / 1e9).toFixed(2)} GB of files from ${img.trees.join(', ')}`);
  console.log(HEADER);
  const rows: Row[] = [];
  const run = async (label: string, image: string, receivers: number, mode: Mode, rawImage?: string): Promise<void> => {
    const result = await runE2e({
      // Under a tbf cap the sender is paced just below it, as on a real link
      // whose speed the admin passes with --rate.
      receivers, size: 0, mtu: 1500, rate: values.tbf ? `${Math.floor(Number(values.tbf) * 0.95)}m` : values.rate!, loss: 0, ceiling: false, wholeSkb: false, rxGro: false, image,
      ...(rawImage ? { rawImage } : {}),
      // Up to 4 receivers: targets allocated up front and declared zeroed, as
      // fresh disks (tmpfs page allocation inside pwrite would otherwise be
      // measured). 16 receivers of this image do not fit in memory that way:
      // their targets are created sparse by the receivers.
      targets: receivers > 4 ? 'sparse' : 'fallocate',
      targetDir: values['target-dir']!,
      sendArgs: mode === 'raw --no-compress' ? ['--no-compress'] : [],
      receiveArgs: receivers > 4 ? ['--max-buffer', '128M'] : ['--target-zeroed'],
      ...(values.tbf ? { tbf: Number(values.tbf) } : {}),
    });
    const r = { label, receivers, mode, result };
    rows.push(r);
    console.log(row(r));
    for (const f of result.failures) console.log(`  ${f}`);
  };
  // Prepared once (compressed and hashed), as a site images many nodes
  // from one golden image; the raw image is compressed as it is sent.
  const prepared = `${img.path}.bcp`;
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, 'prepare', img.path, '-o', prepared, '--quiet']);
  console.log(`blockcast prepare: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  for (const n of list(values.receivers!)) {
    await run('ext4 2 GiB', prepared, n, 'prepared', img.path);
    await run('ext4 2 GiB', img.path, n, 'raw');
    if (list(values.plain!).includes(n)) await run('ext4 2 GiB', img.path, n, 'raw --no-compress');
  }
  if (values['sparse-size']) {
    const big = ext4Image({ size: values['sparse-size'] });
    await run(`ext4 ${values['sparse-size']} sparse`, big.path, 1, 'raw');
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ image: img, rows }, null, 2) + '\n');
  process.exitCode = rows.every((r) => r.result.verified) ? 0 : 1;
}
