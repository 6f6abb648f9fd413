import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createDlpEngine } from './engine.ts';
import {
  createLogRedactor,
  createRedactingDestination,
  formatCrashReport,
  REDACTION_FAILED,
} from './log-redactor.ts';
import { ALNUM, B64, checksummed, synth } from './rules/synth.ts';

const engine = createDlpEngine();
const gh = checksummed('ghp_', 'log-redactor');
const aws = `AKIA${synth('log-aws', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;

describe('log redactor', () => {
  test('plain line: a credential becomes a typed placeholder, the rest is kept', () => {
    const r = createLogRedactor(engine);
    assert.equal(
      r.redact(`upstream refused key ${aws} for tenant acme\n`),
      'upstream refused key [REDACTED:AWS_ACCESS_KEY] for tenant acme\n',
    );
  });

  test('JSON line: redacted and still valid JSON with the same shape', () => {
    const r = createLogRedactor(engine);
    const line = `${JSON.stringify({ level: 30, msg: 'request failed', err: { message: `bad token ${gh}` }, reqId: 'r1' })}\n`;
    const out = r.redact(line);
    assert.ok(out.endsWith('\n'));
    const parsed = JSON.parse(out);
    assert.equal(parsed.err.message, 'bad token [REDACTED:GITHUB_PAT]');
    assert.equal(parsed.reqId, 'r1');
    assert.ok(!out.includes(gh));
  });

  test('JSON line: a PEM block with escaped newlines is removed and the JSON stays valid', () => {
    const r = createLogRedactor(engine);
    const dash = '-----';
    const pem = `${dash}BEGIN RSA PRIVATE KEY${dash}\n${synth('log-pem', B64, 64)}\n${synth('log-pem2', B64, 40)}\n${dash}END RSA PRIVATE KEY${dash}`;
    const out = r.redact(JSON.stringify({ msg: 'loaded', key: pem }));
    const parsed = JSON.parse(out);
    assert.equal(parsed.key, '[REDACTED:PRIVATE_KEY]');
  });

  test('PII is kept by default and scrubbed when asked', () => {
    const line = 'contact jane.doe@example.com';
    assert.equal(createLogRedactor(engine).redact(line), line);
    assert.equal(
      createLogRedactor(engine, { categories: ['secret', 'pii'] }).redact(line),
      'contact [REDACTED:EMAIL]',
    );
  });

  test('exact secrets registered at run time (vault values) are redacted, raw and JSON-escaped', () => {
    const r = createLogRedactor(engine);
    // No known format: only the registration can catch it.
    const vault = `pw"${synth('vault', ALNUM, 10)}\\x`;
    assert.equal(r.addSecret(vault), true);
    assert.equal(r.addSecret('short'), false);
    assert.equal(r.redact(`dsn user:${vault}@db`), 'dsn user:[REDACTED:SECRET]@db');
    const json = JSON.stringify({ msg: `connect with ${vault}` });
    const out = r.redact(json);
    assert.equal(JSON.parse(out).msg, 'connect with [REDACTED:SECRET]');
    r.removeSecret(vault);
    assert.equal(r.redact(`x ${vault}`), `x ${vault}`);
  });

  test('redactValue: errors with causes and cycles become plain redacted objects', () => {
    const r = createLogRedactor(engine);
    const cause = new Error(`upstream said: invalid key ${aws}`);
    const err = Object.assign(new Error(`call failed with ${gh}`, { cause }), { code: 'E_UP' });
    const obj: Record<string, unknown> = { err };
    obj.self = obj;
    const out = JSON.stringify(r.redactValue(obj));
    assert.ok(!out.includes(gh) && !out.includes(aws), out);
    const parsed = JSON.parse(out);
    assert.equal(parsed.err.message, 'call failed with [REDACTED:GITHUB_PAT]');
    assert.equal(parsed.err.code, 'E_UP');
    assert.equal(parsed.err.cause.message, 'upstream said: invalid key [REDACTED:AWS_ACCESS_KEY]');
    assert.equal(parsed.self, '[Circular]');
  });

  test('pino through the redacting destination: child bindings, messages and errors are all redacted', () => {
    const lines: string[] = [];
    const r = createLogRedactor(engine);
    const logger = pino(
      { base: null },
      createRedactingDestination({ write: (s: string) => lines.push(s) }, r),
    );
    logger.child({ upstreamKey: aws }).warn({ err: new Error(`boom ${gh}`) }, `retrying with ${gh}`);
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes(aws) && !lines[0]!.includes(gh), lines[0]);
    const parsed = JSON.parse(lines[0]!);
    assert.equal(parsed.upstreamKey, '[REDACTED:AWS_ACCESS_KEY]');
    assert.equal(parsed.msg, 'retrying with [REDACTED:GITHUB_PAT]');
  });

  test('crash report: one redacted JSON line', () => {
    const r = createLogRedactor(engine);
    const line = formatCrashReport(r, 'uncaughtException', new TypeError(`cannot read ${gh}`), { pid: 1 });
    assert.ok(line.endsWith('\n') && !line.includes(gh));
    const parsed = JSON.parse(line);
    assert.equal(parsed.msg, 'uncaughtException');
    assert.equal(parsed.err.type, 'TypeError');
    assert.equal(parsed.pid, 1);
  });

  test('fail closed: a redactor that throws withholds the line', () => {
    const broken = {
      ...engine,
      scan: () => {
        throw new Error('x');
      },
    } as unknown as typeof engine;
    assert.equal(createLogRedactor(broken).redact('anything\n'), `${REDACTION_FAILED}\n`);
  });
});
