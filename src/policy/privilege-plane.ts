// Temporary and watched privilege (P8), composed once: approvals bound to exact requests, time-bound
// break-glass grants, and two-person changes to the policy set that hot-swap the decision point.
// The composition root takes the stages and routes from here.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AirlockConfig } from '../config/schema.ts';
import { AirlockError } from '../errors.ts';
import type { AuditEvent } from '../evidence/types.ts';
import type { AdminRoute } from '../http/admin-route.ts';
import {
  createObligationsStage,
  type ObligationsStage,
  type ObligationsStageDeps,
} from '../http/stages/obligations.ts';
import { toJsonObject } from '../http/stages/record.ts';
import { type ApprovalService, createApprovalService } from './approvals/approval-service.ts';
import { registerApprovalRoutes } from './approvals/routes.ts';
import { createSqliteApprovalRepo } from './approvals/sqlite-approval-repo.ts';
import { authzDatabasePath, openAuthzDatabase } from './approvals/sqlite-file.ts';
import { createBreakGlassService } from './breakglass/breakglass-service.ts';
import { registerBreakGlassRoutes } from './breakglass/routes.ts';
import { createSqliteGrantRepo } from './breakglass/sqlite-grant-repo.ts';
import { createCedarDecisionPoint } from './cedar-decision-point.ts';
import { createChangeService } from './changes/change-service.ts';
import { type ConfigChanges, createConfigChanges } from './changes/config-changes.ts';
import { registerChangeRoutes } from './changes/routes.ts';
import { createSqliteChangeRepo } from './changes/sqlite-change-repo.ts';
import { defaultPolicySource } from './compile.ts';
import type { PolicyConfig } from './config.ts';
import type { SameHolder } from './key-lineage.ts';
import { createStepUpService, type StepUpService } from './stepup/step-up-service.ts';
import type { DecisionPoint } from './types.ts';

export interface PrivilegePlane {
  /** The decision point in force; an approved policy change replaces what it delegates to. */
  readonly pdp: DecisionPoint;
  readonly obligations: ObligationsStage;
  /** The same approvals, break-glass and step-up for another surface's decision requests (/api). */
  obligationsFor(
    opts: Pick<ObligationsStageDeps, 'requestFor' | 'argumentsOf' | 'approvalUrl'>,
  ): ObligationsStage;
  /** Step-up markers of console sessions: the admin authorize stage and POST /admin/v1/stepup use it. */
  readonly stepUp: StepUpService;
  /** Approved config changes: live sections (the gateway subscribes its parts), restart pending. */
  readonly config: ConfigChanges | undefined;
  /** /readyz entries (a pending restart is reported, the node stays ready). */
  readiness(): Record<string, { ok: boolean; reason?: string }>;
  /** The approval workflow (MCP asks it directly: URL-mode elicitation retries name no approval id). */
  readonly approvals: ApprovalService;
  registerAdminRoutes(app: FastifyInstance, route: AdminRoute): void;
  counts(): Promise<{ breakGlassOpen: number; breakGlassUnreviewed: number; approvalsOpen: number }>;
  close(): void;
}

export interface PrivilegePlaneDeps {
  readonly dataDir: string;
  readonly configDir: string;
  readonly policy: PolicyConfig;
  readonly initial: DecisionPoint;
  readonly audit: { append(event: AuditEvent): Promise<unknown> };
  /** True iff `code` is a fresh TOTP code of user `principalId` (consumes the step). */
  readonly verifyTotp?: (principalId: string, code: string) => Promise<boolean>;
  readonly approvals?: { pendingTtlMs?: number; approvedTtlMs?: number };
  readonly breakGlass?: { maxTtlMs?: number; role?: string };
  /** How long a completed step-up lasts (default 10 min; never more than 15). */
  readonly stepUp?: { ttlMs?: number };
  /** The config file this node started from (its text is config v1); without it config changes are
   *  refused (nothing to validate them against). */
  readonly config?: { readonly text: string; readonly parsed: AirlockConfig };
  /** Principals that count as one person for every two-person rule here (see keyLineage). */
  readonly sameHolder?: SameHolder;
}

/** The text a policy change is diffed against: every source the node started with, in order. */
export function policySourceText(policy: PolicyConfig, configDir: string): string {
  const parts: string[] = [];
  if (policy.defaults) parts.push(defaultPolicySource().text);
  for (const f of policy.files) parts.push(readFileSync(isAbsolute(f) ? f : resolve(configDir, f), 'utf8'));
  if (policy.policies.trim()) parts.push(policy.policies);
  return parts.join('\n');
}

