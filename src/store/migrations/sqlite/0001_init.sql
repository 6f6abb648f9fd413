-- API keys: only keyed hashes are stored, never the key. Times are integer milliseconds since the epoch
-- (UTC) so they round-trip exactly as JS Dates. models/endpoints are JSON arrays of strings.
CREATE TABLE api_keys (
  id           TEXT    NOT NULL PRIMARY KEY,
  prefix       TEXT    NOT NULL,
  hash         TEXT    NOT NULL,
  owner        TEXT    NOT NULL,
  kind         TEXT    NOT NULL CHECK (kind IN ('client', 'admin')),
  models       TEXT    NOT NULL CHECK (json_valid(models) AND json_type(models) = 'array'),
  endpoints    TEXT    NOT NULL CHECK (json_valid(endpoints) AND json_type(endpoints) = 'array'),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  replaced_by  TEXT    REFERENCES api_keys (id),
  last_used_at INTEGER
) STRICT;

-- Every authenticated request looks a key up by hash.
CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE INDEX api_keys_created ON api_keys (created_at, id);
CREATE INDEX api_keys_owner_created ON api_keys (owner, created_at, id);

-- Token budgets per scope (key and model) and UTC day; incremented with an atomic upsert.
CREATE TABLE token_usage (
  scope  TEXT    NOT NULL,
  day    TEXT    NOT NULL,
  tokens INTEGER NOT NULL,
  PRIMARY KEY (scope, day)
) STRICT, WITHOUT ROWID;
