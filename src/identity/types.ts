// Authenticators turn a credential into a Principal. "Not mine" is a result, not an error:
// authenticated | abstain (no credential of my kind) | reject (mine, but invalid).
import type { ErrorCode } from '../errors.ts';
import type { Principal } from '../http/context.ts';
import type { PeerTls } from './peer-certificate.ts';

export type AuthResult =
  | { readonly kind: 'authenticated'; readonly principal: Principal }
  | { readonly kind: 'abstain' }
  | { readonly kind: 'reject'; readonly code: ErrorCode; readonly credentialPrefix?: string };

export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly surface: 'client' | 'admin';
  /** HTTP method: session authenticators require a CSRF token on unsafe methods only. */
  readonly method?: string;
  /** Client certificate chain verified by the TLS listener, if any. */
  readonly peer?: PeerTls;
}

export interface Authenticator {
  readonly id: string;
  authenticate(req: AuthRequest): Promise<AuthResult>;
}
