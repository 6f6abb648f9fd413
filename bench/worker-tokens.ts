// Tokens per second and time to first token of a streaming chat completion, median of N runs.
// Without --url it generates the demo model and starts a worker through the supervisor; with --url
// (and --key) it measures any OpenAI-compatible endpoint, e.g. the gateway in front of the worker.
//
//   node bench/worker-tokens.ts [--url http://127.0.0.1:8080/v1] [--key KEY] [--model NAME]
//        [--runs 7] [--max-tokens 128] [--threads N] [--model-path FILE.gguf]
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDemoModel } from '../src/inference/worker/demo-model.ts';
import { createWorkerSupervisor } from '../src/inference/worker/supervisor.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string' },
    model: { type: 'string', default: 'demo' },
    runs: { type: 'string', default: '7' },
    'max-tokens': { type: 'string', default: '128' },
    threads: { type: 'string' },
    'model-path': { type: 'string' },
  },
});
const runs = Number(values.runs);
const maxTokens = Number(values['max-tokens']);

interface Run {
  ttftMs: number;
  totalMs: number;
  tokens: number;
  /** Decode rate after the first token. */
  tokensPerSecond: number;
}

async function measure(baseUrl: string): Promise<Run> {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(values.key ? { authorization: `Bearer ${values.key}` } : {}),
    },
    body: JSON.stringify({
      model: values.model,
      messages: [{ role: 'user', content: 'Write a short story about an air gap.' }],
      max_tokens: maxTokens,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let first: number | undefined;
  let tokens = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body) {
    buffered += decoder.decode(bytes, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const data = buffered.slice(0, end).replace(/^data: /, '');
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as {
        choices: { delta?: { content?: string } }[];
        usage?: { completion_tokens: number };
      };
      if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now();
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  }
  const done = performance.now();
  const ttft = (first ?? done) - t0;
  return {
    ttftMs: ttft,
    totalMs: done - t0,
    tokens,
    tokensPerSecond: tokens > 1 ? ((tokens - 1) * 1000) / (done - (first ?? t0)) : 0,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

let dir: string | undefined;
let stop = async () => {};
let baseUrl = values.url;
if (!baseUrl) {
  dir = await mkdtemp(join(tmpdir(), 'airlock-bench-'));
  const modelPath = values['model-path'] ?? join(dir, 'demo.gguf');
  if (!values['model-path']) await writeDemoModel(modelPath);
  const sup = createWorkerSupervisor(
    {
      name: values.model,
      modelPath,
      contextSize: 512,
      port: 0,
      ...(values.threads ? { threads: Number(values.threads) } : {}),
    },
    { logger: { info() {}, warn() {}, error() {} } },
  );
  baseUrl = `${(await sup.start()).baseUrl}/v1`;
  stop = () => sup.stop();
}
try {
  await measure(baseUrl); // warm-up: first-request allocations are not what we measure
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure(baseUrl));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'worker-tokens',
      target: values.url ? 'url' : 'worker (demo model)',
      runs,
      maxTokens,
      cores: availableParallelism(),
      medianTtftMs: round(median(results.map((r) => r.ttftMs))),
      medianTokensPerSecond: round(median(results.map((r) => r.tokensPerSecond))),
      medianTotalMs: round(median(results.map((r) => r.totalMs))),
      medianTokens: median(results.map((r) => r.tokens)),
    })}\n`,
  );
} finally {
  await stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
