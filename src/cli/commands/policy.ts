// airlock policy test|explain|whatcan — run the same Cedar decision point the gateway runs, offline.
// Policies come from --policies FILE (repeatable; default: the shipped defaults).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../config/load.ts';
import { AirlockError } from '../../errors.ts';
import { createCedarDecisionPoint } from '../../policy/cedar-decision-point.ts';
import { defaultPolicySource } from '../../policy/compile.ts';
import type {
  Decision,
  DecisionContext,
  DecisionPoint,
  DecisionRequest,
  EntityRef,
  PolicyAction,
  PolicyEntity,
} from '../../policy/types.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../types.ts';

const usage = `usage:
  airlock policy test FILE [--policies FILE]... [--json]
  airlock policy explain --principal P --action A --resource R [--context JSON] [--entities FILE] [--policies FILE]... [--json]
  airlock policy whatcan PRINCIPAL [--models a,b | --config FILE] [--entities FILE] [--policies FILE]... [--json]
An entity is Type::"id" (ServiceAccount::"billing", Model::"gpt-4o") or a JSON object
{"type":"ServiceAccount","id":"billing","attrs":{"kind":"client","scopes":{"models":["*"],"endpoints":["*"]}}}.
Attributes of Type::"id" entities come from --entities (a JSON or YAML list); a Model without them
gets alias = id and tier = "standard". A test FILE (YAML or JSON) holds
  cases: [{ name, principal, action, resource, context?, expect: allow|deny|needs-approval|needs-step-up, policies?: [ids] }]
and optionally entities: [...]; exit status 1 when any case does not match.`;

const kinds = new Set(['allow', 'deny', 'needs-approval', 'needs-step-up']);

