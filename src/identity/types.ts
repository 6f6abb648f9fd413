// Authenticators turn a credential into a Principal. "Not mine" is a result, not an error:
// authenticated | abstain (no credential of my kind) | reject (mine, but invalid).
import type { ErrorCode } from '../errors.ts';
import type { Principal } from '../http/context.ts';

export type AuthResult =
  | { readonly kind: 'authenticated'; readonly principal: Principal }
  | { readonly kind: 'abstain' }
  | { readonly kind: 'reject'; readonly code: ErrorCode; readonly credentialPrefix?: string };

export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly surface: 'client' | 'admin';
}

export interface Authenticator {
  readonly id: string;
  authenticate(req: AuthRequest): Promise<AuthResult>;
}
