// Attacks on live DLP config changes (P6, P8): an approved config change swaps the DLP engine
// without a restart, so a proposal must not be able to stop credential blocking quietly. Loosening
// an action already needs `weakensCredentialBlocking: true`; turning the credential detectors off
// (`dlp.disable` naming a secret rule, or `base64.enabled: false`, which finds encoded credentials)
// lets the same credentials through and must need it too — at proposal time (the check the gateway
// registers), at start-up, and with the flag the change is explicit in the diff an approver sees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { createDlpEngine } from '../../src/dlp/engine.ts';
import { compileDlp, createLiveDlp } from '../../src/dlp/live-dlp.ts';
import { AirlockError } from '../../src/errors.ts';
import { createConfigChanges } from '../../src/policy/changes/config-changes.ts';

const base = {
  version: 1,
  dataDir: '.',
  listeners: { client: { host: '127.0.0.1', port: 8080 } },
};
const awsKey = `AKIA${'J7QH2MZP5XKR4WNV'}`;
const prompt = `deploy with ${awsKey} please`;
const encoded = Buffer.from(`aws_access_key_id = ${awsKey}`).toString('base64');

function changes() {
  const c = createConfigChanges({ started: parseConfig(base, 'test') });
  c.onCheck((next) => compileDlp(next.dlp)); // as src/gateway.ts registers it
  return c;
}
const refusedWith = (re: RegExp) => (err: unknown) =>
  err instanceof AirlockError &&
  err.code === 'invalid_request' &&
  re.test(err.publicDetail ?? err.detail ?? '');

test('a config proposal that disables a credential rule is refused without weakensCredentialBlocking', () => {
  const live = createLiveDlp(compileDlp(parseConfig(base, 'test').dlp));
  assert.ok(
    live
      .current()
      .engine.scan(prompt)
      .some((f) => f.category === 'secret'),
  );
  const c = changes();
  for (const dlp of [{ disable: ['aws-access-key-id'] }, { base64: { enabled: false } }])
    assert.throws(() => c.validate(stringify({ ...base, dlp })), refusedWith(/weakensCredentialBlocking/));
  // Nothing was swapped: the credential is still found, plain and base64-encoded.
  assert.ok(
    live
      .current()
      .engine.scan(prompt)
      .some((f) => f.category === 'secret'),
  );
  assert.ok(
    live
      .current()
      .engine.scan(encoded)
      .some((f) => f.category === 'secret'),
  );
});

test('start-up refuses the same config; with the flag the weakening is explicit and allowed', () => {
  assert.throws(
    () => createDlpEngine({ disable: ['aws-access-key-id'] }),
    (e: unknown) => e instanceof AirlockError && e.code === 'config_invalid',
  );
  const c = changes();
  c.validate(
    stringify({ ...base, dlp: { disable: ['aws-access-key-id'], weakensCredentialBlocking: true } }),
  );
  // Turning off PII or custom rules never needed the flag.
  c.validate(stringify({ ...base, dlp: { disable: ['email-address'] } }));
});
