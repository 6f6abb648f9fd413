// A result's `blob` (a resource's contents sent as base64: resources/read, an embedded resource in
// a tool result or a prompt message) is decoded and scanned as text when it is text, so a credential
// in a text resource sent as base64 is found like one sent as `text` (issue #7: small base64
// payloads decoded and scanned). Bound: the DLP engine's `base64.maxDecodedBytes` (default 64 KiB),
// the one its base64 pass uses for requests. A blob is text when its mimeType says so (text/*,
// JSON, XML, YAML, ...) or its bytes are valid UTF-8 and nearly all printable (the base64 pass's
// test). Larger blobs, and binary ones (an image, audio, a PDF), stay unscanned.
import { asText } from '../dlp/base64.ts';

const TEXT_MIME =
  /^(?:text\/|application\/(?:json|xml|javascript|ecmascript|x-javascript|yaml|x-yaml|toml|x-toml|sql|graphql|x-sh|x-shellscript|x-www-form-urlencoded|x-ndjson|ld\+json)\b|[^/]+\/[^;]*\+(?:json|xml|yaml)\b)/i;

/** The text a result blob holds, or undefined when it is too large or binary. */
export function blobText(blob: string, mimeType: unknown, maxDecodedBytes: number): string | undefined {
  if (blob.length > Math.ceil((maxDecodedBytes * 4) / 3) + 4) return undefined;
  // Node's decoder accepts both the standard and the URL-safe alphabet.
  const bytes = Buffer.from(blob, 'base64');
  if (bytes.length === 0 || bytes.length > maxDecodedBytes) return undefined;
  const text = asText(bytes);
  if (text !== undefined) return text;
  return typeof mimeType === 'string' && TEXT_MIME.test(mimeType.trim()) ? bytes.toString('utf8') : undefined;
}

/** Scans a result blob's text with `visit` (the caller's scan: findings recorded, blocking
 *  collected); a redacted text comes back re-encoded as base64. Undefined: the blob is unchanged. */
export function visitBlob(
  blob: string,
  mimeType: unknown,
  maxDecodedBytes: number,
  field: string,
  visit: (text: string, field: string) => string | undefined,
): string | undefined {
  const text = blobText(blob, mimeType, maxDecodedBytes);
  if (text === undefined) return undefined;
  const next = visit(text, `${field}(base64)`);
  return next === undefined || next === text ? undefined : Buffer.from(next, 'utf8').toString('base64');
}
