// Micro-benchmark: µs per 2 KB prompt through the full DLP engine (all built-in rules), clean and
// dirty, plus per-chunk cost of the stream scanner. Budget (DESIGN.md §9): inspect-in 40 µs / 2 KB,
// inspect-out 20 µs per streamed chunk. Run: . scripts/node24.sh && node bench/dlp-scan.ts
import { createDlpEngine } from '../src/dlp/engine.ts';
import { checksummed } from '../src/dlp/rules/synth.ts';
import { createStreamScanner } from '../src/dlp/stream-scanner.ts';

const engine = createDlpEngine();

const PROSE =
  'Please summarise the quarterly report for the board. Revenue grew in every region, with the ' +
  'strongest growth in the northern territories, while costs stayed flat thanks to the new ' +
  'procurement process. Highlight risks around supplier concentration and the delayed launch of ' +
  'the analytics product, and suggest three questions the board should ask the leadership team. ';
const CODE =
  'function handler(req, res) {\n  const items = req.body.items.map((x) => x.id);\n  return res.json({ ok: true, count: items.length });\n}\n';

function fill(parts: string[], size: number): string {
  let s = '';
  for (let i = 0; s.length < size; i++) s += parts[i % parts.length];
  return s.slice(0, size);
}

// Synthetic secrets, assembled at run time. Phone numbers vary per prompt so the phone rule's
// validation cache (512 entries) misses, as it would on real traffic.
const key = 'AKIA' + 'J7QH2MZP5XKR4WNV';
const gh = checksummed('ghp_', 'bench');
const clean = fill([PROSE, CODE], 2048);
const phone = (i: number) => `+44 20 7946 ${String(1000 + (i % 8000)).padStart(4, '0')}`;
const VARIANTS = 4096;
function dirtyPrompt(i: number): string {
  const body = fill([PROSE, CODE], 2048 - 160);
  return `${body.slice(0, 700)} my key is ${key}, mail jane.doe@example.com or call ${phone(i)}. ${body.slice(700)} token = "${gh}"\n`;
}
const dirty = Array.from({ length: VARIANTS }, (_, i) => dirtyPrompt(i));
const dense = fill(
  [
    PROSE,
    `my key is ${key} and `,
    `mail jane.doe@example.com or call ${phone(1)}. `,
    CODE,
    `token = "${gh}"\n`,
  ],
  2048,
);

function bench(name: string, fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / iterations);
  }
  samples.sort((a, b) => a - b);
  const median = samples[2]!;
  console.log(`${name.padEnd(50)} ${median.toFixed(2).padStart(8)} µs  (min ${samples[0]!.toFixed(2)})`);
  return median;
}

console.log(
  `dlp-scan: ${engine.detectors.length} detectors, prefilter set of ${engine.prefilter.set.size} patterns`,
);
console.log(
  `dirty prompt (${dirty[0]!.length} chars): ${engine
    .scan(dirty[0]!)
    .map((f) => f.type)
    .join(', ')}`,
);
bench('scan 2 KB clean prose+code', () => engine.scan(clean), 20000);
let n = 0;
bench('scan 2 KB dirty (AWS, GitHub, email, phone)', () => engine.scan(dirty[n++ % VARIANTS]!), 4096);
bench('scan 2 KB dense (3x each kind, phone cached)', () => engine.scan(dense), 2000);
bench('scan 200 B chat turn', () => engine.scan(clean.slice(0, 200)), 50000);

const chunks: string[] = [];
const streamed = dirty[1]!;
for (let i = 0; i < streamed.length; i += 16) chunks.push(streamed.slice(i, i + 16));
const perStream = bench(
  `stream ${chunks.length} x 16-char deltas (whole stream)`,
  () => {
    const s = createStreamScanner(engine, { holdback: 256 });
    for (const c of chunks) s.push(c);
    s.flush();
  },
  300,
);
console.log(`${'  = per chunk'.padEnd(50)} ${(perStream / chunks.length).toFixed(2).padStart(8)} µs`);
