// Model custody for vLLM and llama.cpp servers (P7): at every health round the gateway compares
// what each server reports (vLLM /v1/models id, root, max_model_len; llama.cpp /v1/models + /props
// model_path, chat template, n_ctx_train) with the inventory. Loopback servers emulate both APIs;
// swapping the served model stops routing (model_not_approved) with an audit entry and a metric,
// restoring it resumes routing, and revoking the version takes effect on the next request.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/load.ts';
import { modelSchema, upstreamSchema } from '../../src/config/schema.ts';
import { custodyConfigSchema } from '../../src/custody/config.ts';
import { importModel } from '../../src/custody/import.ts';
import { parsePublicKey } from '../../src/custody/manifest.ts';
import { checkOpenAiBackend } from '../../src/custody/openai-backends.ts';
import { type CustodyRuntime, createCustodyRuntime } from '../../src/custody/runtime.ts';
import { createServingChangeRecorder } from '../../src/custody/serving-changes.ts';
import { ggufWithTemplate, testEnclave, testKey, writeBundle } from '../../src/custody/test-fixtures.ts';
import type { ModelVersion } from '../../src/custody/types.ts';
import { AirlockError } from '../../src/errors.ts';
import { closeAdapters, createAdapters } from '../../src/inference/adapter-registry.ts';
import { createRouter, type InferenceRouter } from '../../src/inference/router.ts';
import type { UpstreamAdapter, UpstreamCall } from '../../src/inference/types.ts';
import { createRecordingAuditSink } from '../helpers/gateway-harness.ts';

const TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}<|assistant|>";

/** A loopback server answering like vLLM or llama.cpp server; `state` is what it claims to serve. */
function backendServer(kind: 'vllm' | 'llamacpp', state: Record<string, unknown>) {
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url === '/v1/models') {
      const model =
        kind === 'vllm'
          ? {
              id: state.id,
              object: 'model',
              owned_by: 'vllm',
              root: state.root,
              max_model_len: state.maxModelLen,
            }
          : {
              id: state.id,
              object: 'model',
              owned_by: 'llamacpp',
              meta: { n_ctx_train: state.nCtxTrain, n_vocab: 2 },
            };
      res.end(JSON.stringify({ object: 'list', data: [model] }));
    } else if (kind === 'llamacpp' && req.method === 'GET' && req.url === '/props') {
      res.end(
        JSON.stringify({
          model_path: state.modelPath,
          chat_template: state.chatTemplate,
          default_generation_settings: { n_ctx: 4096 },
          build_info: 'b4500-0123abcd',
          total_slots: 1,
        }),
      );
    } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      req.resume();
      req.on('end', () =>
        res.end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            created: 1,
            model: state.id,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: `hello from ${kind}` },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
          }),
        ),
      );
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  return {
    server,
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const call = (model: string): UpstreamCall => ({
  endpoint: 'chat',
  body: { model, messages: [{ role: 'user', content: 'hi' }] },
  stream: false,
  headers: {},
  signal: new AbortController().signal,
});

const notApproved = (detail: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AirlockError, String(e));
  assert.equal(e.code, 'model_not_approved');
  assert.match(e.detail ?? '', detail);
  return true;
};

