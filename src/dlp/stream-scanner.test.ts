import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDlpEngine } from './engine.ts';
import { redactFindings } from './redact.ts';
import { B64, checksummed, synth } from './rules/synth.ts';
import { createStreamScanner, type StreamOutput } from './stream-scanner.ts';

const engine = createDlpEngine();
const secrets = {
  AWS_ACCESS_KEY: 'AKIA' + 'J7QH2MZP5XKR4WNV',
  GITHUB_PAT: checksummed('ghp_', 'stream'),
  STRIPE_SECRET_KEY: 'sk_live_' + synth('stream-stripe', B64.slice(0, 62), 40),
};

function run(chunks: string[], holdback = 64): { text: string; findings: StreamOutput['findings'] } {
  const s = createStreamScanner(engine, { holdback, minRelease: 1 });
  let text = '';
  const findings: StreamOutput['findings'][number][] = [];
  for (const c of chunks) {
    const o = s.push(c);
    text += o.text;
    findings.push(...o.findings);
  }
  const o = s.flush();
  return { text: text + o.text, findings: [...findings, ...o.findings] };
}

describe('stream scanner', () => {
  for (const [type, secret] of Object.entries(secrets)) {
    const full = `The credential is ${secret} — keep it safe.`;
    const expected = redactFindings(full, engine.scan(full)).text;

    // Holdback 16 is shorter than every secret here: the token-run rule must keep them whole.
    for (const holdback of [16, 64]) {
      test(`${type}: split at every position across two chunks (holdback ${holdback})`, () => {
        assert.ok(expected.includes(`[REDACTED:${type}]`));
        for (let i = 0; i <= full.length; i++) {
          const out = run([full.slice(0, i), full.slice(i)], holdback);
          assert.equal(out.text, expected, `split at ${i}`);
        }
      });

      test(`${type}: split at every pair of positions across three chunks (holdback ${holdback})`, () => {
        for (let i = 0; i <= full.length; i++) {
          for (let j = i; j <= full.length; j++) {
            const out = run([full.slice(0, i), full.slice(i, j), full.slice(j)], holdback);
            assert.equal(out.text, expected, `split at ${i}, ${j}`);
          }
        }
      });
    }
  }

  test('one-character deltas over a long stream: same text as batch, findings at stream offsets', () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(20);
    const full = `${filler}${secrets.AWS_ACCESS_KEY} ${filler} jane@example.com ${filler}${secrets.GITHUB_PAT}`;
    const out = run([...full]);
    assert.equal(
      out.text,
      redactFindings(
        full,
        engine.scan(full).filter((f) => f.category === 'secret'),
      ).text,
    );
    assert.deepEqual(
      out.findings.map((f) => [f.type, full.slice(f.start, f.end)]),
      [
        ['AWS_ACCESS_KEY', secrets.AWS_ACCESS_KEY],
        ['EMAIL', 'jane@example.com'],
        ['GITHUB_PAT', secrets.GITHUB_PAT],
      ],
    );
  });

  test('a private key longer than the holdback is held until its END line and redacted whole', () => {
    const D = '-----';
    const body = Array.from({ length: 20 }, (_, i) => synth(`k${i}`, B64, 64)).join('\n');
    const pem = `${D}BEGIN RSA PRIVATE KEY${D}\n${body}\n${D}END RSA PRIVATE KEY${D}`;
    const full = `here:\n${pem}\nbye`;
    const chunks: string[] = [];
    for (let i = 0; i < full.length; i += 7) chunks.push(full.slice(i, i + 7));
    const out = run(chunks, 64);
    assert.equal(out.text, 'here:\n[REDACTED:PRIVATE_KEY]\nbye');
  });

  test('block action stops the stream and releases nothing further', () => {
    const s = createStreamScanner(engine, { holdback: 16, minRelease: 1, action: () => 'block' });
    const a = s.push(`x ${secrets.AWS_ACCESS_KEY} ${'y '.repeat(40)}`);
    assert.equal(a.blocked, true);
    assert.ok(!a.text.includes(secrets.AWS_ACCESS_KEY));
    assert.equal(s.push('more').blocked, true);
    assert.equal(s.flush().text, '');
  });

  test('memory is bounded: an endless token is released (redacted) past maxBuffer', () => {
    const s = createStreamScanner(engine, { holdback: 32, minRelease: 1, maxBuffer: 256 });
    let released = 0;
    for (let i = 0; i < 100; i++) released += s.push('a'.repeat(16)).text.length;
    assert.ok(released > 0);
  });
});
