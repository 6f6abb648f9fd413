// Incremental newline-delimited JSON splitter (Ollama's streaming format). Lines may be split
// anywhere across pushes; CRLF and blank lines are tolerated. Parsing is left to the caller so it
// can map a malformed line to its own error.

export interface NdjsonSplitter {
  /** Feed decoded text; returns the complete, non-blank lines it finished. */
  push(text: string): string[];
  /** End of stream: returns the last line when it had no trailing newline. */
  flush(): string[];
}

export function createNdjsonSplitter(): NdjsonSplitter {
  let partial = '';

  function keep(out: string[], raw: string): void {
    const text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (text.trim().length > 0) out.push(text);
  }

  return {
    push(text) {
      const out: string[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const piece = text.slice(start, nl);
        keep(out, partial.length > 0 ? partial + piece : piece);
        partial = '';
        start = nl + 1;
      }
      if (start < text.length) partial += text.slice(start);
      return out;
    },
    flush() {
      const out: string[] = [];
      if (partial.length > 0) keep(out, partial);
      partial = '';
      return out;
    },
  };
}
