// A unified text diff (the `diff -u` format) of two texts, line based: common prefix and suffix
// trimmed, then a longest-common-subsequence table over the rest. Policy files and config YAML are
// small (hundreds of lines), so the quadratic table is fine; above `maxCells` the changed middle
// is shown as one replaced block instead.

type Op = { kind: ' ' | '-' | '+'; line: string };

function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

function edits(a: string[], b: string[], maxCells: number): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const ops: Op[] = a.slice(0, pre).map((line) => ({ kind: ' ', line }));
  const n = am.length;
  const m = bm.length;
  if ((n + 1) * (m + 1) > maxCells) {
    for (const line of am) ops.push({ kind: '-', line });
    for (const line of bm) ops.push({ kind: '+', line });
  } else {
    const w = m + 1;
    const t = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        t[i * w + j] =
          am[i] === bm[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: ' ', line: am[i]! });
        i++;
        j++;
      } else if (i < n && (j >= m || t[(i + 1) * w + j]! >= t[i * w + j + 1]!))
        ops.push({ kind: '-', line: am[i++]! });
      else ops.push({ kind: '+', line: bm[j++]! });
    }
  }
  for (const line of a.slice(a.length - suf)) ops.push({ kind: ' ', line });
  return ops;
}

/** `--- a` / `+++ b` headers and `@@` hunks with `context` lines around each change; '' when equal. */
export function unifiedDiff(
  before: string,
  after: string,
  opts: { from?: string; to?: string; context?: number; maxCells?: number } = {},
): string {
  const ctxLines = opts.context ?? 3;
  const ops = edits(lines(before), lines(after), opts.maxCells ?? 4_000_000);
  const changed = ops.map((o, k) => (o.kind !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${opts.from ?? 'a'}`, `+++ ${opts.to ?? 'b'}`];
  // Group changes whose context windows touch into hunks.
  let h = 0;
  while (h < changed.length) {
    let end = h;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * ctxLines) end++;
    const start = Math.max(0, changed[h]! - ctxLines);
    const stop = Math.min(ops.length - 1, changed[end]! + ctxLines);
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.kind !== '+') aLine++;
      if (ops[k]!.kind !== '-') bLine++;
    }
    const body = ops.slice(start, stop + 1);
    const aCount = body.filter((o) => o.kind !== '+').length;
    const bCount = body.filter((o) => o.kind !== '-').length;
    out.push(
      `@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`,
    );
    for (const o of body) out.push(`${o.kind}${o.line}`);
    h = end + 1;
  }
  return `${out.join('\n')}\n`;
}
