// Flags chat templates that look like a server-side template injection. A GGUF's
// tokenizer.chat_template is Jinja executed by the runtime on every request; a template that reaches
// Python internals (the classic SSTI chains: __class__.__mro__, __globals__, cycler/joiner/namespace
// .__init__.__globals__, self._TemplateReference…) is an attack on the inference host, not a format.
import type { TemplateFinding } from './types.ts';

const rules: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  {
    pattern:
      /__(?:class|mro|base|bases|subclasses|globals|builtins|init|import|dict|getattribute|code|func)__/,
    why: 'reaches Python object internals (SSTI chain)',
  },
  { pattern: /\\x5f|\\u005f|\\137/i, why: 'escaped underscore (hides dunder access from filters)' },
  {
    pattern: /\b(?:cycler|joiner|lipsum|url_for|get_flashed_messages)\b/,
    why: 'Jinja global commonly used as an SSTI gadget',
  },
  { pattern: /\bnamespace\s*\.\s*__/, why: 'namespace internals (SSTI gadget)' },
  { pattern: /self\s*\.\s*_TemplateReference|_TemplateReference__context/, why: 'template context escape' },
  { pattern: /\bimport\b|\bfrom\s+\w+\s+import\b/, why: 'import statement' },
  { pattern: /\bos\s*\.|\bsubprocess\b|\bpopen\b|\bsystem\s*\(/i, why: 'operating-system access' },
  {
    pattern: /\b(?:eval|exec|compile|getattr|setattr|open)\s*\(/,
    why: 'dynamic code execution or file access',
  },
  { pattern: /\|\s*attr\s*\(/, why: '|attr filter (attribute access bypassing dot filters)' },
  { pattern: /\bconfig\s*\.|\brequest\s*\.\s*application\b/, why: 'framework object access' },
  { pattern: /\{%\s*(?:include|import|extends|from)\b/, why: 'loads other templates' },
];

export function scanChatTemplate(template: string): TemplateFinding[] {
  const findings: TemplateFinding[] = [];
  for (const { pattern, why } of rules) {
    const m = pattern.exec(template);
    if (m) findings.push({ pattern: m[0].slice(0, 60), why });
  }
  return findings;
}
