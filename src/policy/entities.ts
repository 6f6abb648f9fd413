// How the gateway's own objects become policy input: an API-key principal is a ServiceAccount whose
// attributes carry the key's scopes; a model is a Model entity; an operation is an action.
import type { Operation, Principal } from '../http/context.ts';
import type { DecisionContext, PolicyAction, PolicyEntity } from './types.ts';

/** The ServiceAccount for an API-key principal; its id is the owner named when the key was issued. */
export function principalEntity(p: Principal): PolicyEntity {
  return {
    type: 'ServiceAccount',
    id: p.id,
    attrs: { kind: p.kind, scopes: { models: [...p.scopes.models], endpoints: [...p.scopes.endpoints] } },
  };
}

export interface ModelAttributes {
  readonly tier?: string;
}

export function modelEntity(alias: string, attrs: ModelAttributes = {}): PolicyEntity {
  return { type: 'Model', id: alias, attrs: { alias, tier: attrs.tier ?? 'standard' } };
}

export function catalogEntity(name: 'models' | 'tools' | 'apis'): PolicyEntity {
  return { type: 'Catalog', id: name };
}

export function adminObjectEntity(name: string): PolicyEntity {
  return { type: 'AdminObject', id: name };
}

const modelActions: Record<string, PolicyAction> = {
  chat: 'chat',
  completions: 'complete',
  embeddings: 'embed',
  models: 'models/list',
};

/** `chat` → chat, `completions` → complete, `embeddings` → embed, `models` → models/list,
 *  `admin.keys.create` → admin/keys.create. Undefined for anything else (the stage then denies). */
export function actionForOperation(op: Operation | string): PolicyAction | undefined {
  if (Object.hasOwn(modelActions, op)) return modelActions[op];
  if (op.startsWith('admin.')) return `admin/${op.slice('admin.'.length)}`;
  return undefined;
}

/** The admin object an admin operation touches: `admin.keys.create` → AdminObject::"keys". */
export function adminObjectFor(op: string): PolicyEntity {
  const name = op.slice('admin.'.length).split('.')[0] ?? 'unknown';
  return adminObjectEntity(name);
}

export function credentialContext(p: Principal): DecisionContext['credential'] {
  return { kind: 'api-key', id: p.credentialId, scopes: p.scopes };
}

/** The policy principal of any credential, with the entities its attributes point to. A task token
 *  is an Agent: with an `act` claim (RFC 8693 §4.1: the outermost actor is the one acting now) the
 *  Agent is that actor, acting on behalf of the token's subject (a User when the subject is a
 *  person); without one, an agent subject is the Agent itself. Every other credential keeps its
 *  ServiceAccount, so existing policies decide exactly as before. */
export function requesterEntities(p: Principal): {
  readonly principal: PolicyEntity;
  readonly entities: readonly PolicyEntity[];
} {
  const id = p.identity;
  if (id?.credentialKind !== 'task-token') return { principal: principalEntity(p), entities: [] };
  const groups = [
    ...id.roles.map((r) => ({ type: 'Role', id: r })),
    ...(id.tenant ? [{ type: 'Tenant', id: id.tenant }] : []),
  ];
  const tenant = id.tenant ? [{ type: 'Tenant', id: id.tenant }] : [];
  if (id.act) {
    const forUser = id.subjectKind === 'user';
    return {
      principal: {
        type: 'Agent',
        id: id.act.sub,
        attrs: {
          owner: p.id,
          ...(forUser ? { onBehalfOf: { __entity: { type: 'Airlock::User', id: p.id } } } : {}),
        },
        parents: tenant,
      },
      entities: forUser ? [{ type: 'User', id: p.id, attrs: {}, parents: groups }] : [],
    };
  }
  if (id.subjectKind === 'agent')
    return { principal: { type: 'Agent', id: p.id, attrs: {}, parents: groups }, entities: [] };
  if (id.subjectKind === 'user')
    return { principal: { type: 'User', id: p.id, attrs: {}, parents: groups }, entities: [] };
  return { principal: principalEntity(p), entities: [] };
}

/** The credential as policy context, for any credential kind (task tokens say so). */
export function requesterCredential(p: Principal): DecisionContext['credential'] {
  const kind = p.identity?.credentialKind ?? 'api-key';
  return { kind, id: p.credentialId, scopes: p.scopes };
}
