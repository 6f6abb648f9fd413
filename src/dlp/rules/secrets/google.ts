// Google Cloud / Firebase / Google OAuth credentials.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64, B64URL, DIGITS, synth, UPPER } from '../synth.ts';
import { token } from './helpers.ts';

// Built by concatenation so no complete PEM header sits in the source for scanners to flag.
const BEGIN = '-----BEGIN ' + 'PRIVATE KEY-----';
const END = '-----END ' + 'PRIVATE KEY-----';
const pemBody = synth('gcp-pem', B64, 64 * 4);

export const googleRules: SecretRule[] = [
  {
    id: 'gcp-api-key',
    description: 'Google Cloud / Maps / Gemini API key.',
    keywords: ['aiza'],
    pattern: token('AIza[0-9A-Za-z_-]{35}'),
    minEntropy: 3,
    severity: 'high',
    examples: {
      positive: [`key=AIza${synth('gk', B64URL, 35)}&q=1`],
      negative: [`AIza${synth('gk2', B64URL, 20)}`],
    },
  },
  {
    id: 'gcp-service-account-private-key',
    description: 'Private key inside a Google service-account JSON file.',
    keywords: ['private_key'],
    pattern: String.raw`"private_key"\s*:\s*"(?P<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=\s])+-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)"`,
    severity: 'critical',
    examples: {
      positive: [
        `{"type": "service_account", "private_key": "${BEGIN}\\n${pemBody}\\n${END}\\n", "client_email": "x"}`,
      ],
      negative: ['{"type": "service_account", "private_key": ""}'],
    },
  },
  {
    id: 'gcp-service-account-key-id',
    description: 'private_key_id of a Google service-account key.',
    keywords: ['private_key_id'],
    pattern: String.raw`"private_key_id"\s*:\s*"(?P<secret>[a-f0-9]{40})"`,
    severity: 'medium',
    examples: {
      positive: [`"private_key_id": "${synth('pkid', '0123456789abcdef', 40)}"`],
      negative: ['"private_key_id": "abc"'],
    },
  },
  {
    id: 'gcp-oauth-client-secret',
    description: 'Google OAuth client secret.',
    keywords: ['gocspx-'],
    pattern: token('GOCSPX-[A-Za-z0-9_-]{28}'),
    severity: 'high',
    examples: {
      positive: [`client_secret: GOCSPX-${synth('gocs', B64URL, 28)}`],
      negative: ['GOCSPX-short'],
    },
  },
  {
    id: 'google-oauth-access-token',
    description: 'Google OAuth 2.0 access token.',
    keywords: ['ya29.'],
    pattern: token(String.raw`ya29\.[0-9A-Za-z_-]{30,}`),
    severity: 'high',
    examples: {
      positive: [`Authorization: Bearer ya29.${synth('ya29', B64URL, 120)}`],
      negative: ['ya29.short'],
    },
  },
  {
    id: 'google-oauth-refresh-token',
    description: 'Google OAuth 2.0 refresh token.',
    keywords: ['1//0'],
    pattern: token('1//0[0-9A-Za-z_-]{40,250}'),
    severity: 'high',
    examples: { positive: [`refresh_token=1//0${synth('rt', B64URL, 90)}`], negative: ['path 1//0abc'] },
  },
  {
    id: 'firebase-cloud-messaging-key',
    description: 'Firebase Cloud Messaging legacy server key.',
    keywords: ['aaaa'],
    pattern: token('AAAA[A-Za-z0-9_-]{7}:[A-Za-z0-9_-]{140}'),
    severity: 'high',
    examples: {
      positive: [`key=AAAA${synth('fcm1', B64URL, 7)}:${synth('fcm2', B64URL, 140)}`],
      negative: ['AAAA:short'],
    },
  },
  {
    id: 'google-recaptcha-secret',
    description: 'reCAPTCHA secret key next to its identifier.',
    keywords: ['recaptcha'],
    pattern: String.raw`(?i:recaptcha)[\w.-]{0,20}?(?i:secret)[\w.-]{0,10}['"\s]{0,3}[:=]\s*['"]?(?P<secret>6L[0-9A-Za-z_-]{38})`,
    severity: 'medium',
    examples: {
      positive: [`RECAPTCHA_SECRET_KEY="6L${synth('rc', B64URL, 38)}"`],
      negative: ['RECAPTCHA_SITE=6Lshort'],
    },
  },
  {
    id: 'google-cloud-hmac-key',
    description: 'Google Cloud Storage HMAC access id (GOOG...).',
    keywords: ['goog1'],
    pattern: token('GOOG1[A-Z0-9]{56,60}'),
    severity: 'high',
    examples: {
      positive: [`access_id: GOOG1${synth('goog', UPPER + DIGITS, 56)}`],
      negative: ['GOOG1SHORT'],
    },
  },
  {
    id: 'google-api-client-id-secret-pair',
    type: 'GCP_OAUTH_CLIENT',
    description: 'OAuth client id of a Google application (paired with a secret elsewhere).',
    keywords: ['apps.googleusercontent.com'],
    pattern: String.raw`(?P<secret>[0-9]{10,14}-[a-z0-9]{32}\.apps\.googleusercontent\.com)`,
    severity: 'low',
    examples: {
      positive: [
        `${synth('gcid', DIGITS, 12)}-${synth('gcid2', 'abcdefghijklmnopqrstuvwxyz0123456789', 32)}.apps.googleusercontent.com`,
      ],
      negative: ['apps.googleusercontent.com'],
    },
  },
  {
    id: 'google-gemini-ephemeral-token',
    description: 'Gemini Live API ephemeral auth token.',
    keywords: ['auth_tokens/'],
    pattern: String.raw`(?P<secret>auth_tokens/[A-Za-z0-9_-]{40,})`,
    severity: 'medium',
    examples: { positive: [`token: auth_tokens/${synth('gem', ALNUM, 48)}`], negative: ['auth_tokens/'] },
  },
];
