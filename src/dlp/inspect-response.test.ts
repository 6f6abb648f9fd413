import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDlpEngine } from './engine.ts';
import { createStreamInspector, inspectResponseBody } from './inspect-response.ts';
import { checksummed } from './rules/synth.ts';

const engine = createDlpEngine();
const gh = checksummed('ghp_', 'inspect-response');
const aws = `AKIA${'Q7ZK3MPX2WRT5NVB'}`;

type Json = Record<string, unknown>;
const chunk = (delta: Json, finish: string | null = null, index = 0): Json => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  choices: [{ index, delta, finish_reason: finish }],
});
const toolDelta = (k: number, args: string, head = false): Json => ({
  tool_calls: [
    head
      ? { index: k, id: `call_${k}`, type: 'function', function: { name: 'lookup', arguments: args } }
      : { index: k, function: { arguments: args } },
  ],
});

/** What an OpenAI client assembles from the chunks: content and each call's arguments. */
function assemble(chunks: readonly Json[]): { content: string; args: Map<number, string> } {
  let content = '';
  const args = new Map<number, string>();
  for (const c of chunks) {
    for (const choice of c.choices as Json[]) {
      const d = choice.delta as Json | undefined;
      if (!d) continue;
      if (typeof d.content === 'string') content += d.content;
      for (const call of (d.tool_calls as Json[] | undefined) ?? []) {
        const k = call.index as number;
        args.set(k, (args.get(k) ?? '') + ((call.function as Json).arguments as string));
      }
    }
  }
  return { content, args };
}

function splitEvery(s: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out;
}

describe('stream inspector: tool-call arguments', () => {
  test('arguments are held until finish_reason, then released whole and redacted', () => {
    const args = JSON.stringify({ query: 'status', token: gh });
    const inspector = createStreamInspector(engine, { holdback: 32, minRelease: 4 });
    const out: Json[] = [];
    const pieces = splitEvery(args, 3);
    pieces.forEach((p, n) => {
      const c = chunk(toolDelta(0, p, n === 0));
      inspector.inspectChunk(c);
      out.push(c);
    });
    // Until the call completes nothing of its arguments is released.
    assert.equal(assemble(out).args.get(0), '');
    const last = chunk({}, 'tool_calls');
    const r = inspector.inspectChunk(last);
    out.push(last);
    const released = assemble(out).args.get(0)!;
    assert.equal(released, args.replace(gh, '[REDACTED:GITHUB_PAT]'));
    assert.deepEqual(
      r.findings.map((f) => f.type),
      ['GITHUB_PAT'],
    );
    assert.equal(r.findings[0]!.field, 'choices[0].delta.tool_calls[0].function.arguments');
    for (const c of out) assert.ok(!JSON.stringify(c).includes(gh.slice(0, 12)));
  });

  test('a new tool index completes the previous call: released in that chunk, before the new entry', () => {
    const inspector = createStreamInspector(engine);
    const first = `{"key":"${aws}"}`;
    const chunks = [
      chunk(toolDelta(0, first.slice(0, 10), true)),
      chunk(toolDelta(0, first.slice(10))),
      chunk(toolDelta(1, '{"q":1}', true)),
    ];
    for (const c of chunks) inspector.inspectChunk(c);
    const calls = ((chunks[2]!.choices as Json[])[0]!.delta as Json).tool_calls as Json[];
    assert.deepEqual(
      calls.map((c) => [c.index, (c.function as Json).arguments]),
      [
        [0, '{"key":"[REDACTED:AWS_ACCESS_KEY]"}'],
        [1, ''],
      ],
    );
    const end = chunk({}, 'tool_calls');
    inspector.inspectChunk(end);
    assert.equal(assemble([...chunks, end]).args.get(1), '{"q":1}');
  });

  test('a block policy on a tool argument stops the stream and releases none of it', () => {
    const inspector = createStreamInspector(engine, {
      policy: { categories: { secret: { output: 'block' } }, types: {} },
    });
    const c1 = chunk(toolDelta(0, `{"k":"${gh}`, true));
    assert.equal(inspector.inspectChunk(c1).blocked, false);
    const c2 = chunk(toolDelta(0, '"}'), 'tool_calls');
    const r = inspector.inspectChunk(c2);
    assert.equal(r.blocked, true);
    assert.ok(!JSON.stringify([c1, c2]).includes(gh.slice(4, 16)));
  });

  test('legacy function_call arguments are held and released at finish too', () => {
    const inspector = createStreamInspector(engine);
    const c1 = chunk({ function_call: { name: 'f', arguments: `{"t":"${gh.slice(0, 20)}` } });
    const c2 = chunk({ function_call: { arguments: `${gh.slice(20)}"}` } }, 'function_call');
    inspector.inspectChunk(c1);
    inspector.inspectChunk(c2);
    const a1 = (((c1.choices as Json[])[0]!.delta as Json).function_call as Json).arguments;
    const a2 = (((c2.choices as Json[])[0]!.delta as Json).function_call as Json).arguments;
    assert.equal(`${a1}${a2}`, '{"t":"[REDACTED:GITHUB_PAT]"}');
  });
});

describe('stream inspector: content', () => {
  test('a secret split across content deltas never reaches the client (every split of 4-char deltas)', () => {
    const text = `Here is the key you asked for: ${aws} — store it in the vault.`;
    for (let phase = 1; phase <= 4; phase++) {
      const inspector = createStreamInspector(engine, { holdback: 32, minRelease: 4 });
      const chunks = [text.slice(0, phase), ...splitEvery(text.slice(phase), 4)].map((p) =>
        chunk({ content: p }),
      );
      chunks.push(chunk({}, 'stop'));
      for (const c of chunks) inspector.inspectChunk(c);
      const { content } = assemble(chunks);
      assert.equal(content, text.replace(aws, '[REDACTED:AWS_ACCESS_KEY]'));
    }
  });

  test('choices are independent: each has its own scanner and its own finish', () => {
    const inspector = createStreamInspector(engine, { holdback: 32, minRelease: 4 });
    const a = chunk({ content: `one ${aws.slice(0, 8)}` }, null, 0);
    const b = chunk({ content: `two ${aws.slice(0, 8)}` }, null, 1);
    const a2 = chunk({ content: `${aws.slice(8)} end` }, 'stop', 0);
    const b2 = chunk({ content: `${aws.slice(8)} end` }, 'stop', 1);
    for (const c of [a, b, a2, b2]) inspector.inspectChunk(c);
    assert.equal(assemble([a, a2]).content, 'one [REDACTED:AWS_ACCESS_KEY] end');
    assert.equal(assemble([b, b2]).content, 'two [REDACTED:AWS_ACCESS_KEY] end');
  });
});

describe('response body', () => {
  test('message content and tool-call arguments are redacted in place', () => {
    const body: Json = {
      choices: [
        {
          index: 0,
          message: {
            content: `key ${aws}`,
            tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: `{"t":"${gh}"}` } }],
          },
        },
      ],
    };
    const r = inspectResponseBody(engine, body);
    assert.equal(r.blocked, false);
    const msg = (body.choices as Json[])[0]!.message as Json;
    assert.equal(msg.content, 'key [REDACTED:AWS_ACCESS_KEY]');
    assert.equal(
      ((msg.tool_calls as Json[])[0]!.function as Json).arguments as string,
      '{"t":"[REDACTED:GITHUB_PAT]"}',
    );
  });
});