function readDoc(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(
      `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
}

function parseRef(spec: string): EntityRef {
  const m = /^([A-Za-z_][\w:]*?)::(?:"((?:[^"\\]|\\.)*)"|(.+))$/.exec(spec.trim());
  if (!m) throw new UsageError(`not an entity: ${spec} (expected Type::"id" or a JSON object)`);
  return { type: m[1]!.replace(/^Airlock::/, ''), id: m[2] !== undefined ? JSON.parse(`"${m[2]}"`) : m[3]! };
}

function asEntity(value: unknown, what: string): PolicyEntity {
  if (typeof value === 'string')
    return value.trim().startsWith('{') ? asEntity(JSON.parse(value), what) : parseRef(value);
  const v = value as Partial<PolicyEntity> | null;
  if (!v || typeof v !== 'object' || typeof v.type !== 'string' || typeof v.id !== 'string')
    throw new UsageError(`${what}: expected Type::"id" or {"type","id","attrs"?,"parents"?}`);
  return {
    type: v.type.replace(/^Airlock::/, ''),
    id: v.id,
    attrs: v.attrs ?? {},
    parents: (v.parents ?? []).map((p) => asEntity(p, `${what}.parents`)),
    ...(v.tags ? { tags: v.tags } : {}),
  };
}

interface Directory {
  resolve(e: PolicyEntity): PolicyEntity;
  readonly others: PolicyEntity[];
}

/** Fills in attributes of bare Type::"id" references from an entity list. */
function directory(list: readonly PolicyEntity[]): Directory {
  const byUid = new Map(list.map((e) => [`${e.type}::${e.id}`, e]));
  return {
    resolve(e) {
      if (e.attrs && Object.keys(e.attrs).length > 0) return e;
      const known = byUid.get(`${e.type}::${e.id}`);
      if (known) return known;
      if (e.type === 'Model') return { ...e, attrs: { alias: e.id, tier: 'standard' } };
      return e;
    },
    others: [...list],
  };
}

function entityList(value: unknown, what: string): PolicyEntity[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new UsageError(`${what}: expected a list of entities`);
  return value.map((e, i) => asEntity(e, `${what}[${i}]`));
}

function buildPdp(files: readonly string[] | undefined): DecisionPoint {
  const policyFiles = files?.length ? [...files] : [defaultPolicySource().name];
  return createCedarDecisionPoint({ policies: '', policyFiles, version: 'cli', cacheSize: 1_000 });
}

function request(
  dir: Directory,
  principal: unknown,
  action: unknown,
  resource: unknown,
  context: unknown,
  what: string,
): DecisionRequest {
  if (typeof action !== 'string' || action === '') throw new UsageError(`${what}: action is required`);
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context)))
    throw new UsageError(`${what}: context must be an object`);
  const p = dir.resolve(asEntity(principal, `${what}.principal`));
  const r = dir.resolve(asEntity(resource, `${what}.resource`));
  const entities = dir.others.filter(
    (e) => !(e.type === p.type && e.id === p.id) && !(e.type === r.type && e.id === r.id),
  );
  return {
    principal: p,
    action: action as PolicyAction,
    resource: r,
    context: (context ?? {}) as DecisionContext,
    entities,
  };
}

function show(d: Decision): string {
  const lines = [`decision: ${d.kind}`, `policies: ${d.policies.length ? d.policies.join(', ') : '(none)'}`];
  for (const r of d.reasons) lines.push(`  ${r}`);
  const o = d.obligations;
  if (o.approval.length) lines.push(`approval: ${o.approval.join(', ')}`);
  if (o.stepUp.length) lines.push(`step-up: ${o.stepUp.join(', ')}`);
  if (o.ttlMs !== undefined) lines.push(`ttl: ${o.ttlMs} ms`);
  if (o.review) lines.push('review: required (break-glass)');
  return `${lines.join('\n')}\n`;
}

const publicDecision = (d: Decision) => ({
  decision: d.kind,
  policies: d.policies,
  reasons: d.reasons,
  obligations: d.obligations,
});

async function runTest(file: string, pdp: DecisionPoint, json: boolean, io: CliIo): Promise<number> {
  const doc = readDoc(file) as { cases?: unknown; entities?: unknown } | null;
  if (!doc || !Array.isArray(doc.cases)) throw new UsageError(`${file}: expected a "cases" list`);
  const dir = directory(entityList(doc.entities, 'entities'));
  const results = doc.cases.map((raw: unknown, i: number) => {
    const c = (raw ?? {}) as Record<string, unknown>;
    const name = typeof c.name === 'string' ? c.name : `case ${i + 1}`;
    if (typeof c.expect !== 'string' || !kinds.has(c.expect))
      throw new UsageError(`${name}: expect must be allow, deny, needs-approval or needs-step-up`);
    const d = pdp.decide(request(dir, c.principal, c.action, c.resource, c.context, name));
    const wantPolicies = Array.isArray(c.policies) ? (c.policies as string[]) : undefined;
    const policiesOk =
      !wantPolicies || [...wantPolicies].sort().join('\0') === [...d.policies].sort().join('\0');
    return {
      name,
      pass: d.kind === c.expect && policiesOk,
      expect: c.expect,
      expectPolicies: wantPolicies,
      ...publicDecision(d),
    };
  });
  const failed = results.filter((r) => !r.pass);
  if (json)
    printJson(io.stdout, { passed: results.length - failed.length, failed: failed.length, cases: results });
  else {
    for (const r of results) {
      io.stdout.write(`${r.pass ? 'ok  ' : 'FAIL'}  ${r.name}: ${r.decision}`);
      if (!r.pass)
        io.stdout.write(
          ` (expected ${r.expect}${r.expectPolicies ? ` by ${r.expectPolicies.join(', ') || '(none)'}` : ''}; decided by ${r.policies.join(', ') || '(none)'})`,
        );
      io.stdout.write('\n');
    }
    io.stdout.write(`${results.length - failed.length} passed, ${failed.length} failed\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

const modelActions: PolicyAction[] = ['chat', 'complete', 'embed', 'models/list'];
const adminActions: PolicyAction[] = [
  'admin/keys.create',
  'admin/keys.list',
  'admin/keys.revoke',
  'admin/keys.rotate',
  'admin/policies.read',
  'admin/policies.propose',
  'admin/policies.approve',
  'admin/approvals.decide',
  'admin/breakglass.open',
  'admin/audit.read',
  'admin/tasks.revoke',
  'admin/tasks.list',
];

export const policyCommand: CliCommand = {
  name: 'policy',
  summary: 'test policies against cases, explain a decision, list what a principal may do',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const flags = {
      policies: { type: 'string', multiple: true },
      principal: { type: 'string' },
      action: { type: 'string' },
      resource: { type: 'string' },
      context: { type: 'string' },
      entities: { type: 'string' },
      models: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
    } as const;
    if (!sub || !['test', 'explain', 'whatcan'].includes(sub))
      throw new UsageError('expected test, explain or whatcan');
    const { values, positionals } = parseFlags(rest, flags, 1);
    let pdp: DecisionPoint;
    try {
      pdp = buildPdp(values.policies);
    } catch (err) {
      if (!(err instanceof AirlockError) || err.code !== 'config_invalid') throw err;
      if (values.json) printJson(io.stdout, { valid: false, error: err.detail });
      else io.stderr.write(`${err.detail}\n`);
      return 2;
    }
    const json = values.json === true;
    const dir = directory(values.entities ? entityList(readDoc(values.entities), 'entities') : []);

    if (sub === 'test') {
      const file = positionals[0];
      if (!file) throw new UsageError('expected a test file');
      return runTest(file, pdp, json, io);
    }

    if (sub === 'explain') {
      let context: unknown;
      if (values.context !== undefined)
        try {
          context = JSON.parse(values.context);
        } catch {
          throw new UsageError('--context takes a JSON object');
        }
      const req = request(
        dir,
        requireFlag(values.principal, 'principal'),
        requireFlag(values.action, 'action'),
        requireFlag(values.resource, 'resource'),
        context,
        'explain',
      );
      const d = pdp.decide(req);
      if (json) printJson(io.stdout, { version: pdp.version, ...publicDecision(d) });
      else io.stdout.write(show(d));
      return 0;
    }

    // whatcan
    const spec = positionals[0] ?? values.principal;
    if (!spec) throw new UsageError('expected a principal');
    const principal = dir.resolve(asEntity(spec, 'principal'));
    let aliases: string[];
    if (values.models !== undefined)
      aliases = values.models
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (values.config !== undefined)
      aliases = (await loadConfig(values.config)).config.models.map((m) => m.alias);
    else aliases = dir.others.filter((e) => e.type === 'Model').map((e) => e.id);
    const models = aliases.map((a) => dir.resolve({ type: 'Model', id: a }));
    const extra = dir.others.filter((e) => !(e.type === principal.type && e.id === principal.id));
    const allowedModels: Record<string, string[]> = {};
    for (const action of modelActions)
      allowedModels[action] = pdp.listAllowed(principal, action, models, {}, extra).map((m) => m.id);
    const catalog = pdp.decide({
      principal,
      action: 'models/list',
      resource: { type: 'Catalog', id: 'models' },
      entities: extra,
    });
    const admin = adminActions.filter(
      (action) =>
        pdp.decide({
          principal,
          action,
          resource: { type: 'AdminObject', id: action.slice(6).split('.')[0]! },
          entities: extra,
        }).kind !== 'deny',
    );
    const out = {
      principal: `${principal.type}::"${principal.id}"`,
      listModels: catalog.kind !== 'deny',
      models: allowedModels,
      admin,
    };
    if (json) printJson(io.stdout, out);
    else {
      io.stdout.write(`${out.principal}\n  GET /v1/models: ${out.listModels ? 'allowed' : 'denied'}\n`);
      for (const [action, ids] of Object.entries(allowedModels))
        io.stdout.write(`  ${action.padEnd(12)} ${ids.length ? ids.join(', ') : '(none)'}\n`);
      io.stdout.write(`  admin        ${admin.length ? admin.join(', ') : '(none)'}\n`);
    }
    return 0;
  },
};
