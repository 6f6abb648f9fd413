// The admin surface on its own listener: admin keys only, key lifecycle over HTTP, audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, postJson, startHarness } from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

describe('admin surface', () => {
  let upstream: MockOpenAiUpstream;
  let h: Harness;
  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
    h = await startHarness(upstream.url);
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  const chat = { model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] };

  test('admin and client surfaces listen on different ports', () => {
    assert.notEqual(new URL(h.url).port, new URL(h.adminUrl).port);
  });

  test('client keys cannot use the admin surface; admin routes are not on the client listener', async () => {
    const r = await fetch(`${h.adminUrl}/admin/v1/keys`, {
      headers: { authorization: `Bearer ${h.clientKey}` },
    });
    assert.equal(r.status, 401);
    const body = (await r.json()) as { error: { code: string; requestId: string } };
    assert.equal(body.error.code, 'invalid_api_key');
    assert.match(body.error.requestId, /^req_/);
    assert.equal(
      (await fetch(`${h.url}/admin/v1/keys`, { headers: { authorization: `Bearer ${h.adminKey}` } })).status,
      404,
    );
  });

  test('create → use → rotate (overlap) → revoke, over HTTP', async () => {
    const created = await postJson(`${h.adminUrl}/admin/v1/keys`, h.adminKey, {
      owner: 'svc-a',
      models: ['gpt-test'],
      ttl: '1h',
    });
    assert.equal(created.status, 201);
    const key = created.json!.key as string;
    const id = created.json!.id as string;
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, key, chat)).status, 200);

    const list = (await (
      await fetch(`${h.adminUrl}/admin/v1/keys?owner=svc-a`, {
        headers: { authorization: `Bearer ${h.adminKey}` },
      })
    ).json()) as { data: Record<string, unknown>[] };
    assert.equal(list.data.length, 1);
    assert.ok(!JSON.stringify(list).includes(key), 'list never shows the key');
    assert.ok(!('hash' in list.data[0]!), 'nor its hash');

    const rotated = await postJson(`${h.adminUrl}/admin/v1/keys/${id}/rotate`, h.adminKey, {});
    assert.equal(rotated.status, 201);
    const newKey = rotated.json!.key as string;
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, newKey, chat)).status, 200);
    assert.equal(
      (await postJson(`${h.url}/v1/chat/completions`, key, chat)).status,
      200,
      'old key works during the overlap',
    );

    const revoked = await postJson(`${h.adminUrl}/admin/v1/keys/${rotated.json!.id}/revoke`, h.adminKey, {});
    assert.equal(revoked.status, 200);
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, newKey, chat)).status, 401);
    const again = await postJson(`${h.adminUrl}/admin/v1/keys/${rotated.json!.id}/revoke`, h.adminKey, {});
    assert.equal(again.status, 404);
  });

  test('a key without an expiry, or beyond the maximum lifetime, cannot be created', async () => {
    const none = await postJson(`${h.adminUrl}/admin/v1/keys`, h.adminKey, { owner: 'svc-b' });
    assert.equal(none.status, 400);
    const long = await postJson(`${h.adminUrl}/admin/v1/keys`, h.adminKey, { owner: 'svc-b', ttl: '400d' });
    assert.equal(long.status, 400);
    assert.equal((long.json!.error as { code: string }).code, 'ttl_too_long');
  });

  test('key lifecycle and admin calls are audited without the key', async () => {
    const types = new Set(h.audit.entries.map((e) => e.type));
    for (const t of ['key.created', 'key.rotated', 'key.revoked', 'request.completed'] as const)
      assert.ok(types.has(t), t);
    const adminCalls = h.audit.entries.filter((e) => (e.detail as { surface?: string }).surface === 'admin');
    assert.ok(adminCalls.length > 0);
    assert.ok(!JSON.stringify(h.audit.entries).includes(h.adminKey));
  });
});
