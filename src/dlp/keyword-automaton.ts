// Aho–Corasick over the rules' ASCII keywords, case-insensitive for ASCII letters: one pass over the
// UTF-8 bytes reports which keywords occur. It replaces an RE2.Set of `(?i:keyword)`
// literals in the prefilter: a set must report every pattern, so its DFA state is the combination of
// keywords already seen, and on text dense with findings those combinations kept being built anew
// (issue 7); this automaton has one state per trie node, built once at start-up.
//
// RE2's case folding also matches U+212A (Kelvin sign) as `k` and U+017F (long s) as `s`; a text
// holding either goes to the RE2 set instead (prefilter.ts), so the result is the same.

export interface KeywordAutomaton {
  /** Keyword slots (indices into the keyword list) that occur in `bytes`, in first-occurrence order. */
  scan(bytes: Uint8Array): number[];
}

/** `keywords` must be non-empty, printable ASCII; they are matched with A–Z folded to a–z. */
export function createKeywordAutomaton(keywords: readonly string[]): KeywordAutomaton {
  const lower = keywords.map((k) => k.toLowerCase());
  // Byte → column: one column per byte used by a keyword, upper-case letters share their lower
  // case's column, every other byte is column 0.
  const column = new Uint8Array(256);
  let columns = 1;
  for (const k of lower)
    for (let i = 0; i < k.length; i++) {
      const b = k.charCodeAt(i);
      if (column[b] === 0) column[b] = columns++;
    }
  for (let b = 0x41; b <= 0x5a; b++) column[b] = column[b | 0x20]!;
  // Trie.
  const next: number[][] = [new Array<number>(columns).fill(-1)];
  const ends: number[][] = [[]];
  lower.forEach((k, slot) => {
    let s = 0;
    for (let i = 0; i < k.length; i++) {
      const c = column[k.charCodeAt(i)]!;
      if (next[s]![c]! < 0) {
        next[s]![c] = next.length;
        next.push(new Array<number>(columns).fill(-1));
        ends.push([]);
      }
      s = next[s]![c]!;
    }
    ends[s]!.push(slot);
  });
  // Breadth-first failure links, completing the transitions into a DFA and merging outputs.
  const states = next.length;
  const delta = new Int32Array(states * columns);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (let c = 0; c < columns; c++) {
    const t = next[0]![c]!;
    delta[c] = Math.max(t, 0);
    if (t > 0) queue.push(t);
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    ends[s]!.push(...ends[fail[s]!]!);
    for (let c = 0; c < columns; c++) {
      const t = next[s]![c]!;
      if (t < 0) delta[s * columns + c] = delta[fail[s]! * columns + c]!;
      else {
        fail[t] = delta[fail[s]! * columns + c]!;
        delta[s * columns + c] = t;
        queue.push(t);
      }
    }
  }
  const output = ends.map((e) => Int32Array.from(new Set(e)));
  const hasOutput = Uint8Array.from(output, (o) => (o.length > 0 ? 1 : 0));
  const seen = new Uint8Array(keywords.length);
  return {
    scan(bytes) {
      const found: number[] = [];
      let s = 0;
      for (let i = 0; i < bytes.length; i++) {
        s = delta[s * columns + column[bytes[i]!]!]!;
        if (hasOutput[s] === 0) continue;
        for (const slot of output[s]!) {
          if (seen[slot] === 0) {
            seen[slot] = 1;
            found.push(slot);
          }
        }
      }
      for (const slot of found) seen[slot] = 0;
      return found;
    },
  };
}
