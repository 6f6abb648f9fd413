// Chat and collaboration platforms: Slack, Discord, Telegram, Mattermost and friends.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64URL, DIGITS, HEX, LOWER_ALNUM, synth, UPPER_ALNUM } from '../synth.ts';
import { named, token } from './helpers.ts';

const d = (l: string, n: number) => synth(l, DIGITS, n);

export const chatRules: SecretRule[] = [
  {
    id: 'slack-bot-token',
    description: 'Slack bot token.',
    keywords: ['xoxb'],
    pattern: token('xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*'),
    severity: 'critical',
    examples: {
      positive: [`SLACK_BOT_TOKEN=xoxb-${d('sb1', 12)}-${d('sb2', 13)}-${synth('sb3', ALNUM, 24)}`],
      negative: ['xoxb-123-abc'],
    },
  },
  {
    id: 'slack-user-token',
    description: 'Slack user or enterprise token.',
    keywords: ['xoxp-', 'xoxe-'],
    pattern: token('xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}'),
    severity: 'critical',
    examples: {
      positive: [`xoxp-${d('su1', 12)}-${d('su2', 12)}-${d('su3', 13)}-${synth('su4', HEX, 32)}`],
      negative: ['xoxp-1-2-3-abc'],
    },
  },
  {
    id: 'slack-app-token',
    description: 'Slack app-level token.',
    keywords: ['xapp'],
    pattern: token('xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+'),
    severity: 'critical',
    examples: {
      positive: [`xapp-1-A${synth('sa1', UPPER_ALNUM, 10)}-${d('sa2', 13)}-${synth('sa3', LOWER_ALNUM, 64)}`],
      negative: ['xapp-token'],
    },
  },
  {
    id: 'slack-config-access-token',
    description: 'Slack configuration access token.',
    keywords: ['xoxe.xox'],
    pattern: token('xoxe\\.xox[bp]-\\d-[A-Z0-9]{163,166}'),
    severity: 'critical',
    examples: { positive: [`xoxe.xoxp-1-${synth('sc', UPPER_ALNUM, 164)}`], negative: ['xoxe.xoxp-1-SHORT'] },
  },
  {
    id: 'slack-config-refresh-token',
    description: 'Slack configuration refresh token.',
    keywords: ['xoxe-'],
    pattern: token('xoxe-\\d-[A-Z0-9]{146}'),
    severity: 'critical',
    examples: { positive: [`xoxe-1-${synth('scr', UPPER_ALNUM, 146)}`], negative: ['xoxe-1-SHORT'] },
  },
  {
    id: 'slack-legacy-token',
    description: 'Slack legacy workspace, bot or admin token.',
    keywords: ['xoxa-', 'xoxr-', 'xoxs-', 'xoxo-'],
    pattern: token('xox[aors]-(?:\\d+-)+[a-z0-9A-Z]{8,}'),
    severity: 'high',
    examples: { positive: [`xoxa-2-${d('sl1', 11)}-${synth('sl2', ALNUM, 32)}`], negative: ['xoxa-word'] },
  },
  {
    id: 'slack-webhook-url',
    description: 'Slack incoming webhook or workflow URL.',
    keywords: ['hooks.slack.com'],
    pattern: String.raw`(?P<secret>(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})`,
    severity: 'high',
    examples: {
      positive: [
        `https://hooks.slack.com/services/T${synth('sw1', UPPER_ALNUM, 8)}/B${synth('sw2', UPPER_ALNUM, 10)}/${synth('sw3', ALNUM, 24)}`,
      ],
      negative: ['https://hooks.slack.com/services/T000/B000/short'],
    },
  },
  {
    id: 'discord-bot-token',
    description: 'Discord bot token (base64 user id . timestamp . HMAC).',
    keywords: [],
    pattern: token(String.raw`[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}`),
    minEntropy: 3.5,
    severity: 'critical',
    examples: {
      positive: [
        `DISCORD_TOKEN=M${synth('db1', B64URL, 23)}.${synth('db2', B64URL, 6)}.${synth('db3', B64URL, 27)}`,
      ],
      negative: ['discord: M.abc.def'],
    },
  },
  {
    id: 'discord-webhook-url',
    description: 'Discord webhook URL.',
    keywords: ['discord'],
    pattern: String.raw`(?P<secret>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,68})`,
    severity: 'high',
    examples: {
      positive: [`https://discord.com/api/webhooks/${d('dw1', 18)}/${synth('dw2', B64URL, 68)}`],
      negative: ['https://discord.com/api/webhooks/1/x'],
    },
  },
  named({
    id: 'discord-client-secret',
    description: 'Discord OAuth client secret next to its identifier.',
    names: ['discord[\\w.-]{0,15}secret'],
    keywords: ['discord'],
    value: '[A-Za-z0-9_-]{32}',
    sampleName: 'DISCORD_CLIENT_SECRET',
    sample: synth('dcs', ALNUM, 32),
  }),
  {
    id: 'telegram-bot-token',
    description: 'Telegram Bot API token.',
    keywords: [':aa'],
    pattern: String.raw`(?:^|[^0-9])(?P<secret>[0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)`,
    severity: 'critical',
    examples: {
      positive: [`https://api.telegram.org/bot${d('tg1', 10)}:AA${synth('tg2', B64URL, 33)}/getMe`],
      negative: ['12345678:AAshort'],
    },
  },
  named({
    id: 'mattermost-access-token',
    description: 'Mattermost personal access token next to its identifier.',
    names: ['mattermost[\\w.-]{0,15}(?:token|key)'],
    keywords: ['mattermost'],
    value: '[a-z0-9]{26}',
    sampleName: 'MATTERMOST_TOKEN',
    sample: synth('mm', LOWER_ALNUM, 26),
  }),
  named({
    id: 'intercom-access-token',
    description: 'Intercom access token next to its identifier.',
    names: ['intercom[\\w.-]{0,15}(?:token|key)'],
    keywords: ['intercom'],
    value: '[A-Za-z0-9=_-]{60}',
    sampleName: 'INTERCOM_ACCESS_TOKEN',
    sample: synth('ic', ALNUM, 60),
  }),
  named({
    id: 'zoom-client-secret',
    description: 'Zoom app client secret next to its identifier.',
    names: ['zoom[\\w.-]{0,15}(?:secret|token)'],
    keywords: ['zoom'],
    value: '[A-Za-z0-9]{32}',
    sampleName: 'ZOOM_CLIENT_SECRET',
    sample: synth('zoom', ALNUM, 32),
  }),
  named({
    id: 'webex-access-token',
    description: 'Webex bot / integration token next to its identifier.',
    names: ['webex[\\w.-]{0,15}(?:token|secret)'],
    keywords: ['webex'],
    value: '[A-Za-z0-9]{64}_[A-Za-z0-9]{4}_[a-f0-9-]{36}',
    sampleName: 'WEBEX_TOKEN',
    sample: `${synth('wx1', ALNUM, 64)}_${synth('wx2', ALNUM, 4)}_${synth('wx3', HEX, 36)}`,
  }),
];
