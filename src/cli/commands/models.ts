// airlock models import|list|show|approve|activate|suspend|deprecate|revoke|rollback|verify|
// export-bundle|keygen — model custody (P7) straight against <dataDir>/custody.db. Every change is
// appended to the audit log before the command reports success.
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { durationMs } from '../../config/duration.ts';
import { stderrProgress } from '../../custody/digest.ts';
import { exportBundle, importModel } from '../../custody/import.ts';
import type { Inventory } from '../../custody/inventory.ts';
import { parsePrivateKey } from '../../custody/manifest.ts';
import { storePath } from '../../custody/model-store.ts';
import { loadConfigWithCustody, openCustody } from '../../custody/open.ts';
import { verifyBeforeLoad } from '../../custody/serving.ts';
import { type CustodyEvent, type ModelVersion, modelVersionSummary, riskTiers } from '../../custody/types.ts';
import { AirlockError } from '../../errors.ts';
import { toJsonObject } from '../../http/stages/record.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import { openCliRuntime } from '../runtime.ts';
import type { CliCommand } from '../types.ts';
import { compareVersions, formatComparison } from './models-compare.ts';
import { proposalLine, proposeThroughAdmin, runProposals } from './models-proposals.ts';

const usage = `usage:
  airlock models import PATH --config FILE [--signature SIG] [--allow-flagged-template] [--json]
         (without a manifest, only when custody.allowUnsigned: --name N --version V [--owner O]
          [--licence L] [--source S] [--intended-use TEXT] [--risk-tier ${riskTiers.join('|')}])
  airlock models list --config FILE [--json]
  airlock models show NAME@VERSION|ALIAS --config FILE [--json]
  airlock models approve|suspend|deprecate|revoke NAME@VERSION --config FILE [--reason TEXT] [--json]
  airlock models activate NAME@VERSION [--alias ALIAS] --config FILE [--reason TEXT] [--json]
  airlock models rollback ALIAS NAME@VERSION --config FILE [--reason TEXT] [--json]
  airlock models verify NAME@VERSION --config FILE [--json]
  airlock models export-bundle NAME@VERSION --out DIR --key KEYFILE --config FILE [--json]
  airlock models proposals [list [--status S] | approve ID | reject ID] --config FILE [--url URL] [--json]
  airlock models compare A B --config FILE [--since 24h] [--json]
  airlock models keygen --out KEYFILE [--json]
PATH is a bundle folder (airlock-model.json + airlock-model.json.sig + files), a manifest, or an
artefact; or a model folder (or file) signed with OpenSSF model signing: model.sig (a Sigstore
bundle) inside it or given with --signature, verified offline against custody.modelSigning (a
pinned public key, a CA, or a Sigstore trusted root for keyless bundles) — pass --version V; the
name defaults to the signed model name.
The signature must verify against a key in custody.trustedKeys; unsigned imports are
refused unless custody.allowUnsigned is true. States: imported → approved → active; suspended,
deprecated, revoked (final). Only approved and active versions are loaded or routed to.
With custody.twoPerson (the default), approve, activate and rollback are proposals made through the
admin API (--url or AIRLOCK_URL, AIRLOCK_ADMIN_KEY) that a different admin approves with
\`models proposals approve ID\`; suspend, deprecate and revoke act at once. compare reads the
per-version statistics the gateway keeps (requests, error rate, time to first token, tokens/s).`;

const subs = [
  'import',
  'list',
  'show',
  'approve',
  'activate',
  'suspend',
  'deprecate',
  'revoke',
  'rollback',
  'verify',
  'export-bundle',
  'keygen',
  'proposals',
  'compare',
];

const transitions = {
  approve: 'approved',
  suspend: 'suspended',
  deprecate: 'deprecated',
  revoke: 'revoked',
} as const;

