-- Vault (DESIGN §4 envelope encryption) and local users (P2). Only ciphertext, wrapped keys, password
-- hashes and hashed session tokens are stored; the master key lives outside the database.

-- One row: how this vault's master key is obtained (file, or a passphrase KDF with its salt and
-- parameters) and a key check value, HMAC-SHA-256(master key, label), that detects a wrong key before
-- any decryption is tried. Neither reveals the key.
CREATE TABLE vault_meta (
  id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  kdf        TEXT    NOT NULL CHECK (json_valid(kdf)),
  key_check  TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- Each version has its own random AES-256-GCM data key (ciphertext || tag, AAD = name and version),
-- wrapped by the master key (AES-256-GCM, AAD = name and version). A retired version is unreadable.
CREATE TABLE vault_secrets (
  name        TEXT    NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  nonce       BLOB    NOT NULL,
  ciphertext  BLOB    NOT NULL,
  wrap_nonce  BLOB    NOT NULL,
  wrapped_key BLOB    NOT NULL,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER,
  PRIMARY KEY (name, version)
) STRICT;

-- Local users. name is stored normalised (NFC, lower case). password_hash is a PHC string
-- ($argon2id$v=19$m=…,t=…,p=…$salt$hash). The TOTP secret is a vault secret; totp_last_step refuses
-- replay of a code whose time step was already used.
CREATE TABLE users (
  id                  TEXT    NOT NULL PRIMARY KEY,
  name                TEXT    NOT NULL UNIQUE,
  role                TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
  password_hash       TEXT    NOT NULL,
  password_changed_at INTEGER NOT NULL,
  totp_state          TEXT    NOT NULL DEFAULT 'none' CHECK (totp_state IN ('none', 'pending', 'enabled')),
  totp_last_step      INTEGER,
  created_at          INTEGER NOT NULL,
  disabled_at         INTEGER
) STRICT;

-- Console sessions: only SHA-256 of the random token is stored.
CREATE TABLE user_sessions (
  id             TEXT    NOT NULL PRIMARY KEY,
  token_hash     TEXT    NOT NULL UNIQUE,
  user_id        TEXT    NOT NULL REFERENCES users (id),
  stage          TEXT    NOT NULL CHECK (stage IN ('full', 'enroll')),
  client_address TEXT    NOT NULL,
  created_at     INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  revoked_at     INTEGER
) STRICT;
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Failed-login counters per user name (known or not, so lockout reveals nothing) and per client address.
CREATE TABLE login_throttle (
  key             TEXT    NOT NULL PRIMARY KEY,
  failures        INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
