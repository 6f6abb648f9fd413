// airlock audit export|verify|prove|verify-proof|consistency|trace — the auditor's side of P9.
// `verify` and `verify-proof` work fully offline on exported files; the rest open the log itself
// (--config FILE, or --data DIR for <DIR>/audit.db and <DIR>/secrets/audit-signing.key).
// Exit codes: 0 verified, 1 verification failed or error, 2 usage.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { exportAuditBundle } from '../../evidence/bundle/export.ts';
import { proveEntry, verifyProofFile } from '../../evidence/bundle/proof-file.ts';
import { verifyAuditBundle } from '../../evidence/bundle/verify.ts';
import { auditConfigSchema } from '../../evidence/config.ts';
import { decodeEntry } from '../../evidence/entry.ts';
import { verifyConsistency } from '../../evidence/merkle/verify.ts';
import { loadSignerKey } from '../../evidence/note/signer-key.ts';
import { openAuditLog } from '../../evidence/open.ts';
import { openSqliteAuditLog } from '../../evidence/sqlite/audit-log.ts';
import type { AuditEntry, AuditLog, NoteSigner } from '../../evidence/types.ts';
import { copyCosignedNotes, verifyBundleCosignatures } from '../../evidence/witness/bundle.ts';
import { parseFlags, printJson, UsageError } from '../args.ts';
import { applyEgressPolicy } from '../runtime.ts';
import type { CliCommand, CliIo } from '../types.ts';

const usage = `usage:
  airlock audit export       (--config FILE | --data DIR) --out DIR [--json]
  airlock audit verify       DIR [--key VKEY|FILE] [--witness VKEY|FILE ...] [--k N] [--json]
  airlock audit prove        INDEX (--config FILE | --data DIR) [--out FILE] [--json]
  airlock audit verify-proof FILE [--key VKEY|FILE | --config FILE | --data DIR] [--json]
  airlock audit consistency  OLD NEW (--config FILE | --data DIR) [--json]
  airlock audit trace        REQUEST_ID | --change ID (--config FILE | --data DIR) [--json]
verify checks every entry, tree node and signed checkpoint of an exported bundle offline and names the
first divergent entry index on tampering. Pass --key with the log's public key obtained out of band;
without it the key shipped inside the bundle is used (and the report says so). With --witness, at least
k (default: all) of the named witnesses must have cosigned a checkpoint covering the entries.`;

const flags = {
  config: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  key: { type: 'string' },
  change: { type: 'string' },
  witness: { type: 'string', multiple: true },
  k: { type: 'string' },
  json: { type: 'boolean' },
} as const;

interface Opened {
  readonly log: AuditLog;
  readonly signer: NoteSigner;
  /** Where the gateway stores k-of-n cosigned checkpoints. */
  readonly cosignedDir: string;
}

async function openFrom(values: { config?: string; data?: string }, io: CliIo): Promise<Opened> {
  if (values.config !== undefined) {
    const loaded = await loadConfig(resolve(io.cwd, values.config));
    applyEgressPolicy(loaded, io);
    const raw = (loaded.config as { audit?: unknown }).audit;
    const store = loaded.config.store;
    const audit = auditConfigSchema.parse(raw);
    const opened = await openAuditLog(audit, {
      dataDir: loaded.dataDir,
      ...(store.driver === 'postgres' ? { storeUrl: store.url } : {}),
    });
    return { ...opened, cosignedDir: resolve(loaded.dataDir, audit.witnessing.dir) };
  }
  if (values.data !== undefined) {
    const dir = resolve(io.cwd, values.data);
    const signer = loadSignerKey(join(dir, 'secrets', 'audit-signing.key'));
    const path = join(dir, 'audit.db');
    if (!existsSync(path)) throw new UsageError(`${path} does not exist`);
    return { log: openSqliteAuditLog({ path, signer }), signer, cosignedDir: join(dir, 'audit-cosigned') };
  }
  throw new UsageError('--config FILE or --data DIR is required');
}

function trustedKey(key: string | undefined, io: CliIo): string | undefined {
  if (key === undefined) return undefined;
  const path = resolve(io.cwd, key);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : key;
}

