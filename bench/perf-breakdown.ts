/**
 * A receiver's CPU by kind of work, from a `perf record -g` file (as
 * bench/receiver-cpu.ts --perf writes): each sample goes to the first
 * category whose pattern its stack matches, in the order below, and the
 * categories are printed as shares and as CPU seconds (samples / frequency).
 *
 *   tsx bench/perf-breakdown.ts FILE [--hz 1999] [--main]
 *
 * `--main`: only the samples of the main (JS) thread.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { hz: { type: 'string', default: '1999' }, main: { type: 'boolean', default: false } } });
const file = positionals[0];
if (!file) throw new Error('usage: perf-breakdown.ts FILE [--hz N]');

/** First match wins: the leaf-most work named in the stack decides. */
const CATEGORIES: [string, RegExp][] = [
  // zstd's inner loops (HUF_, FSE_, ZSTD_) are assembly or inlined without
  // frame pointers: their stacks often name no caller, so match them by name.
  ['LZ4 / zstd decompress', /LZ4_decompress|ZSTD_|HUF_|FSE_|decodeChunk/],
  ['BLAKE3', /blake3|blake\.linux|Blake3/i],
  ['pwrite (kernel copy into the target)', /pwrite64|__libc_pwrite|ksys_pwrite/],
  ['kernel receive (recvmmsg, GRO split)', /recvmmsg|__sys_recvmmsg|udp_recvmsg/],
  ['receive thread, user space (placing symbols)', /^blockcast-rx /],
  ['GC', /Heap::|Scavenge|MarkCompact|ConcurrentMarking|Sweeper|MinorMC|GCTracer|Heap_/],
  ['worker messaging (postMessage, (de)serialise, piscina)', /MessagePort|ValueSerializer|ValueDeserializer|piscina|Worker::Run|atomicsWait/],
  ['JS <-> native hops (thread-safe function, N-API)', /ThreadSafeFunction|napi_|blockcast_native/],
  ['JIT / compile', /Compiler::|interpreter::Bytecode|compiler::|Runtime_CompileLazy|Maglev|Turbofan/],
  ['page faults, allocation', /exc_page_fault|malloc|mmap|munmap/],
  ['scheduler, futex, epoll (wakeups)', /futex|schedule|epoll|poll|nanosleep/],
  ['other JS (main thread and workers)', /Builtins_|JS:|v8::/],
];

const text = execFileSync('perf', ['script', '-i', file, '-F', 'comm,pid,tid,ip,sym,dso'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const counts = new Map<string, number>();
let total = 0;
for (const block of text.split('\n\n')) {
  const lines = block.split('\n').filter((l) => l.trim());
  if (lines.length === 0) continue;
  const [, pid, tid] = /^\s*\S+\s+(\d+)\/(\d+)/.exec(lines[0]!) ?? [];
  if (values.main && pid !== tid) continue;
  const stack = lines.map((l) => l.trim()).join('\n');
  const cat = CATEGORIES.find(([, re]) => re.test(stack))?.[0] ?? 'other';
  counts.set(cat, (counts.get(cat) ?? 0) + 1);
  total++;
}
const hz = Number(values.hz);
console.log(`| work | share | CPU s |`);
console.log(`|---|---|---|`);
for (const [cat] of [...CATEGORIES, ['other']]) {
  const n = counts.get(cat!) ?? 0;
  if (n) console.log(`| ${cat} | ${((n / total) * 100).toFixed(1)}% | ${(n / hz).toFixed(2)} |`);
}
console.log(`| **all** | 100% | **${(total / hz).toFixed(2)}** |`);
