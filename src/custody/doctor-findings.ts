// What `airlock doctor` says about model custody (P7): every way the config weakens it is a warning
// an assessor sees offline — enforcement off, two-person custody off, and each exempt target.
import type { AirlockConfig } from '../config/schema.ts';

export interface CustodyFinding {
  readonly level: 'ok' | 'warn';
  readonly code: string;
  readonly message: string;
  readonly fix: string;
}

export function custodyFindings(config: AirlockConfig): CustodyFinding[] {
  const c = config.custody;
  const out: CustodyFinding[] = [];
  if (!c.enforce)
    out.push({
      level: 'warn',
      code: 'custody_not_enforced',
      message: 'custody.enforce is false: unapproved models are loaded and routed to (P7 off)',
      fix: 'Import, approve and activate every model (or bind/exempt external targets), then remove custody.enforce: false.',
    });
  if (!c.twoPerson)
    out.push({
      level: 'warn',
      code: 'custody_single_person',
      message: 'custody.twoPerson is false: one person can approve, activate and roll back models',
      fix: 'Remove custody.twoPerson: false once a second admin exists.',
    });
  for (const [i, x] of c.exempt.entries())
    out.push({
      level: 'warn',
      code: 'custody_exempt_target',
      message: `custody.exempt[${i}]: ${x.upstream}/${x.model ?? '*'} is routed to without custody ("${x.reason}")`,
      fix: 'Import the artefact the backend serves and bind it under custody.serve, then remove the exemption.',
    });
  if (c.enforce && c.exempt.length === 0)
    out.push({
      level: 'ok',
      code: 'custody_enforced',
      message: 'custody enforced: only approved model versions are loaded and routed to',
      fix: 'Nothing to do.',
    });
  return out;
}