describe('custody: vLLM and llama.cpp servers are verified at every health check', () => {
  const release = testKey();
  const enclave = testEnclave({ trusted: [{ name: 'release', key: release }] });
  const vllmState: Record<string, unknown> = { id: 'llama-70b' };
  const llamaState: Record<string, unknown> = { id: 'local-gguf' };
  const vllm = backendServer('vllm', vllmState);
  const llama = backendServer('llamacpp', llamaState);
  const audit = createRecordingAuditSink();
  const registry = new Registry();
  let rt: CustodyRuntime;
  let router: InferenceRouter;
  let adapters: Map<string, UpstreamAdapter>;
  let hf: ModelVersion;
  let gguf: ModelVersion;
  const metric = async (name: string) =>
    (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

  before(async () => {
    const vllmUrl = await vllm.listen();
    const llamaUrl = await llama.listen();
    const upstreams = [
      upstreamSchema.parse({
        name: 'vllm',
        kind: 'openai',
        baseUrl: `${vllmUrl}/v1`,
        health: { interval: '1h' },
      }),
      upstreamSchema.parse({
        name: 'llamacpp',
        kind: 'openai',
        baseUrl: llamaUrl,
        health: { interval: '1h' },
      }),
    ];
    const models = [
      modelSchema.parse({ alias: 'big', targets: [{ upstream: 'vllm', model: 'llama-70b' }] }),
      modelSchema.parse({ alias: 'small', targets: [{ upstream: 'llamacpp', model: 'local-gguf' }] }),
    ];
    rt = createCustodyRuntime(
      custodyConfigSchema.parse({
        trustedKeys: [{ name: 'release', publicKey: release.publicKey }],
        enforce: true,
        twoPerson: false,
        serve: [
          {
            upstream: 'vllm',
            model: 'llama-70b',
            backend: 'vllm',
            version: 'llama-70b@1',
            contextLength: 8192,
          },
          { upstream: 'llamacpp', model: 'local-gguf', backend: 'llamacpp', version: 'tiny@1' },
        ],
      }),
      {
        dataDir: enclave.dataDir,
        upstreams,
        onServingChange: createServingChangeRecorder({ registry, audit }),
      },
    );
    const deps = {
      dataDir: enclave.dataDir,
      inventory: rt.inventory,
      trustedKeys: [{ name: 'release', key: parsePublicKey(release.publicKey) }],
      allowUnsigned: false,
    };
    hf = await importModel(
      {
        path: writeBundle(join(enclave.dir, 'hf'), {
          name: 'llama-70b',
          version: '1',
          files: {
            'config.json': Buffer.from('{"max_position_embeddings":8192}'),
            'model.safetensors': Buffer.alloc(2048, 1),
          },
          key: release.privateKey,
        }),
        actor: 'test',
      },
      deps,
    );
    gguf = await importModel(
      {
        path: writeBundle(join(enclave.dir, 'gguf'), {
          name: 'tiny',
          version: '1',
          files: { 'model.gguf': ggufWithTemplate(TEMPLATE) },
          key: release.privateKey,
        }),
        actor: 'test',
      },
      deps,
    );
    rt.inventory.transition(hf.id, 'approved', { actor: 'test' });
    rt.inventory.transition(gguf.id, 'approved', { actor: 'test' });
    // What the operators deployed: vLLM from a folder named by the version's digest, llama.cpp
    // straight from the content-addressed store.
    Object.assign(vllmState, { root: `/srv/models/${hf.digest}`, maxModelLen: 8192 });
    Object.assign(llamaState, {
      modelPath: `/var/lib/airlock/models/sha256/${gguf.files[0]!.sha256}`,
      chatTemplate: TEMPLATE,
      nCtxTrain: 4096,
    });
    adapters = await createAdapters(upstreams, { resolveSecret: () => 'unused' });
    router = createRouter({ models, upstreams }, { adapters, admit: rt.refusal, verify: rt.verifiers });
  });
  after(async () => {
    await router.close();
    await closeAdapters(adapters);
    rt.close();
    await vllm.close();
    await llama.close();
    rmSync(enclave.dir, { recursive: true, force: true });
  });

  it('before the first health round nothing is routed: the targets are not verified yet', async () => {
    await assert.rejects(
      router.forward(router.resolve('big')!, call('big')),
      notApproved(/not verified yet/),
    );
  });

  it('a vLLM server serving the approved version is routed to', async () => {
    await router.checkHealthNow();
    const r = await router.forward(router.resolve('big')!, call('big'));
    assert.equal(r.target.upstream, 'vllm');
    assert.equal((await router.forward(router.resolve('small')!, call('small'))).target.upstream, 'llamacpp');
    assert.equal(audit.entries.length, 0, 'a healthy start is not an event');
  });

  it('vLLM swaps the model behind the same id → routing stops, audited and counted; restored → resumes', async () => {
    const approvedRoot = vllmState.root;
    vllmState.root = `/srv/models/${'f'.repeat(64)}`;
    await router.checkHealthNow();
    await assert.rejects(router.forward(router.resolve('big')!, call('big')), notApproved(/llama-70b/));
    const stop = audit.entries.at(-1)!;
    assert.equal(stop.type, 'model.serving');
    assert.equal(stop.outcome, 'deny');
    assert.equal(stop.detail?.upstream, 'vllm');
    assert.equal(stop.detail?.version, 'llama-70b@1');
    assert.match(String(stop.detail?.reason), /root .* does not name the approved digest/);
    assert.ok(
      (await metric('airlock_model_serving_changes_total')).some((l) =>
        /upstream="vllm".*verdict="stopped"} 1/.test(l),
      ),
    );
    assert.ok(
      (await metric('airlock_model_serving_verified')).some((l) =>
        /upstream="vllm",model="llama-70b"} 0/.test(l),
      ),
    );
    // The llama.cpp target is untouched.
    assert.equal((await router.forward(router.resolve('small')!, call('small'))).target.upstream, 'llamacpp');

    vllmState.root = approvedRoot;
    await router.checkHealthNow();
    assert.equal((await router.forward(router.resolve('big')!, call('big'))).target.upstream, 'vllm');
    assert.equal(audit.entries.at(-1)!.outcome, 'info');
    assert.ok(
      (await metric('airlock_model_serving_verified')).some((l) =>
        /upstream="vllm",model="llama-70b"} 1/.test(l),
      ),
    );
  });

  it('vLLM restarted with another max_model_len than approved → refused', async () => {
    vllmState.maxModelLen = 32768;
    await router.checkHealthNow();
    await assert.rejects(router.forward(router.resolve('big')!, call('big')), notApproved(/llama-70b/));
    assert.match(String(audit.entries.at(-1)!.detail?.reason), /max_model_len 32768, expected 8192/);
    vllmState.maxModelLen = 8192;
    await router.checkHealthNow();
    assert.equal((await router.forward(router.resolve('big')!, call('big'))).target.upstream, 'vllm');
  });

  for (const [what, field, value, reason] of [
    [
      'loads another GGUF file',
      'modelPath',
      `/models/${'a'.repeat(64)}.gguf`,
      /model_path .* does not name the approved digest/,
    ],
    [
      'serves an edited chat template',
      'chatTemplate',
      `${TEMPLATE}{{ raise_exception('x') }}`,
      /chat_template .* differs/,
    ],
    [
      'loads a GGUF with another training context',
      'nCtxTrain',
      131072,
      /n_ctx_train 131072, the approved GGUF says 4096/,
    ],
    ['serves the model under another id', 'id', 'other-model', /local-gguf is not served/],
  ] as const)
    it(`llama.cpp ${what} → refused; restored → routed again`, async () => {
      const before = llamaState[field];
      llamaState[field] = value;
      await router.checkHealthNow();
      await assert.rejects(
        router.forward(router.resolve('small')!, call('small')),
        notApproved(/local-gguf/),
      );
      const e = audit.entries.at(-1)!;
      assert.equal(e.outcome, 'deny');
      assert.equal(e.detail?.backend, 'llamacpp');
      assert.match(String(e.detail?.reason), reason);
      llamaState[field] = before;
      await router.checkHealthNow();
      assert.equal(
        (await router.forward(router.resolve('small')!, call('small'))).target.upstream,
        'llamacpp',
      );
    });

  it('revoking the version takes effect on the next request, without waiting for a health round', async () => {
    assert.equal((await router.forward(router.resolve('small')!, call('small'))).target.upstream, 'llamacpp');
    rt.inventory.transition(gguf.id, 'revoked', { actor: 'test', reason: 'withdrawn' });
    await assert.rejects(
      router.forward(router.resolve('small')!, call('small')),
      notApproved(/not approved or active/),
    );
    // The next health round records why, and the server stays refused even though it is unchanged.
    await router.checkHealthNow();
    assert.match(String(audit.entries.at(-1)!.detail?.reason), /tiny@1 is not approved or active/);
    await assert.rejects(
      router.forward(router.resolve('small')!, call('small')),
      notApproved(/not approved or active/),
    );
  });

  it('audit entries carry ids and field names only, never bodies', () => {
    for (const e of audit.entries) assert.doesNotMatch(JSON.stringify(e), /hello from|messages|hi"/);
  });
});

