// Generic credential shapes: `password = "..."`, `api_key: ...`, Authorization headers. On overlap
// a specific rule's type wins (engine dedupe), so these only name what nothing else recognised.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64URL, synth } from '../synth.ts';

// Values that are obviously not secrets: template references and masked placeholders.
const NOT_PLACEHOLDER = String.raw`[^\s'"\x60$<{*%][^\s'"\x60]`;
const PLACEHOLDER_WORDS = /^(?:password|changeme|null|none|true|false|undefined|required|example|redacted)$/i;

export const genericRules: SecretRule[] = [
  {
    id: 'generic-password-assignment',
    type: 'PASSWORD',
    description: 'A password assigned to a password-like name.',
    keywords: ['pass', 'pwd'],
    pattern:
      String.raw`(?i:(?:password|passwd|passphrase|pass|pwd)(?:[_.-]?[a-z0-9]{0,12})?)['"\x60]?\s{0,3}(?:=|:|=>|:=)\s{0,3}['"\x60]?` +
      String.raw`(?P<secret>${NOT_PLACEHOLDER}{5,127})`,
    minEntropy: 2.5,
    validate: (v) => !PLACEHOLDER_WORDS.test(v),
    severity: 'high',
    generic: true,
    examples: {
      positive: [
        `db_password = "${synth('gp1', ALNUM, 12)}"`,
        `PASSWORD=${synth('gp2', ALNUM, 10)}!`,
        `{"pwd": "${synth('gp3', ALNUM, 9)}"}`,
      ],
      negative: [
        `password = "\${DB_PASSWORD}"`,
        'password: ********',
        'password = "changeme"',
        'password: aaaaaaa',
      ],
    },
  },
  {
    id: 'generic-api-key-assignment',
    type: 'GENERIC_SECRET',
    description: 'A high-entropy value assigned to a secret/token/api_key-like name.',
    keywords: [
      'secret',
      'token',
      'api_key',
      'apikey',
      'api-key',
      'access_key',
      'accesskey',
      'auth',
      'credential',
      'private_key',
    ],
    pattern:
      String.raw`(?i:(?:secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|credentials?|private[_-]?key|client[_-]?secret)(?:[_.-]?[a-z0-9]{0,16})?)['"\x60]?\s{0,3}(?:=|:|=>|:=)\s{0,3}['"\x60]?` +
      String.raw`(?P<secret>[A-Za-z0-9_+/=.~-]{16,256})`,
    minEntropy: 3.5,
    severity: 'high',
    generic: true,
    examples: {
      positive: [
        `api_key = "${synth('ga1', ALNUM, 32)}"`,
        `"client_secret": "${synth('ga2', B64URL, 40)}"`,
        `MY_SERVICE_TOKEN=${synth('ga3', ALNUM, 24)}`,
      ],
      negative: ['token = "aaaaaaaaaaaaaaaaaaaa"', `secret: \${VAULT_SECRET}`, 'token_type: bearer'],
    },
  },
  {
    id: 'authorization-bearer-token',
    type: 'BEARER_TOKEN',
    description: 'Bearer token in an Authorization header.',
    keywords: ['bearer'],
    pattern: String.raw`(?i:authorization)["']?\s*[:=]\s*["']?(?i:bearer)\s+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)`,
    minEntropy: 3,
    severity: 'high',
    generic: true,
    examples: {
      positive: [
        `Authorization: Bearer ${synth('bearer', B64URL, 40)}`,
        `curl -H "authorization: bearer ${synth('bearer2', ALNUM, 32)}"`,
      ],
      negative: ['Authorization: Bearer <token>', `Authorization: Bearer \${TOKEN}`],
    },
  },
  {
    id: 'authorization-basic-credentials',
    type: 'BASIC_AUTH',
    description: 'user:password in a Basic Authorization header.',
    keywords: ['basic'],
    pattern: String.raw`(?i:authorization)["']?\s*[:=]\s*["']?(?i:basic)\s+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})`,
    minEntropy: 2.5,
    severity: 'high',
    generic: true,
    examples: {
      positive: [
        `Authorization: Basic ${Buffer.from('svc:' + synth('basic', ALNUM, 14)).toString('base64')}`,
      ],
      negative: ['Authorization: Basic <base64>'],
    },
  },
  {
    id: 'curl-user-password',
    type: 'PASSWORD',
    description: 'Credentials passed to curl -u user:password.',
    keywords: ['curl'],
    pattern: String.raw`curl\b[^\n]{0,200}?\s(?:-u|--user)\s+["']?[^\s:"']{1,64}:(?P<secret>[^\s"']{3,128})`,
    minEntropy: 2,
    severity: 'high',
    generic: true,
    examples: {
      positive: [`curl -s -u deploy:${synth('curl', ALNUM, 14)} https://repo.internal/upload`],
      negative: ['curl -u deploy https://repo.internal/upload'],
    },
  },
  {
    id: 'x-api-key-header',
    type: 'GENERIC_SECRET',
    description: 'API key in an X-API-Key style header.',
    keywords: ['x-api-key', 'api-key:', 'x-auth-token', 'x-access-token'],
    pattern: String.raw`(?i:x-api-key|api-key|x-auth-token|x-access-token)["']?\s*:\s*["']?(?P<secret>[A-Za-z0-9._~+/=-]{16,256})`,
    minEntropy: 3.3,
    severity: 'high',
    generic: true,
    examples: {
      positive: [`X-API-Key: ${synth('xapi', ALNUM, 32)}`],
      negative: ['X-API-Key: <your key here>'],
    },
  },
];
