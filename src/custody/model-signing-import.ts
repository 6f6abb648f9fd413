// Finds an OpenSSF model-signing bundle for `airlock models import` and checks the files on disk
// against the verified statement before anything is copied: every signed file must be there, and
// nothing unsigned may ride along (the signature file itself and the signer's declared ignore_paths
// excepted). The per-file digests are then enforced while each file is hashed into the store.
import { lstat, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { AirlockError } from '../errors.ts';
import {
  looksLikeSigstoreBundle,
  MODEL_SIGNATURE_NAME,
  type ModelSigningTrust,
  verifyModelSigningBundle,
} from './model-signing.ts';

export interface SignedModelSource {
  readonly root: string;
  /** Files to import, relative to root, `/`-separated, sorted: exactly the signed set. */
  readonly paths: readonly string[];
  /** Signed path → SHA-256. */
  readonly expected: ReadonlyMap<string, string>;
  readonly signedBy: string;
  /** The statement's subject name. */
  readonly name: string;
  readonly bundlePath: string;
}

const isFile = async (p: string) => (await lstat(p).catch(() => undefined))?.isFile() === true;
const isDir = async (p: string) => (await lstat(p).catch(() => undefined))?.isDirectory() === true;

/**
 * The bundle to verify for an import of `path`: `--signature FILE` when FILE is a Sigstore bundle,
 * else `model.sig` inside the folder or next to the file. Undefined: not a model-signing import.
 */
export async function findModelSigningBundle(
  path: string,
  signature: string | undefined,
): Promise<{ bundlePath: string; bytes: Buffer; root: string; single?: string } | undefined> {
  const p = resolve(path);
  const dir = await isDir(p);
  const root = dir ? p : dirname(p);
  const single = dir ? undefined : basename(p);
  let bundlePath: string | undefined;
  if (signature !== undefined) bundlePath = resolve(signature);
  else if ((await isFile(join(root, MODEL_SIGNATURE_NAME))) && single !== MODEL_SIGNATURE_NAME)
    bundlePath = join(root, MODEL_SIGNATURE_NAME);
  if (bundlePath === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(bundlePath);
  } catch {
    throw new AirlockError('model_import_refused', { detail: `cannot read signature ${bundlePath}` });
  }
  // A raw Ed25519 signature over airlock-model.json is the other format; import.ts handles it.
  if (signature !== undefined && !looksLikeSigstoreBundle(bytes)) return undefined;
  return { bundlePath, bytes, root, ...(single !== undefined ? { single } : {}) };
}

const covered = (rel: string, prefixes: readonly string[]) =>
  prefixes.some((p) => rel === p || rel.startsWith(`${p.replace(/\/+$/, '')}/`));

/** Verifies the bundle and matches the signed file set with what is on disk. */
export async function verifySignedModel(
  found: { bundlePath: string; bytes: Buffer; root: string; single?: string },
  deps: {
    trust: ModelSigningTrust;
    at: Date;
    walk: (root: string, skip: ReadonlySet<string>) => Promise<string[]>;
  },
): Promise<SignedModelSource> {
  const v = verifyModelSigningBundle(found.bytes, deps.trust, { source: found.bundlePath, at: deps.at });
  const mismatch = (detail: string): never => {
    throw new AirlockError('model_files_mismatch', { detail: `${found.bundlePath}: ${detail}` });
  };
  const signed = [...v.files.keys()];
  let onDisk: string[];
  if (found.single !== undefined) {
    if (signed.length !== 1 || signed[0] !== found.single)
      mismatch(
        `the signature covers ${signed.length} file(s) (${signed.slice(0, 3).join(', ')}${signed.length > 3 ? ', …' : ''}), not just ${found.single}; import the folder`,
      );
    onDisk = [found.single];
  } else {
    const sigRel = relative(found.root, found.bundlePath).split(sep).join('/');
    const all = await deps.walk(found.root, new Set([sigRel]));
    onDisk = all.filter((rel) => !covered(rel, v.ignorePaths) || v.files.has(rel));
  }
  const disk = new Set(onDisk);
  const missing = signed.filter((s) => !disk.has(s));
  const extra = onDisk.filter((d) => !v.files.has(d));
  if (missing.length > 0)
    mismatch(`signed file(s) missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  if (extra.length > 0)
    mismatch(
      `file(s) not covered by the signature: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}; an unsigned file is never imported`,
    );
  return {
    root: found.root,
    paths: [...signed].sort(),
    expected: v.files,
    signedBy: v.signedBy,
    name: v.modelName,
    bundlePath: found.bundlePath,
  };
}
