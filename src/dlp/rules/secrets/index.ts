// All built-in credential rules, grouped by family.
import type { SecretRule } from '../secret-rule.ts';
import { aiRules } from './ai.ts';
import { awsRules } from './aws.ts';
import { azureRules } from './azure.ts';
import { chatRules } from './chat.ts';
import { ciRules } from './ci.ts';
import { cloudRules } from './cloud.ts';
import { databaseRules } from './databases.ts';
import { genericRules } from './generic.ts';
import { githubRules } from './github.ts';
import { gitlabRules } from './gitlab.ts';
import { googleRules } from './google.ts';
import { infraRules } from './infra.ts';
import { keyRules } from './keys.ts';
import { messagingRules } from './messaging.ts';
import { packageRules } from './packages.ts';
import { paymentRules } from './payments.ts';
import { saasRules } from './saas.ts';

export const secretRules: readonly SecretRule[] = [
  ...awsRules,
  ...googleRules,
  ...azureRules,
  ...githubRules,
  ...gitlabRules,
  ...ciRules,
  ...chatRules,
  ...messagingRules,
  ...paymentRules,
  ...packageRules,
  ...infraRules,
  ...cloudRules,
  ...saasRules,
  ...aiRules,
  ...keyRules,
  ...databaseRules,
  ...genericRules,
];
