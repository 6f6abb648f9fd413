// Tool pins: which tool definitions an admin approved, per server, as SHA-256 hashes. One small JSON
// file (<dataDir>/mcp/pins.json, 0600) written atomically (temp file, fsync, rename, directory
// fsync), so a crash leaves the old or the new approvals, never half of each. The gateway re-reads
// it when its mtime changes, so `airlock mcp approve` in another process takes effect without a
// restart. A file that does not parse is an error, not "no approvals": fail closed, loudly.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const toolPinSchema = z.strictObject({
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  approvedAt: z.string(),
  approvedBy: z.string(),
  /** Injection markers an admin overrode with --force (kept for review). */
  forcedFlags: z.array(z.string()).default([]),
});

const pinFileSchema = z.strictObject({
  version: z.literal(1),
  servers: z.record(
    z.string(),
    z.strictObject({
      tools: z.record(z.string(), toolPinSchema),
      // Prompts (by name), resources (by URI) and resource templates (by URI template), pinned like
      // tools. Absent in files written before they were: nothing of that kind approved.
      prompts: z.record(z.string(), toolPinSchema).default({}),
      resources: z.record(z.string(), toolPinSchema).default({}),
      templates: z.record(z.string(), toolPinSchema).default({}),
    }),
  ),
});

export type ToolPin = z.output<typeof toolPinSchema>;
export type PinFile = z.output<typeof pinFileSchema>;
export type ContentPinKind = 'prompts' | 'resources' | 'templates';
export type ContentPins = Readonly<Record<ContentPinKind, Readonly<Record<string, ToolPin>>>>;

export interface PinStore {
  readonly path: string;
  /** The approved pin of `server`'s `tool`, or undefined. Re-reads the file if it changed. */
  get(server: string, tool: string): ToolPin | undefined;
  /** Every pin of a server. */
  list(server: string): Readonly<Record<string, ToolPin>>;
  /** The approved pin of a server's prompt (by name), resource (by URI) or template, or undefined. */
  getContent(server: string, kind: ContentPinKind, id: string): ToolPin | undefined;
  listContent(server: string, kind: ContentPinKind): Readonly<Record<string, ToolPin>>;
  /** Replaces a server's pins with `tools` (approval is of the server's current list as a whole:
   *  a tool absent from it loses its pin), and its prompt/resource pins with `content` when given
   *  (kept as they are otherwise). */
  replaceServer(server: string, tools: Readonly<Record<string, ToolPin>>, content?: ContentPins): void;
  /** Drops one tool's pin (hides it until re-approved). */
  revoke(server: string, tool: string): boolean;
  /** Drops one prompt's, resource's or template's pin (hidden until re-approved). */
  revokeContent(server: string, kind: ContentPinKind, id: string): boolean;
}

export function pinStorePath(dataDir: string): string {
  return join(dataDir, 'mcp', 'pins.json');
}

/** Writes `data` to `path` atomically with mode 0600. */
export function writeFileAtomic0600(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** How long a read trusts the last stat: every tool of every tools/list and tools/call asks for its
 *  pin, and an approval or revocation by another process (`airlock mcp approve`) is seen within this. */
const RESTAT_MS = 250;

export function openPinStore(path: string, opts: { now?: () => number } = {}): PinStore {
  const now = opts.now ?? (() => performance.now());
  let cache: PinFile = { version: 1, servers: {} };
  let stamp = '';
  let checkedAt = Number.NEGATIVE_INFINITY;

  const read = (): PinFile => {
    const t = now();
    if (stamp !== '' && t - checkedAt < RESTAT_MS) return cache;
    checkedAt = t;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        cache = { version: 1, servers: {} };
        stamp = 'missing';
        return cache;
      }
      throw err;
    }
    const next = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (next === stamp) return cache;
    if ((st.mode & 0o077) !== 0)
      throw new Error(
        `${path} must not be readable by group or others (chmod 600): approvals could be forged`,
      );
    const parsed = pinFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success)
      throw new Error(`${path} is not a valid pin file: ${parsed.error.issues[0]?.message}`);
    cache = parsed.data;
    stamp = next;
    return cache;
  };

  /** Writers always start from the file as it is now (no lost update from another process). */
  const readFresh = (): PinFile => {
    checkedAt = Number.NEGATIVE_INFINITY;
    return read();
  };

  const write = (file: PinFile) => {
    writeFileAtomic0600(path, `${JSON.stringify(file, null, 2)}\n`);
    stamp = '';
    checkedAt = Number.NEGATIVE_INFINITY;
    read();
  };

  return {
    path,
    get: (server, tool) => read().servers[server]?.tools[tool],
    list: (server) => read().servers[server]?.tools ?? {},
    getContent: (server, kind, id) => read().servers[server]?.[kind][id],
    listContent: (server, kind) => read().servers[server]?.[kind] ?? {},
    replaceServer(server, tools, content) {
      const file = structuredClone(readFresh());
      const kept = file.servers[server];
      file.servers[server] = {
        tools: { ...tools },
        prompts: { ...(content?.prompts ?? kept?.prompts ?? {}) },
        resources: { ...(content?.resources ?? kept?.resources ?? {}) },
        templates: { ...(content?.templates ?? kept?.templates ?? {}) },
      };
      write(file);
    },
    revoke(server, tool) {
      const file = structuredClone(readFresh());
      const pins = file.servers[server]?.tools;
      if (!pins?.[tool]) return false;
      delete pins[tool];
      write(file);
      return true;
    },
    revokeContent(server, kind, id) {
      const file = structuredClone(readFresh());
      const pins = file.servers[server]?.[kind];
      if (!pins?.[id]) return false;
      delete pins[id];
      write(file);
      return true;
    },
  };
}
