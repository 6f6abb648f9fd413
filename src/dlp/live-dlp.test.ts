import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AirlockError } from '../errors.ts';
import { createRequestContext, type RequestContext } from '../http/context.ts';
import {
  createInspectInStage,
  createInspectOutStage,
  createOpenAiRequestDlp,
} from '../http/stages/inspect.ts';
import { type DlpConfig, dlpConfigSchema } from './config.ts';
import { compileDlp, createLiveDlp } from './live-dlp.ts';

const cfg = (input: unknown): DlpConfig => dlpConfigSchema.parse(input);
const REDACT_EMAIL = cfg({
  overrides: [
    { match: { routes: ['/v1/chat/completions'] }, actions: { types: { EMAIL: { input: 'redact' } } } },
  ],
});
const PROJECT = cfg({ rules: [{ id: 'project-x', dictionary: ['bluebird'], category: 'custom' }] });

const chat = (content: string, stream = false): RequestContext =>
  createRequestContext({
    requestId: 'req_1',
    operation: 'chat',
    request: { method: 'POST', ip: '127.0.0.1', headers: {}, raw: { socket: {} } },
    signal: new AbortController().signal,
    body: { model: 'm', messages: [{ role: 'user', content }] },
    stream,
  });
const sent = (ctx: RequestContext) =>
  ((ctx.body as { messages: { content: string }[] }).messages[0] as { content: string }).content;

describe('live DLP: swapped whole for new requests, pinned for requests in flight', () => {
  test('swap: a new override redacts the next request; the default before only reported', async () => {
    const live = createLiveDlp(compileDlp(undefined));
    const dlp = createOpenAiRequestDlp(live);
    const inspectIn = createInspectInStage(dlp);
    const before = chat('write to ann@example.com');
    await inspectIn.run(before);
    assert.equal(sent(before), 'write to ann@example.com', 'default: PII is alerted, not redacted');

    live.swap(REDACT_EMAIL);
    const afterSwap = chat('write to ann@example.com');
    await inspectIn.run(afterSwap);
    assert.doesNotMatch(sent(afterSwap), /ann@example\.com/);
    assert.equal(afterSwap.findings[0]?.action, 'redact');
  });

  test('a request in flight keeps the engine and actions it started with (output of a stream too)', async () => {
    const live = createLiveDlp(compileDlp(undefined));
    const dlp = createOpenAiRequestDlp(live);
    const inFlight = chat('about bluebird', true);
    assert.equal(dlp.summary(inFlight).count, 0, 'scanned with the old rules: no custom rule yet');

    live.swap(PROJECT);
    // The old request's output inspection starts after the swap and still uses the old engine.
    await createInspectOutStage(dlp).run(inFlight);
    assert.equal(dlp.engineFor(inFlight).config.rules.length, 0);
    for (const hook of inFlight.chunkHooks)
      await hook({ choices: [{ index: 0, delta: { content: 'bluebird is go' } }] }, inFlight);
    assert.equal(inFlight.findings.length, 0);

    const next = chat('about bluebird');
    assert.equal(dlp.summary(next).count, 1, 'the next request is scanned with the new rule');
    assert.equal(dlp.engineFor(next), live.engine);
  });

  test('swap: a config that does not compile throws config_invalid and leaves the old DLP in force', () => {
    const live = createLiveDlp(compileDlp(PROJECT));
    const old = live.current();
    let swapped = 0;
    live.onSwap(() => swapped++);
    assert.throws(
      () => live.swap(cfg({ rules: [{ id: 'broken', pattern: '(unclosed' }] })),
      (e: unknown) =>
        e instanceof AirlockError && e.code === 'config_invalid' && /broken/.test(String(e.detail)),
    );
    assert.equal(live.current(), old);
    assert.equal(swapped, 0);
    live.swap(REDACT_EMAIL);
    assert.equal(swapped, 1);
    assert.notEqual(live.current(), old);
  });
});
