// Writes the random-weight demo GGUF (see src/inference/worker/demo-model.ts).
// Usage: node scripts/make-demo-model.ts [--out PATH]   (default test/fixtures/generated/demo.gguf)
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDemoModel } from '../src/inference/worker/demo-model.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
const out = resolve(values.out ?? 'test/fixtures/generated/demo.gguf');
await writeDemoModel(out);
const { size } = await stat(out);
process.stdout.write(`${JSON.stringify({ event: 'demo_model_written', path: out, bytes: size })}\n`);