describe('checkOpenAiBackend: fails closed on what it cannot read', () => {
  it('a server without /props is an error for llama.cpp; a missing root is a mismatch for vLLM', async () => {
    const s = backendServer('vllm', { id: 'm' });
    const url = await s.listen();
    try {
      const v = await checkOpenAiBackend('vllm', url, [
        { model: 'm', digest: 'a'.repeat(64), version: undefined },
      ]);
      assert.deepEqual(v, { ok: false, findings: [{ model: 'm', ok: false, reason: 'root not reported' }] });
      await assert.rejects(
        checkOpenAiBackend('llamacpp', url, [{ model: 'm', digest: 'a'.repeat(64), version: undefined }]),
        /\/props answered 404/,
      );
      const exact = await checkOpenAiBackend('vllm', url, [
        { model: 'x', digest: 'a'.repeat(64), version: undefined },
      ]);
      assert.equal(exact.findings[0]!.reason, 'x is not served');
    } finally {
      await s.close();
    }
  });
});

describe('config: a custody binding names how its backend is verified', () => {
  const base = {
    version: 1,
    dataDir: './data',
    listeners: { client: { port: 0 } },
    upstreams: [
      { name: 'gpu', kind: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' },
      { name: 'olla', kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' },
    ],
  };
  const invalid = (serve: unknown[], path: RegExp) =>
    assert.throws(
      () => parseConfig({ ...base, custody: { serve } }, 'airlock.yaml'),
      (e: unknown) => e instanceof AirlockError && e.code === 'config_invalid' && path.test(e.detail ?? ''),
    );
  it('kind: openai without backend, or a backend that does not fit the kind, is refused with its path', () => {
    invalid(
      [{ upstream: 'gpu', model: 'm', version: 'x@1' }],
      /custody\.serve\.0\.backend.*vllm or llamacpp/s,
    );
    invalid(
      [{ upstream: 'gpu', model: 'm', version: 'x@1', backend: 'ollama' }],
      /custody\.serve\.0\.backend/,
    );
    invalid(
      [{ upstream: 'olla', model: 'm', version: 'x@1', backend: 'vllm' }],
      /custody\.serve\.0\.backend/,
    );
  });
  it('fitting bindings are accepted', () => {
    const c = parseConfig(
      {
        ...base,
        custody: {
          serve: [
            { upstream: 'gpu', model: 'm', version: 'x@1', backend: 'llamacpp' },
            { upstream: 'olla', model: 'm', version: 'x@1' },
          ],
        },
      },
      'airlock.yaml',
    );
    assert.equal(c.custody.serve[0]!.backend, 'llamacpp');
  });
});