function swappable(initial: DecisionPoint): { dp: DecisionPoint; set(next: DecisionPoint): void } {
  let current = initial;
  const dp: DecisionPoint = {
    get version() {
      return current.version;
    },
    decide: (r) => current.decide(r),
    listAllowed: (...a) => current.listAllowed(...a),
    describe: () => current.describe(),
    get stats() {
      return current.stats;
    },
  };
  return { dp, set: (next) => (current = next) };
}

export async function createPrivilegePlane(deps: PrivilegePlaneDeps): Promise<PrivilegePlane> {
  const db = openAuthzDatabase(authzDatabasePath(deps.dataDir));
  const record = (event: { type: string }) => {
    deps.audit
      .append({
        type: 'admin.change',
        outcome: 'info',
        detail: toJsonObject({ change: event.type, ...event }),
      })
      .catch(() => {});
  };
  const approvals = createApprovalService({
    repo: createSqliteApprovalRepo(db),
    onEvent: record,
    sameHolder: deps.sameHolder,
    ...deps.approvals,
  });
  const breakGlass = createBreakGlassService({
    repo: createSqliteGrantRepo(db),
    sameHolder: deps.sameHolder,
    // Without local users there is no second factor to check: break-glass stays closed (fail closed).
    verifyTotp: deps.verifyTotp ?? (async () => false),
    onEvent: record,
    ...deps.breakGlass,
  });
  const swap = swappable(deps.initial);
  const compile = (text: string, version: string) =>
    createCedarDecisionPoint({ policies: text, version, cacheSize: deps.policy.cacheSize });
  const configChanges = deps.config
    ? createConfigChanges({ started: deps.config.parsed, onEvent: record })
    : undefined;
  const changes = createChangeService({
    repo: createSqliteChangeRepo(db),
    onEvent: record,
    sameHolder: deps.sameHolder,
    // A proposal that would not load is refused when proposed, naming the problem, so nothing
    // broken ever reaches an approver.
    validate: (kind, text) => {
      if (kind === 'config') {
        if (!configChanges)
          throw new AirlockError('invalid_request', { publicDetail: 'this node takes no config changes' });
        return configChanges.validate(text);
      }
      try {
        compile(text, 'proposal-check');
      } catch (err) {
        const detail = err instanceof AirlockError ? err.detail : undefined;
        throw new AirlockError('invalid_request', {
          publicDetail: detail ?? 'the policy does not compile',
          cause: err,
        });
      }
    },
    onApplied: (v) => {
      if (v.kind === 'policy') swap.set(compile(v.content, `policy-v${v.version}`));
      if (v.kind === 'config' && configChanges) return { ...configChanges.applied(v) };
    },
  });
  const started = policySourceText(deps.policy, deps.configDir);
  await changes.adopt('policy', started, 'startup');
  // A policy change approved while this node was down is in force, not the file it started with.
  const current = await changes.currentVersion('policy');
  if (current && current.content !== started)
    swap.set(compile(current.content, `policy-v${current.version}`));
  if (deps.config && configChanges) {
    await changes.adopt('config', deps.config.text, 'startup');
    // An approved config newer than the file (the file is one of its predecessors) is in force like an
    // approved policy: live parts now, restart-only fields reported. A file that is no stored version
    // was edited by the operator since: it is in force, reported until proposed.
    const config = await changes.currentVersion('config');
    if (config && config.content !== deps.config.text) {
      const history = await changes.history('config');
      if (history.some((v) => v.content === deps.config!.text)) configChanges.applied(config);
      else configChanges.unrecorded(config);
    }
  }
  // Without local users there is no second factor either: step-up never completes (fail closed).
  const stepUp = createStepUpService({
    verifyTotp: deps.verifyTotp ?? (async () => false),
    onEvent: record,
    ...deps.stepUp,
  });
  const obligations = createObligationsStage({ approvals, breakGlass, stepUp });
  return {
    pdp: swap.dp,
    obligations,
    obligationsFor: (opts) => createObligationsStage({ approvals, breakGlass, stepUp, ...opts }),
    approvals,
    stepUp,
    config: configChanges,
    readiness: () => configChanges?.readiness() ?? {},
    registerAdminRoutes(app, route) {
      registerApprovalRoutes(app, { route, approvals });
      registerBreakGlassRoutes(app, { route, breakGlass });
      registerChangeRoutes(app, { route, changes });
    },
    async counts() {
      const bg = await breakGlass.counts();
      return {
        breakGlassOpen: bg.open,
        breakGlassUnreviewed: bg.unreviewed,
        approvalsOpen: await approvals.countOpen(),
      };
    },
    close: () => db.close(),
  };
}
