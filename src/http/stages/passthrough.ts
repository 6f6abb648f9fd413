// Stages that later planes fill (DLP inspect-in, approvals and step-up obligations). They exist now
// so the pipeline's shape never changes; each records that it passed.
import type { StageName } from '../context.ts';
import type { Stage } from '../pipeline.ts';

export function createPassThroughStage(name: StageName): Stage {
  return { name, run() {} };
}
