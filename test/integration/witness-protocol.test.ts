// Witnessing end to end on loopback: real SQLite audit logs, three witness HTTP servers in this
// process, the client, the periodic publisher (k=2 of 3) and the bundle check an auditor runs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportAuditBundle } from '../../src/evidence/bundle/export.ts';
import { loadOrCreateSignerKey } from '../../src/evidence/note/signer-key.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';
import type { AuditLog, NoteSigner } from '../../src/evidence/types.ts';
import {
  COSIGNED_DIR,
  copyCosignedNotes,
  verifyBundleCosignatures,
} from '../../src/evidence/witness/bundle.ts';
import type { WitnessEndpoint } from '../../src/evidence/witness/client.ts';
import { collectCosignatures, requestCosignature } from '../../src/evidence/witness/client.ts';
import { verifyCosignedCheckpoint } from '../../src/evidence/witness/cosign-policy.ts';
import { cosignedFile, listCosignedNotes } from '../../src/evidence/witness/cosigned-store.ts';
import { formatAddCheckpoint } from '../../src/evidence/witness/protocol.ts';
import { createCosignPublisher } from '../../src/evidence/witness/publisher.ts';
import type { RunningWitnessServer } from '../../src/evidence/witness/server.ts';
import { startWitnessServer } from '../../src/evidence/witness/server.ts';
import type { WitnessState } from '../../src/evidence/witness/state.ts';
import { openWitnessState } from '../../src/evidence/witness/state.ts';
import { createWitness } from '../../src/evidence/witness/witness.ts';
import { loadOrCreateWitnessKey } from '../../src/evidence/witness/witness-key.ts';

const ORIGIN = 'airlock.test/witnessed';

interface Running {
  readonly endpoint: WitnessEndpoint;
  readonly server: RunningWitnessServer;
  readonly state: WitnessState;
}

let root = '';
let signer: NoteSigner;
let log: AuditLog;
const witnesses: Running[] = [];

async function append(l: AuditLog, n: number, tag: string): Promise<void> {
  await l.appendMany(
    Array.from({ length: n }, (_, i) => ({
      type: 'usage' as const,
      outcome: 'info' as const,
      detail: { tag, i },
    })),
  );
}

async function startWitness(i: number, logVkeys: string[]): Promise<Running> {
  const dir = join(root, `witness-${i}`);
  const { cosigner } = loadOrCreateWitnessKey(join(dir, 'witness.key'), `witness.test/w${i}`);
  const state = openWitnessState(join(dir, 'witness.db'));
  const server = await startWitnessServer(createWitness({ cosigner, logVkeys, state }), {
    host: '127.0.0.1',
    port: 0,
  });
  return { endpoint: { url: server.url, vkey: cosigner.vkey }, server, state };
}

