// Words just before a number that say what it is. A phone- or ID-shaped number labelled as an
// order, invoice, tracking or ticket number is not personal data; "phone no." still is.
// Matched on the 32 characters before the value.
import type { SpanContext } from '../secret-rule.ts';

const NOT_PERSONAL =
  /(?:\b(?:order|invoice|inv|ref|reference|tracking|ticket|case|serial|sku|part|account|acct|iban|isbn|po|id|no|number|nr|build|version|ver)|#)\W{0,4}$/;
/** A phone word right before the label word: "phone no.", "mobile number", "tel #". */
const PHONE_WORD = /(?:phone|tel|telephone|mobile|cell|fax|contact|whatsapp)\W{0,3}$/;

/** The 32 characters before the span, lower-cased. */
export function before(ctx: SpanContext, n = 32): string {
  return ctx.text.slice(Math.max(0, ctx.start - n), ctx.start).toLowerCase();
}

/** True when the words just before the value name it as something other than personal data
 *  ("order #…", "invoice no. …"), unless a word in `allow` qualifies that label ("phone no."). */
export function labelledAsOther(ctx: SpanContext, allow: RegExp = PHONE_WORD): boolean {
  const b = before(ctx).replace(/[\s.:]+$/, '');
  const m = NOT_PERSONAL.exec(b);
  if (m === null) return false;
  return !allow.test(b.slice(0, m.index));
}
