-- Vault (DESIGN §4 envelope encryption) and local users (P2). Only ciphertext, wrapped keys, password
-- hashes and hashed session tokens are stored; the master key lives outside the database.

-- One row: how this vault's master key is obtained (file, or a passphrase KDF with its salt and
-- parameters) and a key check value, HMAC-SHA-256(master key, label), that detects a wrong key before
-- any decryption is tried. Neither reveals the key.
CREATE TABLE vault_meta (
  id         integer     NOT NULL PRIMARY KEY CHECK (id = 1),
  kdf        jsonb       NOT NULL,
  key_check  text        NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Each version has its own random AES-256-GCM data key (ciphertext || tag, AAD = name and version),
-- wrapped by the master key (AES-256-GCM, AAD = name and version). A retired version is unreadable.
CREATE TABLE vault_secrets (
  name        text        NOT NULL,
  version     integer     NOT NULL CHECK (version >= 1),
  nonce       bytea       NOT NULL,
  ciphertext  bytea       NOT NULL,
  wrap_nonce  bytea       NOT NULL,
  wrapped_key bytea       NOT NULL,
  created_at  timestamptz NOT NULL,
  retired_at  timestamptz,
  PRIMARY KEY (name, version)
);

-- Local users. name is stored normalised (NFC, lower case). password_hash is a PHC string
-- ($argon2id$v=19$m=…,t=…,p=…$salt$hash). The TOTP secret is a vault secret; totp_last_step refuses
-- replay of a code whose time step was already used.
CREATE TABLE users (
  id                  text        NOT NULL PRIMARY KEY,
  name                text        NOT NULL UNIQUE,
  role                text        NOT NULL CHECK (role IN ('admin', 'user')),
  password_hash       text        NOT NULL,
  password_changed_at timestamptz NOT NULL,
  totp_state          text        NOT NULL DEFAULT 'none' CHECK (totp_state IN ('none', 'pending', 'enabled')),
  totp_last_step      bigint,
  created_at          timestamptz NOT NULL,
  disabled_at         timestamptz
);

-- Console sessions: only SHA-256 of the random token is stored.
CREATE TABLE user_sessions (
  id             text        NOT NULL PRIMARY KEY,
  token_hash     text        NOT NULL UNIQUE,
  user_id        text        NOT NULL REFERENCES users (id),
  stage          text        NOT NULL CHECK (stage IN ('full', 'enroll')),
  client_address text        NOT NULL,
  created_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Failed-login counters per user name (known or not, so lockout reveals nothing) and per client address.
CREATE TABLE login_throttle (
  key             text        NOT NULL PRIMARY KEY,
  failures        integer     NOT NULL,
  last_failure_at timestamptz NOT NULL,
  locked_until    timestamptz NOT NULL
);
