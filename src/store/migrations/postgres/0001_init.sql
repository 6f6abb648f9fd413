-- API keys: only keyed hashes are stored, never the key. timestamptz keeps microseconds, so JS Dates
-- (milliseconds) round-trip exactly.
CREATE TABLE api_keys (
  id           text        NOT NULL PRIMARY KEY,
  prefix       text        NOT NULL,
  hash         text        NOT NULL,
  owner        text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('client', 'admin')),
  models       text[]      NOT NULL,
  endpoints    text[]      NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  replaced_by  text        REFERENCES api_keys (id),
  last_used_at timestamptz
);

-- Every authenticated request looks a key up by hash.
CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE INDEX api_keys_created ON api_keys (created_at, id);
CREATE INDEX api_keys_owner_created ON api_keys (owner, created_at, id);

-- Token budgets per scope (key and model) and UTC day; incremented with an atomic upsert so replicas
-- never lose counts.
CREATE TABLE token_usage (
  scope  text   NOT NULL,
  day    text   NOT NULL,
  tokens bigint NOT NULL,
  PRIMARY KEY (scope, day)
);
