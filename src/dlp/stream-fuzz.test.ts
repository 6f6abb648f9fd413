// Randomized chunk-boundary fuzzing of the streaming path over larger texts: documents from the
// evaluation corpus (credentials and personal data in prose, code, config and chat) are joined
// into multi-kilobyte streams and cut at random places into the small deltas models emit, with
// the gateway's streaming settings (holdback 32, minRelease 4). Whatever the cuts, no labelled
// value may reach the client, and the released text must equal redacting the whole text at once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDlpEngine } from './engine.ts';
import { createRng, generateCorpus } from './eval/corpus.ts';
import { redactFindings } from './redact.ts';
import { createStreamScanner } from './stream-scanner.ts';

const engine = createDlpEngine();
const redactAll = () => 'redact' as const;

function stream(text: string, cuts: readonly number[]): string {
  const s = createStreamScanner(engine, { holdback: 32, minRelease: 4, action: redactAll });
  let out = '';
  let at = 0;
  for (const cut of cuts) {
    out += s.push(text.slice(at, cut)).text;
    at = cut;
  }
  out += s.push(text.slice(at)).text;
  return out + s.flush().text;
}

describe('stream scanner fuzz', () => {
  const docs = generateCorpus({ seed: 2024, positives: 240, negatives: 60 });
  const r = createRng(99);
  // 12 streams of 8 documents each (2–6 KB).
  const streams: { text: string; values: string[] }[] = [];
  for (let i = 0; i + 8 <= docs.length && streams.length < 12; i += 8) {
    let text = '';
    const values: string[] = [];
    for (const d of docs.slice(i, i + 8)) {
      for (const l of d.labels) values.push(d.text.slice(l.start, l.end));
      text += `${d.text}\n\n`;
    }
    streams.push({ text, values });
  }

  test('random deltas of 1–8 characters: nothing labelled leaks, output equals whole-text redaction', () => {
    for (const [n, { text, values }] of streams.entries()) {
      const expected = redactFindings(text, engine.scan(text)).text;
      for (let round = 0; round < 2; round++) {
        const cuts: number[] = [];
        for (let at = 1 + r.int(8); at < text.length; at += 1 + r.int(8)) cuts.push(at);
        const out = stream(text, cuts);
        for (const v of values)
          assert.ok(!out.includes(v), `stream ${n} round ${round}: leaked ${v.slice(0, 12)}…`);
        assert.equal(out, expected, `stream ${n} round ${round}`);
      }
    }
  });

  test('4-character deltas with the phase shifted through every offset of each value: no leak', () => {
    for (const { text, values } of streams.slice(0, 4)) {
      for (const v of values) {
        // The value with the 120 characters around it, so every phase costs one short stream.
        const at = text.indexOf(v);
        const from = Math.max(0, at - 120);
        const local = text.slice(from, at + v.length + 120);
        for (let phase = 1; phase <= Math.min(v.length, 48) + 4; phase++) {
          const cuts: number[] = [];
          for (let c = phase; c < local.length; c += 4) cuts.push(c);
          const out = stream(local, cuts);
          assert.ok(!out.includes(v), `leaked ${v.slice(0, 12)}… at phase ${phase}`);
        }
      }
    }
  });
});

describe('stream scanner: values with separators longer than the holdback', () => {
  // A Maltese IBAN is 31 characters, 38 when grouped: longer than the 32-character holdback.
  const iban = (() => {
    const bban = 'MALT011000012345MTLCAST001S';
    for (let cd = 2; cd <= 98; cd++) {
      const c = `MT${String(cd).padStart(2, '0')}${bban}`;
      const moved = (c.slice(4) + c.slice(0, 4)).replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
      let rem = 0;
      for (const ch of moved) rem = (rem * 10 + Number(ch)) % 97;
      if (rem === 1) return c.match(/.{1,4}/g)!.join(' ');
    }
    throw new Error('unreachable');
  })();

  test('a grouped 38-character IBAN split at every offset never leaks a group', () => {
    const text = `Please wire the refund to ${iban} by Friday, thanks.`;
    assert.equal(engine.scan(text)[0]?.type, 'IBAN');
    const at = text.indexOf(iban);
    for (let cut = 1; cut < text.length; cut++) {
      const cuts: number[] = [];
      for (let c = cut % 4 || 4; c < text.length; c += 4) cuts.push(c);
      const out = stream(text, cuts);
      assert.ok(!out.includes(`${iban.slice(0, 4)} `), `IBAN head leaked with phase ${cut - at}: ${out}`);
      assert.ok(out.includes('[REDACTED:IBAN]'), out);
    }
  });
});