const positiveInt = (v: string | undefined, what: string): number => {
  if (v === undefined || !/^(0|[1-9][0-9]*)$/.test(v)) throw new UsageError(`${what} must be a whole number`);
  return Number(v);
};

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'export, verify and prove the tamper-evident audit log',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const say = (json: boolean | undefined, value: unknown, text: string) =>
      json ? printJson(io.stdout, value) : io.stdout.write(`${text}\n`);
    switch (sub) {
      case 'verify': {
        const { values, positionals } = parseFlags(rest, flags, 1);
        if (positionals[0] === undefined) throw new UsageError('verify needs the bundle folder');
        const key = trustedKey(values.key, io);
        const report = verifyAuditBundle(
          resolve(io.cwd, positionals[0]),
          key === undefined ? {} : { publicKey: key },
        );
        const lines = report.ok
          ? [
              `OK: ${report.entries} entries, ${report.verifiedCheckpoints}/${report.checkpoints} checkpoints verified, root ${report.root}`,
              ...(report.unsignedEntries > 0
                ? [`note: ${report.unsignedEntries} entries after the last checkpoint`]
                : []),
            ]
          : [
              `FAILED: first divergent entry index ${report.firstDivergentIndex ?? 'unknown'}`,
              ...report.problems.slice(0, 20).map((p) => `  - ${p.message}`),
            ];
        if (report.keySource === 'bundle')
          lines.push('warning: verified with the key inside the bundle; pass --key');
        const witnessKeys = (values.witness ?? []).map((w) => trustedKey(w, io)!);
        if (values.k !== undefined && witnessKeys.length === 0)
          throw new UsageError('--k needs --witness VKEY');
        let witnesses: ReturnType<typeof verifyBundleCosignatures> | undefined;
        if (witnessKeys.length > 0) {
          const k = values.k === undefined ? witnessKeys.length : positiveInt(values.k, '--k');
          try {
            witnesses = verifyBundleCosignatures(
              resolve(io.cwd, positionals[0]),
              witnessKeys,
              k,
              key === undefined ? {} : { logVkey: key },
            );
          } catch (err) {
            if (err instanceof RangeError) throw new UsageError(err.message);
            throw err;
          }
          lines.push(
            witnesses.ok
              ? `witnessed: ${witnesses.witnessedSize}/${witnesses.entries} entries by >= ${witnesses.k} of ${witnesses.n} witnesses`
              : `FAILED witnesses:\n${witnesses.problems.map((p) => `  - ${p}`).join('\n')}`,
          );
        }
        say(values.json, { ...report, ...(witnesses ? { witnesses } : {}) }, lines.join('\n'));
        return report.ok && (witnesses?.ok ?? true) ? 0 : 1;
      }
      case 'verify-proof': {
        const { values, positionals } = parseFlags(rest, flags, 1);
        if (positionals[0] === undefined) throw new UsageError('verify-proof needs the proof file');
        let key = trustedKey(values.key, io);
        if (key === undefined) {
          const opened = await openFrom(values, io);
          key = opened.signer.vkey;
          await opened.log.close();
        }
        const r = verifyProofFile(readFileSync(resolve(io.cwd, positionals[0]), 'utf8'), { publicKey: key });
        say(
          values.json,
          r,
          r.ok ? `OK: entry ${r.index} is in the signed tree of size ${r.size}` : `FAILED: ${r.reason}`,
        );
        return r.ok ? 0 : 1;
      }
      case 'export':
      case 'prove':
      case 'consistency':
      case 'trace':
        return withLog(sub, rest, io, say);
      default:
        throw new UsageError('expected export, verify, prove, verify-proof, consistency or trace');
    }
  },
};

/** One entry as an assessor reads it: who, what was decided at each stage, where it went, what it cost. */
function storyLine(e: AuditEntry): string {
  const d = e.detail as Record<string, unknown>;
  const head = `#${e.index} ${e.time} ${e.type} ${e.outcome}${e.code ? ` (${e.code})` : ''}`;
  const who = e.principal
    ? `  principal: ${e.principal.kind} ${e.principal.id} via ${e.principal.credentialId ?? '-'}`
    : undefined;
  const trail = Array.isArray(d.trail)
    ? (d.trail as { stage: string; outcome: string; code?: string; detail?: Record<string, unknown> }[]).map(
        (t) =>
          `  ${t.stage}: ${t.outcome}${t.code ? ` ${t.code}` : ''}${t.detail ? ` ${JSON.stringify(t.detail)}` : ''}`,
      )
    : [];
  const facts = [
    'operation',
    'model',
    'upstream',
    'upstreamStatus',
    'usage',
    'findings',
    'durationMs',
    'change',
    'actor',
    'kind',
    'version',
  ]
    .filter(
      (k) =>
        d[k] !== undefined && d[k] !== null && !(Array.isArray(d[k]) && (d[k] as unknown[]).length === 0),
    )
    .map((k) => `  ${k}: ${JSON.stringify(d[k])}`);
  return [head, ...(who ? [who] : []), ...trail, ...facts].join('\n');
}

