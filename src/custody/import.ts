// `airlock models import` and `export-bundle`: the only ways an artefact enters or leaves custody.
// Import verifies the manifest's Ed25519 signature against the configured trusted keys (unsigned is
// refused unless the config allows it), hashes every file while copying it into the content-addressed
// store, refuses any file whose digest differs from the manifest, reads GGUF facts from the stored
// copy, and flags a chat template that looks like template injection.

import type { KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import { AirlockError } from '../errors.ts';
import { hashFile, overallDigest, type Progress } from './digest.ts';
import { isGguf, readGgufFacts } from './gguf.ts';
import type { Inventory } from './inventory.ts';
import { versionId } from './inventory.ts';
import {
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  type ModelManifest,
  manifestSchema,
  parseManifest,
  SIGNATURE_SUFFIX,
  signManifest,
  type TrustedKey,
  verifyManifest,
} from './manifest.ts';
import type { ModelSigningTrust } from './model-signing.ts';
import { findModelSigningBundle, type SignedModelSource, verifySignedModel } from './model-signing-import.ts';
import { putInStore, storePath } from './model-store.ts';
import { scanChatTemplate } from './template-scan.ts';
import type { GgufFacts, ModelFile, ModelVersion, ModelVersionRecord, TemplateFinding } from './types.ts';

/** Files at least this big get a progress bar. */
const PROGRESS_THRESHOLD = 64 * 1024 * 1024;

export interface ImportOptions {
  /** A manifest file, a folder (with or without airlock-model.json) or a single artefact. */
  readonly path: string;
  /** Detached signature; defaults to `<manifest>.sig` when that file exists. */
  readonly signature?: string;
  /** For imports without a manifest (only when unsigned imports are allowed). */
  readonly name?: string;
  readonly version?: string;
  readonly metadata?: Partial<ModelManifest['metadata']>;
  /** Import even if the chat template looks like an attack (the findings stay on the record). */
  readonly allowFlaggedTemplate?: boolean;
  readonly actor: string;
}

export interface ImportDeps {
  readonly dataDir: string;
  readonly inventory: Inventory;
  readonly trustedKeys: readonly TrustedKey[];
  readonly allowUnsigned: boolean;
  /** Pinned trust for OpenSSF model-signing bundles (model.sig); omitted → such bundles are refused. */
  readonly modelSigning?: ModelSigningTrust;
  /** Clock for certificate validity; defaults to now. */
  readonly now?: () => Date;
  /** Called with a progress function per large file; omitted → silent. */
  readonly progress?: (label: string) => Progress;
}

const refuse = (detail: string): never => {
  throw new AirlockError('model_import_refused', { detail });
};

async function kindOf(path: string): Promise<'dir' | 'file' | 'other' | 'missing'> {
  try {
    const s = await lstat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** Regular files below `root`, relative, `/`-separated, sorted. Symlinks and specials are refused. */
export async function walk(root: string, skip: ReadonlySet<string>): Promise<string[]> {
  const out: string[] = [];
  async function visit(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      const rel = relative(root, full).split(sep).join('/');
      if (skip.has(rel)) continue;
      if (e.isDirectory()) await visit(full);
      else if (e.isFile()) out.push(rel);
      else refuse(`${full}: not a regular file (symlinks and devices are refused)`);
    }
  }
  await visit(root);
  return out.sort();
}

interface Source {
  readonly root: string;
  readonly manifest?: { bytes: Buffer; parsed: ModelManifest; path: string };
  readonly signaturePath?: string;
  readonly paths: readonly string[];
}

async function locate(opts: ImportOptions): Promise<Source> {
  const p = resolve(opts.path);
  const kind = await kindOf(p);
  if (kind === 'missing') return refuse(`${p} does not exist`);
  if (kind === 'other') return refuse(`${p}: not a regular file or folder`);
  let manifestPath: string | undefined;
  let root: string;
  if (kind === 'dir') {
    root = p;
    if ((await kindOf(join(p, MANIFEST_NAME))) === 'file') manifestPath = join(p, MANIFEST_NAME);
  } else {
    root = dirname(p);
    if (basename(p) === MANIFEST_NAME || (p.endsWith('.json') && (await looksLikeManifest(p))))
      manifestPath = p;
  }
  const sigPath =
    opts.signature !== undefined
      ? resolve(opts.signature)
      : manifestPath && (await kindOf(`${manifestPath}${SIGNATURE_SUFFIX}`)) === 'file'
        ? `${manifestPath}${SIGNATURE_SUFFIX}`
        : undefined;
  if (manifestPath) {
    const bytes = await readFile(manifestPath);
    const parsed = parseManifest(bytes, manifestPath);
    return {
      root,
      manifest: { bytes, parsed, path: manifestPath },
      ...(sigPath ? { signaturePath: sigPath } : {}),
      paths: parsed.files.map((f) => f.path),
    };
  }
  if (opts.signature !== undefined) refuse(`a signature covers a manifest (${MANIFEST_NAME}); ${p} has none`);
  const skip = new Set<string>();
  const paths = kind === 'dir' ? await walk(root, skip) : [basename(p)];
  if (paths.length === 0) refuse(`${p}: no files to import`);
  return { root, paths };
}

async function looksLikeManifest(path: string): Promise<boolean> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as { format?: unknown };
    return doc.format === MANIFEST_FORMAT;
  } catch {
    return false;
  }
}

