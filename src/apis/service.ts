// The compiled `apis:` section: one ApiService per declared service, each with its OpenAPI document
// compiled and its upstream pool built once at start-up. A broken document stops start-up with a
// one-line config_invalid naming the service and the problem.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { Dispatcher } from 'undici';
import { AirlockError } from '../errors.ts';
import type { ApiServiceConfig, ApisConfig } from './config.ts';
import { type CompiledApi, compileOpenApi, OpenApiError, readOpenApiFile } from './openapi.ts';
import { type ApiUpstream, createApiUpstream } from './upstream.ts';

export interface ApiService {
  readonly name: string;
  readonly config: ApiServiceConfig;
  readonly api: CompiledApi;
  readonly upstream: ApiUpstream;
}

export interface ApiServices {
  get(name: string): ApiService | undefined;
  list(): readonly ApiService[];
  close(): Promise<void>;
}

export interface ApiServicesDeps {
  /** Folder relative `openapi` paths are resolved against (the config file's folder). */
  readonly baseDir: string;
  resolveSecret(ref: string): string;
  readonly dispatcher?: Dispatcher;
}

export function createApiServices(configs: ApisConfig, deps: ApiServicesDeps): ApiServices {
  const services = new Map<string, ApiService>();
  try {
    for (const config of configs) {
      const file = isAbsolute(config.openapi) ? config.openapi : resolvePath(deps.baseDir, config.openapi);
      const api = compileOpenApi(readOpenApiFile(file), config.name, {
        source: `apis.${config.name} (${config.openapi})`,
        expose: config.expose.mcpTools,
      });
      const upstream = createApiUpstream(config, {
        resolveSecret: deps.resolveSecret,
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
      });
      services.set(config.name, { name: config.name, config, api, upstream });
    }
  } catch (err) {
    for (const s of services.values()) s.upstream.close().catch(() => {});
    if (err instanceof OpenApiError)
      throw new AirlockError('config_invalid', { detail: err.message, cause: err });
    throw err;
  }
  return {
    get: (name) => services.get(name),
    list: () => [...services.values()],
    async close() {
      await Promise.all([...services.values()].map((s) => s.upstream.close()));
    },
  };
}
