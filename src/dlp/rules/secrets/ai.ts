// AI model providers and ML platforms.
import type { SecretRule } from '../secret-rule.ts';
import { ALNUM, B64URL, HEX, LOWER, synth, UPPER, uuid } from '../synth.ts';
import { named, prefixed, token } from './helpers.ts';

// The "T3BlbkFJ" marker is base64 of "OpenAI"; assembled so the source holds no full key shape.
const OAI = 'T3Blbk' + 'FJ';
const LETTERS = LOWER + UPPER;

function aiKey(id: string, prefix: string, body: string, sample: string, description: string): SecretRule {
  return prefixed({ id, description, prefix, body, sample });
}

export const aiRules: SecretRule[] = [
  {
    id: 'openai-api-key',
    description: 'OpenAI API key (user, project, service account or admin) with the T3BlbkFJ marker.',
    keywords: ['t3blbkfj'],
    pattern: token(`sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,120}${OAI}[A-Za-z0-9_-]{20,120}`),
    severity: 'critical',
    examples: {
      positive: [
        `OPENAI_API_KEY=sk-proj-${synth('oa1', B64URL, 74)}${OAI}${synth('oa2', B64URL, 74)}`,
        `sk-${synth('oa3', ALNUM, 20)}${OAI}${synth('oa4', ALNUM, 20)}`,
      ],
      negative: [`sk-${OAI}short`],
    },
  },
  {
    ...aiKey(
      'openai-project-key',
      'sk-proj-',
      '[A-Za-z0-9_-]{80,200}',
      synth('oap', B64URL, 156),
      'OpenAI project key.',
    ),
    type: 'OPENAI_API_KEY',
  },
  {
    ...aiKey(
      'openai-service-account-key',
      'sk-svcacct-',
      '[A-Za-z0-9_-]{80,200}',
      synth('oas', B64URL, 156),
      'OpenAI service-account key.',
    ),
    type: 'OPENAI_API_KEY',
  },
  {
    ...aiKey(
      'openai-admin-key',
      'sk-admin-',
      '[A-Za-z0-9_-]{80,200}',
      synth('oaa', B64URL, 156),
      'OpenAI admin key.',
    ),
    type: 'OPENAI_API_KEY',
  },
  aiKey(
    'anthropic-api-key',
    'sk-ant-api03-',
    '[A-Za-z0-9_-]{93}AA',
    synth('ant', B64URL, 93) + 'AA',
    'Anthropic API key.',
  ),
  aiKey(
    'anthropic-admin-key',
    'sk-ant-admin01-',
    '[A-Za-z0-9_-]{93}AA',
    synth('anta', B64URL, 93) + 'AA',
    'Anthropic admin API key.',
  ),
  aiKey(
    'huggingface-access-token',
    'hf_',
    '[A-Za-z]{34}',
    synth('hf', LETTERS, 34),
    'Hugging Face user access token.',
  ),
  aiKey(
    'huggingface-org-token',
    'api_org_',
    '[A-Za-z]{34}',
    synth('hfo', LETTERS, 34),
    'Hugging Face organisation API token.',
  ),
  aiKey('groq-api-key', 'gsk_', '[A-Za-z0-9]{52}', synth('groq', ALNUM, 52), 'Groq API key.'),
  aiKey('replicate-api-token', 'r8_', '[A-Za-z0-9]{37}', synth('r8', ALNUM, 37), 'Replicate API token.'),
  aiKey('perplexity-api-key', 'pplx-', '[A-Za-z0-9]{48}', synth('pplx', ALNUM, 48), 'Perplexity API key.'),
  aiKey('xai-api-key', 'xai-', '[A-Za-z0-9]{80}', synth('xai', ALNUM, 80), 'xAI (Grok) API key.'),
  aiKey('openrouter-api-key', 'sk-or-v1-', '[a-f0-9]{64}', synth('or', HEX, 64), 'OpenRouter API key.'),
  aiKey('fireworks-api-key', 'fw_', '[A-Za-z0-9]{24}', synth('fw', ALNUM, 24), 'Fireworks AI API key.'),
  aiKey(
    'pinecone-api-key',
    'pcsk_',
    '[A-Za-z0-9]{5,6}_[A-Za-z0-9]{40,70}',
    `${synth('pc1', ALNUM, 6)}_${synth('pc2', ALNUM, 63)}`,
    'Pinecone API key.',
  ),
  {
    id: 'langsmith-api-key',
    description: 'LangSmith personal / service key.',
    keywords: ['lsv2_'],
    pattern: token('lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}'),
    severity: 'high',
    examples: {
      positive: [`LANGSMITH_API_KEY=lsv2_pt_${synth('ls1', HEX, 32)}_${synth('ls2', HEX, 10)}`],
      negative: ['lsv2_pt_short'],
    },
  },
  named({
    id: 'cohere-api-key',
    description: 'Cohere API key next to its identifier.',
    names: ['cohere[\\w.-]{0,15}(?:key|token)', 'co_?api_?key'],
    keywords: ['cohere', 'co_api_key', 'coapikey'],
    value: '[A-Za-z0-9]{40}',
    sampleName: 'COHERE_API_KEY',
    sample: synth('cohere', ALNUM, 40),
    severity: 'critical',
  }),
  named({
    id: 'mistral-api-key',
    description: 'Mistral AI API key next to its identifier.',
    names: ['mistral[\\w.-]{0,15}(?:key|token)'],
    keywords: ['mistral'],
    value: '[A-Za-z0-9]{32}',
    sampleName: 'MISTRAL_API_KEY',
    sample: synth('mistral', ALNUM, 32),
    severity: 'critical',
  }),
  named({
    id: 'together-api-key',
    description: 'Together AI API key next to its identifier.',
    names: ['together[\\w.-]{0,15}(?:key|token)'],
    keywords: ['together'],
    value: '(?:tgp_v1_)?[A-Za-z0-9_-]{43,64}',
    sampleName: 'TOGETHER_API_KEY',
    sample: 'tgp_v1_' + synth('together', B64URL, 43),
    severity: 'critical',
  }),
  named({
    id: 'deepseek-api-key',
    description: 'DeepSeek API key next to its identifier.',
    names: ['deepseek[\\w.-]{0,15}(?:key|token)'],
    keywords: ['deepseek'],
    value: 'sk-[a-f0-9]{32}',
    sampleName: 'DEEPSEEK_API_KEY',
    sample: 'sk-' + synth('deepseek', HEX, 32),
    severity: 'critical',
  }),
  named({
    id: 'wandb-api-key',
    description: 'Weights & Biases API key next to its identifier.',
    names: ['wandb[\\w.-]{0,15}(?:key|token)'],
    keywords: ['wandb'],
    value: '[a-f0-9]{40}|local-[a-f0-9]{40}',
    sampleName: 'WANDB_API_KEY',
    sample: synth('wandb', HEX, 40),
  }),
  named({
    id: 'elevenlabs-api-key',
    description: 'ElevenLabs API key next to its identifier.',
    names: ['(?:elevenlabs|xi)[\\w.-]{0,15}(?:key|token)'],
    keywords: ['elevenlabs', 'xi-api-key', 'xi_api_key'],
    value: 'sk_[a-f0-9]{48}|[a-f0-9]{32}',
    sampleName: 'ELEVENLABS_API_KEY',
    sample: 'sk_' + synth('11l', HEX, 48),
  }),
  named({
    id: 'assemblyai-api-key',
    description: 'AssemblyAI API key next to its identifier.',
    names: ['assembly_?ai[\\w.-]{0,15}(?:key|token)'],
    keywords: ['assemblyai', 'assembly_ai'],
    value: '[a-f0-9]{32}',
    sampleName: 'ASSEMBLYAI_API_KEY',
    sample: synth('aai', HEX, 32),
  }),
  named({
    id: 'clarifai-api-key',
    description: 'Clarifai personal access token next to its identifier.',
    names: ['clarifai[\\w.-]{0,15}(?:key|pat|token)'],
    keywords: ['clarifai'],
    value: '[a-f0-9]{32}',
    sampleName: 'CLARIFAI_PAT',
    sample: synth('clarifai', HEX, 32),
  }),
  named({
    id: 'voyage-api-key',
    description: 'Voyage AI API key.',
    names: ['voyage[\\w.-]{0,15}(?:key|token)'],
    keywords: ['voyage'],
    value: 'pa-[A-Za-z0-9_-]{43}',
    sampleName: 'VOYAGE_API_KEY',
    sample: 'pa-' + synth('voyage', B64URL, 43),
  }),
  named({
    id: 'langfuse-secret-key',
    description: 'Langfuse secret key.',
    names: ['langfuse[\\w.-]{0,15}(?:key|secret)'],
    keywords: ['langfuse'],
    value: 'sk-lf-[0-9a-f-]{36}',
    sampleName: 'LANGFUSE_SECRET_KEY',
    sample: 'sk-lf-' + uuid('langfuse'),
  }),
];