describe('witnessing over HTTP with a real audit log', () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'airlock-witness-it-'));
    signer = loadOrCreateSignerKey(join(root, 'log', 'secrets', 'audit-signing.key'), ORIGIN);
    log = openSqliteAuditLog({ path: join(root, 'log', 'audit.db'), signer });
    for (let i = 1; i <= 3; i++) witnesses.push(await startWitness(i, [signer.vkey]));
  });
  after(async () => {
    await log.close();
    for (const w of witnesses) {
      await w.server.close();
      w.state.close();
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('cosigns a real checkpoint, then its growth after verifying the consistency proof', async () => {
    const w = witnesses[0]!;
    await append(log, 5, 'a');
    const cp1 = await log.publishCheckpoint();
    const first = await requestCosignature(w.endpoint, log, cp1);
    assert.ok(first.ok, JSON.stringify(first));
    assert.equal(
      verifyCosignedCheckpoint(`${cp1.note}${first.line}\n`, signer.vkey, [w.endpoint.vkey], 1).ok,
      true,
    );
    await append(log, 23, 'b');
    const cp2 = await log.publishCheckpoint();
    const second = await requestCosignature(w.endpoint, log, cp2, { knownSize: cp1.size });
    assert.ok(second.ok, JSON.stringify(second));
    assert.equal(w.state.head(ORIGIN)?.size, 28);
  });

  it('409: a stale old size gets the witness size back (text/x.tlog.size); the client re-proves from it', async () => {
    const w = witnesses[0]!;
    await append(log, 4, 'c');
    const cp = await log.publishCheckpoint();
    const raw = await fetch(`${w.endpoint.url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpoint({ oldSize: 0, proof: [], note: cp.note }),
    });
    assert.equal(raw.status, 409);
    assert.equal(raw.headers.get('content-type'), 'text/x.tlog.size');
    assert.equal(await raw.text(), '28\n');
    const r = await requestCosignature(w.endpoint, log, cp, { knownSize: 0 });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(w.state.head(ORIGIN)?.size, cp.size);
  });

  it('fork: a second log with the same origin and key but other entries is refused by a witness that saw the first', async () => {
    const w = witnesses[0]!;
    const seen = w.state.head(ORIGIN)!.size;
    const fork = openSqliteAuditLog({ path: join(root, 'fork.db'), signer });
    try {
      await append(fork, seen, 'forked');
      const same = await fork.publishCheckpoint();
      const atSameSize = await requestCosignature(w.endpoint, fork, same);
      assert.equal(atSameSize.ok, false);
      assert.equal(!atSameSize.ok && atSameSize.fork, true);
      await append(fork, 9, 'more');
      const larger = await fork.publishCheckpoint();
      const grown = await requestCosignature(w.endpoint, fork, larger);
      assert.equal(grown.ok, false);
      assert.equal(!grown.ok && grown.status, 422);
      assert.equal(w.state.head(ORIGIN)!.size, seen);
      assert.equal(w.state.forks().length, 1);
    } finally {
      await fork.close();
    }
  });

  it('a checkpoint signed by another key under the same origin → 403; an unknown origin → 404', async () => {
    const w = witnesses[0]!;
    const otherKey = loadOrCreateSignerKey(join(root, 'other', 'k.key'), ORIGIN);
    const otherOrigin = loadOrCreateSignerKey(join(root, 'other', 'o.key'), 'airlock.test/stranger');
    for (const [s, status] of [
      [otherKey, 403],
      [otherOrigin, 404],
    ] as const) {
      const l = openSqliteAuditLog({ path: join(root, `other-${status}.db`), signer: s });
      try {
        await append(l, 3, 'x');
        const r = await requestCosignature(w.endpoint, l, await l.publishCheckpoint());
        assert.equal(!r.ok && r.status, status);
      } finally {
        await l.close();
      }
    }
  });

  it('collects cosignatures from all three witnesses (each at its own size) into one note', async () => {
    await append(log, 3, 'd');
    const cp = await log.publishCheckpoint();
    const got = await collectCosignatures(
      log,
      cp,
      witnesses.map((w) => w.endpoint),
    );
    assert.equal(got.cosigned, 3, JSON.stringify(got.outcomes));
    const v = verifyCosignedCheckpoint(
      got.note,
      signer.vkey,
      witnesses.map((w) => w.endpoint.vkey),
      3,
    );
    assert.equal(v.ok, true, v.reason);
  });

  it('publisher k=2 of 3: stores the cosigned note; one witness down → still published; two down → not', async () => {
    const dir = join(root, 'log', 'audit-cosigned');
    const events: string[] = [];
    const publisher = createCosignPublisher({
      log,
      logVkey: signer.vkey,
      witnesses: witnesses.map((w) => w.endpoint),
      k: 2,
      dir,
      intervalMs: 60_000,
      timeoutMs: 2000,
      onEvent: (e) => events.push(e.event),
    });
    await append(log, 6, 'e');
    const all = await publisher.publishOnce();
    assert.equal(all.status, 'published');
    assert.equal((await publisher.publishOnce()).status, 'up-to-date');

    await witnesses[2]!.server.close();
    await append(log, 6, 'f');
    const cp = await log.publishCheckpoint();
    const oneDown = await publisher.publishOnce();
    assert.equal(oneDown.status, 'published', JSON.stringify(oneDown));
    assert.equal(oneDown.status === 'published' && oneDown.cosigned, 2);
    const note = readFileSync(join(dir, cosignedFile(cp.size)), 'utf8');
    const vkeys = witnesses.map((w) => w.endpoint.vkey);
    assert.equal(verifyCosignedCheckpoint(note, signer.vkey, vkeys, 2).ok, true);

    await witnesses[1]!.server.close();
    await append(log, 6, 'g');
    const cp2 = await log.publishCheckpoint();
    const twoDown = await publisher.publishOnce();
    assert.equal(twoDown.status, 'below-quorum');
    assert.equal(existsSync(join(dir, cosignedFile(cp2.size))), false);
    assert.ok(events.includes('witness.failed') && events.includes('witness.below_quorum'));
    assert.equal(publisher.status().publishedSize, cp.size);
    await publisher.stop();
  });

  it('bundle: exported cosigned notes verify with k=2 against the entries; a tampered cosignature is rejected', async () => {
    const bundle = join(root, 'bundle');
    await exportAuditBundle(log, bundle, { origin: ORIGIN, vkey: signer.vkey });
    const manifest = JSON.parse(readFileSync(join(bundle, 'bundle.json'), 'utf8')) as { size: number };
    const copied = copyCosignedNotes(join(root, 'log', 'audit-cosigned'), bundle, manifest.size);
    assert.equal(copied, 2);
    const vkeys = witnesses.map((w) => w.endpoint.vkey);
    const report = verifyBundleCosignatures(bundle, vkeys, 2, { logVkey: signer.vkey });
    assert.equal(report.ok, true, report.problems.join('; '));
    const latest = listCosignedNotes(join(bundle, COSIGNED_DIR)).at(-1)!;
    assert.equal(report.witnessedSize, latest.size);
    assert.equal(report.unwitnessedEntries, manifest.size - latest.size);
    // With k=3 only the first note (all three witnesses up) counts: fewer entries are witnessed.
    const strict = verifyBundleCosignatures(bundle, vkeys, 3, { logVkey: signer.vkey });
    assert.equal(strict.witnessedSize, listCosignedNotes(join(bundle, COSIGNED_DIR))[0]!.size);
    assert.ok(strict.witnessedSize < report.witnessedSize);
    assert.equal(verifyBundleCosignatures(bundle, vkeys.slice(0, 1), 1, { logVkey: signer.vkey }).ok, true);

    const text = readFileSync(latest.file, 'utf8');
    const lines = text.split('\n');
    const cos = lines.length - 2;
    lines[cos] = lines[cos]!.replace(/.{4}(.{2})$/, 'AAAA$1');
    writeFileSync(latest.file, lines.join('\n'));
    const tampered = verifyBundleCosignatures(bundle, vkeys, 2, { logVkey: signer.vkey });
    assert.equal(tampered.ok, false);
    assert.match(tampered.problems.join('\n'), /invalid cosignature/);
  });
});
