// The audit bundle an auditor takes away and verifies offline with nothing but `airlock audit verify`:
//
//   bundle.json                 {format, origin, vkey, size, checkpoints}
//   verifier.vkey               the log's public key, C2SP vkey text (name+keyid+base64(0x01||pubkey))
//   entries.jsonl               leaf data of entry i on line i: exactly the stored RFC 8785 bytes
//   nodes.txt                   "<level> <index> <base64 hash>": the stored perfect-subtree hashes,
//                               which let the verifier name the first tampered entry, not just a range
//   checkpoints/<size>.checkpoint  every stored C2SP signed checkpoint, verbatim
export const BUNDLE_FORMAT = 'airlock-audit-bundle@v1';
export const ENTRIES_FILE = 'entries.jsonl';
export const NODES_FILE = 'nodes.txt';
export const MANIFEST_FILE = 'bundle.json';
export const VKEY_FILE = 'verifier.vkey';
export const CHECKPOINT_DIR = 'checkpoints';

export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly origin: string;
  readonly vkey: string;
  readonly size: number;
  readonly checkpoints: number;
}

export const checkpointFile = (size: number): string => `${String(size).padStart(12, '0')}.checkpoint`;
