// `npm run dlp:eval` — generates the synthetic labelled DLP corpus (seeded, deterministic), runs the
// full engine over it and prints precision and recall per type and overall. Exits 1 when overall
// precision or recall is below the target (0.95), so CI holds the rules to it.
//   node scripts/dlp-eval.ts [--json] [--seed N] [--misses N] [--min 0.95]
import { parseArgs } from 'node:util';
import { createDlpEngine } from '../src/dlp/engine.ts';
import { generateCorpus } from '../src/dlp/eval/corpus.ts';
import { evaluate, type TypeScore } from '../src/dlp/eval/score.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
    misses: { type: 'string', default: '10' },
    min: { type: 'string', default: '0.95' },
  },
});
const target = Number(values.min);
const docs = generateCorpus({ seed: Number(values.seed) });
const report = evaluate(createDlpEngine(), docs);
const pass = report.overall.precision >= target && report.overall.recall >= target;

if (values.json) {
  console.log(JSON.stringify({ seed: Number(values.seed), target, pass, ...report }, null, 2));
} else {
  const row = (t: TypeScore) =>
    `${t.type.padEnd(26)} ${String(t.tp).padStart(5)} ${String(t.fp).padStart(4)} ${String(t.fn).padStart(4)}  ${t.precision.toFixed(3)}  ${t.recall.toFixed(3)}${t.precision < target || t.recall < target ? '  ←' : ''}`;
  console.log(
    `dlp-eval: seed ${values.seed}, ${report.documents} documents, ${report.labels} labels, ${report.findings} findings, ` +
      `${(report.bytes / 1024).toFixed(0)} KiB scanned at ${(report.bytes / 1e6 / (report.scanMs / 1000)).toFixed(1)} MB/s`,
  );
  console.log(
    `${'type'.padEnd(26)} ${'tp'.padStart(5)} ${'fp'.padStart(4)} ${'fn'.padStart(4)}  prec.  recall`,
  );
  for (const t of report.types) console.log(row(t));
  console.log(row(report.overall));
  const n = Number(values.misses);
  if (n > 0 && report.misses.length > 0) {
    console.log(`\nfirst ${Math.min(n, report.misses.length)} of ${report.misses.length} misses:`);
    for (const m of report.misses.slice(0, n)) console.log(`  ${m.kind} ${m.type} [${m.doc}] ${m.excerpt}`);
  }
  console.log(pass ? `\nPASS (target ${target})` : `\nFAIL: overall precision or recall below ${target}`);
}
process.exitCode = pass ? 0 : 1;
