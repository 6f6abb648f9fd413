// Private key material and signed tokens. PEM headers are assembled by concatenation so this file
// holds no complete key header for repository scanners to flag.
import type { SecretRule } from '../secret-rule.ts';
import { B64, B64URL, HEX, synth } from '../synth.ts';

const DASH = '-----';
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const pem = (label: string, seed: string, lines = 6): string => {
  const body = Array.from({ length: lines }, (_, i) => synth(`${seed}${i}`, B64, 64)).join('\n');
  return `${DASH}BEGIN ${label}${DASH}\n${body}\n${DASH}END ${label}${DASH}`;
};

/** Matches a complete block, or — when the END line never comes (truncated paste, a stream still
 *  arriving) — the header and whatever key-shaped text follows it, so half a key is still caught. */
function pemRule(id: string, label: string, description: string): SecretRule {
  return {
    id,
    type: 'PRIVATE_KEY',
    description,
    keywords: [`begin ${label.toLowerCase()}`],
    pattern: String.raw`(?P<secret>-----BEGIN ${label}-----(?:[\s\S]*?-----END ${label}-----|[A-Za-z0-9+/=\s:,.\\-]*))`,
    severity: 'critical',
    examples: {
      positive: [
        `key:\n${pem(label, id)}\n`,
        `truncated ${DASH}BEGIN ${label}${DASH}\n${synth(id + 't', B64, 64)}`,
      ],
      negative: [`BEGIN ${label} (no dashes)`, `${DASH}BEGIN PUBLIC KEY${DASH}`],
    },
  };
}

const jwtHeader = b64url('{"alg":"HS256","typ":"JWT"}');
const jwtPayload = b64url(`{"sub":"${synth('jwt', HEX, 8)}","exp":1900000000}`);
const jweHeader = b64url('{"alg":"RSA-OAEP","enc":"A256GCM"}');
const jweParts = [342, 16, 40, 22].map((n, i) => synth(`jwe${i}`, B64URL, n)).join('.');

export const keyRules: SecretRule[] = [
  pemRule('private-key-rsa', 'RSA PRIVATE KEY', 'PEM RSA private key (PKCS#1).'),
  pemRule('private-key-ec', 'EC PRIVATE KEY', 'PEM elliptic-curve private key (SEC1).'),
  pemRule('private-key-dsa', 'DSA PRIVATE KEY', 'PEM DSA private key.'),
  pemRule('private-key-openssh', 'OPENSSH PRIVATE KEY', 'OpenSSH private key.'),
  pemRule('private-key-pkcs8', 'PRIVATE KEY', 'PEM PKCS#8 private key.'),
  pemRule('private-key-pkcs8-encrypted', 'ENCRYPTED PRIVATE KEY', 'PEM encrypted PKCS#8 private key.'),
  pemRule('private-key-pgp', 'PGP PRIVATE KEY BLOCK', 'OpenPGP (GnuPG) private key block.'),
  pemRule(
    'private-key-ssh2-encrypted',
    'SSH2 ENCRYPTED PRIVATE KEY',
    'SSH2 (ssh.com) encrypted private key.',
  ),
  {
    id: 'putty-private-key',
    type: 'PRIVATE_KEY',
    description: 'PuTTY .ppk private key file.',
    keywords: ['putty-user-key-file'],
    pattern: String.raw`(?P<secret>PuTTY-User-Key-File-\d: [\s\S]*?Private-Lines: \d+[\s\S]*?Private-MAC: [0-9a-f]+)`,
    severity: 'critical',
    examples: {
      positive: [
        `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\n${synth('ppk1', B64, 64)}\nPrivate-Lines: 1\n${synth('ppk2', B64, 44)}\nPrivate-MAC: ${synth('ppk3', HEX, 64)}`,
      ],
      negative: ['PuTTY-User-Key-File-3: ssh-ed25519 (public only)'],
    },
  },
  {
    id: 'age-secret-key',
    description: 'age encryption secret key.',
    keywords: ['age-secret-key-1'],
    pattern: String.raw`(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})`,
    severity: 'critical',
    examples: {
      positive: [`# created: now\nAGE-SECRET-KEY-1${synth('age', 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}`],
      negative: ['AGE-SECRET-KEY-1SHORT'],
    },
  },
  {
    id: 'jwt',
    description: 'JSON Web Token (signed JWS, header.payload.signature).',
    keywords: ['eyj'],
    pattern: String.raw`(?:^|[^A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})`,
    severity: 'high',
    examples: {
      positive: [`Authorization: Bearer ${jwtHeader}.${jwtPayload}.${synth('jwts', B64URL, 43)}`],
      negative: ['eyJhbGciOiJub25lIn0', 'eyJabc.eyJdef.ghi'],
    },
  },
  {
    id: 'jwe',
    type: 'JWT',
    description: 'JSON Web Encryption compact token (five parts).',
    keywords: ['eyj'],
    pattern: String.raw`(?:^|[^A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]{10,}){4})`,
    severity: 'high',
    examples: { positive: [`${jweHeader}.${jweParts}`], negative: ['eyJabc.def'] },
  },
  {
    id: 'kubeconfig-client-key',
    type: 'PRIVATE_KEY',
    description: 'Base64 client key embedded in a kubeconfig.',
    keywords: ['client-key-data'],
    pattern: String.raw`client-key-data:\s*["']?(?P<secret>[A-Za-z0-9+/]{100,}={0,2})`,
    severity: 'critical',
    examples: {
      positive: [`users:\n- name: admin\n  user:\n    client-key-data: ${synth('kcfg', B64, 200)}=`],
      negative: ['client-key-data: ""'],
    },
  },
  {
    id: 'kubernetes-service-account-token',
    type: 'JWT',
    description: 'Kubernetes service-account bearer token in a kubeconfig token field.',
    keywords: ['token:'],
    pattern: String.raw`\btoken:\s*["']?(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})`,
    severity: 'high',
    examples: {
      positive: [
        `    token: eyJ${synth('k1', B64URL, 30)}.${synth('k2', B64URL, 60)}.${synth('k3', B64URL, 40)}`,
      ],
      negative: ['token: none'],
    },
  },
  {
    id: 'ssh-passphrase-argument',
    type: 'PASSWORD',
    description: 'Passphrase given to sshpass or ssh-keygen on a command line.',
    keywords: ['sshpass', 'ssh-keygen'],
    pattern: String.raw`(?:sshpass\s+-p\s*|ssh-keygen\b[^\n]{0,100}?\s-[NP]\s+)["']?(?P<secret>[^\s"']{6,})`,
    severity: 'high',
    examples: {
      positive: [`sshpass -p ${synth('sshp', B64URL, 14)} ssh host`],
      negative: ['sshpass -f file ssh host'],
    },
  },
];
