-- Who created each API key: the admin principal id (admin API) or cli:<os user> (the CLI). The two-person
-- rule reads it: an approver who created the requester's key (or whose own key the requester created)
-- holds both credentials, so their decision counts as self-approval. Keys created before this migration
-- keep NULL (creator unknown) and are judged by principal id alone, as before.
ALTER TABLE api_keys ADD COLUMN created_by TEXT;
CREATE INDEX api_keys_created_by ON api_keys (created_by);
