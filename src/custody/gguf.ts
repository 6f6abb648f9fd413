// Reads the header key/value metadata of a GGUF file (ggml's gguf.md, versions 2 and 3) without
// loading tensors: architecture, file type (quantisation), context length and chat template.
// Input is untrusted: every length is bounded, and a malformed header is an error, not a crash.
import { type FileHandle, open } from 'node:fs/promises';
import type { GgufFacts } from './types.ts';

const MAX_KV = 1_000_000;
const MAX_STRING = 64 * 1024 * 1024;
const MAX_ARRAY = 50_000_000;

/** llama.cpp `llama_ftype` names. */
const fileTypes: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
};

/** Fixed sizes of scalar value types (gguf_metadata_value_type). */
const scalarSize: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

export class GgufError extends Error {}

/** Buffered sequential reader over a file handle. */
class Reader {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private fileOffset = 0;
  private eof = false;
  private readonly fh: FileHandle;
  constructor(fh: FileHandle) {
    this.fh = fh;
  }

  private async need(n: number): Promise<void> {
    while (this.buf.length - this.pos < n) {
      if (this.eof) throw new GgufError('truncated GGUF header');
      const chunk = Buffer.alloc(Math.max(1 << 20, n));
      const { bytesRead } = await this.fh.read(chunk, 0, chunk.length, this.fileOffset);
      if (bytesRead === 0) this.eof = true;
      this.fileOffset += bytesRead;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, bytesRead)]);
      this.pos = 0;
    }
  }
  async bytes(n: number): Promise<Buffer> {
    await this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }
  async u64(): Promise<number> {
    const v = (await this.bytes(8)).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError('length out of range');
    return Number(v);
  }
  async str(): Promise<string> {
    const n = await this.u64();
    if (n > MAX_STRING) throw new GgufError(`string of ${n} bytes exceeds the limit`);
    return (await this.bytes(n)).toString('utf8');
  }
  async skip(n: number): Promise<void> {
    // Skips may exceed one buffer (large arrays); read through in bounded steps.
    let left = n;
    while (left > 0) {
      const step = Math.min(left, 1 << 20);
      await this.bytes(step);
      left -= step;
    }
  }
}

type Scalar = number | boolean | string | bigint;

async function readScalar(r: Reader, type: number): Promise<Scalar> {
  switch (type) {
    case 0:
      return (await r.bytes(1)).readUInt8(0);
    case 1:
      return (await r.bytes(1)).readInt8(0);
    case 2:
      return (await r.bytes(2)).readUInt16LE(0);
    case 3:
      return (await r.bytes(2)).readInt16LE(0);
    case 4:
      return r.u32();
    case 5:
      return (await r.bytes(4)).readInt32LE(0);
    case 6:
      return (await r.bytes(4)).readFloatLE(0);
    case 7:
      return (await r.bytes(1)).readUInt8(0) !== 0;
    case 8:
      return r.str();
    case 10:
      return (await r.bytes(8)).readBigUInt64LE(0);
    case 11:
      return (await r.bytes(8)).readBigInt64LE(0);
    case 12:
      return (await r.bytes(8)).readDoubleLE(0);
    default:
      throw new GgufError(`unknown value type ${type}`);
  }
}

/** Reads (or skips) one value; arrays are skipped, since none of the facts we keep is an array. */
async function readValue(r: Reader, type: number): Promise<Scalar | undefined> {
  if (type !== 9) return readScalar(r, type);
  const itemType = await r.u32();
  const count = await r.u64();
  if (count > MAX_ARRAY) throw new GgufError(`array of ${count} items exceeds the limit`);
  if (itemType === 9) throw new GgufError('nested arrays are not supported');
  const size = scalarSize[itemType];
  if (size !== undefined) await r.skip(size * count);
  else if (itemType === 8) for (let i = 0; i < count; i++) await r.skip(await r.u64());
  else throw new GgufError(`unknown array item type ${itemType}`);
  return undefined;
}

/** True when the file starts with the GGUF magic. */
export async function isGguf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.toString('ascii') === 'GGUF';
  } finally {
    await fh.close();
  }
}

export async function readGgufFacts(path: string): Promise<GgufFacts> {
  const fh = await open(path, 'r');
  try {
    const r = new Reader(fh);
    if ((await r.bytes(4)).toString('ascii') !== 'GGUF') throw new GgufError('not a GGUF file');
    const ggufVersion = await r.u32();
    if (ggufVersion < 2 || ggufVersion > 3) throw new GgufError(`unsupported GGUF version ${ggufVersion}`);
    const tensorCount = await r.u64();
    const kvCount = await r.u64();
    if (kvCount > MAX_KV) throw new GgufError(`${kvCount} metadata entries exceed the limit`);
    const kv = new Map<string, Scalar>();
    for (let i = 0; i < kvCount; i++) {
      const key = await r.str();
      const value = await readValue(r, await r.u32());
      if (value !== undefined) kv.set(key, value);
    }
    const str = (k: string) => (typeof kv.get(k) === 'string' ? (kv.get(k) as string) : undefined);
    const num = (k: string) => {
      const v = kv.get(k);
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
    };
    const architecture = str('general.architecture');
    const fileType = num('general.file_type');
    const contextLength = architecture ? num(`${architecture}.context_length`) : undefined;
    const facts: GgufFacts = {
      ggufVersion,
      tensorCount,
      ...(architecture !== undefined ? { architecture } : {}),
      ...(fileType !== undefined
        ? { fileType, quantization: fileTypes[fileType] ?? `type-${fileType}` }
        : {}),
      ...(contextLength !== undefined ? { contextLength } : {}),
      ...(str('general.name') !== undefined ? { name: str('general.name')! } : {}),
      ...(str('general.license') !== undefined ? { license: str('general.license')! } : {}),
      ...(str('tokenizer.chat_template') !== undefined
        ? { chatTemplate: str('tokenizer.chat_template')! }
        : {}),
    };
    return facts;
  } finally {
    await fh.close();
  }
}
