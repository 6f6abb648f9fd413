// Approved config changes on a running node (P8 two-person rule; config-plan.ts decides what is
// live). A proposal must parse and pass the config schema, and may not touch `policy` (that is a
// policy change). When a version is applied, its live sections take effect at once (the gateway
// subscribes its swappable parts with `onLive`); the fields that need a restart are reported
// (`restartRequired` with their paths), kept as "restart pending" for /readyz and `airlock doctor`,
// and audited. Pending is computed against the config this process started with, so a later change
// that reverts a field clears it. A restart reads the config file: the operator deploys the approved
// version there (until then the node keeps reporting the difference, and live parts of the approved
// version are applied again at start-up, as approved policies are).
import { parseDocument } from 'yaml';
import { parseConfig } from '../../config/load.ts';
import type { AirlockConfig } from '../../config/schema.ts';
import { AirlockError } from '../../errors.ts';
import { type ConfigPlan, planConfigChange } from './config-plan.ts';
import type { VersionRecord } from './types.ts';

export interface ConfigApplyEvent {
  readonly type: 'config.live_applied' | 'config.restart_pending' | 'config.file_unrecorded';
  readonly id: string | null;
  readonly version: number;
  readonly paths: readonly string[];
  readonly at: number;
}

export interface ConfigEffect {
  readonly live: readonly string[];
  readonly restartRequired: boolean;
  readonly restart: readonly string[];
}

export interface ConfigChangesDeps {
  /** The config this process started with (parsed, defaults applied). */
  readonly started: AirlockConfig;
  readonly onEvent?: (e: ConfigApplyEvent) => void;
  readonly now?: () => number;
}

export interface ConfigChanges {
  /** YAML text → validated config; a bad document is invalid_request naming the path and the fix. */
  parse(text: string): AirlockConfig;
  /** Proposal-time check (ChangeService.validate for kind config). */
  validate(text: string): void;
  /** After a config version is applied (or found at start-up): live parts now, the rest reported. */
  applied(version: VersionRecord): ConfigEffect;
  /** Start-up found a config file that is no stored version (edited outside the two-person flow):
   *  the file is in force, as an operator's edit must be; it is reported until it is proposed. */
  unrecorded(latest: VersionRecord): void;
  /** The newest applied version whose restart-only fields differ from what this process runs. */
  pendingRestart(): { readonly version: number; readonly paths: readonly string[] } | undefined;
  /** Registers a part that applies live sections; called at once when an approved config is
   *  already in force (found at start-up), then on every applied change with live fields. */
  onLive(apply: (next: AirlockConfig, plan: ConfigPlan) => void): void;
  /** Registers a proposal-time check of a part that applies live sections: it compiles what it
   *  would swap in and throws when that fails, so nothing half-built ever reaches an approver. */
  onCheck(check: (next: AirlockConfig) => void): void;
  /** A /readyz entry: ready either way, with the pending fields named. */
  readiness(): Record<string, { ok: boolean; reason?: string }>;
}

export function createConfigChanges(deps: ConfigChangesDeps): ConfigChanges {
  const now = deps.now ?? Date.now;
  let inForce = deps.started;
  let pending: { version: number; paths: readonly string[] } | undefined;
  let unrecordedSince: number | undefined;
  const subscribers: ((next: AirlockConfig, plan: ConfigPlan) => void)[] = [];
  const checks: ((next: AirlockConfig) => void)[] = [];

  const parse = (text: string): AirlockConfig => {
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0)
      throw new AirlockError('invalid_request', {
        publicDetail: `config is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
      });
    try {
      return parseConfig(doc.toJS(), 'proposed config');
    } catch (err) {
      if (!(err instanceof AirlockError) || err.code !== 'config_invalid') throw err;
      throw new AirlockError('invalid_request', { publicDetail: err.detail, cause: err });
    }
  };

  return {
    parse,
    validate(text) {
      const next = parse(text);
      const refused = planConfigChange(deps.started, next).refused;
      if (refused.length > 0)
        throw new AirlockError('invalid_request', {
          publicDetail: `a config change may not change ${refused.join(', ')}; propose policies as a policy change (kind policy), which takes effect at once`,
        });
      for (const check of checks) {
        try {
          check(next);
        } catch (err) {
          // A part's own refusal (egress_not_allowed …) keeps its code; a compile failure is the
          // proposal's fault and names the problem.
          if (err instanceof AirlockError && err.code !== 'config_invalid') throw err;
          throw new AirlockError('invalid_request', {
            publicDetail:
              err instanceof AirlockError && err.detail ? err.detail : 'the config does not compile',
            cause: err,
          });
        }
      }
    },
    applied(version) {
      const next = parse(version.content);
      const at = now();
      // Live: what differs from what is in force now. Restart: what differs from what we started with.
      const live = planConfigChange(inForce, next);
      if (live.live.length > 0) {
        for (const apply of subscribers) apply(next, live);
        deps.onEvent?.({
          type: 'config.live_applied',
          id: version.changeId,
          version: version.version,
          paths: live.live,
          at,
        });
      }
      inForce = next;
      const restart = planConfigChange(deps.started, next).restart;
      pending = restart.length > 0 ? { version: version.version, paths: restart } : undefined;
      if (pending)
        deps.onEvent?.({
          type: 'config.restart_pending',
          id: version.changeId,
          version: version.version,
          paths: restart,
          at,
        });
      return { live: live.live, restartRequired: restart.length > 0, restart };
    },
    unrecorded(latest) {
      unrecordedSince = latest.version;
      deps.onEvent?.({
        type: 'config.file_unrecorded',
        id: null,
        version: latest.version,
        paths: [],
        at: now(),
      });
    },
    pendingRestart: () => pending,
    onCheck(check) {
      checks.push(check);
    },
    onLive(apply) {
      subscribers.push(apply);
      const plan = planConfigChange(deps.started, inForce);
      if (plan.live.length > 0) apply(inForce, plan);
    },
    readiness(): Record<string, { ok: boolean; reason?: string }> {
      if (!pending && unrecordedSince === undefined) return {};
      if (!pending)
        return {
          config: {
            ok: true,
            reason: `the config file is not an approved version (latest v${unrecordedSince}); propose it as a config change to record it`,
          },
        };
      return {
        config: {
          ok: true,
          reason: `restart pending: approved config v${pending.version} changes ${pending.paths.join(', ')}; these take effect when the node restarts with it in its config file`,
        },
      };
    },
  };
}
