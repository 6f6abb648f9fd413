// Approved config changes that take effect live through the real `airlock serve` (issue 6): a DLP
// change proposed by one admin and approved by another redacts the very next request without a
// restart, and is audited; a DLP config that does not compile never reaches an approver. A new model
// alias on a second loopback upstream is listed and served at once; a new upstream is still held to
// custody, and one the running egress policy does not allow is refused when proposed.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import {
  adminRequest,
  createKey,
  mockGatewayConfig,
  startServe,
  stopServe,
} from '../helpers/serve-harness.ts';

describe('config changes applied live: DLP and models', () => {
  let dir: string;
  let config: string;
  let upstream: MockOpenAiUpstream;
  let second: MockOpenAiUpstream;
  let third: MockOpenAiUpstream;
  let child: ChildProcess;
  let url: string;
  let adminUrl: string;
  let clientKey: string;
  let adminA: string;
  let adminB: string;
  let doc: Record<string, unknown>;

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'airlock-config-live-'));
      upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
      second = await startMockOpenAiUpstream({ chunkCount: 2 });
      third = await startMockOpenAiUpstream({ chunkCount: 2 });
      config = join(dir, 'airlock.yaml');
      doc = mockGatewayConfig(
        { mock: upstream.url, mock2: second.url },
        {
          // The third mock's address is allowed, so it may become an upstream without a restart.
          egress: { allow: [new URL(third.url).host] },
          models: [{ alias: 'open', targets: [{ upstream: 'mock', model: 'y' }] }],
        },
      );
      writeFileSync(config, stringify(doc));
      const key = (...extra: string[]) => createKey(config, ...extra);
      clientKey = await key('--owner', 'app', '--models', 'open,second,third');
      adminA = await key('--owner', 'alice', '--admin');
      adminB = await key('--owner', 'bob', '--admin');
      const served = await startServe(config);
      child = served.child;
      url = served.client;
      adminUrl = served.admin;
    },
    { timeout: 180_000 },
  );

  after(
    async () => {
      await stopServe(child);
      await Promise.all([upstream.close(), second.close(), third.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 180_000 },
  );

  const chat = (model: string, content: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
  const admin = (key: string, method: string, path: string, body?: unknown) =>
    adminRequest(adminUrl, key, method, path, body);
  const lastSent = () => {
    const body = upstream.requests.at(-1)?.body as { messages: { content: string }[] };
    return body.messages[0]!.content;
  };
  /** Proposed by alice, approved by bob; returns the approval's effect. */
  const approveChange = async (next: unknown) => {
    const proposed = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'config',
      content: stringify(next),
    });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.body));
    const id = String(proposed.body.id);
    assert.equal(
      (await admin(adminA, 'POST', `/admin/v1/changes/${id}/approve`, {})).status,
      403,
      'two-person rule',
    );
    const approved = await admin(adminB, 'POST', `/admin/v1/changes/${id}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    return approved.body.effect as { live: string[]; restartRequired: boolean; restart: string[] };
  };

  test('DLP: an override redacting EMAIL on /v1 is in force for the next request, audited, no restart', async () => {
    const res = await chat('open', 'mail ann@example.com about it');
    assert.equal(res.status, 200);
    assert.equal(lastSent(), 'mail ann@example.com about it', 'default: PII reported, not redacted');

    const broken = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'config',
      content: stringify({ ...doc, dlp: { rules: [{ id: 'broken', pattern: '(unclosed' }] } }),
    });
    assert.equal(broken.status, 400, 'a DLP rule that does not compile never reaches an approver');
    assert.match(JSON.stringify(broken.body), /rule \\"broken\\"|rule "broken"/);

    doc = {
      ...doc,
      dlp: {
        overrides: [
          { match: { routes: ['/v1/chat/completions'] }, actions: { types: { EMAIL: { input: 'redact' } } } },
        ],
      },
    };
    const effect = await approveChange(doc);
    assert.ok(
      effect.live.length > 0 && effect.live.every((p) => p.startsWith('dlp.')),
      JSON.stringify(effect),
    );
    assert.equal(effect.restartRequired, false, 'DLP needs no restart');

    const after = await chat('open', 'mail ann@example.com about it');
    assert.equal(after.status, 200);
    assert.doesNotMatch(lastSent(), /ann@example\.com/);
    assert.match(lastSent(), /^mail .+ about it$/);
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { checks: Record<string, unknown> };
    assert.equal(ready.checks.config, undefined, 'nothing pending');

    const changes = JSON.stringify(
      (await admin(adminB, 'GET', '/admin/v1/audit/entries?type=admin.change&limit=100')).body,
    );
    assert.match(changes, /"change":"config.live_applied"/);
    assert.match(changes, /"dlp\.overrides/);
    // Input findings are in the entry written before forwarding: alerted before, redacted after.
    const authorized = (
      (await admin(adminB, 'GET', '/admin/v1/audit/entries?type=request.authorized&limit=100')).body as {
        data: { detail: { findings: { type: string; action: string }[] } }[];
      }
    ).data
      .map((e) => e.detail.findings.map((f) => `${f.type}:${f.action}`).join(','))
      .filter((f) => f !== '');
    assert.deepEqual(authorized, ['EMAIL:alert', 'EMAIL:redact']);
  });

  test('models: a new alias on a second upstream is listed and served at once; custody and egress still hold', async () => {
    const list = async () =>
      (
        (await (
          await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${clientKey}` } })
        ).json()) as { data: { id: string }[] }
      ).data
        .map((m) => m.id)
        .sort();
    assert.deepEqual(await list(), ['open']);
    assert.equal((await chat('second', 'hi')).status, 404, 'no such alias yet');

    const outside = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'config',
      content: stringify({
        ...doc,
        upstreams: [
          ...(doc.upstreams as unknown[]),
          { name: 'far', kind: 'openai', baseUrl: 'http://10.9.8.7:8000' },
        ],
      }),
    });
    assert.equal(outside.status, 400, JSON.stringify(outside.body));
    assert.equal((outside.body.error as { code: string }).code, 'egress_not_allowed');
    assert.match(JSON.stringify(outside.body), /10\.9\.8\.7:8000/);

    doc = {
      ...doc,
      upstreams: [...(doc.upstreams as unknown[]), { name: 'mock3', kind: 'openai', baseUrl: third.url }],
      models: [
        ...(doc.models as unknown[]),
        { alias: 'second', targets: [{ upstream: 'mock2', model: 'm2' }] },
        { alias: 'third', targets: [{ upstream: 'mock3', model: 'm3' }] },
      ],
    };
    const effect = await approveChange(doc);
    assert.deepEqual(effect.restart, [], JSON.stringify(effect));
    assert.ok(effect.live.includes('models') && effect.live.includes('upstreams'), JSON.stringify(effect));

    assert.deepEqual(await list(), ['open', 'second', 'third']);
    const before = second.requests.length;
    const res = await chat('second', 'hi');
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(second.requests.length, before + 1, 'served by the second upstream');
    assert.equal((second.requests.at(-1)!.body as { model: string }).model, 'm2');
    assert.equal(((await res.json()) as { model: string }).model, 'second');
    assert.equal((await chat('open', 'hi')).status, 200, 'the first alias still works');

    // The new upstream is not in the custody inventory nor exempt: refused like one present at start.
    const refused = await chat('third', 'hi');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'model_not_approved');
    assert.equal(third.requests.filter((r) => r.path.includes('chat')).length, 0);
  });
});
