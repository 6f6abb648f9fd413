// One multi-pattern pass that decides which detectors may match: every keyword literal (matched
// case-insensitively) and every keyword-less detector's trigger pattern go into a single RE2.Set,
// so the cost of a clean text does not grow with the number of rules.
import RE2 from 're2';
import type { Detector } from './types.ts';

export interface Prefilter {
  /** Indices (into the detector list) of the detectors worth running on `text` (a string or its
   *  UTF-8 bytes: the engine passes the Buffer it already made, saving a conversion). */
  candidates(text: string | Buffer): number[];
  /** The compiled set (exposed so tests can check it is RE2). */
  readonly set: InstanceType<typeof RE2.Set>;
}

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function createPrefilter(
  detectors: readonly Detector[],
  extraTriggers: readonly string[] = [],
): Prefilter {
  const sources: string[] = [];
  const targets: number[][] = [];
  const byKeyword = new Map<string, number>();
  detectors.forEach((d, i) => {
    if (d.trigger !== undefined) {
      sources.push(d.trigger);
      targets.push([i]);
    }
    for (const k of d.keywords) {
      let slot = byKeyword.get(k);
      if (slot === undefined) {
        slot = sources.length;
        byKeyword.set(k, slot);
        sources.push(`(?i:${escapeLiteral(k)})`);
        targets.push([]);
      }
      targets[slot]!.push(i);
    }
  });
  // Extra triggers map to pseudo-detector indices after the real ones.
  extraTriggers.forEach((t, j) => {
    sources.push(t);
    targets.push([detectors.length + j]);
  });
  // A large budget so the DFA never runs out of memory and silently degrades on long inputs.
  const set = new RE2.Set(sources, 'u', { maxMem: 256 * 1024 * 1024 });
  // Scratch marks, reset after each (synchronous) call: no allocation per scan.
  const seen = new Uint8Array(detectors.length + extraTriggers.length);
  return {
    set,
    candidates(text: string | Buffer): number[] {
      const out: number[] = [];
      for (const slot of set.match(text)) {
        for (const i of targets[slot]!) {
          if (seen[i] === 0) {
            seen[i] = 1;
            out.push(i);
          }
        }
      }
      for (const i of out) seen[i] = 0;
      return out.sort((a, b) => a - b);
    },
  };
}
