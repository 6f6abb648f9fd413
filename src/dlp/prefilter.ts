// Two multi-pattern passes decide which detectors may match, so the cost of a clean text does not
// grow with the number of rules: every keyword literal (matched case-insensitively) in one RE2.Set,
// every keyword-less detector's trigger pattern (and the base64 trigger) in a second. Not one set of both: a set must read
// the whole text and report every pattern, and its DFA state is the combination of everything still
// live; literals mixed with counted-repetition triggers (phone numbers, cards) made those
// combinations explode on text dense with findings (issue 7: ~2.9 ms per 16 KB of fresh eval-corpus
// text for one set, ~0.5 ms for the two).
import RE2 from 're2';
import type { Detector } from './types.ts';

export interface Prefilter {
  /** Indices (into the detector list) of the detectors worth running on `text` (a string or its
   *  UTF-8 bytes: the engine passes the Buffer it already made, saving a conversion). */
  candidates(text: string | Buffer): number[];
  /** The compiled sets: keywords, then triggers (exposed so tests can check they are RE2). */
  readonly sets: readonly InstanceType<typeof RE2.Set>[];
  /** Patterns in all sets. */
  readonly size: number;
}

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function createPrefilter(
  detectors: readonly Detector[],
  extraTriggers: readonly string[] = [],
): Prefilter {
  const keywordSources: string[] = [];
  const keywordTargets: number[][] = [];
  const triggerSources: string[] = [];
  const triggerTargets: number[][] = [];
  const byKeyword = new Map<string, number>();
  detectors.forEach((d, i) => {
    if (d.trigger !== undefined) {
      triggerSources.push(d.trigger);
      triggerTargets.push([i]);
    }
    for (const k of d.keywords) {
      let slot = byKeyword.get(k);
      if (slot === undefined) {
        slot = keywordSources.length;
        byKeyword.set(k, slot);
        keywordSources.push(`(?i:${escapeLiteral(k)})`);
        keywordTargets.push([]);
      }
      keywordTargets[slot]!.push(i);
    }
  });
  // Extra triggers map to pseudo-detector indices after the real ones.
  extraTriggers.forEach((t, j) => {
    triggerSources.push(t);
    triggerTargets.push([detectors.length + j]);
  });
  // A large budget so the DFA never runs out of memory and silently degrades on long inputs.
  const options = { maxMem: 256 * 1024 * 1024 };
  const keywordSet = keywordSources.length > 0 ? new RE2.Set(keywordSources, 'u', options) : undefined;
  const triggerSet = triggerSources.length > 0 ? new RE2.Set(triggerSources, 'u', options) : undefined;
  // Scratch marks, reset after each (synchronous) call: no allocation per scan.
  const seen = new Uint8Array(detectors.length + extraTriggers.length);
  return {
    sets: [keywordSet, triggerSet].filter((s) => s !== undefined),
    size: keywordSources.length + triggerSources.length,
    candidates(text: string | Buffer): number[] {
      const out: number[] = [];
      const mark = (targets: readonly number[]) => {
        for (const i of targets) {
          if (seen[i] === 0) {
            seen[i] = 1;
            out.push(i);
          }
        }
      };
      const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      if (keywordSet !== undefined) for (const slot of keywordSet.match(bytes)) mark(keywordTargets[slot]!);
      if (triggerSet !== undefined) for (const slot of triggerSet.match(bytes)) mark(triggerTargets[slot]!);
      for (const i of out) seen[i] = 0;
      return out.sort((a, b) => a - b);
    },
  };
}
