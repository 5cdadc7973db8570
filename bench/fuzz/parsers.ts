// The TypeScript fuzzer at benchmark scale: `tsx bench/fuzz/parsers.ts
// [--packets N] [--seed S]` sends N mutated packets (default 1M) through
// every decoder and both control paths (test/fuzz/targets.ts), plus N/20
// mutated manifests, and prints the seed, the counts and the time.
import { parseArgs } from 'node:util';
import { seedManifest, seedPackets } from '../../test/fuzz/corpus.js';
import { mutate } from '../../test/fuzz/mutator.js';
import { fuzzSeed, Rng } from '../../test/fuzz/rng.js';
import { decodeAll, FUZZ_SESSION, parseManifest, ReceiverControlRig, SenderControlRig } from '../../test/fuzz/targets.js';

const { values } = parseArgs({ options: { packets: { type: 'string', default: '1000000' }, seed: { type: 'string' } } });
const packets = Number(values.packets);
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : fuzzSeed();
console.log(`TS fuzz: ${packets} packets, seed ${seed}`);
const rng = new Rng(seed);
const sender = new SenderControlRig();
const receiver = new ReceiverControlRig();
const t0 = performance.now();
let corpus: Buffer[] = [];
for (let i = 0; i < packets; i++) {
  if (i % 2000 === 0) corpus = seedPackets(rng, FUZZ_SESSION, 16);
  const b = mutate(rng, rng.pick(corpus), corpus);
  try {
    decodeAll(b);
    sender.feed(b);
    receiver.feed(b);
  } catch (err) {
    console.error(`packet ${i} (seed ${seed}): ${b.toString('hex')}`);
    throw err;
  }
}
let manifests = 0;
for (let i = 0; i < packets / 20; i++) {
  const m = seedManifest(rng);
  if (parseManifest(mutate(rng, m, [m]))) manifests++;
}
const seconds = (performance.now() - t0) / 1000;
console.log(`ok: ${packets} packets (sender: ${JSON.stringify(sender.counts)}, receiver: ${JSON.stringify(receiver.counts)}), ${Math.floor(packets / 20)} manifests (${manifests} accepted), ${seconds.toFixed(1)} s`);
