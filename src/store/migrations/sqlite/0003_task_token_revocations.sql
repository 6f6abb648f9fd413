-- Revocations of airlock task tokens (P8), shared by every process and replica on this store: a whole
-- task (every token minted for it) or one token by jti. until_ms is the latest moment a token the entry
-- could match may still be valid; lapsed rows are pruned. Signing keys for task tokens are vault
-- secrets (airlock.token-signing.*), wrapped by the master key like every other secret.
CREATE TABLE task_token_revocations (
  kind       TEXT    NOT NULL CHECK (kind IN ('task', 'jti')),
  id         TEXT    NOT NULL,
  until_ms   INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;
