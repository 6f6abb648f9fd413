// Model custody (P7): the records the inventory keeps and the events it emits. A model version is an
// immutable record (name, version, every file's digest, provenance, GGUF facts); only its state moves,
// and only along the transitions in `allowedTransitions`.

export const modelStates = ['imported', 'approved', 'active', 'suspended', 'deprecated', 'revoked'] as const;
export type ModelState = (typeof modelStates)[number];

/** Which state may follow which. revoked is terminal: a revoked artefact never serves again. */
export const allowedTransitions: Readonly<Record<ModelState, readonly ModelState[]>> = {
  imported: ['approved', 'revoked'],
  approved: ['active', 'suspended', 'deprecated', 'revoked'],
  active: ['approved', 'suspended', 'deprecated', 'revoked'],
  suspended: ['approved', 'deprecated', 'revoked'],
  deprecated: ['revoked'],
  revoked: [],
};

/** States in which an artefact may be loaded or routed to. Everything else is refused. */
export const servableStates: ReadonlySet<ModelState> = new Set(['approved', 'active']);

export const riskTiers = ['minimal', 'limited', 'high', 'unacceptable'] as const;
export type RiskTier = (typeof riskTiers)[number];

export interface ModelFile {
  /** Path relative to the model's root, `/`-separated. */
  readonly path: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly size: number;
}

export interface GgufFacts {
  readonly architecture?: string;
  readonly fileType?: number;
  /** Quantisation name derived from general.file_type (e.g. Q4_K_M). */
  readonly quantization?: string;
  readonly contextLength?: number;
  readonly name?: string;
  readonly license?: string;
  readonly chatTemplate?: string;
  readonly ggufVersion: number;
  readonly tensorCount: number;
}

export interface TemplateFinding {
  readonly pattern: string;
  readonly why: string;
}

export interface ModelVersionRecord {
  /** `name@version`; unique. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly files: readonly ModelFile[];
  /** SHA-256 over the sorted list of file digests (see overallDigest). */
  readonly digest: string;
  /** gguf, safetensors, … */
  readonly format: string;
  readonly size: number;
  readonly owner: string;
  readonly licence: string;
  readonly source: string;
  readonly intendedUse: string;
  readonly riskTier: RiskTier;
  readonly gguf?: GgufFacts;
  readonly templateFindings: readonly TemplateFinding[];
  /** How the import was verified: the trusted key's name, or "unsigned". */
  readonly signedBy: string;
  readonly importedAt: string;
}

export interface ModelVersion extends ModelVersionRecord {
  readonly state: ModelState;
  readonly stateChangedAt: string;
}

/** A version as listings show it (admin API and `airlock models … --json`): no files, template
 *  findings as a flag. */
export function modelVersionSummary(v: ModelVersion) {
  return {
    id: v.id,
    name: v.name,
    version: v.version,
    state: v.state,
    digest: v.digest,
    format: v.format,
    size: v.size,
    owner: v.owner,
    licence: v.licence,
    riskTier: v.riskTier,
    signedBy: v.signedBy,
    flagged: v.templateFindings.length > 0,
  };
}

export interface CustodyActor {
  readonly actor: string;
  readonly reason?: string;
}

/** Every change, emitted after it committed; the composition root appends it to the audit log. */
export type CustodyEvent =
  | {
      readonly type: 'model.imported';
      readonly id: string;
      readonly digest: string;
      readonly signedBy: string;
      readonly actor: string;
      readonly templateFindings: number;
    }
  | {
      readonly type: 'model.transition';
      readonly id: string;
      readonly digest: string;
      readonly from: ModelState;
      readonly to: ModelState;
      readonly actor: string;
      readonly reason?: string;
    }
  | {
      readonly type: 'model.alias';
      readonly alias: string;
      readonly from: string | null;
      readonly to: string;
      readonly rollback: boolean;
      readonly actor: string;
      readonly reason?: string;
    }
  | {
      readonly type: 'model.proposed';
      readonly proposal: string;
      readonly action: 'approve' | 'activate' | 'rollback';
      readonly id: string;
      readonly digest: string;
      readonly alias: string | null;
      readonly actor: string;
      readonly reason?: string;
    }
  | {
      readonly type: 'model.proposal_approved' | 'model.proposal_rejected';
      readonly proposal: string;
      readonly action: 'approve' | 'activate' | 'rollback';
      readonly id: string;
      readonly actor: string;
    };
