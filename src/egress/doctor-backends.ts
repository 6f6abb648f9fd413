// What each kind of inference backend is known to do on its own towards the internet, and the
// settings that stop it. airlock cannot see another process's environment offline, so these are
// reminders (warn) the operator confirms once; the OS-level firewall is the backstop.
// Sources: vLLM "Usage Stats Collection" docs; huggingface_hub environment-variable reference;
// Ollama FAQ and cloud docs; llama.cpp server README (-hf / --model-url download flags).
import type { UpstreamConfig } from '../config/schema.ts';

export interface BackendAdvice {
  readonly code: string;
  readonly level: 'ok' | 'warn';
  readonly message: string;
  readonly fix: string;
}

const HF_OFFLINE = 'HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1';

export const backendAdvice: Readonly<Record<UpstreamConfig['kind'], BackendAdvice>> = {
  ollama: {
    code: 'backend_ollama_phone_home',
    level: 'warn',
    message:
      'Ollama pulls models from registry.ollama.ai on demand (/api/pull, or a model name it does not have), ' +
      'routes ":cloud" models to ollama.com, and its desktop apps check for updates.',
    fix:
      'Run the Linux server build (no auto-update), import models from local files (ollama create -f Modelfile), ' +
      'turn cloud features off (see docs.ollama.com/cloud; OLLAMA_NO_CLOUD=1 on recent releases — check yours), ' +
      'and block its egress at the host firewall. OLLAMA_NOHISTORY only affects CLI history, not network.',
  },
  openai: {
    code: 'backend_openai_compatible_phone_home',
    level: 'warn',
    message:
      'OpenAI-compatible servers may call home: vLLM sends anonymous usage stats by default; anything built on ' +
      'huggingface_hub (vLLM, TGI) downloads models and sends telemetry unless offline; llama.cpp server ' +
      'downloads models when started with -hf / --hf-repo / --model-url.',
    fix:
      `For vLLM set VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 (or create ~/.config/vllm/do_not_track); for vLLM/TGI set ${HF_OFFLINE} ` +
      'and serve from a local model path; start llama-server with -m <local .gguf> only (no -hf/--model-url). ' +
      'Block the server host at the firewall either way.',
  },
  embedded: {
    code: 'backend_embedded',
    level: 'ok',
    message:
      'Embedded workers run inside airlock under the same egress guard; they load a local GGUF file only.',
    fix: 'Nothing to do.',
  },
};