function describe(v: ModelVersion, aliases: Record<string, string>): string {
  const lines = [
    `${v.id}  ${v.state}`,
    `  digest     sha256:${v.digest}`,
    `  format     ${v.format}, ${v.size} bytes, ${v.files.length} file(s)`,
    `  owner      ${v.owner}`,
    `  licence    ${v.licence}`,
    `  source     ${v.source}`,
    `  intended   ${v.intendedUse || '-'}`,
    `  risk tier  ${v.riskTier}`,
    `  signed by  ${v.signedBy}`,
    `  imported   ${v.importedAt}; state since ${v.stateChangedAt}`,
  ];
  const pointing = Object.entries(aliases)
    .filter(([, id]) => id === v.id)
    .map(([a]) => a);
  if (pointing.length) lines.push(`  aliases    ${pointing.join(', ')}`);
  if (v.gguf)
    lines.push(
      `  gguf       v${v.gguf.ggufVersion}, ${v.gguf.architecture ?? '?'}, ${v.gguf.quantization ?? '?'}, context ${v.gguf.contextLength ?? '?'}, ${v.gguf.chatTemplate ? 'chat template' : 'no chat template'}`,
    );
  for (const f of v.templateFindings) lines.push(`  FLAGGED    chat template: ${f.pattern} (${f.why})`);
  for (const f of v.files) lines.push(`  file       ${f.sha256}  ${f.size}  ${f.path}`);
  return `${lines.join('\n')}\n`;
}

