// The two-person rule compares people, not credentials. An admin can mint an API key for any owner
// (POST /admin/v1/keys, `airlock keys create --owner`) and so holds that owner's credential too: a
// decision between two principals where one created a key of the other is one person deciding for
// themselves. Keys record their creator (ApiKeyRecord.createdBy); keys created before that was
// recorded have none and are judged by principal id alone.
import { AirlockError } from '../errors.ts';
import type { ApiKeyStore } from '../store/types.ts';

/** True when `a` and `b` must count as the same person for a two-person rule. */
export type SameHolder = (a: string, b: string) => Promise<boolean>;

/** Same principal id, or either created an API key (revoked and replaced ones included) owned by the other. */
export function keyLineage(store: Pick<ApiKeyStore, 'listApiKeysCreatedBy'>): SameHolder {
  return async (a, b) => {
    if (a === b) return true;
    const [ab, ba] = await Promise.all([store.listApiKeysCreatedBy(a, b), store.listApiKeysCreatedBy(b, a)]);
    return ab.length > 0 || ba.length > 0;
  };
}

/** Throws self_approval_refused when `approver` counts as `requester` (see keyLineage). */
export async function refuseSameHolder(
  sameHolder: SameHolder | undefined,
  requester: string,
  approver: string,
  what: string,
): Promise<void> {
  if (approver === requester)
    throw new AirlockError('self_approval_refused', { detail: `${approver} on ${what}` });
  if (sameHolder && (await sameHolder(requester, approver)))
    throw new AirlockError('self_approval_refused', {
      detail: `${approver} on ${what}: one of them created an API key of the other`,
    });
}
