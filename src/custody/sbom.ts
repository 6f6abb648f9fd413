// CycloneDX 1.6 SBOM: airlock's own dependency tree (from package-lock.json) and every model version
// in the inventory as a machine-learning-model component with a model card. Deterministic for a
// given lock file, inventory and timestamp, so two runs can be diffed.
import { randomUUID } from 'node:crypto';
import type { ModelVersion } from './types.ts';

interface LockPackage {
  name?: string;
  version?: string;
  integrity?: string;
  resolved?: string;
  license?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface PackageLock {
  name?: string;
  version?: string;
  lockfileVersion?: number;
  packages?: Record<string, LockPackage>;
}

type Json = Record<string, unknown>;

/** purl for an npm package (purl-spec: the scope's @ is percent-encoded). */
export function npmPurl(name: string, version: string): string {
  const encoded = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${encoded}@${encodeURIComponent(version)}`;
}

const sriAlg: Record<string, string> = {
  sha512: 'SHA-512',
  sha384: 'SHA-384',
  sha256: 'SHA-256',
  sha1: 'SHA-1',
};

/** SRI integrity strings → CycloneDX hashes (hex). */
export function integrityHashes(integrity: string | undefined): Json[] {
  if (!integrity) return [];
  return integrity
    .split(/\s+/)
    .map((part) => /^(sha\d+)-(.+)$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null && sriAlg[m[1]!] !== undefined)
    .map((m) => ({ alg: sriAlg[m[1]!], content: Buffer.from(m[2]!, 'base64').toString('hex') }));
}

const nameFromPath = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 13);

/** Node's resolution: the nearest node_modules/<dep> walking up from the dependant's folder. */
function resolveDep(packages: Record<string, LockPackage>, from: string, dep: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

function modelComponent(v: ModelVersion): Json {
  const ref = `model:${v.id}`;
  const properties: Json[] = [
    { name: 'airlock:state', value: v.state },
    { name: 'airlock:riskTier', value: v.riskTier },
    { name: 'airlock:signedBy', value: v.signedBy },
    { name: 'airlock:format', value: v.format },
    { name: 'airlock:size', value: String(v.size) },
    ...(v.gguf?.quantization ? [{ name: 'airlock:gguf:quantization', value: v.gguf.quantization }] : []),
    ...(v.gguf?.contextLength !== undefined
      ? [{ name: 'airlock:gguf:contextLength', value: String(v.gguf.contextLength) }]
      : []),
    ...(v.templateFindings.length > 0
      ? [{ name: 'airlock:chatTemplateFlagged', value: v.templateFindings.map((f) => f.why).join('; ') }]
      : []),
  ];
  return {
    type: 'machine-learning-model',
    'bom-ref': ref,
    name: v.name,
    version: v.version,
    purl: `pkg:generic/${encodeURIComponent(v.name)}@${encodeURIComponent(v.version)}?checksum=sha256:${v.digest}`,
    ...(v.owner !== 'unknown' ? { authors: [{ name: v.owner }] } : {}),
    ...(v.licence !== 'unknown' ? { licenses: [licence(v.licence)] } : {}),
    hashes: [{ alg: 'SHA-256', content: v.digest }],
    ...(v.source !== 'unknown' ? { externalReferences: [{ type: 'distribution', url: v.source }] } : {}),
    components: v.files.map((f) => ({
      type: 'file',
      'bom-ref': `${ref}#${f.path}`,
      name: f.path,
      hashes: [{ alg: 'SHA-256', content: f.sha256 }],
      properties: [{ name: 'airlock:size', value: String(f.size) }],
    })),
    modelCard: {
      modelParameters: {
        ...(v.gguf?.architecture
          ? { architectureFamily: v.gguf.architecture, modelArchitecture: v.gguf.architecture }
          : {}),
      },
      quantitativeAnalysis: { performanceMetrics: [] },
      considerations: {
        ...(v.intendedUse ? { useCases: [v.intendedUse] } : {}),
        ethicalConsiderations: [
          {
            name: `risk tier: ${v.riskTier}`,
            mitigationStrategy: 'served only while approved in the airlock inventory',
          },
        ],
      },
    },
    properties,
  };
}

function licence(text: string): Json {
  // SPDX ids are single tokens such as Apache-2.0 or MIT; anything else is a named licence.
  return /^[A-Za-z0-9.+-]+$/.test(text) ? { license: { id: text } } : { license: { name: text } };
}

export function buildSbom(
  lock: PackageLock,
  models: readonly ModelVersion[],
  opts: { timestamp?: Date; serial?: string; includeDev?: boolean } = {},
): Json {
  const packages = lock.packages ?? {};
  const root = packages[''] ?? {};
  const rootName = root.name ?? lock.name ?? 'airlock';
  const rootVersion = root.version ?? lock.version ?? '0.0.0';
  const rootRef = npmPurl(rootName, rootVersion);
  const refByPath = new Map<string, string>();
  const components: Json[] = [];
  for (const [path, p] of Object.entries(packages)) {
    if (path === '' || !path.includes('node_modules/') || !p.version) continue;
    if (p.dev && !opts.includeDev) continue;
    const name = p.name ?? nameFromPath(path);
    const purl = npmPurl(name, p.version);
    // The same name@version can sit at several paths; one component, one bom-ref.
    refByPath.set(path, purl);
    if (components.some((c) => c['bom-ref'] === purl)) continue;
    components.push({
      type: 'library',
      'bom-ref': purl,
      name,
      version: p.version,
      purl,
      scope: p.optional || p.devOptional ? 'optional' : 'required',
      hashes: integrityHashes(p.integrity),
      ...(p.license ? { licenses: [licence(p.license)] } : {}),
      ...(p.resolved ? { externalReferences: [{ type: 'distribution', url: p.resolved }] } : {}),
    });
  }
  const deps = new Map<string, Set<string>>();
  const edge = (from: string, to: string) => {
    const s = deps.get(from) ?? new Set<string>();
    s.add(to);
    deps.set(from, s);
  };
  for (const [path, p] of Object.entries(packages)) {
    const from = path === '' ? rootRef : refByPath.get(path);
    if (!from) continue;
    for (const dep of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) {
      const target = resolveDep(packages, path, dep);
      const to = target ? refByPath.get(target) : undefined;
      if (to) edge(from, to);
    }
  }
  const modelComponents = models.map(modelComponent);
  for (const m of modelComponents) edge(rootRef, m['bom-ref'] as string);
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: opts.serial ?? `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: (opts.timestamp ?? new Date()).toISOString(),
      tools: { components: [{ type: 'application', name: 'airlock', version: rootVersion }] },
      component: {
        type: 'application',
        'bom-ref': rootRef,
        name: rootName,
        version: rootVersion,
        purl: rootRef,
      },
    },
    components: [...components, ...modelComponents],
    dependencies: [
      ...[...deps.entries()].map(([ref, on]) => ({ ref, dependsOn: [...on].sort() })),
      ...components
        .filter((c) => !deps.has(c['bom-ref'] as string))
        .map((c) => ({ ref: c['bom-ref'], dependsOn: [] })),
    ],
  };
}
