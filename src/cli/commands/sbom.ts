// airlock sbom --config FILE — CycloneDX 1.6 JSON on stdout: airlock's own dependencies (from the
// package-lock.json it was installed with) and every model version in the custody inventory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigWithCustody, openCustody } from '../../custody/open.ts';
import { buildSbom, type PackageLock } from '../../custody/sbom.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import type { CliCommand } from '../types.ts';

/** The package-lock.json of this installation: the nearest one above this file. */
function findLock(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package-lock.json');
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export const sbomCommand: CliCommand = {
  name: 'sbom',
  summary: 'CycloneDX 1.6 SBOM of airlock and every model version in custody',
  usage:
    'usage: airlock sbom --config FILE [--lock package-lock.json] [--include-dev]\nPrints one CycloneDX 1.6 JSON document on stdout.',
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      config: { type: 'string' },
      lock: { type: 'string' },
      'include-dev': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const lockPath = values.lock !== undefined ? resolve(values.lock) : findLock();
    if (!lockPath) throw new UsageError('no package-lock.json found; pass --lock FILE');
    let lock: PackageLock;
    try {
      lock = JSON.parse(readFileSync(lockPath, 'utf8')) as PackageLock;
    } catch (err) {
      throw new UsageError(`cannot read ${lockPath}: ${(err as Error).message}`);
    }
    const { loaded, custody } = await loadConfigWithCustody(requireFlag(values.config, 'config'));
    const opened = openCustody(loaded.dataDir, custody);
    try {
      printJson(
        io.stdout,
        buildSbom(lock, opened.inventory.list(), { includeDev: values['include-dev'] === true }),
      );
      return 0;
    } finally {
      opened.close();
    }
  },
};
