// airlock witness — a c2sp.org/tlog-witness cosigner for audit logs, run as its own process (ideally on
// another host, under another operator) with its own key. It cosigns a checkpoint only after verifying
// it is consistent with the last one it cosigned for that log, so a log that rolls back or shows two
// histories is refused (DESIGN.md §5, P9). Logs JSON lines on stderr; prints one ready line on stdout.
// Exit codes: 0 ok, 1 failure, 2 usage.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { formatIssues } from '../../config/load.ts';
import { parseVkey } from '../../evidence/note/signed-note.ts';
import type { WitnessConfig } from '../../evidence/witness/config.ts';
import { witnessConfigSchema } from '../../evidence/witness/config.ts';
import { startWitnessServer } from '../../evidence/witness/server.ts';
import { openWitnessState } from '../../evidence/witness/state.ts';
import { createWitness } from '../../evidence/witness/witness.ts';
import { loadOrCreateWitnessKey } from '../../evidence/witness/witness-key.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../types.ts';

const usage = `usage:
  airlock witness [serve] --config WITNESS.yaml
  airlock witness init --data DIR --log-vkey VKEY|FILE [--log-vkey ...] [--name NAME] [--port N] [--json]
  airlock witness vkey --config WITNESS.yaml [--json]
serve listens for POST <prefix>/add-checkpoint and prints {"event":"ready","url",...} on stdout.
init creates DIR/witness.yaml and the witness key (0600) and prints the witness vkey, which log
operators configure as a trusted witness and auditors pass to \`airlock audit verify --witness\`.`;

interface LoadedWitnessConfig {
  readonly config: WitnessConfig;
  readonly dir: string;
}

function loadWitnessConfig(path: string): LoadedWitnessConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${path} is not valid YAML: ${doc.errors[0]!.message}`);
  const parsed = witnessConfigSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new Error(`${path} is invalid:\n${formatIssues(parsed.error.issues)}`);
  return { config: parsed.data, dir: dirname(path) };
}

async function serve(path: string, io: CliIo): Promise<number> {
  const { config, dir } = loadWitnessConfig(path);
  const log = (fields: Record<string, unknown>) =>
    io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
  const { cosigner, created } = loadOrCreateWitnessKey(resolve(dir, config.key), config.name);
  if (created) log({ level: 'info', event: 'witness_key_created', vkey: cosigner.vkey });
  const state = openWitnessState(resolve(dir, config.state));
  try {
    const witness = createWitness({
      cosigner,
      logVkeys: config.logs.map((l) => l.vkey),
      state,
      onEvent: (e) => log({ level: e.event === 'cosigned' ? 'info' : 'warn', ...e }),
    });
    const server = await startWitnessServer(witness, config.listen);
    io.stdout.write(
      `${JSON.stringify({ event: 'ready', url: server.url, port: server.port, vkey: cosigner.vkey, logs: witness.origins })}\n`,
    );
    const signal = await new Promise<string>((done) => {
      process.once('SIGTERM', () => done('SIGTERM'));
      process.once('SIGINT', () => done('SIGINT'));
    });
    log({ level: 'info', event: 'stopping', signal });
    await server.close();
    return 0;
  } finally {
    state.close();
  }
}

function readVkey(value: string, io: CliIo): string {
  const path = resolve(io.cwd, value);
  const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : value.trim();
  try {
    parseVkey(text);
  } catch (err) {
    throw new UsageError(`--log-vkey: ${(err as Error).message}`);
  }
  return text;
}

function init(argv: readonly string[], io: CliIo): number {
  const { values } = parseFlags(argv, {
    data: { type: 'string' },
    'log-vkey': { type: 'string', multiple: true },
    name: { type: 'string' },
    port: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = resolve(io.cwd, requireFlag(values.data, 'data'));
  const vkeys = (values['log-vkey'] ?? []).map((v) => readVkey(v, io));
  if (vkeys.length === 0)
    throw new UsageError('--log-vkey is required (the log verifier key, e.g. verifier.vkey)');
  const port = values.port === undefined ? 7380 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
  const name = values.name ?? `witness.local/${randomBytes(6).toString('hex')}`;
  const doc = {
    name,
    listen: { host: '127.0.0.1', port },
    key: 'witness.key',
    state: 'witness.db',
    logs: vkeys.map((vkey) => ({ vkey })),
  };
  const parsed = witnessConfigSchema.safeParse(doc);
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error.issues));
  const configPath = join(dir, 'witness.yaml');
  if (existsSync(configPath)) throw new UsageError(`${configPath} already exists; pick an empty folder`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { cosigner } = loadOrCreateWitnessKey(join(dir, parsed.data.key), name);
  writeFileSync(configPath, `# airlock witness configuration\n${stringify(doc)}`, {
    mode: 0o600,
    flag: 'wx',
  });
  if (values.json) printJson(io.stdout, { vkey: cosigner.vkey, name, config: configPath });
  else io.stdout.write(`${cosigner.vkey}\n`);
  return 0;
}

export const witnessCommand: CliCommand = {
  name: 'witness',
  summary: 'run a tlog-witness that cosigns audit checkpoints (its own process and key)',
  usage,
  async run(argv, io) {
    const [first, ...rest] = argv;
    if (first === 'init') return init(rest, io);
    if (first === 'vkey') {
      const { values } = parseFlags(rest, { config: { type: 'string' }, json: { type: 'boolean' } });
      const path = resolve(io.cwd, requireFlag(values.config, 'config'));
      const { config, dir } = loadWitnessConfig(path);
      const { cosigner } = loadOrCreateWitnessKey(resolve(dir, config.key), config.name);
      if (values.json) printJson(io.stdout, { vkey: cosigner.vkey, name: cosigner.name });
      else io.stdout.write(`${cosigner.vkey}\n`);
      return 0;
    }
    const args = first === 'serve' ? rest : argv;
    const { values } = parseFlags(args, { config: { type: 'string' } });
    return serve(resolve(io.cwd, requireFlag(values.config, 'config')), io);
  },
};
