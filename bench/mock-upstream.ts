// Runs the test suite's OpenAI-compatible mock upstream as a standalone process for benchmarks.
// Usage: node bench/mock-upstream.ts [--chunks 20]; prints {"url": ...} once listening.
import { startMockOpenAiUpstream } from '../test/helpers/mock-openai-upstream.ts';

const chunks = Number(process.argv[process.argv.indexOf('--chunks') + 1] || 20);
const up = await startMockOpenAiUpstream({ chunkCount: chunks, record: false });
process.stdout.write(`${JSON.stringify({ url: up.url })}\n`);
process.on('SIGTERM', () => up.close().then(() => process.exit(0)));
