-- Last use of identities airlock does not issue (P2, P8): IdP JWT subjects (kind 'jwt': issuer = the
-- token's iss, subject = its sub) and mTLS workloads (kind 'spiffe': issuer = spiffe://<trust domain>,
-- subject = the SPIFFE ID). Written behind in batches, at most once a minute per identity, so
-- `airlock doctor` can flag identities idle for longer than identity.unusedAfter. No tokens,
-- certificates or claims beyond these names are kept.
CREATE TABLE identity_last_seen (
  kind          TEXT    NOT NULL CHECK (kind IN ('jwt', 'spiffe')),
  issuer        TEXT    NOT NULL,
  subject       TEXT    NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL,
  PRIMARY KEY (kind, issuer, subject)
) STRICT, WITHOUT ROWID;
