// Human text for `airlock doctor` (the --json form is the DoctorReport itself).
import type { DoctorReport } from './doctor.ts';

const MARK = { ok: 'ok   ', warn: 'WARN ', error: 'ERROR' } as const;

export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(
    `airlock doctor — ${report.configPath ?? 'config'} — ${report.generatedAt} (offline: no network used)`,
  );
  lines.push('', 'addresses this config reaches:');
  if (report.targets.length === 0) lines.push('  (none)');
  for (const t of report.targets) {
    const port = t.port === null ? 'any port' : `port ${t.port}`;
    lines.push(
      `  ${t.source}: ${t.host} ${port} — ${t.resolvedAs}, ${t.scope}, ${t.allowed ? 'allowed' : 'NOT allowed'}`,
    );
  }
  lines.push('', 'findings:');
  for (const f of report.findings) {
    lines.push(`  ${MARK[f.level]} ${f.code}: ${f.message}`);
    if (f.level !== 'ok') lines.push(`        fix: ${f.fix}`);
  }
  const errors = report.findings.filter((f) => f.level === 'error').length;
  const warnings = report.findings.filter((f) => f.level === 'warn').length;
  lines.push('', `${errors} error(s), ${warnings} warning(s); guard: ${report.guard}`);
  return `${lines.join('\n')}\n`;
}
