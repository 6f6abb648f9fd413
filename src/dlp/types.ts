// Contracts of the DLP plane (P6). A detector reports *where* sensitive data sits and *what kind* it
// is — never the matched value — so findings can go to the policy engine, audit log and metrics as-is.

import type { PreparedText } from './prepared.ts';

export type FindingCategory = 'secret' | 'pii' | 'custom';
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type DlpAction = 'block' | 'redact' | 'mask' | 'alert';
/** `input` is what goes to a model or tool; `output` is what comes back to the client. */
export type Direction = 'input' | 'output';

export interface Finding {
  /** Stable upper-snake type used in placeholders and policy, e.g. AWS_ACCESS_KEY, EMAIL, CREDIT_CARD. */
  readonly type: string;
  /** Id of the rule that produced it (what `disable` names). */
  readonly ruleId: string;
  readonly category: FindingCategory;
  readonly severity: Severity;
  /** UTF-16 offsets into the scanned text; `text.slice(start, end)` is the sensitive span. */
  readonly start: number;
  readonly end: number;
  /** Where it was found, e.g. `messages[2].content` or `messages[2].content(base64)`. */
  readonly field: string;
}

export interface InspectResult {
  readonly findings: readonly Finding[];
}

/** The inspect stage's view of the DLP plane: text in, findings out. Never throws on content. */
export interface Inspector {
  inspect(text: string, where: { readonly field: string }): InspectResult;
}

/** A value a detector extracted, before it becomes a Finding. Offsets are into the scanned text. */
export interface RawMatch {
  readonly start: number;
  readonly end: number;
}

/** One compiled detector, built once at start-up. `find` runs only when the prefilter says it may hit. */
export interface Detector {
  readonly id: string;
  readonly type: string;
  readonly category: FindingCategory;
  readonly severity: Severity;
  /** Generic detectors (keyword = value assignments, bearer headers) lose overlaps to specific ones. */
  readonly generic: boolean;
  /** Lower-case literals; the detector runs only if one occurs (case-insensitively) in the text. */
  readonly keywords: readonly string[];
  /** RE2 source used by the prefilter when there are no keywords. */
  readonly trigger: string | undefined;
  /** The compiled regexes, exposed so a test can prove every one is RE2 (linear time). */
  readonly regexes: readonly RegExp[];
  /** Spans (UTF-16 offsets) in `text`; `prepared` is `text` already converted (see prepared.ts). */
  find(text: string, prepared?: PreparedText): RawMatch[];
}

/** Example strings that run as unit tests for a rule. */
export interface RuleExamples {
  readonly positive: readonly string[];
  readonly negative: readonly string[];
}
