// Incremental Server-Sent Events parser (WHATWG HTML §9.2.6 "event stream interpretation").
// Input arrives in arbitrary pieces: a line, a CRLF pair or a multi-byte character may be split
// anywhere, so state carries over between pushes. Callers decode bytes with a streaming TextDecoder.

export interface SseEvent {
  /** `event:` field, or 'message' when absent. */
  readonly event: string;
  /** `data:` lines joined with '\n'. */
  readonly data: string;
}

export interface SseParser {
  /** Feed decoded text; returns the events completed by it (often none or one). */
  push(text: string): SseEvent[];
  /** End of stream: completes a last line and event even without the terminating blank line. */
  flush(): SseEvent[];
}

const EOL = /\r\n|\r|\n/g;

export function createSseParser(): SseParser {
  let partial = ''; // text of the current, unterminated line
  let data = '';
  let hasData = false;
  let event = '';
  let skipLeadingLf = false; // the previous push ended in CR; a LF starting this one belongs to it
  let first = true;

  function line(text: string, out: SseEvent[]): void {
    if (text.length === 0) {
      if (hasData) out.push({ event: event || 'message', data });
      data = '';
      hasData = false;
      event = '';
      return;
    }
    if (text.charCodeAt(0) === 58 /* : comment, e.g. keep-alive pings */) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = '';
    if (colon >= 0) value = text.charCodeAt(colon + 1) === 32 ? text.slice(colon + 2) : text.slice(colon + 1);
    if (field === 'data') {
      data = hasData ? `${data}\n${value}` : value;
      hasData = true;
    } else if (field === 'event') {
      event = value;
    }
    // id and retry are irrelevant to a one-shot HTTP response; unknown fields are ignored per spec.
  }

  return {
    push(text) {
      const out: SseEvent[] = [];
      let start = 0;
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) start = 1;
      }
      if (skipLeadingLf && text.length > start) {
        if (text.charCodeAt(start) === 10) start++;
        skipLeadingLf = false;
      }
      EOL.lastIndex = start;
      for (let m = EOL.exec(text); m !== null; m = EOL.exec(text)) {
        const piece = text.slice(start, m.index);
        line(partial.length > 0 ? partial + piece : piece, out);
        partial = '';
        start = m.index + m[0].length;
        if (m[0] === '\r' && start === text.length) skipLeadingLf = true;
      }
      if (start < text.length) partial += text.slice(start);
      return out;
    },
    flush() {
      const out: SseEvent[] = [];
      if (partial.length > 0) line(partial, out);
      partial = '';
      line('', out);
      return out;
    },
  };
}