async function withLog(
  sub: string,
  rest: readonly string[],
  io: CliIo,
  say: (json: boolean | undefined, value: unknown, text: string) => unknown,
): Promise<number> {
  const { values, positionals } = parseFlags(
    rest,
    flags,
    sub === 'consistency' ? 2 : sub === 'export' ? 0 : 1,
  );
  const { log, signer, cosignedDir } = await openFrom(values, io);
  try {
    if (sub === 'export') {
      if (values.out === undefined) throw new UsageError('--out DIR is required');
      // Sign the current tree first so every exported entry is covered by a checkpoint.
      await log.publishCheckpoint();
      const m = await exportAuditBundle(log, resolve(io.cwd, values.out), {
        origin: signer.name,
        vkey: signer.vkey,
      });
      const cosigned = copyCosignedNotes(cosignedDir, resolve(io.cwd, values.out), m.size);
      say(
        values.json,
        { ...m, cosigned },
        `exported ${m.size} entries, ${m.checkpoints} checkpoints and ${cosigned} cosigned checkpoints to ${values.out}`,
      );
      return 0;
    }
    if (sub === 'prove') {
      const index = positiveInt(positionals[0], 'INDEX');
      if (index >= (await log.size())) throw new UsageError(`entry ${index} does not exist`);
      let cp = await log.checkpoint();
      if (cp === null || cp.size <= index) cp = await log.publishCheckpoint();
      const text = await proveEntry(log, index, cp);
      if (values.out !== undefined) writeFileSync(resolve(io.cwd, values.out), text);
      if (values.json) printJson(io.stdout, { index, size: cp.size, proof: text });
      else if (values.out === undefined) io.stdout.write(text);
      else io.stdout.write(`wrote proof of entry ${index} in tree ${cp.size} to ${values.out}\n`);
      return 0;
    }
    if (sub === 'consistency') {
      const m = positiveInt(positionals[0], 'OLD');
      const n = positiveInt(positionals[1], 'NEW');
      if (m === 0 || m > n) throw new UsageError('need 0 < OLD <= NEW');
      const proof = await log.consistencyProof(m, n);
      const cps = new Map((await log.checkpoints()).map((c) => [c.size, c]));
      const a = cps.get(m);
      const b = cps.get(n);
      const check = a && b ? verifyConsistency(m, n, proof, a.root, b.root) : undefined;
      const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');
      const out = {
        size1: m,
        size2: n,
        proof: proof.map(b64),
        ...(a ? { root1: b64(a.root) } : {}),
        ...(b ? { root2: b64(b.root) } : {}),
        verified: check?.ok ?? null,
      };
      const verdict =
        check === undefined
          ? 'no stored checkpoints at both sizes to check against'
          : check.ok
            ? 'consistent'
            : `INCONSISTENT: ${check.reason}`;
      say(values.json, out, `${out.proof.join('\n')}\n${verdict}`);
      return check === undefined || check.ok ? 0 : 1;
    }
    if (values.change !== undefined) {
      // A config or policy change: every step (proposal, approval or refusal, application) names it.
      const size = await log.size();
      const entries: AuditEntry[] = [];
      for (let from = 0; from < size; from += 1000)
        for (const e of await log.entries(from, Math.min(size, from + 1000))) {
          const entry = decodeEntry(e.data).entry;
          const d = entry.detail as Record<string, unknown>;
          if (d.id === values.change || d.changeId === values.change) entries.push(entry);
        }
      say(
        values.json,
        { change: values.change, entries },
        entries.length === 0 ? `no entries for change ${values.change}` : entries.map(storyLine).join('\n'),
      );
      return 0;
    }
    const requestId = positionals[0];
    if (requestId === undefined) throw new UsageError('trace needs a request id (or --change ID)');
    const entries = (await log.entriesByRequest(requestId)).map((e) => decodeEntry(e.data).entry);
    say(
      values.json,
      { requestId, entries },
      entries.length === 0 ? `no entries for ${requestId}` : entries.map(storyLine).join('\n'),
    );
    return 0;
  } finally {
    await log.close();
  }
}
