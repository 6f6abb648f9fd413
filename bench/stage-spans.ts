// A minimal OTLP/HTTP JSON receiver for the overhead bench: the gateway's tracer sends one span per
// request and one per pipeline stage (src/evidence/tracing/), and this collects their durations so the
// bench can say where a request's time goes (wall time per stage, awaits included).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface OtlpSpan {
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

interface OtlpTraces {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** OTLP SpanKind SERVER: the request span; everything else is a stage. */
const SERVER = 2;

export interface StageSpans {
  readonly url: string;
  /** Forget everything collected so far (e.g. the warm-up). */
  reset(): void;
  /** Median and p99 wall time per span name, in microseconds, and how many spans each. */
  summary(): { name: string; count: number; p50us: number; p99us: number }[];
  close(): Promise<void>;
}

export async function startStageSpans(): Promise<StageSpans> {
  let byName = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as OtlpTraces;
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              const name = s.kind === SERVER ? 'request (whole pipeline)' : s.name;
              const us = Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1000;
              const list = byName.get(name);
              if (list === undefined) byName.set(name, [us]);
              else list.push(us);
            }
      } catch {
        // a malformed export is the gateway's bug, not the bench's: count nothing
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const pct = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    reset() {
      byName = new Map();
    },
    summary() {
      return [...byName].map(([name, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        return {
          name,
          count: sorted.length,
          p50us: Math.round(pct(sorted, 0.5)),
          p99us: Math.round(pct(sorted, 0.99)),
        };
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
