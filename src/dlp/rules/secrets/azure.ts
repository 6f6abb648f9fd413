// Microsoft Azure and Azure DevOps credentials.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64, HEX, LOWER_ALNUM, synth, uuid } from '../synth.ts';
import { assign, contextual, token } from './helpers.ts';

const key86 = () => synth('az-key', B64, 86) + '==';
const key43 = (l: string) => synth(l, B64, 43) + '=';

export const azureRules: SecretRule[] = [
  {
    id: 'azure-storage-connection-string',
    description: 'Azure Storage connection string with an account key.',
    keywords: ['defaultendpointsprotocol'],
    pattern: String.raw`(?P<secret>DefaultEndpointsProtocol=https?;AccountName=[A-Za-z0-9]{3,24};AccountKey=[A-Za-z0-9+/]{86}==(?:;[A-Za-z]+=[^;\s"']+)*)`,
    severity: 'critical',
    examples: {
      positive: [
        `DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey=${key86()};EndpointSuffix=core.windows.net`,
      ],
      negative: ['DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey=abc'],
    },
  },
  {
    id: 'azure-storage-account-key',
    description: 'Azure Storage account key (88 chars, ends ==).',
    keywords: ['accountkey', 'account_key', 'storage'],
    pattern: contextual(['account_?key', 'storage[\\w.-]{0,20}key'], '[A-Za-z0-9+/]{86}=='),
    minEntropy: 4,
    severity: 'critical',
    examples: {
      positive: [`AccountKey=${key86()}`, assign('storage_account_key', key86())],
      negative: [assign('storage_key', 'A'.repeat(86) + '==')],
    },
  },
  {
    id: 'azure-sas-token',
    description: 'Azure shared access signature (sv=…&sig=…).',
    keywords: ['sig='],
    pattern: String.raw`[?&]sv=\d{4}-\d{2}-\d{2}[^\s"'<>]{0,400}?[?&]sig=(?P<secret>[A-Za-z0-9%+/]{30,100}(?:%3[Dd]|=){0,2})`,
    severity: 'high',
    examples: {
      positive: [
        `https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&sig=${synth('sas', ALNUM, 43)}%3D`,
      ],
      negative: ['https://example.com/?sv=2022-11-02&sig=abc'],
    },
  },
  {
    id: 'azure-ad-client-secret',
    type: 'AZURE_CLIENT_SECRET',
    description: 'Microsoft Entra ID (Azure AD) application client secret.',
    keywords: ['q~'],
    pattern: String.raw`(?:^|[\\'"\x60\s>=:(,)])(?P<secret>[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),])`,
    severity: 'critical',
    examples: {
      positive: [`client_secret="${synth('aad', ALNUM, 3)}8Q~${synth('aad2', ALNUM, 34)}"`],
      negative: ['abc8Q~short'],
    },
  },
  {
    id: 'azure-service-bus-connection-string',
    description: 'Azure Service Bus / Event Hubs connection string.',
    keywords: ['sharedaccesskey'],
    pattern: String.raw`(?P<secret>Endpoint=sb://[A-Za-z0-9.-]+/?;SharedAccessKeyName=[^;\s]+;SharedAccessKey=[A-Za-z0-9+/]{43}=)`,
    severity: 'critical',
    examples: {
      positive: [
        `Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${key43('sb')}`,
      ],
      negative: ['Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=x;SharedAccessKey=short'],
    },
  },
  {
    id: 'azure-cosmosdb-connection-string',
    description: 'Azure Cosmos DB connection string.',
    keywords: ['accountendpoint'],
    pattern: String.raw`(?P<secret>AccountEndpoint=https://[A-Za-z0-9.-]+(?::\d+)?/?;AccountKey=[A-Za-z0-9+/]{86}==)`,
    severity: 'critical',
    examples: {
      positive: [`AccountEndpoint=https://db.documents.azure.com:443/;AccountKey=${key86()};`],
      negative: ['AccountEndpoint=https://db/;AccountKey=x'],
    },
  },
  {
    id: 'azure-app-configuration-connection-string',
    description: 'Azure App Configuration connection string.',
    keywords: ['azconfig.io'],
    pattern: String.raw`(?P<secret>Endpoint=https://[A-Za-z0-9-]+\.azconfig\.io;Id=[^;\s]+;Secret=[A-Za-z0-9+/]{43}=)`,
    severity: 'critical',
    examples: {
      positive: [`Endpoint=https://cfg.azconfig.io;Id=${synth('azc', ALNUM, 20)};Secret=${key43('azc')}`],
      negative: ['Endpoint=https://cfg.azconfig.io;Id=x;Secret=y'],
    },
  },
  {
    id: 'azure-devops-pat',
    description: 'Azure DevOps personal access token (84-char format with AZDO signature).',
    keywords: ['azdo'],
    pattern: token('[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{3}AZDO[A-Za-z0-9]{4}|[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}'),
    severity: 'critical',
    examples: {
      positive: [`pat: ${synth('ado', ALNUM, 76)}AZDO${synth('ado2', ALNUM, 4)}`],
      negative: [`${synth('ado3', ALNUM, 20)}AZDO`],
    },
  },
  {
    id: 'azure-devops-legacy-pat',
    description: 'Legacy 52-char Azure DevOps PAT next to its identifier.',
    keywords: ['azure', 'devops', 'ado_'],
    pattern: contextual(
      ['azure[\\w.-]{0,10}devops[\\w.-]{0,10}(?:pat|token)', 'ado_?pat', 'system_?accesstoken'],
      '[a-z2-7]{52}',
    ),
    severity: 'high',
    examples: {
      positive: [assign('AZURE_DEVOPS_PAT', synth('adol', 'abcdefghijklmnopqrstuvwxyz234567', 52))],
      negative: [assign('AZURE_DEVOPS_PAT', 'short')],
    },
  },
  {
    id: 'azure-openai-api-key',
    description: 'Azure OpenAI / Cognitive Services key next to its identifier.',
    keywords: ['azure', 'cognitive', 'ocp-apim'],
    pattern: contextual(
      [
        'azure_?openai_?(?:api_?)?key',
        'azure[\\w.-]{0,20}key',
        'ocp-apim-subscription-key',
        'cognitive[\\w.-]{0,20}key',
      ],
      '[a-f0-9]{32}|[A-Za-z0-9]{84}',
    ),
    minEntropy: 3,
    severity: 'high',
    examples: {
      positive: [
        assign('AZURE_OPENAI_API_KEY', synth('aoai', HEX, 32)),
        `Ocp-Apim-Subscription-Key: ${synth('apim', HEX, 32)}`,
      ],
      negative: [assign('AZURE_OPENAI_API_KEY', '0'.repeat(32))],
    },
  },
  {
    id: 'azure-function-key',
    description: 'Azure Functions key in a URL or header.',
    keywords: ['x-functions-key', 'code='],
    pattern: String.raw`(?:x-functions-key["']?\s*[:=]\s*["']?|azurewebsites\.net/api/[^\s?"']*\?(?:[^\s"']*&)?code=)(?P<secret>[A-Za-z0-9_=-]{40,60}(?:==)?)`,
    severity: 'high',
    examples: {
      positive: [`https://fn.azurewebsites.net/api/run?code=${synth('azf', ALNUM, 54)}==`],
      negative: ['https://fn.azurewebsites.net/api/run?code=abc'],
    },
  },
  {
    id: 'azure-batch-key',
    description: 'Azure Batch account key.',
    keywords: ['batch'],
    pattern: contextual(['batch[\\w.-]{0,20}key'], '[A-Za-z0-9+/]{86}=='),
    severity: 'high',
    examples: {
      positive: [assign('AZURE_BATCH_ACCOUNT_KEY', key86())],
      negative: [assign('batch_key', 'x')],
    },
  },
  {
    id: 'microsoft-teams-webhook',
    description: 'Microsoft Teams incoming webhook URL.',
    keywords: ['webhook.office.com'],
    pattern: String.raw`(?P<secret>https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36}(?:/[A-Za-z0-9_-]+)?)`,
    severity: 'high',
    examples: {
      positive: [
        `https://acme.webhook.office.com/webhookb2/${uuid('t1')}@${uuid('t2')}/IncomingWebhook/${synth('t3', LOWER_ALNUM, 32)}/${uuid('t4')}`,
      ],
      negative: ['https://acme.webhook.office.com/webhookb2/short'],
    },
  },
  {
    id: 'azure-sql-connection-string',
    description: 'SQL Server / Azure SQL ADO.NET connection string with a password.',
    keywords: ['password=', 'pwd='],
    pattern: String.raw`(?i:(?:server|data source)=[^;\n"']{1,200};[^\n"']{0,300}?(?:password|pwd)=)(?P<secret>[^;\n"']{4,128})`,
    severity: 'critical',
    examples: {
      positive: [
        `Server=tcp:db.database.windows.net,1433;Database=app;User ID=admin;Password=${synth('sqlpw', ALNUM, 16)};Encrypt=true`,
      ],
      negative: ['Server=db;Database=app;Integrated Security=true'],
    },
  },
];
