import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import RE2 from 're2';
import { AirlockError } from '../errors.ts';
import { decide, resolveAction } from './actions.ts';
import { createDlpEngine } from './engine.ts';
import { secretRules } from './rules/secrets/index.ts';
import { checksummed } from './rules/synth.ts';

const engine = createDlpEngine();
const awsKey = 'AKIA' + 'J7QH2MZP5XKR4WNV';

describe('engine', () => {
  test('compiles every rule once; every regex (and the prefilter set) is RE2', () => {
    assert.ok(engine.detectors.length >= 150 + 10);
    for (const d of engine.detectors) for (const re of d.regexes) assert.ok(re instanceof RE2, d.id);
    assert.equal(engine.prefilter.sets.length, 2);
    for (const set of engine.prefilter.sets) assert.ok(set instanceof RE2.Set);
  });

  test('scan: every built-in positive example is found by the full engine (prefilter included)', () => {
    for (const rule of secretRules) {
      for (const p of rule.examples.positive)
        assert.ok(engine.scan(p).length > 0, `${rule.id}: ${p.slice(0, 60)}`);
    }
  });

  test('scan: clean prose yields nothing and runs no detector', () => {
    const text = 'Please summarise the quarterly report; revenue grew while costs stayed flat.';
    assert.deepEqual(engine.scan(text), []);
    assert.deepEqual(engine.prefilter.candidates(text), []);
  });

  test('scan: findings carry type, category, severity, span and field — never the value', () => {
    const text = `key ${awsKey} mail jane@example.com`;
    const findings = engine.scan(text, 'messages[0].content');
    assert.deepEqual(
      findings.map((f) => [f.type, f.category, f.field, text.slice(f.start, f.end)]),
      [
        ['AWS_ACCESS_KEY', 'secret', 'messages[0].content', awsKey],
        ['EMAIL', 'pii', 'messages[0].content', 'jane@example.com'],
      ],
    );
    for (const f of findings) assert.ok(!Object.values(f).includes(awsKey));
  });

  test('dedupe: a specific token inside a generic assignment keeps the specific type, union span', () => {
    const gh = checksummed('ghp_', 'dedupe');
    const text = `token = "${gh}"`;
    const findings = engine.scan(text);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.type, 'GITHUB_PAT');
    assert.equal(text.slice(findings[0]!.start, findings[0]!.end), gh);
  });

  test('base64: an encoded secret is reported on the whole token with field …(base64)', () => {
    const encoded = Buffer.from(`aws_access_key_id=${awsKey}\n`).toString('base64');
    const text = `data: ${encoded} end`;
    const [f] = engine.scan(text, 'input');
    assert.equal(f?.type, 'AWS_ACCESS_KEY');
    assert.equal(f?.field, 'input(base64)');
    assert.equal(text.slice(f!.start, f!.end), encoded);
  });

  test('base64: binary payloads and disabled decoding produce nothing', () => {
    const binary = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37) % 256)).toString('base64');
    assert.deepEqual(
      engine.scan(`blob ${binary}`).filter((f) => f.field.endsWith('(base64)')),
      [],
    );
    const off = createDlpEngine({ base64: { enabled: false }, weakensCredentialBlocking: true });
    const encoded = Buffer.from(`key ${awsKey}`).toString('base64');
    assert.deepEqual(off.scan(encoded), []);
  });

  test('config: custom pattern, keyword-less custom rule, dictionaries and disable', () => {
    const e = createDlpEngine({
      rules: [
        { id: 'employee-id', pattern: String.raw`\bEMP-[0-9]{6}\b`, keywords: ['emp-'], severity: 'medium' },
        { id: 'ticket', pattern: String.raw`\bTCK[0-9]{5}\b` },
        { id: 'clients', dictionary: ['Globex Corporation'], category: 'custom' },
      ],
      dictionaries: { codenames: ['Blue Falcon'] },
      disable: ['email-address'],
    });
    const text = 'EMP-123456 TCK12345 globex  corporation blue falcon jane@example.com';
    assert.deepEqual(
      e.scan(text).map((f) => f.type),
      ['EMPLOYEE_ID', 'TICKET', 'CLIENTS', 'CODENAMES'],
    );
  });

  test('config: an invalid custom pattern stops start-up naming the rule', () => {
    assert.throws(
      () => createDlpEngine({ rules: [{ id: 'broken-rule', pattern: '(unclosed' }] }),
      (err: unknown) =>
        err instanceof AirlockError && err.code === 'config_invalid' && /broken-rule/.test(err.detail ?? ''),
    );
    assert.throws(
      () => createDlpEngine({ disable: ['no-such-rule'] }),
      (err: unknown) => err instanceof AirlockError && /no-such-rule/.test(err.detail ?? ''),
    );
    assert.throws(
      () => createDlpEngine({ rules: [{ id: 'x', pattern: 'a', dictionary: ['b'] }] }),
      AirlockError,
    );
  });

  test('ReDoS guard: 1 MB adversarial inputs go through RE2 only and still find the secret', () => {
    const adversarial = [
      'a'.repeat(1 << 20),
      `${'password='.repeat(100_000)}`,
      `${'1 '.repeat(500_000)}`,
      `${'aaaa@'.repeat(200_000)}`,
      `-----BEGIN RSA PRIVATE KEY-----${' a'.repeat(500_000)}`,
    ];
    for (const text of adversarial) engine.scan(`${text} ${awsKey}`);
    const found = engine.scan(`${'x'.repeat(1 << 20)} ${awsKey}`);
    assert.equal(found.at(-1)?.type, 'AWS_ACCESS_KEY');
    for (const d of engine.detectors) for (const re of d.regexes) assert.ok(re instanceof RE2);
  });
});

describe('actions', () => {
  const [secret, email] = engine.scan(`${awsKey} jane@example.com`);

  test('defaults: secret blocks on input and redacts on output; PII alerts', () => {
    assert.equal(resolveAction(secret!, 'input'), 'block');
    assert.equal(resolveAction(secret!, 'output'), 'redact');
    assert.equal(resolveAction(email!, 'input'), 'alert');
    assert.equal(decide([secret!, email!], 'input').kind, 'block');
    assert.equal(decide([email!], 'input').kind, 'pass');
  });

  test('policy: per type beats per category beats default', () => {
    const policy = {
      categories: { secret: { input: 'redact' as const } },
      types: { EMAIL: { input: 'mask' as const } },
    };
    assert.equal(resolveAction(secret!, 'input', policy), 'redact');
    assert.equal(resolveAction(email!, 'input', policy), 'mask');
    const v = decide([secret!, email!], 'input', policy);
    assert.equal(v.kind, 'redact');
  });
});
