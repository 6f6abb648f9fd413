// GitHub credentials. The 2021 token formats carry a CRC32 checksum, so look-alikes are rejected.
import { prefixedCrc32Valid } from '../../checksum.ts';
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, checksummed, HEX, synth } from '../synth.ts';
import { assign, contextual, token } from './helpers.ts';

function bad(t: string): string {
  // Same shape, wrong checksum: the last char changed.
  return t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');
}

function classic(id: string, prefix: string, description: string): SecretRule {
  const good = checksummed(prefix, id);
  return {
    id,
    description,
    keywords: [prefix],
    pattern: token(`${prefix}[0-9A-Za-z]{36}`),
    validate: prefixedCrc32Valid,
    severity: 'critical',
    examples: {
      positive: [`token: ${good}`, `git clone https://x:${checksummed(prefix, id + '2')}@github.com/o/r`],
      negative: [bad(good), `${prefix}${'a'.repeat(20)}`],
    },
  };
}

export const githubRules: SecretRule[] = [
  classic('github-pat', 'ghp_', 'GitHub personal access token (classic).'),
  classic('github-oauth-token', 'gho_', 'GitHub OAuth access token.'),
  classic('github-app-user-token', 'ghu_', 'GitHub App user-to-server token.'),
  classic('github-app-installation-token', 'ghs_', 'GitHub App server-to-server (installation) token.'),
  classic('github-refresh-token', 'ghr_', 'GitHub App refresh token.'),
  {
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token.',
    keywords: ['github_pat_'],
    pattern: token('github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}'),
    severity: 'critical',
    examples: {
      positive: [`GH_TOKEN=github_pat_${synth('gf1', ALNUM, 22)}_${synth('gf2', ALNUM, 59)}`],
      negative: [`github_pat_${synth('gf3', ALNUM, 22)}`],
    },
  },
  {
    id: 'github-oauth-client-secret',
    description: 'GitHub OAuth app client secret next to its identifier.',
    keywords: ['github'],
    pattern: contextual(['github[\\w.-]{0,20}(?:client_?)?secret'], '[a-f0-9]{40}'),
    minEntropy: 3,
    severity: 'high',
    examples: {
      positive: [assign('GITHUB_CLIENT_SECRET', synth('ghcs', HEX, 40))],
      negative: [assign('GITHUB_CLIENT_SECRET', '0'.repeat(40))],
    },
  },
  {
    id: 'github-legacy-token',
    description: 'Pre-2021 40-hex GitHub token next to a github identifier.',
    keywords: ['github', 'gh_token'],
    pattern: contextual(['github[\\w.-]{0,20}(?:token|pat|key)', 'gh_?token'], '[a-f0-9]{40}'),
    minEntropy: 3,
    severity: 'high',
    examples: {
      positive: [assign('GITHUB_TOKEN', synth('ghl', HEX, 40))],
      negative: [assign('GITHUB_TOKEN', `\${{ secrets.GITHUB_TOKEN }}`)],
    },
  },
];
