// Registry: export kind → factory. Exporters are built once at start-up from validated config; an
// unknown kind stops start-up with the list of valid kinds (STYLE 2). Files (TLS material) are read
// here, once; a client key readable by others is refused like any other secret.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import canonicalize from 'canonicalize';
import { durationMs } from '../../config/duration.ts';
import { readSecretFile } from '../../secrets/secret-files.ts';
import type { AuditEntry } from '../types.ts';
import type { ExportConfig, JsonlExportConfig, OcsfJsonlExportConfig, SyslogExportConfig } from './config.ts';
import { createJsonlFileExporter } from './jsonl-file.ts';
import { toOcsf } from './ocsf.ts';
import { createSyslogExporter } from './syslog.ts';
import type { AuditExporter, ExporterDeps } from './types.ts';

type Factory<C> = (config: C, deps: ExporterDeps) => AuditExporter;

const at = (dataDir: string, p: string) => (isAbsolute(p) ? p : join(dataDir, p));

/** The entry exactly as its Merkle leaf: RFC 8785 of a parsed leaf reproduces the leaf bytes. */
export const entryLine = (entry: AuditEntry): string => {
  const line = canonicalize(entry);
  if (line === undefined) throw new TypeError('entry has no JSON form');
  return line;
};

export const exporterFactories: {
  readonly jsonl: Factory<JsonlExportConfig>;
  readonly 'ocsf-jsonl': Factory<OcsfJsonlExportConfig>;
  readonly syslog: Factory<SyslogExportConfig>;
} = {
  jsonl: (c, deps) =>
    createJsonlFileExporter(
      {
        name: c.name ?? `jsonl:${c.path}`,
        path: at(deps.dataDir, c.path),
        maxBytes: c.maxBytes,
        maxFiles: c.maxFiles,
        maxQueue: c.maxQueue,
        format: entryLine,
      },
      deps,
    ),
  'ocsf-jsonl': (c, deps) =>
    createJsonlFileExporter(
      {
        name: c.name ?? `ocsf-jsonl:${c.path}`,
        path: at(deps.dataDir, c.path),
        maxBytes: c.maxBytes,
        maxFiles: c.maxFiles,
        maxQueue: c.maxQueue,
        format: (e) => JSON.stringify(toOcsf(e, deps.version)),
      },
      deps,
    ),
  syslog: (c, deps) =>
    createSyslogExporter(
      {
        name: c.name ?? `syslog:${c.transport}://${c.host}:${c.port}`,
        transport: c.transport,
        host: c.host,
        port: c.port,
        format: c.format,
        ...(c.ca !== undefined ? { ca: readFileSync(at(deps.dataDir, c.ca)) } : {}),
        ...(c.cert !== undefined && c.key !== undefined
          ? { cert: readFileSync(at(deps.dataDir, c.cert)), key: readSecretFile(at(deps.dataDir, c.key)) }
          : {}),
        appName: c.appName,
        facility: c.facility,
        sdId: c.sdId,
        maxQueue: c.maxQueue,
        connectTimeoutMs: durationMs(c.connectTimeout),
        closeTimeoutMs: durationMs(c.closeTimeout),
      },
      deps,
    ),
};

export function createExporters(configs: readonly ExportConfig[], deps: ExporterDeps): AuditExporter[] {
  const built: AuditExporter[] = [];
  try {
    for (const c of configs) {
      const factory = exporterFactories[c.kind] as Factory<ExportConfig> | undefined;
      if (factory === undefined)
        throw new Error(
          `unknown audit export kind ${String((c as { kind: unknown }).kind)}; valid: ${Object.keys(exporterFactories).join(', ')}`,
        );
      built.push(factory(c, deps));
    }
  } catch (err) {
    // Start-up stops: release what was already opened.
    for (const e of built) void e.close();
    throw err;
  }
  return built;
}
