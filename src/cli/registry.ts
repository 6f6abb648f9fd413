// Maps command names to commands. Adding a command is one import and one entry here.

import { mcpCommand } from '../mcp/cli-command.ts';
import { approvalsCommand } from './commands/approvals.ts';
import { auditCommand } from './commands/audit.ts';
import { breakglassCommand } from './commands/breakglass.ts';
import { changesCommand } from './commands/changes.ts';
import { configCommand } from './commands/config.ts';
import { doctorCommand } from './commands/doctor.ts';
import { initCommand } from './commands/init.ts';
import { keysCommand } from './commands/keys.ts';
import { modelsCommand } from './commands/models.ts';
import { policyCommand } from './commands/policy.ts';
import { sbomCommand } from './commands/sbom.ts';
import { secretsCommand } from './commands/secrets.ts';
import { serveCommand } from './commands/serve.ts';
import { tasksCommand } from './commands/tasks.ts';
import { usersCommand } from './commands/users.ts';
import { witnessCommand } from './commands/witness.ts';
import { workerCommand } from './commands/worker.ts';
import type { CliCommand } from './types.ts';

export function commandRegistry(): Map<string, CliCommand> {
  const commands = [
    initCommand,
    serveCommand,
    keysCommand,
    secretsCommand,
    usersCommand,
    tasksCommand,
    configCommand,
    policyCommand,
    mcpCommand,
    approvalsCommand,
    breakglassCommand,
    changesCommand,
    modelsCommand,
    sbomCommand,
    doctorCommand,
    auditCommand,
    witnessCommand,
    workerCommand,
  ];
  return new Map(commands.map((c) => [c.name, c]));
}
