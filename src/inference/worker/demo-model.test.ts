import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readGgufFileInfo } from 'node-llama-cpp';
import { buildDemoModel, demoChatTemplate, demoModelShape, writeDemoModel } from './demo-model.ts';

test('demo model: deterministic and small', () => {
  const a = buildDemoModel();
  assert.ok(a.equals(buildDemoModel()), 'same seed → same bytes');
  assert.ok(!a.equals(buildDemoModel(7)), 'another seed → other weights');
  assert.ok(a.length < 2 * 1024 * 1024, `${a.length} bytes`);
  assert.equal(a.subarray(0, 4).toString('ascii'), 'GGUF');
  assert.equal(a.readUInt32LE(4), 3);
});

test('demo model: llama metadata, vocabulary and tensors as llama.cpp expects', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-demo-'));
  try {
    const path = join(dir, 'demo.gguf');
    await writeDemoModel(path);
    const info = await readGgufFileInfo(path);
    const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(md['general']!['architecture'], 'llama');
    assert.equal(md['general']!['alignment'], 32);
    const llama = md['llama'] as { block_count: number; embedding_length: number; context_length: number };
    assert.equal(llama.block_count, demoModelShape.layers);
    assert.equal(llama.embedding_length, demoModelShape.embedding);
    assert.equal(llama.context_length, demoModelShape.contextLength);
    const tok = md['tokenizer'] as { ggml: { model: string; tokens: string[] }; chat_template: string };
    assert.equal(tok.ggml.model, 'llama');
    assert.ok(tok.ggml.tokens.includes('<0x0A>'));
    assert.ok(tok.ggml.tokens.includes('<|im_end|>'));
    assert.equal(tok.chat_template, demoChatTemplate);
    const names = new Set(info.fullTensorInfo?.map((t) => t.name));
    for (const n of [
      'token_embd.weight',
      'output_norm.weight',
      'output.weight',
      'blk.1.ffn_down.weight',
      'blk.0.attn_q.weight',
    ])
      assert.ok(names.has(n), n);
    assert.equal(names.size, 3 + 9 * demoModelShape.layers);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
