// A minimal GGUF v3 encoder: header, typed key/value metadata, tensor infos and aligned tensor data.
// Only what the demo model needs (scalars, strings, arrays of scalars/strings, F32 tensors); the
// layout follows ggml's gguf.md so llama.cpp and node-llama-cpp's own reader both accept it.

/** GGUF metadata value types (gguf.md "gguf_metadata_value_type"). */
const T = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

/** ggml tensor type ids; only F32 is written. */
const GGML_TYPE_F32 = 0;

export type GgufValue =
  | { readonly type: 'uint32' | 'int32' | 'float32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly of: 'int32' | 'float32'; readonly value: readonly number[] }
  | { readonly type: 'array'; readonly of: 'string'; readonly value: readonly string[] };

export interface GgufTensor {
  readonly name: string;
  /** ggml order: dims[0] is the fastest-varying (row length). */
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** Growable little-endian byte sink. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.ensure(4);
    this.length = this.buf.writeInt32LE(v, this.length);
  }
  u64(v: number): void {
    this.ensure(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  f32(v: number): void {
    this.ensure(4);
    this.length = this.buf.writeFloatLE(v, this.length);
  }
  u8(v: number): void {
    this.ensure(1);
    this.length = this.buf.writeUInt8(v, this.length);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** GGUF string: u64 byte length + UTF-8 bytes, no terminator. */
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(out: ByteSink, v: GgufValue): void {
  out.u32(T[v.type]);
  switch (v.type) {
    case 'uint32':
      out.u32(v.value);
      return;
    case 'int32':
      out.i32(v.value);
      return;
    case 'float32':
      out.f32(v.value);
      return;
    case 'bool':
      out.u8(v.value ? 1 : 0);
      return;
    case 'string':
      out.str(v.value);
      return;
    case 'array':
      out.u32(T[v.of]);
      out.u64(v.value.length);
      if (v.of === 'string') for (const s of v.value as readonly string[]) out.str(s);
      else if (v.of === 'int32') for (const n of v.value as readonly number[]) out.i32(n);
      else for (const n of v.value as readonly number[]) out.f32(n);
      return;
  }
}

/** Encodes a complete GGUF v3 file. `general.alignment` is written from `alignment`. */
export function encodeGguf(
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensor[],
  alignment = 32,
): Buffer {
  const out = new ByteSink();
  out.bytes(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length + 1);
  out.str('general.alignment');
  writeValue(out, { type: 'uint32', value: alignment });
  for (const [key, value] of metadata) {
    out.str(key);
    writeValue(out, value);
  }
  // Offsets are relative to the start of the data section and each must be aligned.
  let offset = 0;
  for (const t of tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) throw new Error(`tensor ${t.name}: dims ${t.dims} do not match data`);
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_TYPE_F32);
    out.u64(offset);
    offset += Math.ceil(t.data.byteLength / alignment) * alignment;
  }
  out.padTo(alignment);
  for (const t of tensors) {
    out.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.padTo(alignment);
  }
  return out.toBuffer();
}