function find(inv: Inventory, ref: string): ModelVersion {
  const v = inv.get(ref) ?? inv.resolveAlias(ref);
  if (!v) throw new AirlockError('model_transition_refused', { detail: `no model version or alias ${ref}` });
  return v;
}

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'model custody: import, approve, activate, revoke, roll back, export signed bundles',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !subs.includes(sub)) throw new UsageError(`expected ${subs.join(', ')}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        config: { type: 'string' },
        signature: { type: 'string' },
        name: { type: 'string' },
        version: { type: 'string' },
        owner: { type: 'string' },
        licence: { type: 'string' },
        source: { type: 'string' },
        'intended-use': { type: 'string' },
        'risk-tier': { type: 'string' },
        'allow-flagged-template': { type: 'boolean' },
        alias: { type: 'string' },
        reason: { type: 'string' },
        out: { type: 'string' },
        key: { type: 'string' },
        url: { type: 'string' },
        status: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean' },
      },
      2,
    );
    const json = values.json === true;
    const say = (doc: unknown, text: string) => {
      if (json) printJson(io.stdout, doc);
      else io.stdout.write(`${text}\n`);
    };
    if (sub === 'keygen') return keygen(requireFlag(values.out, 'out'), say);
    const want = sub === 'rollback' || sub === 'compare' ? 2 : sub === 'list' ? 0 : 1;
    if (sub !== 'proposals' && positionals.length !== want)
      throw new UsageError(
        `${sub} expects ${want === 0 ? 'no arguments' : want === 1 ? 'one argument' : 'ALIAS and NAME@VERSION'}`,
      );
    if (values['risk-tier'] !== undefined && !(riskTiers as readonly string[]).includes(values['risk-tier']))
      throw new UsageError(`--risk-tier takes ${riskTiers.join(', ')}`);
    const { loaded, custody } = await loadConfigWithCustody(requireFlag(values.config, 'config'));
    const actor = `cli:${io.env.USER ?? 'unknown'}`;
    const reason = values.reason;

    if (sub === 'proposals')
      return runProposals(io, loaded, {
        url: values.url,
        positionals,
        ...(values.status !== undefined ? { status: values.status } : {}),
        json,
      });
    if (sub === 'compare') {
      let sinceMs: number;
      try {
        sinceMs = durationMs(values.since ?? '24h');
      } catch {
        throw new UsageError('--since takes a duration such as 1h, 24h or 7d');
      }
      const opened = openCustody(loaded.dataDir, custody);
      try {
        const c = compareVersions(opened.inventory, loaded.dataDir, positionals as [string, string], sinceMs);
        if (json) printJson(io.stdout, c);
        else io.stdout.write(formatComparison(c));
        return 0;
      } finally {
        opened.close();
      }
    }
    // Two-person custody: approve, activate and rollback become proposals on the admin API.
    if (custody.twoPerson && (sub === 'approve' || sub === 'activate' || sub === 'rollback')) {
      const opened = openCustody(loaded.dataDir, custody);
      let version: string;
      try {
        const inv = opened.inventory;
        if (sub === 'rollback') {
          const current = inv.resolveAlias(positionals[0]!);
          const ref = positionals[1]!;
          version = (inv.get(ref) ?? (current ? inv.get(`${current.name}@${ref}`) : undefined))?.id ?? ref;
        } else version = find(inv, positionals[0]!).id;
      } finally {
        opened.close();
      }
      const alias = sub === 'rollback' ? positionals[0] : values.alias;
      const p = await proposeThroughAdmin(io, loaded, values.url, {
        action: sub,
        version,
        ...(alias !== undefined ? { alias } : {}),
        ...(reason !== undefined ? { reason } : {}),
      });
      say(
        p,
        `${proposalLine(p)}
${p.status === 'proposed' ? `a different admin approves it with: airlock models proposals approve ${p.id} --config FILE --url URL` : ''}`.trimEnd(),
      );
      return 0;
    }

    // Read-only subcommands touch neither the store nor the audit log.
    if (sub === 'list' || sub === 'show' || sub === 'verify' || sub === 'export-bundle') {
      const opened = openCustody(loaded.dataDir, custody);
      try {
        const inv = opened.inventory;
        if (sub === 'list') {
          const versions = inv.list();
          const aliases = inv.aliases();
          if (json) printJson(io.stdout, { versions: versions.map(modelVersionSummary), aliases });
          else {
            for (const v of versions)
              io.stdout.write(
                `${v.id.padEnd(32)} ${v.state.padEnd(10)} ${v.digest.slice(0, 16)}  ${v.riskTier.padEnd(8)} ${v.signedBy}${v.templateFindings.length ? '  FLAGGED' : ''}\n`,
              );
            for (const [a, id] of Object.entries(aliases)) io.stdout.write(`alias ${a} → ${id}\n`);
          }
          return 0;
        }
        const v = find(inv, positionals[0]!);
        if (sub === 'show') {
          if (json)
            printJson(io.stdout, {
              ...v,
              aliases: Object.entries(inv.aliases())
                .filter(([, id]) => id === v.id)
                .map(([a]) => a),
            });
          else io.stdout.write(describe(v, inv.aliases()));
          return 0;
        }
        if (sub === 'verify') {
          // Re-hash every stored file; the same check the worker supervisor runs before loading.
          const results: { path: string; ok: boolean; error?: string }[] = [];
          for (const f of v.files) {
            try {
              await verifyBeforeLoad(inv, f.sha256, storePath(loaded.dataDir, f.sha256));
              results.push({ path: f.path, ok: true });
            } catch (err) {
              if (!(err instanceof AirlockError)) throw err;
              results.push({ path: f.path, ok: false, error: `${err.code}: ${err.detail ?? err.message}` });
            }
          }
          const ok = results.every((r) => r.ok);
          if (json) printJson(io.stdout, { id: v.id, state: v.state, ok, files: results });
          else
            for (const r of results)
              io.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.path}${r.error ? `: ${r.error}` : ''}\n`);
          return ok ? 0 : 1;
        }
        const keyText = await readFile(requireFlag(values.key, 'key'), 'utf8').catch(() => {
          throw new UsageError(`cannot read ${values.key}`);
        });
        let key: ReturnType<typeof parsePrivateKey>;
        try {
          key = parsePrivateKey(keyText);
        } catch (err) {
          throw new UsageError(`${values.key}: not an Ed25519 private key (${(err as Error).message})`);
        }
        const r = await exportBundle(v, {
          dataDir: loaded.dataDir,
          key,
          outDir: requireFlag(values.out, 'out'),
        });
        say(
          { id: v.id, digest: v.digest, ...r },
          `exported ${v.id} (${r.files} file(s)) to ${r.dir}, signed`,
        );
        return 0;
      } finally {
        opened.close();
      }
    }

    // Changes: recorded in custody.db, then appended to the audit log before success is reported.
    const runtime = await openCliRuntime(loaded, io);
    const pending: Promise<unknown>[] = [];
    const onEvent = (e: CustodyEvent) => {
      pending.push(
        runtime.audit.append({
          type: 'admin.change',
          outcome: 'info',
          principal: { kind: 'cli', id: actor },
          detail: toJsonObject({ change: e.type, ...e }),
        }),
      );
    };
    try {
      const opened = openCustody(loaded.dataDir, custody, onEvent);
      try {
        const inv = opened.inventory;
        let result: ModelVersion;
        let text: string;
        if (sub === 'import') {
          result = await importModel(
            {
              path: positionals[0]!,
              ...(values.signature !== undefined ? { signature: values.signature } : {}),
              ...(values.name !== undefined ? { name: values.name } : {}),
              ...(values.version !== undefined ? { version: values.version } : {}),
              metadata: {
                ...(values.owner !== undefined ? { owner: values.owner } : {}),
                ...(values.licence !== undefined ? { licence: values.licence } : {}),
                ...(values.source !== undefined ? { source: values.source } : {}),
                ...(values['intended-use'] !== undefined ? { intendedUse: values['intended-use'] } : {}),
                ...(values['risk-tier'] !== undefined
                  ? { riskTier: values['risk-tier'] as (typeof riskTiers)[number] }
                  : {}),
              },
              allowFlaggedTemplate: values['allow-flagged-template'] === true,
              actor,
            },
            {
              dataDir: loaded.dataDir,
              inventory: inv,
              trustedKeys: opened.trustedKeys,
              modelSigning: opened.modelSigning,
              allowUnsigned: custody.allowUnsigned,
              ...(json ? {} : { progress: (label: string) => stderrProgress(io.stderr, label) }),
            },
          );
          text = `imported ${result.id} (sha256:${result.digest}, ${result.files.length} file(s), signed by ${result.signedBy}); state imported — approve it before it can serve`;
          if (result.templateFindings.length)
            text += `\nFLAGGED chat template: ${result.templateFindings.map((f) => f.why).join('; ')}`;
        } else if (sub === 'activate') {
          const alias = values.alias;
          result = inv.activate(find(inv, positionals[0]!).id, {
            actor,
            ...(alias !== undefined ? { alias } : {}),
            ...(reason !== undefined ? { reason } : {}),
          });
          text = `${result.id} active; alias ${alias ?? result.name} → ${result.id}`;
        } else if (sub === 'rollback') {
          const [alias, ref] = positionals as [string, string];
          const current = inv.resolveAlias(alias);
          const target = inv.get(ref) ?? (current ? inv.get(`${current.name}@${ref}`) : undefined);
          if (!target)
            throw new AirlockError('model_transition_refused', { detail: `no model version ${ref}` });
          result = inv.rollback(alias, target.id, { actor, ...(reason !== undefined ? { reason } : {}) });
          text = `alias ${alias} rolled back from ${current?.id ?? '(none)'} to ${result.id}`;
        } else {
          const to = transitions[sub as keyof typeof transitions];
          result = inv.transition(find(inv, positionals[0]!).id, to, {
            actor,
            ...(reason !== undefined ? { reason } : {}),
          });
          text = `${result.id} ${to}`;
        }
        await Promise.all(pending);
        say({ ...modelVersionSummary(result), aliases: inv.aliases() }, text);
        return 0;
      } finally {
        opened.close();
      }
    } finally {
      await Promise.allSettled(pending);
      await runtime.close();
    }
  },
};

async function keygen(out: string, say: (doc: unknown, text: string) => void): Promise<number> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await writeFile(out, pem, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${out} (${err.code ?? 'error'}); it must not exist yet`);
  });
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  say(
    { privateKeyFile: out, publicKey: raw },
    `wrote ${out} (0600). Trust it on the receiving enclave with:\ncustody:\n  trustedKeys:\n    - name: <signer>\n      publicKey: ${raw}`,
  );
  return 0;
}
