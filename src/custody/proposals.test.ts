import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { createInventory } from './inventory.ts';
import { openSqliteInventory } from './inventory-sqlite.ts';
import { createModelProposals } from './proposals.ts';
import { modelVersionRecord } from './test-records.ts';
import type { CustodyEvent } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-proposals-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const record = modelVersionRecord;

function open(twoPerson = true) {
  const path = join(dir, `p${n++}.db`);
  const events: CustodyEvent[] = [];
  const repo = openSqliteInventory(path);
  const onEvent = (e: CustodyEvent) => events.push(e);
  const inventory = createInventory({ repo, onEvent });
  const proposals = createModelProposals({ inventory, repo, twoPerson, onEvent });
  inventory.add(record('m', '1'), { actor: 'importer' });
  inventory.add(record('m', '2'), { actor: 'importer' });
  return { inventory, proposals, events, path };
}

const code = (c: string) => (err: unknown) => err instanceof AirlockError && err.code === c;

describe('two-person model proposals', () => {
  it('propose: nothing changes until a different person approves; self-approval refused', () => {
    const { inventory, proposals, events } = open();
    const p = proposals.propose({ action: 'approve', version: 'm@1', reason: 'evals ok' }, 'alice');
    assert.equal(p.status, 'proposed');
    assert.equal(inventory.get('m@1')!.state, 'imported');
    assert.throws(() => proposals.approve(p.id, 'alice'), code('self_approval_refused'));
    assert.equal(inventory.get('m@1')!.state, 'imported');
    const { proposal, version } = proposals.approve(p.id, 'bob');
    assert.equal(proposal.status, 'applied');
    assert.equal(proposal.decidedBy, 'bob');
    assert.equal(version.state, 'approved');
    assert.throws(() => proposals.approve(p.id, 'carol'), code('conflict'));
    assert.deepEqual(
      events.filter((e) => e.type !== 'model.imported').map((e) => `${e.type}:${e.actor}`),
      ['model.proposed:alice', 'model.transition:bob', 'model.proposal_approved:bob'],
    );
  });

  it('activate and rollback proposals re-point the alias only when approved', () => {
    const { inventory, proposals } = open();
    for (const v of ['m@1', 'm@2'])
      proposals.approve(proposals.propose({ action: 'approve', version: v }, 'alice').id, 'bob');
    proposals.approve(
      proposals.propose({ action: 'activate', version: 'm@1', alias: 'chat' }, 'alice').id,
      'bob',
    );
    proposals.approve(
      proposals.propose({ action: 'activate', version: 'm@2', alias: 'chat' }, 'bob').id,
      'alice',
    );
    assert.equal(inventory.resolveAlias('chat')!.id, 'm@2');
    const back = proposals.propose({ action: 'rollback', version: 'm@1', alias: 'chat' }, 'alice');
    assert.equal(inventory.resolveAlias('chat')!.id, 'm@2', 'a proposal alone moves nothing');
    proposals.approve(back.id, 'bob');
    assert.equal(inventory.resolveAlias('chat')!.id, 'm@1');
  });

  it('a proposal that cannot apply is refused at once; a rejected one never applies', () => {
    const { inventory, proposals } = open();
    assert.throws(
      () => proposals.propose({ action: 'activate', version: 'm@1' }, 'alice'),
      code('model_transition_refused'),
    );
    assert.throws(
      () => proposals.propose({ action: 'approve', version: 'm@9' }, 'alice'),
      code('model_transition_refused'),
    );
    assert.throws(
      () => proposals.propose({ action: 'rollback', version: 'm@1', alias: 'none' }, 'alice'),
      code('model_transition_refused'),
    );
    const p = proposals.propose({ action: 'approve', version: 'm@1' }, 'alice');
    assert.equal(proposals.reject(p.id, 'bob').status, 'rejected');
    assert.throws(() => proposals.approve(p.id, 'bob'), code('conflict'));
    assert.equal(inventory.get('m@1')!.state, 'imported');
    assert.throws(() => proposals.get('mpr_nope'), code('approval_not_found'));
  });

  it('a change refused at approval time leaves the proposal proposed (one transaction)', () => {
    const { inventory, proposals } = open();
    const p = proposals.propose({ action: 'approve', version: 'm@1' }, 'alice');
    inventory.transition('m@1', 'revoked', { actor: 'security' }); // revoked meanwhile: final
    assert.throws(() => proposals.approve(p.id, 'bob'), code('model_transition_refused'));
    assert.equal(proposals.get(p.id).status, 'proposed');
    assert.equal(inventory.get('m@1')!.state, 'revoked');
  });

  it('without two-person custody a proposal applies at once, decided by its author', () => {
    const { inventory, proposals } = open(false);
    const p = proposals.propose({ action: 'approve', version: 'm@1' }, 'alice');
    assert.equal(p.status, 'applied');
    assert.equal(p.decidedBy, 'alice');
    assert.equal(inventory.get('m@1')!.state, 'approved');
  });

  it('decided proposals are immutable in the database', () => {
    const { proposals, path } = open();
    const p = proposals.propose({ action: 'approve', version: 'm@1' }, 'alice');
    proposals.approve(p.id, 'bob');
    const db = new Database(path);
    try {
      assert.throws(
        () => db.prepare("UPDATE model_proposals SET decided_by = 'mallory' WHERE id = ?").run(p.id),
        /decided/,
      );
      assert.throws(() => db.prepare('DELETE FROM model_proposals').run(), /kept/);
    } finally {
      db.close();
    }
  });
});
