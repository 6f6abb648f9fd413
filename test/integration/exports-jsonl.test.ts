// JSON Lines exports on a real filesystem: size-based rotation keeps at most maxFiles rotated files,
// every line parses, the kept lines are the newest entries in index order, files are 0600, a line is
// the entry's RFC 8785 JSON, OCSF lines carry their class, and the fan-out keeps a healthy sink fed
// while another sink is down.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import canonicalize from 'canonicalize';
import { exportsConfigSchema } from '../../src/evidence/exports/config.ts';
import { createExportFanout } from '../../src/evidence/exports/fanout.ts';
import { createJsonlFileExporter } from '../../src/evidence/exports/jsonl-file.ts';
import { createExporters, entryLine } from '../../src/evidence/exports/registry.ts';
import type { AuditEntry } from '../../src/evidence/types.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-exports-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (index: number): AuditEntry => ({
  v: 1,
  index,
  time: new Date(Date.UTC(2025, 2, 1, 12, 0, 0, index)).toISOString(),
  type: index % 3 === 0 ? 'request.authorized' : 'request.completed',
  outcome: index % 5 === 0 ? 'deny' : 'allow',
  requestId: `req-${index}`,
  principal: { kind: 'client', id: 'svc-a', credentialId: 'cred-1' },
  ...(index % 5 === 0 ? { code: 'forbidden' } : {}),
  detail: { surface: 'openai', operation: 'chat', padding: 'x'.repeat(100), unicode: 'é€𝄞' },
});

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

test('jsonl: rotation by size keeps maxFiles, newest entries, in order, 0600', async () => {
  const path = join(dir, 'rot', 'audit.jsonl');
  mkdirSync(join(dir, 'rot'));
  const e = createJsonlFileExporter({
    name: 'jsonl-test',
    path,
    maxBytes: 4096,
    maxFiles: 3,
    maxQueue: 10_000,
    format: entryLine,
  });
  const total = 500;
  for (let i = 0; i < total; i++) e.export(entry(i));
  await e.flush();
  // A second wave after the first was written: appends to the live file and rotates again.
  for (let i = total; i < total + 100; i++) e.export(entry(i));
  await e.close();

  const files = readdirSync(join(dir, 'rot')).sort();
  assert.deepEqual(files, ['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2', 'audit.jsonl.3']);
  const ordered = [`${path}.3`, `${path}.2`, `${path}.1`, path];
  const indices: number[] = [];
  for (const f of ordered) {
    const st = statSync(f);
    assert.equal(st.mode & 0o777, 0o600, `${f} is 0600`);
    assert.ok(st.size <= 4096, `${f} is ${st.size} bytes`);
    for (const line of lines(f)) {
      const parsed = JSON.parse(line) as AuditEntry;
      assert.equal(line, canonicalize(parsed), 'each line is RFC 8785 JSON');
      indices.push(parsed.index);
    }
  }
  // The kept lines are contiguous and end with the last entry.
  assert.equal(indices.at(-1), total + 99);
  for (let i = 1; i < indices.length; i++) assert.equal(indices[i], indices[i - 1]! + 1);
  assert.deepEqual(JSON.parse(lines(path).at(-1)!), entry(total + 99));
  const h = e.health();
  assert.equal(h.exported, total + 100);
  assert.equal(h.dropped, 0);
});

test('jsonl: queue bound drops and counts without throwing; export after close is counted', async () => {
  const path = join(dir, 'bounded.jsonl');
  const e = createJsonlFileExporter({
    name: 'b',
    path,
    maxBytes: 1 << 20,
    maxFiles: 1,
    maxQueue: 10,
    format: entryLine,
  });
  for (let i = 0; i < 25; i++) e.export(entry(i));
  assert.equal(e.health().dropped, 15);
  await e.close();
  assert.deepEqual(
    lines(path).map((l) => (JSON.parse(l) as AuditEntry).index),
    Array.from({ length: 10 }, (_, i) => i),
  );
  e.export(entry(99));
  assert.equal(e.health().dropped, 16);
});

test('jsonl: an unwritable path is reported and counted, never thrown', async () => {
  // A regular file where the export folder should be: neither mkdir nor open can succeed.
  writeFileSync(join(dir, 'blocker'), '');
  const e = createJsonlFileExporter({
    name: 'broken',
    path: join(dir, 'blocker', 'audit.jsonl'),
    maxBytes: 1 << 20,
    maxFiles: 1,
    maxQueue: 100,
    format: entryLine,
  });
  for (let i = 0; i < 3; i++) e.export(entry(i));
  await e.flush();
  const h = e.health();
  assert.equal(h.ok, false);
  assert.match(h.reason ?? '', /ENOTDIR|EEXIST/);
  assert.equal(h.dropped, 3);
  await e.close();
});

test('registry + fanout: jsonl and ocsf-jsonl from config; a dead syslog sink does not hold them', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));

  const config = exportsConfigSchema.parse([
    { kind: 'jsonl', path: 'out/audit.jsonl' },
    { kind: 'ocsf-jsonl', path: 'out/audit.ocsf.jsonl' },
    { kind: 'syslog', transport: 'tcp', host: '127.0.0.1', port: deadPort, maxQueue: 4 },
  ]);
  mkdirSync(join(dir, 'out'));
  const exporters = createExporters(config, {
    dataDir: dir,
    version: '0.1.0',
    backoff: { initialMs: 5, maxMs: 20 },
  });
  assert.deepEqual(
    exporters.map((x) => x.name),
    ['jsonl:out/audit.jsonl', 'ocsf-jsonl:out/audit.ocsf.jsonl', `syslog:tcp://127.0.0.1:${deadPort}`],
  );
  const fanout = createExportFanout(exporters);
  const batch = Array.from({ length: 20 }, (_, i) => entry(i));
  fanout.committed(batch.slice(0, 10));
  fanout.committed(batch.slice(10));
  await fanout.flush();
  const health = fanout.health();
  assert.equal(health['jsonl:out/audit.jsonl']?.exported, 20);
  assert.equal(health['ocsf-jsonl:out/audit.ocsf.jsonl']?.exported, 20);
  assert.equal(health[`syslog:tcp://127.0.0.1:${deadPort}`]?.dropped, 16);
  await fanout.close();

  assert.equal(lines(join(dir, 'out/audit.jsonl')).length, 20);
  const ocsf = lines(join(dir, 'out/audit.ocsf.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(ocsf.length, 20);
  assert.ok(ocsf.every((o) => o['class_uid'] === 6003));
  assert.equal((ocsf[3]!['metadata'] as Record<string, unknown>)['uid'], '3');
  assert.ok(existsSync(join(dir, 'out/audit.ocsf.jsonl')));
});
