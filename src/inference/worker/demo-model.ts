// The demo model: a tiny llama-architecture GGUF with seeded random weights, so a fresh install can
// serve /v1 end to end with no download and no model server. It talks gibberish by design; its job is
// to exercise the whole path (load, template, sampling, streaming) in well under a second.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';

export const demoModelShape = {
  layers: 2,
  embedding: 64,
  heads: 4,
  feedForward: 128,
  contextLength: 512,
} as const;

/** ChatML, the most widely understood template; node-llama-cpp recognises it as ChatML. */
export const demoChatTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** SentencePiece token types (llama.cpp llama_token_type). */
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

const specialTokens = [
  { text: '<unk>', type: TOKEN_UNKNOWN },
  { text: '<s>', type: TOKEN_CONTROL },
  { text: '</s>', type: TOKEN_CONTROL },
  { text: '<|im_start|>', type: TOKEN_CONTROL },
  { text: '<|im_end|>', type: TOKEN_CONTROL },
] as const;

/** Byte-level SentencePiece vocabulary: the specials, then one `<0xNN>` token per byte. Every text
 *  tokenizes by byte fallback, so no merges or scores need to be learned. */
function buildVocab(): { tokens: string[]; types: number[]; scores: number[] } {
  const tokens: string[] = specialTokens.map((t) => t.text);
  const types: number[] = specialTokens.map((t) => t.type);
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
  }
  // SentencePiece writes spaces as U+2581; a normal token for it lets detokenizing turn it back into
  // a space (byte tokens would return the raw U+2581). A few words make the gibberish look like text.
  for (const word of ['▁', '▁the', '▁air', '▁lock', '▁model', '▁demo']) {
    tokens.push(word);
    types.push(TOKEN_NORMAL);
  }
  return { tokens, types, scores: tokens.map(() => 0) };
}

/** mulberry32: tiny, fast, seeded; good enough for weights nobody will ever train. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(rand: () => number, n: number, limit: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

/** Builds the GGUF bytes. Deterministic: the same seed gives the same file, byte for byte. */
export function buildDemoModel(seed = 0x41524c4b): Buffer {
  const { layers, embedding: n, heads, feedForward: ff, contextLength } = demoModelShape;
  const vocab = buildVocab();
  const nVocab = vocab.tokens.length;
  const rand = seededRandom(seed);
  // Xavier-like scale keeps activations near unit size through the random layers.
  const lim = (fanIn: number) => Math.sqrt(3 / fanIn);
  const ones = (k: number) => new Float32Array(k).fill(1);

  // Output rows: printable ASCII bytes and the word tokens get large weights, everything else zero,
  // so sampling mostly emits readable characters and rarely an end-of-generation token.
  const output = new Float32Array(nVocab * n);
  vocab.tokens.forEach((text, id) => {
    const byte = /^<0x([0-9A-F]{2})>$/.exec(text);
    const code = byte ? Number.parseInt(byte[1]!, 16) : -1;
    const readable = (code >= 0x20 && code < 0x7f) || vocab.types[id] === TOKEN_NORMAL;
    if (!readable) return;
    for (let j = 0; j < n; j++) output[id * n + j] = (rand() * 2 - 1) * 0.65;
  });

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [n, nVocab], data: uniform(rand, n * nVocab, 1) },
    { name: 'output_norm.weight', dims: [n], data: ones(n) },
    { name: 'output.weight', dims: [n, nVocab], data: output },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [n], data: ones(n) },
      { name: `${p}attn_q.weight`, dims: [n, n], data: uniform(rand, n * n, lim(n)) },
      { name: `${p}attn_k.weight`, dims: [n, n], data: uniform(rand, n * n, lim(n)) },
      { name: `${p}attn_v.weight`, dims: [n, n], data: uniform(rand, n * n, lim(n)) },
      { name: `${p}attn_output.weight`, dims: [n, n], data: uniform(rand, n * n, lim(n)) },
      { name: `${p}ffn_norm.weight`, dims: [n], data: ones(n) },
      { name: `${p}ffn_gate.weight`, dims: [n, ff], data: uniform(rand, n * ff, lim(n)) },
      { name: `${p}ffn_up.weight`, dims: [n, ff], data: uniform(rand, n * ff, lim(n)) },
      { name: `${p}ffn_down.weight`, dims: [ff, n], data: uniform(rand, ff * n, lim(ff)) },
    );
  }

  const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
  const metadata: Array<readonly [string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.type', { type: 'string', value: 'model' }],
    ['general.name', { type: 'string', value: 'airlock-demo' }],
    ['general.description', { type: 'string', value: 'Random-weight demo model generated by airlock.' }],
    ['general.license', { type: 'string', value: 'Apache-2.0' }],
    ['general.file_type', u32(0)],
    ['llama.context_length', u32(contextLength)],
    ['llama.embedding_length', u32(n)],
    ['llama.block_count', u32(layers)],
    ['llama.feed_forward_length', u32(ff)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(heads)],
    ['llama.rope.dimension_count', u32(n / heads)],
    ['llama.rope.freq_base', { type: 'float32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
    ['llama.vocab_size', u32(nVocab)],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', of: 'float32', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', of: 'int32', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(4)],
    ['tokenizer.ggml.padding_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: demoChatTemplate }],
  ];
  return encodeGguf(metadata, tensors);
}

/** Writes the demo model to `path` (creating folders) atomically, so a crash never leaves half a file
 *  that a worker would then try to load. */
export async function writeDemoModel(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, buildDemoModel(), { mode: 0o644 });
  await rename(tmp, path);
}
