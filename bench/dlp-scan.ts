// Micro-benchmark: µs per 2 KB prompt through the full DLP engine (all built-in rules), clean and
// dirty, plus per-chunk cost of the stream scanner. Budget (DESIGN.md §9): inspect-in 40 µs / 2 KB.
// Run: . scripts/node24.sh && node bench/dlp-scan.ts
import { createDlpEngine } from '../src/dlp/engine.ts';
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

// Synthetic secrets, assembled at run time.
const key = 'AKIA' + 'J7QH2MZP5XKR4WNV';
const gh = 'ghp_' + 'x'.repeat(0) + 'R8fK2mQ9vL3pZ7wT1yH6cN4bJ0sD5gA8eU2i';
const clean = fill([PROSE, CODE], 2048);
const dirty = fill(
  [
    PROSE,
    `my key is ${key} and `,
    'mail jane.doe@example.com or call +44 20 7946 0958. ',
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
  console.log(`${name.padEnd(44)} ${median.toFixed(2).padStart(8)} µs  (min ${samples[0]!.toFixed(2)})`);
  return median;
}

console.log(
  `dlp-scan: ${engine.detectors.length} detectors, prefilter set of ${engine.prefilter.set.size} patterns`,
);
console.log(
  `dirty prompt findings: ${engine
    .scan(dirty)
    .map((f) => f.type)
    .join(', ')}`,
);
bench('scan 2 KB clean prose+code', () => engine.scan(clean), 20000);
bench('scan 2 KB dirty (AWS, GitHub, email, phone)', () => engine.scan(dirty), 5000);
bench('scan 200 B chat turn', () => engine.scan(clean.slice(0, 200)), 50000);

const chunks: string[] = [];
for (let i = 0; i < dirty.length; i += 16) chunks.push(dirty.slice(i, i + 16));
bench(
  `stream ${chunks.length} × 16-char deltas (per chunk)`,
  () => {
    const s = createStreamScanner(engine, { holdback: 256 });
    for (const c of chunks) s.push(c);
    s.flush();
  },
  300,
);
