// Model custody configuration (zod, strict). Validated once; keys are parsed at start-up.
import { z } from 'zod';
import { modelSigningConfigSchema } from './model-signing-config.ts';

export const trustedKeySchema = z.strictObject({
  name: z.string().min(1).describe('Name recorded as `signedBy` on every version this key verified.'),
  publicKey: z
    .string()
    .min(1)
    .describe('Ed25519 public key: base64 of the 32 raw bytes, or a PEM SubjectPublicKeyInfo block.'),
});

export const custodyConfigSchema = z
  .strictObject({
    trustedKeys: z
      .array(trustedKeySchema)
      .default([])
      .describe('Keys whose Ed25519 signature over a model manifest makes an import acceptable.'),
    modelSigning: modelSigningConfigSchema
      .optional()
      .describe(
        'Pinned trust for OpenSSF model-signing (Sigstore bundle, e.g. model.sig) imports, verified offline. custody.trustedKeys are accepted too.',
      ),
    allowUnsigned: z
      .boolean()
      .default(false)
      .describe('Accept imports without a manifest signature. Off by default: an unsigned model is refused.'),
    enforce: z
      .boolean()
      .default(true)
      .describe(
        'Refuse to load or route to anything not approved or active in the inventory: embedded workers load only approved GGUF files (re-hashed before every start), and every external (upstream, model) target must be bound in `serve` and verified, or listed in `exempt`. On by default; `airlock init` imports, approves and activates its demo model.',
      ),
    twoPerson: z
      .boolean()
      .default(true)
      .describe(
        'Approving a version, activating it and rolling an alias back are proposals that a different admin approves through the admin API (`airlock models approve|activate|rollback --url`, then `airlock models proposals approve ID`). Suspend, deprecate and revoke take effect at once: they only ever stop serving. `airlock doctor` warns when off.',
      ),
    exempt: z
      .array(
        z.strictObject({
          upstream: z.string().describe('Name of an upstream.'),
          model: z
            .string()
            .optional()
            .describe('Model name as the upstream knows it; omitted: every model of the upstream.'),
          reason: z
            .string()
            .min(8)
            .describe('Why this target is served without custody (recorded; shown by `airlock doctor`).'),
        }),
      )
      .default([])
      .describe(
        'The explicit escape hatch: external targets routed to without an inventory binding or backend verification (for example an OpenAI-compatible server whose weights airlock cannot see). Every entry is a P7 exception that `airlock doctor` warns about.',
      ),
    serve: z
      .array(
        z.strictObject({
          upstream: z.string().describe('Name of an upstream.'),
          model: z
            .string()
            .describe(
              'Model name as the upstream knows it (Ollama tag, vLLM served model id, llama.cpp alias).',
            ),
          backend: z
            .enum(['ollama', 'vllm', 'llamacpp'])
            .optional()
            .describe(
              'How to check what the upstream serves at every health check; ollama (the default for kind: ollama): /api/tags and /api/show digests; vllm: /v1/models id, root and max_model_len; llamacpp: /v1/models and /props (model_path, chat template hash, n_ctx_train). A kind: openai target without one is never verified, so refused when custody is enforced.',
            ),
          path: z
            .string()
            .optional()
            .describe(
              'vllm/llamacpp: the exact path the server must report as loaded (vLLM root, llama.cpp model_path); omitted: a segment of the reported path must be the approved digest (optionally sha256- before it, one extension after it), with no . or .. segments.',
            ),
          contextLength: z
            .number()
            .int()
            .positive()
            .optional()
            .describe('vllm: max_model_len the server must report; llamacpp: n_ctx it must run with.'),
          version: z.string().describe('Inventory alias or name@version this target must serve.'),
          digest: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .optional()
            .describe("Digest the backend must show; defaults to the version's GGUF file digest."),
        }),
      )
      .default([])
      .describe('Which approved version each external (upstream, model) target serves.'),
  })
  .prefault({});

export type CustodyConfig = z.infer<typeof custodyConfigSchema>;
