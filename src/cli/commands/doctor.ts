// airlock doctor --config FILE [--json] — offline air-gap check (P1): every address the config would
// reach, backend phone-home settings, plain-HTTP listeners, TLS key permissions. Exit 1 on any error.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import type { DoctorCredential, DoctorFinding } from '../../egress/doctor.ts';
import { runDoctor } from '../../egress/doctor.ts';
import { formatDoctorReport } from '../../egress/doctor-format.ts';
import { AirlockError } from '../../errors.ts';
import { parseDuration } from '../../identity/config.ts';
import { lastSeenStoreFor } from '../../identity/last-seen-store.ts';
import { collectCredentialUse, unusedCredentialFindings } from '../../identity/unused-credentials.ts';
import { userRepoFor } from '../../identity/users/open-users.ts';
import {
  configRestartFindings,
  privilegeFindings,
  readPrivilegeStatus,
} from '../../policy/privilege-doctor.ts';
import { openSideConnection } from '../../secrets/side-connection.ts';
import { openStore } from '../../store/open-store.ts';
import { parseFlags, printJson, requireFlag } from '../args.ts';
import { applyEgressPolicy } from '../runtime.ts';
import type { CliCommand, CliIo } from '../types.ts';

/** The store's live API keys, so credentials near or past their lifetime are reported (P2), and the
 *  API keys, local users, IdP subjects and mTLS workloads unused for identity.unusedAfter. A store
 *  that does not exist yet (a config before its first start) simply has none. */
async function apiKeyCredentials(
  loaded: Awaited<ReturnType<typeof loadConfig>>,
  io: CliIo,
): Promise<{ credentials: DoctorCredential[]; unused: DoctorFinding[] }> {
  const { config, dataDir } = loaded;
  if (config.store.driver === 'sqlite' && !existsSync(join(dataDir, config.store.path)))
    return { credentials: [], unused: [] };
  applyEgressPolicy(loaded, io);
  const store = await openStore(config.store, { dataDir });
  const side = await openSideConnection(config.store, { dataDir });
  try {
    const keys = await store.listApiKeys();
    const use = await collectCredentialUse({
      store,
      users: userRepoFor(side),
      lastSeen: lastSeenStoreFor(side),
    });
    return {
      credentials: keys.map((k) => ({
        id: `${k.kind} key ${k.id} (${k.prefix}…, owner ${k.owner})`,
        kind: 'api_key',
        expiresAt: k.expiresAt,
      })),
      unused: unusedCredentialFindings(use, new Date(), parseDuration(config.identity.unusedAfter)),
    };
  } finally {
    await side.close();
    await store.close();
  }
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check a configuration for air-gap problems, offline',
  usage: 'usage: airlock doctor --config FILE [--json]',
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    });
    const file = requireFlag(values.config, 'config');
    let loaded: Awaited<ReturnType<typeof loadConfig>>;
    try {
      loaded = await loadConfig(file);
    } catch (err) {
      if (!(err instanceof AirlockError) || err.code !== 'config_invalid') throw err;
      if (values.json) printJson(io.stdout, { valid: false, errors: (err.detail ?? '').split('\n') });
      else io.stderr.write(`${err.detail}\n`);
      return 1;
    }
    const fromStore = await apiKeyCredentials(loaded, io);
    const checked = runDoctor(loaded.config, {
      configPath: loaded.path,
      configDir: loaded.dir,
      credentials: fromStore.credentials,
    });
    const report = { ...checked, findings: [...checked.findings, ...fromStore.unused] };
    // P8: open and unreviewed break-glass grants, pending approvals and an approved config change
    // that still needs a restart, from this node's authz.sqlite.
    const privilege = readPrivilegeStatus(loaded.dataDir);
    const watched = [
      ...privilegeFindings(privilege),
      ...configRestartFindings(loaded.dataDir, readFileSync(loaded.path, 'utf8')),
    ];
    const shown = { ...report, findings: [...report.findings, ...watched], privilege };
    if (values.json) printJson(io.stdout, shown);
    else io.stdout.write(formatDoctorReport(shown));
    return report.exitCode;
  },
};
