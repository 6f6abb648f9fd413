import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { createInventory } from './inventory.ts';
import { openSqliteInventory } from './inventory-sqlite.ts';
import { modelVersionRecord } from './test-records.ts';
import type { CustodyEvent } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-inventory-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const record = modelVersionRecord;

function open() {
  const path = join(dir, `c${n++}.db`);
  const events: CustodyEvent[] = [];
  const inv = createInventory({ repo: openSqliteInventory(path), onEvent: (e) => events.push(e) });
  return { inv, events, path };
}

const by = { actor: 'test' };

describe('custody inventory', () => {
  it('state machine: imported → approved → active; illegal transitions refused', () => {
    const { inv, events } = open();
    const v = inv.add(record('m', '1'), by);
    assert.equal(v.state, 'imported');
    assert.equal(inv.isServable(v.files[0]!.sha256), false, 'imported is not servable');
    assert.throws(
      () => inv.activate('m@1', by),
      (e: unknown) => e instanceof AirlockError && e.code === 'model_transition_refused',
    );
    inv.transition('m@1', 'approved', by);
    assert.equal(inv.isServable(v.digest), true);
    inv.activate('m@1', by);
    assert.equal(inv.get('m@1')!.state, 'active');
    assert.deepEqual(inv.aliases(), { m: 'm@1' });
    inv.transition('m@1', 'revoked', { actor: 'test', reason: 'CVE' });
    assert.equal(inv.isServable(v.files[0]!.sha256), false);
    assert.throws(() => inv.transition('m@1', 'approved', by), /model state change refused/i);
    assert.deepEqual(
      events.map((e) => (e.type === 'model.transition' ? `${e.from}>${e.to}` : e.type)),
      ['model.imported', 'imported>approved', 'approved>active', 'model.alias', 'active>revoked'],
    );
    inv.close();
  });

  it('versions are immutable: duplicates refused, UPDATE refused by the database', () => {
    const { inv, path } = open();
    inv.add(record('m', '1'), by);
    assert.throws(() => inv.add(record('m', '1', 'other'), by), /import refused/i);
    inv.close();
    const db = new Database(path);
    assert.throws(() => db.prepare("UPDATE model_versions SET digest = 'x'").run(), /immutable/);
    assert.throws(() => db.prepare('DELETE FROM custody_history').run(), /append-only/);
    db.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('rollback re-points the alias to the earlier approved version', () => {
    const { inv, events } = open();
    inv.add(record('m', '1'), by);
    inv.add(record('m', '2'), by);
    inv.transition('m@1', 'approved', by);
    inv.transition('m@2', 'approved', by);
    inv.activate('m@1', { actor: 'test', alias: 'chat' });
    inv.activate('m@2', { actor: 'test', alias: 'chat' });
    assert.equal(inv.get('m@1')!.state, 'approved', 'the version left behind goes back to approved');
    assert.equal(inv.resolveAlias('chat')!.id, 'm@2');
    inv.rollback('chat', 'm@1', { actor: 'test', reason: 'regression' });
    assert.equal(inv.resolveAlias('chat')!.id, 'm@1');
    assert.equal(inv.get('m@1')!.state, 'active');
    assert.equal(inv.get('m@2')!.state, 'approved');
    const last = events.at(-1)!;
    assert.equal(last.type, 'model.alias');
    assert.equal(last.type === 'model.alias' && last.rollback, true);
    inv.add(record('other', '1'), by);
    inv.transition('other@1', 'approved', by);
    assert.throws(() => inv.rollback('chat', 'other@1', by), /refused/i);
    inv.transition('m@2', 'revoked', by);
    assert.throws(() => inv.rollback('chat', 'm@2', by), /refused/i);
    inv.close();
  });

  it('a change committed by another connection is seen on the next lookup', () => {
    const { inv, path } = open();
    const v = inv.add(record('m', '1'), by);
    inv.transition('m@1', 'approved', by);
    assert.equal(inv.isServable(v.digest), true);
    const other = createInventory({ repo: openSqliteInventory(path) });
    other.transition('m@1', 'revoked', by);
    other.close();
    assert.equal(inv.isServable(v.digest), false, 'revocation by the CLI takes effect on the next request');
    inv.close();
  });

  it('a digest held by a revoked version is refused even if another version holds it approved', () => {
    const { inv } = open();
    const a = inv.add(record('a', '1', 'same'), by);
    inv.add(record('b', '1', 'same'), by);
    inv.transition('a@1', 'approved', by);
    assert.equal(inv.isServable(a.files[0]!.sha256), true);
    inv.transition('b@1', 'revoked', by);
    assert.equal(inv.isServable(a.files[0]!.sha256), false);
    inv.close();
  });
});