function formatOf(paths: readonly string[], gguf: boolean): string {
  if (gguf) return 'gguf';
  if (paths.some((p) => p.endsWith('.safetensors'))) return 'safetensors';
  if (paths.some((p) => p.endsWith('.onnx'))) return 'onnx';
  return 'files';
}

export async function importModel(opts: ImportOptions, deps: ImportDeps): Promise<ModelVersion> {
  // 1. Who vouches for this model: an OpenSSF model-signing bundle verified against pinned trust, a
  //    trusted key's signature over the manifest, or nobody.
  const bundle = await findModelSigningBundle(opts.path, opts.signature);
  const signed: SignedModelSource | undefined = bundle
    ? await verifySignedModel(bundle, {
        trust: deps.modelSigning ?? { keys: [], authorities: [] },
        at: (deps.now ?? (() => new Date()))(),
        walk,
      })
    : undefined;
  const src: Source = signed ? { root: signed.root, paths: signed.paths } : await locate(opts);
  let signedBy = signed?.signedBy ?? 'unsigned';
  if (signed) {
    // verified above
  } else if (src.signaturePath) {
    if (!src.manifest) return refuse('a signature needs a manifest');
    let sig: string;
    try {
      sig = await readFile(src.signaturePath, 'utf8');
    } catch {
      return refuse(`cannot read signature ${src.signaturePath}`);
    }
    const by = verifyManifest(src.manifest.bytes, sig, deps.trustedKeys);
    if (!by)
      refuse(
        `${src.manifest.path}: the signature does not verify against any trusted key (unknown signer or altered manifest); known: ${deps.trustedKeys.map((k) => k.name).join(', ') || 'none'}`,
      );
    signedBy = by!;
  } else if (!deps.allowUnsigned) {
    refuse(
      `${src.manifest?.path ?? resolve(opts.path)} is unsigned; unsigned imports are refused (sign the manifest with a key in custody.trustedKeys, or set custody.allowUnsigned)`,
    );
  }
  const name = src.manifest?.parsed.name ?? opts.name ?? signed?.name;
  const version = src.manifest?.parsed.version ?? opts.version;
  if (!name || !version) return refuse('name and version are required for an import without a manifest');
  if (signed && !manifestSchema.shape.name.safeParse(name).success)
    refuse(
      `the signed model name ${JSON.stringify(name)} is not a valid model name (letters, digits, . _ : / -); pass --name`,
    );
  const id = versionId(name, version);
  if (deps.inventory.get(id))
    refuse(`${id} already exists; versions are immutable, import it under a new version`);

  // 2. Hash every file while copying it into the store; a digest or size that differs is refused.
  const expected = new Map<string, { sha256: string; size?: number }>(
    signed
      ? [...signed.expected].map(([p, sha256]) => [p, { sha256 }])
      : (src.manifest?.parsed.files.map((f) => [f.path, f]) ?? []),
  );
  const files: ModelFile[] = [];
  for (const rel of src.paths) {
    const full = join(src.root, ...rel.split('/'));
    const st = await lstat(full).catch(() => undefined);
    if (!st?.isFile()) refuse(`${full}: missing or not a regular file`);
    const want = expected.get(rel);
    if (want?.size !== undefined && st!.size !== want.size)
      refuse(`${full}: ${st!.size} bytes, the manifest says ${want.size}; the file was altered`);
    const big = st!.size >= PROGRESS_THRESHOLD && deps.progress;
    const r = await putInStore(deps.dataDir, full, {
      ...(want ? { expected: want.sha256 } : {}),
      ...(big ? { progress: deps.progress!(rel), total: st!.size } : {}),
    }).catch((err: unknown) => {
      // A signed file whose bytes differ from the statement: the model-signing code for it.
      if (signed && err instanceof AirlockError && err.code === 'model_import_refused')
        throw new AirlockError('model_files_mismatch', { detail: err.detail, cause: err });
      throw err;
    });
    files.push({ path: rel, sha256: r.sha256, size: r.size });
  }

  // 3. Facts from the stored copies (exactly the bytes hashed), and the chat template check.
  let gguf: GgufFacts | undefined;
  const findings: TemplateFinding[] = [];
  for (const f of files) {
    const stored = storePath(deps.dataDir, f.sha256);
    if (!gguf && (await isGguf(stored))) {
      try {
        gguf = await readGgufFacts(stored);
      } catch (err) {
        refuse(`${f.path}: malformed GGUF header (${(err as Error).message})`);
      }
      if (gguf!.chatTemplate) findings.push(...scanChatTemplate(gguf!.chatTemplate));
    }
    if (basename(f.path) === 'tokenizer_config.json' && f.size < 16 * 1024 * 1024) {
      try {
        const t = (JSON.parse(await readFile(stored, 'utf8')) as { chat_template?: unknown }).chat_template;
        const templates = typeof t === 'string' ? [t] : Array.isArray(t) ? t.map((x) => x?.template) : [];
        for (const s of templates) if (typeof s === 'string') findings.push(...scanChatTemplate(s));
      } catch {
        // Not JSON: not a tokenizer config we can read; the file is still recorded by digest.
      }
    }
  }
  if (findings.length > 0 && !opts.allowFlaggedTemplate)
    refuse(
      `${id}: the chat template looks like template injection (${findings.map((f) => `${f.pattern}: ${f.why}`).join('; ')}); import refused (--allow-flagged-template records it anyway, flagged)`,
    );

  const meta = { ...(src.manifest?.parsed.metadata ?? {}), ...stripUndefined(opts.metadata ?? {}) };
  const m = manifestSchema.shape.metadata.parse(meta);
  const record: ModelVersionRecord = {
    id,
    name,
    version,
    files,
    digest: overallDigest(files.map((f) => f.sha256)),
    format:
      m.format ??
      formatOf(
        files.map((f) => f.path),
        gguf !== undefined,
      ),
    size: files.reduce((a, f) => a + f.size, 0),
    owner: m.owner,
    licence: m.licence !== 'unknown' ? m.licence : (gguf?.license ?? 'unknown'),
    source: m.source,
    intendedUse: m.intendedUse,
    riskTier: m.riskTier,
    ...(gguf ? { gguf } : {}),
    templateFindings: findings,
    signedBy,
    importedAt: new Date().toISOString(),
  };
  return deps.inventory.add(record, { actor: opts.actor });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The manifest describing a recorded version (what export signs). */
export function manifestFor(v: ModelVersion): ModelManifest {
  return {
    format: MANIFEST_FORMAT,
    name: v.name,
    version: v.version,
    files: v.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
    metadata: {
      format: v.format,
      owner: v.owner,
      licence: v.licence,
      source: v.source,
      intendedUse: v.intendedUse,
      riskTier: v.riskTier,
    },
  };
}

/**
 * Writes a signed bundle to `outDir`: airlock-model.json, its .sig and every file at its path. Each
 * file is re-hashed while it is copied out of the store; a store file that changed stops the export.
 */
export async function exportBundle(
  v: ModelVersion,
  deps: { dataDir: string; key: KeyObject; outDir: string },
): Promise<{ dir: string; manifest: string; signature: string; files: number }> {
  if (v.state === 'revoked') refuse(`${v.id} is revoked; a revoked model is not exported`);
  const dir = resolve(deps.outDir);
  await mkdir(dir, { recursive: true });
  for (const f of v.files) {
    const dest = join(dir, ...f.path.split('/'));
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.partial`;
    const out = createWriteStream(tmp, { mode: 0o644 });
    const r = await hashFile(storePath(deps.dataDir, f.sha256), { tee: out });
    out.end();
    await finished(out);
    if (r.sha256 !== f.sha256)
      throw new AirlockError('model_integrity_failed', {
        detail: `${v.id}: stored ${f.path} hashes to ${r.sha256}, recorded ${f.sha256}; the store was altered`,
      });
    await rename(tmp, dest);
  }
  const bytes = Buffer.from(`${JSON.stringify(manifestFor(v), null, 2)}\n`);
  const manifest = join(dir, MANIFEST_NAME);
  await writeFile(manifest, bytes);
  await writeFile(`${manifest}${SIGNATURE_SUFFIX}`, `${signManifest(bytes, deps.key)}\n`);
  return { dir, manifest, signature: `${manifest}${SIGNATURE_SUFFIX}`, files: v.files.length };
}
