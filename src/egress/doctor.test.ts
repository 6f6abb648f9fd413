import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../config/schema.ts';
import { runDoctor } from './doctor.ts';
import { formatDoctorReport } from './doctor-format.ts';

// Addresses here are strings in a config: the doctor is offline and nothing connects to them.
const base = { version: 1, dataDir: './data', listeners: { client: { port: 8080 } } };
const now = new Date('2026-01-10T00:00:00Z');

describe('runDoctor (offline)', () => {
  let dir: string;
  let hostsFile: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-doctor-'));
    hostsFile = join(dir, 'hosts');
    await writeFile(
      hostsFile,
      '127.0.0.1 localhost\n10.0.0.9 vllm.internal # gpu box\n203.0.113.7 sneaky.internal\n',
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const codes = (r: ReturnType<typeof runDoctor>) => r.findings.map((f) => `${f.level}:${f.code}`);

  test('internal upstreams → ok, exit 0; names resolve from the hosts file only', () => {
    const config = configSchema.parse({
      ...base,
      upstreams: [
        { name: 'vllm', kind: 'openai', baseUrl: 'http://vllm.internal:8000/v1' },
        { name: 'ollama', kind: 'ollama', baseUrl: 'http://192.168.10.4:11434' },
      ],
    });
    const report = runDoctor(config, { now, hostsFile });
    assert.equal(report.exitCode, 0);
    assert.deepEqual(report.targets[0], {
      source: 'upstreams[0] (vllm)',
      host: 'vllm.internal',
      port: 8000,
      resolvedAs: 'hosts file: 10.0.0.9',
      scope: 'private',
      allowed: true,
    });
    assert.equal(report.targets[1]!.resolvedAs, 'ip literal');
    assert.ok(codes(report).includes('warn:backend_openai_compatible_phone_home'));
    assert.ok(codes(report).includes('warn:backend_ollama_phone_home'));
    assert.match(
      report.findings.find((f) => f.code === 'backend_openai_compatible_phone_home')!.fix,
      /VLLM_NO_USAGE_STATS=1/,
    );
    assert.equal(report.guard, 'installed at serve');
  });

  test('a public upstream, a public hosts-file name and allow-all are errors → exit 1', () => {
    const config = configSchema.parse({
      ...base,
      upstreams: [
        { name: 'cloud', kind: 'openai', baseUrl: 'https://8.8.8.8/v1' },
        { name: 'sneaky', kind: 'openai', baseUrl: 'https://sneaky.internal/v1' },
      ],
      egress: { allow: ['0.0.0.0/0', '10.0.0.0/7:443', 'unknown.internal:9'] },
    });
    const report = runDoctor(config, { now, hostsFile });
    assert.equal(report.exitCode, 1);
    const c = codes(report);
    assert.equal(c.filter((x) => x === 'error:egress_public_target').length, 3, c.join(' '));
    assert.ok(c.includes('error:egress_allow_all'));
    assert.ok(c.includes('warn:egress_name_unresolved'));
    assert.match(
      formatDoctorReport(report),
      /ERROR egress_public_target: upstreams\[0\] \(cloud\) → 8\.8\.8\.8:443/,
    );
  });

  test('an invalid allow entry is an error finding, not a crash', () => {
    const config = configSchema.parse({ ...base, egress: { allow: ['db.internal:99999'] } });
    const report = runDoctor(config, { now, hostsFile });
    assert.ok(codes(report).includes('error:egress_entry_invalid'));
  });

  test('plain HTTP on a non-loopback listener warns; loopback does not', () => {
    const open = configSchema.parse({
      ...base,
      listeners: { client: { host: '0.0.0.0', port: 8080 }, admin: { port: 8081 } },
    });
    const report = runDoctor(open, { now, hostsFile });
    const plain = report.findings.filter((f) => f.code === 'listener_plain_http');
    assert.equal(plain.length, 1);
    assert.match(plain[0]!.message, /listeners\.client/);
  });

  test('TLS key readable by others → error with chmod fix; 0600 → ok; missing file → error', async () => {
    await writeFile(join(dir, 'cert.pem'), 'cert');
    await writeFile(join(dir, 'key.pem'), 'key');
    await chmod(join(dir, 'key.pem'), 0o644);
    const tls = { cert: 'cert.pem', key: 'key.pem' };
    const config = configSchema.parse({
      ...base,
      listeners: { client: { host: '10.0.0.2', port: 8443, tls } },
    });
    const loose = runDoctor(config, { now, hostsFile, configDir: dir });
    const finding = loose.findings.find((f) => f.code === 'tls_key_permissions')!;
    assert.equal(finding.level, 'error');
    assert.equal(finding.fix, `chmod 600 ${join(dir, 'key.pem')}`);
    await chmod(join(dir, 'key.pem'), 0o600);
    const tight = runDoctor(config, { now, hostsFile, configDir: dir });
    assert.equal(tight.findings.find((f) => f.code === 'tls_key_permissions')!.level, 'ok');
    assert.ok(!tight.findings.some((f) => f.code === 'listener_plain_http'));
    const missing = runDoctor(config, { now, hostsFile, configDir: join(dir, 'nowhere') });
    assert.equal(missing.findings.filter((f) => f.code === 'tls_file_missing').length, 2);
  });

  test('credentials: expired → error, within 7 days → warn, no expiry → error, later → nothing', () => {
    const config = configSchema.parse(base);
    const report = runDoctor(config, {
      now,
      hostsFile,
      credentials: () => [
        { id: 'k1', kind: 'api_key', expiresAt: '2026-01-09T00:00:00Z' },
        { id: 'k2', kind: 'api_key', expiresAt: new Date('2026-01-15T00:00:00Z') },
        { id: 'k3', kind: 'api_key', expiresAt: null },
        { id: 'k4', kind: 'api_key', expiresAt: '2026-03-01T00:00:00Z' },
      ],
    });
    const creds = report.findings
      .filter((f) => f.code.startsWith('credential_'))
      .map((f) => `${f.level}:${f.code}:${f.message.split(' ')[1]}`);
    assert.deepEqual(creds, [
      'error:credential_expired:k1',
      'warn:credential_expiring:k2',
      'error:credential_no_expiry:k3',
    ]);
    assert.equal(report.exitCode, 1);
  });

  test('embedded upstream with a fixed port is a loopback target; unreadable hosts file warns', () => {
    const config = configSchema.parse({
      ...base,
      upstreams: [{ name: 'local', kind: 'embedded', worker: { modelPath: 'm.gguf', port: 4200 } }],
    });
    const report = runDoctor(config, { now, hostsFile: join(dir, 'no-hosts') });
    assert.equal(report.targets[0]!.scope, 'loopback');
    assert.ok(codes(report).includes('warn:hosts_file_unreadable'));
    assert.ok(codes(report).includes('ok:backend_embedded'));
    assert.equal(report.exitCode, 0);
  });
});
