// GitLab credentials (https://docs.gitlab.com/security/tokens/ — prefixes per token kind).

import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64URL, HEX, synth } from '../synth.ts';
import { token } from './helpers.ts';

function gitlab(id: string, prefix: string, body: string, sample: string, description: string): SecretRule {
  return {
    id,
    description,
    keywords: [prefix.toLowerCase()],
    pattern: token(prefix + body),
    minEntropy: 3,
    severity: 'critical',
    examples: {
      positive: [`token=${prefix}${sample}`, `"${prefix}${sample}"`],
      negative: [`${prefix}short`, `${prefix}${'a'.repeat(sample.length)}`],
    },
  };
}

const s = (l: string, n: number) => synth(l, ALNUM, n);

export const gitlabRules: SecretRule[] = [
  gitlab(
    'gitlab-pat',
    'glpat-',
    String.raw`[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?`,
    s('glpat', 20),
    'GitLab personal/project/group access token.',
  ),
  gitlab(
    'gitlab-pipeline-trigger-token',
    'glptt-',
    '[0-9a-f]{40}',
    synth('glptt', HEX, 40),
    'GitLab pipeline trigger token.',
  ),
  gitlab(
    'gitlab-runner-registration-token',
    'GR1348941',
    '[0-9A-Za-z_-]{20}',
    s('gr', 20),
    'GitLab runner registration token.',
  ),
  gitlab(
    'gitlab-runner-auth-token',
    'glrt-',
    '[0-9A-Za-z_-]{20,}',
    s('glrt', 20),
    'GitLab runner authentication token.',
  ),
  gitlab('gitlab-deploy-token', 'gldt-', '[0-9A-Za-z_-]{20,}', s('gldt', 20), 'GitLab deploy token.'),
  gitlab('gitlab-feed-token', 'glft-', '[0-9A-Za-z_-]{20,}', s('glft', 20), 'GitLab feed token.'),
  gitlab(
    'gitlab-incoming-mail-token',
    'glimt-',
    '[0-9A-Za-z_-]{25}',
    s('glimt', 25),
    'GitLab incoming mail token.',
  ),
  gitlab(
    'gitlab-kubernetes-agent-token',
    'glagent-',
    '[0-9A-Za-z_-]{50}',
    s('glagent', 50),
    'GitLab agent for Kubernetes token.',
  ),
  gitlab(
    'gitlab-oauth-app-secret',
    'gloas-',
    '[0-9A-Za-z_-]{64}',
    s('gloas', 64),
    'GitLab OAuth application secret.',
  ),
  gitlab(
    'gitlab-cicd-job-token',
    'glcbt-',
    '[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20,}',
    `64_${s('glcbt', 20)}`,
    'GitLab CI/CD job token.',
  ),
  gitlab('gitlab-scim-token', 'glsoat-', '[0-9A-Za-z_-]{20,}', s('glsoat', 20), 'GitLab SCIM OAuth token.'),
  gitlab(
    'gitlab-feature-flag-client-token',
    'glffct-',
    '[0-9A-Za-z_-]{20,}',
    s('glffct', 20),
    'GitLab feature flags client token.',
  ),
  gitlab(
    'gitlab-runner-routable-token',
    'glrtr-',
    '[0-9A-Za-z_-]{27,}',
    synth('glrtr', B64URL, 40),
    'GitLab routable runner token.',
  ),
];
