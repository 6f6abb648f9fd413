// Amazon Web Services credentials.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64, DIGITS, HEX, synth, UPPER, uuid } from '../synth.ts';
import { assign, contextual, token } from './helpers.ts';

const B32 = UPPER + '234567';
const keyId = (p: string, l: string) => p + synth(l, B32, 16);
const secret40 = synth('aws-secret', B64, 40);

export const awsRules: SecretRule[] = [
  {
    id: 'aws-access-key-id',
    type: 'AWS_ACCESS_KEY',
    description: 'AWS access key id (long-term AKIA, temporary ASIA and others).',
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    pattern: token('(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}'),
    minEntropy: 3,
    // AWS documents its placeholder keys with an EXAMPLE suffix; they appear in every tutorial.
    validate: (v) => !v.endsWith('EXAMPLE'),
    severity: 'critical',
    examples: {
      positive: [`aws_access_key_id = ${keyId('AKIA', 'a1')}`, `"AccessKeyId": "${keyId('ASIA', 'a2')}"`],
      negative: [
        `AKIA${'IOSFODNN7'}${'EXAMPLE'}`,
        `AKIA${'A'.repeat(16)}`,
        `AKIA${synth('a3', B32, 12)}`,
        `XAKIA${synth('a4', B32, 16)}`,
      ],
    },
  },
  {
    id: 'aws-secret-access-key',
    type: 'AWS_SECRET_KEY',
    description: 'AWS secret access key next to an aws/secret identifier.',
    keywords: ['aws', 'secret_access', 'secretaccesskey'],
    pattern: contextual(
      ['aws_?secret_?access_?key', 'secret_?access_?key', 'aws_?secret', 'aws_?key'],
      '[A-Za-z0-9/+=]{40}',
    ),
    minEntropy: 3.5,
    severity: 'critical',
    examples: {
      positive: [
        assign('aws_secret_access_key', secret40),
        `AWS_SECRET_ACCESS_KEY=${secret40}`,
        `"SecretAccessKey": "${secret40}"`,
      ],
      negative: [
        assign('aws_secret_access_key', 'x'.repeat(40)),
        assign('aws_region', secret40.slice(0, 20)),
      ],
    },
  },
  {
    id: 'aws-session-token',
    description: 'AWS STS session token.',
    keywords: ['session_token', 'sessiontoken', 'security_token'],
    pattern: contextual(
      ['aws_?session_?token', 'session_?token', 'aws_?security_?token'],
      '[A-Za-z0-9/+=]{100,}',
    ),
    minEntropy: 4,
    severity: 'critical',
    examples: {
      positive: [assign('aws_session_token', `IQoJb3JpZ2luX2Vj${synth('ast', B64, 200)}`)],
      negative: [assign('aws_session_token', synth('ast2', B64, 50))],
    },
  },
  {
    id: 'aws-mws-key',
    description: 'Amazon Marketplace Web Service auth token.',
    keywords: ['amzn.mws'],
    pattern: String.raw`(?P<secret>amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`,
    severity: 'high',
    examples: { positive: [`mws: amzn.mws.${uuid('mws')}`], negative: ['amzn.mws.not-a-token'] },
  },
  {
    id: 'aws-bedrock-api-key',
    description: 'Amazon Bedrock long-term API key.',
    keywords: ['absk'],
    pattern: token('ABSK[A-Za-z0-9+/]{109,269}={0,2}', '[A-Za-z0-9+/=]'),
    minEntropy: 4,
    severity: 'critical',
    examples: {
      positive: [`AWS_BEARER_TOKEN_BEDROCK=ABSK${synth('absk', B64, 128)}`],
      negative: ['ABSK short'],
    },
  },
  {
    id: 'aws-account-id-arn-secret',
    type: 'AWS_SECRETS_MANAGER_ARN',
    description: 'ARN of a Secrets Manager secret (reveals account and secret names).',
    keywords: ['arn:aws:secretsmanager'],
    pattern: String.raw`(?P<secret>arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)`,
    severity: 'low',
    examples: {
      positive: [
        `arn:aws:secretsmanager:eu-west-1:${synth('acct', DIGITS, 12)}:secret:prod/db-${synth('arn', ALNUM, 6)}`,
      ],
      negative: ['arn:aws:s3:::bucket'],
    },
  },
  {
    id: 'aws-cognito-client-secret',
    description: 'Cognito app client secret next to its identifier.',
    keywords: ['cognito'],
    pattern: contextual(['cognito[\\w.-]{0,20}secret'], '[a-z0-9]{51,52}'),
    severity: 'high',
    examples: {
      positive: [assign('cognito_client_secret', synth('cog', HEX + 'ghijklmnopqrstuvwxyz', 52))],
      negative: [assign('cognito_client_secret', 'short')],
    },
  },
];
