// A synthetic, labelled evaluation corpus for the DLP engine, generated deterministically from a
// seed: real-format fake credentials and personal data placed in prose, code, YAML, .env, JSON and
// chat transcripts, plus hard negatives that look sensitive and are not (UUIDs, digests, base64
// images, versions, documented test card numbers, ISBNs, order numbers, request ids). Every value
// is made here at run time — nothing credential-shaped is stored in the repository.
import { crc32 } from 'node:zlib';
import { base62 } from '../checksum.ts';
import { withLuhn, withVerhoeff } from '../rules/pii/synth-pii.ts';

export interface Label {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

export interface Doc {
  readonly id: string;
  /** The carrier: prose, code, yaml, env, json, chat — or negative (hard negatives only). */
  readonly kind: string;
  readonly text: string;
  readonly labels: readonly Label[];
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const B64 = ALNUM + '+/';
const B64URL = ALNUM + '-_';
const B32 = UPPER + '234567';

/** mulberry32: small, fast, and the same sequence on every platform. */
export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chars(charset: string, n: number): string;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    chars(charset, n) {
      let s = '';
      for (let i = 0; i < n; i++) s += charset[int(charset.length)];
      return s;
    },
  };
}

// ---------------------------------------------------------------- sensitive values, by type

type Maker = (r: Rng) => string;

const crcToken = (prefix: string) => (r: Rng) => {
  const body = r.chars(ALNUM, 30);
  return prefix + body + base62(crc32(body) >>> 0, 6);
};
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const DASH = '-----';

function luhnCard(r: Rng): string {
  const prefix = r.pick(['4', '51', '52', '53', '54', '55', '2221', '37', '34', '6011']);
  const len = prefix === '37' || prefix === '34' ? 15 : 16;
  const digits = withLuhn(prefix + r.chars(DIGITS, len - prefix.length - 1));
  if (len === 15)
    return r.next() < 0.5 ? digits : `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}`;
  const sep = r.pick(['', ' ', '-']);
  return digits.match(/.{4}/g)!.join(sep);
}

function iban(r: Rng): string {
  const [country, bban] = r.pick([
    ['GB', () => `${r.chars(UPPER, 4)}${r.chars(DIGITS, 14)}`],
    ['DE', () => r.chars(DIGITS, 18)],
    ['FR', () => r.chars(DIGITS, 23)],
    ['NL', () => `${r.chars(UPPER, 4)}${r.chars(DIGITS, 10)}`],
    ['ES', () => r.chars(DIGITS, 20)],
  ] as const);
  const b = bban();
  let value = '';
  for (let cd = 2; cd <= 98; cd++) {
    const candidate = country + String(cd).padStart(2, '0') + b;
    // mod-97 over the rearranged digits
    const moved = (candidate.slice(4) + candidate.slice(0, 4)).replace(/[A-Z]/g, (c) =>
      String(c.charCodeAt(0) - 55),
    );
    let rem = 0;
    for (const ch of moved) rem = (rem * 10 + Number(ch)) % 97;
    if (rem === 1) {
      value = candidate;
      break;
    }
  }
  return r.next() < 0.5 ? value : value.match(/.{1,4}/g)!.join(' ');
}

function ssn(r: Rng): string {
  let area = 1 + r.int(898);
  if (area === 666) area = 667;
  const group = 1 + r.int(99);
  const serial = 1 + r.int(9999);
  const sep = r.pick(['-', '-', ' ']);
  return `${String(area).padStart(3, '0')}${sep}${String(group).padStart(2, '0')}${sep}${String(serial).padStart(4, '0')}`;
}

const FIRST = [
  'jane',
  'john',
  'amira',
  'li',
  'carlos',
  'priya',
  'olga',
  'kwame',
  'sofia',
  'noah',
  'mei',
  'lars',
];
const LAST = ['doe', 'smith', 'haddad', 'wei', 'garcia', 'patel', 'ivanova', 'mensah', 'rossi', 'berg'];
const DOMAINS = ['example.com', 'example.org', 'corp.example', 'mail.example.net', 'acme-industries.example'];

function email(r: Rng): string {
  const f = r.pick(FIRST);
  const l = r.pick(LAST);
  const local = r.pick([`${f}.${l}`, `${f}${r.int(100)}`, `${f[0]}${l}`, `${f}_${l}+billing`]);
  return `${local}@${r.pick(DOMAINS)}`;
}

function phone(r: Rng): string {
  // Ranges that are valid in libphonenumber's metadata (US 212/415/646 exchanges, UK London/mobile,
  // German and French landlines).
  const n4 = () => r.chars(DIGITS, 4);
  return r.pick([
    () => `+1 ${r.pick(['212', '415', '646', '303'])} ${r.pick(['555', '867', '421', '732'])} ${n4()}`,
    () => `(${r.pick(['212', '415', '646', '303'])}) ${r.pick(['867', '421', '732', '298'])}-${n4()}`,
    () => `${r.pick(['212', '415', '646'])}-${r.pick(['867', '421', '732'])}-${n4()}`,
    () => `+44 20 7${r.chars(DIGITS, 3)} ${n4()}`,
    () => `+44 7${r.pick(['412', '507', '803'])} ${r.chars(DIGITS, 6)}`,
    () => `+49 30 ${r.chars(DIGITS, 8)}`,
    () => `+33 1 ${r.chars(DIGITS, 2)} ${r.chars(DIGITS, 2)} ${r.chars(DIGITS, 2)} ${r.chars(DIGITS, 2)}`,
  ])();
}

function ipv4(r: Rng): string {
  return r.pick([
    () => `10.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`,
    () => `192.168.${r.int(256)}.${1 + r.int(254)}`,
    () => `172.${16 + r.int(16)}.${r.int(256)}.${1 + r.int(254)}`,
    () => `${11 + r.int(180)}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`,
  ])();
}

function nino(r: Rng): string {
  const first = 'ABCEGHJKLMNOPRSTWXYZ';
  const second = 'ABCEGHJKLMNPRSTWXYZ';
  let p = '';
  do p = r.chars(first, 1) + r.chars(second, 1);
  while (['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(p));
  const d = r.chars(DIGITS, 6);
  return r.next() < 0.5
    ? `${p}${d}${r.chars('ABCD', 1)}`
    : `${p} ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4)} ${r.chars('ABCD', 1)}`;
}

function aadhaar(r: Rng): string {
  const d = withVerhoeff(r.chars('23456789', 1) + r.chars(DIGITS, 10));
  return `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8)}`;
}

function jwt(r: Rng): string {
  const header = b64url(JSON.stringify({ alg: r.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      sub: r.chars(HEX, 12),
      iat: 1_700_000_000 + r.int(1e7),
      scope: r.pick(['read', 'admin']),
    }),
  );
  return `${header}.${payload}.${r.chars(B64URL, 43)}`;
}

function pem(r: Rng): string {
  const label = r.pick(['RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY']);
  const lines = Array.from({ length: 4 + r.int(6) }, () => r.chars(B64, 64)).join('\n');
  return `${DASH}BEGIN ${label}${DASH}\n${lines}\n${r.chars(B64, 20)}==\n${DASH}END ${label}${DASH}`;
}

/** Types scored in the corpus, with a value maker and the identifiers they are assigned to in
 *  code and config. `name` is the variable / key name used when the carrier assigns the value. */
export interface TypeSpec {
  readonly type: string;
  readonly category: 'secret' | 'pii';
  readonly make: Maker;
  readonly names: readonly string[];
}

export const TYPES: readonly TypeSpec[] = [
  {
    type: 'AWS_ACCESS_KEY',
    category: 'secret',
    make: (r) => r.pick(['AKIA', 'ASIA']) + r.chars(B32, 16),
    names: ['aws_access_key_id', 'AWS_ACCESS_KEY_ID', 'accessKeyId'],
  },
  {
    type: 'AWS_SECRET_KEY',
    category: 'secret',
    make: (r) => r.chars(B64, 40),
    names: ['aws_secret_access_key', 'AWS_SECRET_ACCESS_KEY', 'SecretAccessKey'],
  },
  {
    type: 'GITHUB_PAT',
    category: 'secret',
    make: crcToken('ghp_'),
    names: ['GITHUB_TOKEN', 'gh_token', 'token'],
  },
  {
    type: 'GITLAB_PAT',
    category: 'secret',
    make: (r) => `glpat-${r.chars(B64URL, 20)}`,
    names: ['GITLAB_TOKEN', 'gitlab_token', 'private_token'],
  },
  {
    type: 'SLACK_BOT_TOKEN',
    category: 'secret',
    make: (r) => `xoxb-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${r.chars(ALNUM, 24)}`,
    names: ['SLACK_BOT_TOKEN', 'slack_token', 'botToken'],
  },
  {
    type: 'STRIPE_SECRET_KEY',
    category: 'secret',
    make: (r) => `sk_live_${r.chars(ALNUM, 24 + r.int(75))}`,
    names: ['STRIPE_SECRET_KEY', 'stripe_key', 'stripeSecret'],
  },
  {
    type: 'OPENAI_API_KEY',
    category: 'secret',
    make: (r) => `sk-proj-${r.chars(B64URL, 80 + r.int(60))}`,
    names: ['OPENAI_API_KEY', 'openai_key', 'apiKey'],
  },
  {
    type: 'ANTHROPIC_API_KEY',
    category: 'secret',
    make: (r) => `sk-ant-api03-${r.chars(B64URL, 93)}AA`,
    names: ['ANTHROPIC_API_KEY', 'anthropic_key', 'apiKey'],
  },
  {
    type: 'GCP_API_KEY',
    category: 'secret',
    make: (r) => `AIza${r.chars(B64URL, 35)}`,
    names: ['GOOGLE_API_KEY', 'maps_key', 'geminiKey'],
  },
  { type: 'NPM_ACCESS_TOKEN', category: 'secret', make: crcToken('npm_'), names: ['NPM_TOKEN', 'npm_token'] },
  {
    type: 'SENDGRID_API_KEY',
    category: 'secret',
    make: (r) => `SG.${r.chars(B64URL, 22)}.${r.chars(B64URL, 43)}`,
    names: ['SENDGRID_API_KEY', 'sendgrid_key'],
  },
  {
    type: 'HUGGINGFACE_ACCESS_TOKEN',
    category: 'secret',
    make: (r) => `hf_${r.chars(UPPER + LOWER, 34)}`,
    names: ['HF_TOKEN', 'hf_token', 'huggingface_token'],
  },
  { type: 'JWT', category: 'secret', make: jwt, names: ['id_token', 'ACCESS_TOKEN', 'jwt'] },
  { type: 'PRIVATE_KEY', category: 'secret', make: pem, names: ['private_key', 'tls_key', 'signingKey'] },
  {
    type: 'DATABASE_URL_PASSWORD',
    category: 'secret',
    // The value is the password inside a connection URL; the carrier writes the URL (see urlFor).
    make: (r) => r.chars(ALNUM, 12 + r.int(12)),
    names: ['DATABASE_URL', 'database_url', 'dsn'],
  },
  {
    type: 'PASSWORD',
    category: 'secret',
    make: (r) => r.chars(ALNUM, 10 + r.int(8)) + r.pick(['!', '#', '%', '', '']),
    names: ['db_password', 'PASSWORD', 'smtp_pass', 'adminPassword'],
  },
  {
    type: 'GENERIC_SECRET',
    category: 'secret',
    make: (r) => r.chars(ALNUM, 32 + r.int(16)),
    names: ['api_key', 'client_secret', 'SERVICE_TOKEN', 'webhook_secret'],
  },
  { type: 'EMAIL', category: 'pii', make: email, names: ['email', 'contact_email', 'owner'] },
  { type: 'PHONE_NUMBER', category: 'pii', make: phone, names: ['phone', 'mobile', 'contact_phone'] },
  { type: 'CREDIT_CARD', category: 'pii', make: luhnCard, names: ['card_number', 'pan', 'cardNumber'] },
  { type: 'IBAN', category: 'pii', make: iban, names: ['iban', 'payout_iban', 'bankAccount'] },
  { type: 'US_SSN', category: 'pii', make: ssn, names: ['ssn', 'social_security_number', 'taxId'] },
  { type: 'UK_NINO', category: 'pii', make: nino, names: ['ni_number', 'nino'] },
  { type: 'IN_AADHAAR', category: 'pii', make: aadhaar, names: ['aadhaar', 'aadhaar_no'] },
  { type: 'IP_ADDRESS', category: 'pii', make: ipv4, names: ['host', 'server_ip', 'bind_address'] },
];

/** How people mention each kind of value in a sentence. */
const PROSE_LEADS: Record<string, readonly string[]> = {
  secret: [
    'I think the deploy is failing because of this key: ',
    'Can you check why the request is rejected? I am passing ',
    'Here is the credential from the ticket, ',
    'The old value was ',
    'Rotate this one before Friday: ',
  ],
  EMAIL: ['Please send the summary to ', 'You can reach the account owner at ', 'cc '],
  PHONE_NUMBER: ['Call me back on ', 'Her mobile is ', 'The support line is ', 'phone: '],
  CREDIT_CARD: ['The customer paid with card ', 'Refund the charge on card number ', 'card '],
  IBAN: ['Wire the refund to IBAN ', 'Their account is ', 'Payout IBAN: '],
  US_SSN: ['Employee SSN ', 'The applicant gave social security number ', 'SSN: '],
  UK_NINO: ['National Insurance number ', 'NI number: '],
  IN_AADHAAR: ['Aadhaar ', 'Her Aadhaar number is '],
  IP_ADDRESS: ['The server at ', 'Traffic spiked from ', 'ssh into '],
};

const PROSE_TAILS = [
  '. Let me know if you need anything else.',
  ' and tell me what went wrong.',
  ' — thanks!',
  '. The meeting moved to Thursday afternoon.',
  ' before the quarterly review.',
];

const FILLER = [
  'The migration to the new cluster finished over the weekend without any data loss.',
  'Revenue in the northern region grew faster than the forecast, mostly from renewals.',
  'We agreed to keep the retention window at thirty days until legal signs off.',
  'The onboarding guide needs a section on how approvals work for privileged tools.',
  'Latency at the 99th percentile dropped after we enabled connection pooling.',
  'Please summarise the incident report in three bullet points for the board.',
  'The design review flagged two open questions about caching and invalidation.',
];

/** Builds a document and its labels; `value` appends a labelled span. */
class Builder {
  text = '';
  labels: Label[] = [];
  add(s: string): this {
    this.text += s;
    return this;
  }
  value(type: string, v: string, inner?: { readonly start: number; readonly end: number }): this {
    const at = this.text.length;
    this.text += v;
    const start = at + (inner?.start ?? 0);
    const end = at + (inner?.end ?? v.length);
    this.labels.push({ type, start, end });
    return this;
  }
}

/** A connection URL around a password; the label covers only the password. */
function urlFor(
  r: Rng,
  password: string,
): { url: string; start: number; end: number; ip?: { start: number; end: number } } {
  const scheme = r.pick(['postgresql', 'postgres', 'mysql', 'mongodb+srv', 'redis']);
  const user = r.pick(['app', 'admin', 'svc_orders', 'root']);
  const host = r.pick(['db.internal', 'cluster0.abc.example.net', ipv4(r), 'pg-primary']);
  const head = `${scheme}://${user}:`;
  const url = `${head}${password}@${host}:${r.pick(['5432', '3306', '27017', '6379'])}/${r.pick(['app', 'shop', 'orders'])}`;
  const at = head.length + password.length + 1;
  // A host written as an address is an IP_ADDRESS finding of its own.
  const ip = /^[0-9.]+$/.test(host) ? { start: at, end: at + host.length } : undefined;
  return { url, start: head.length, end: head.length + password.length, ...(ip ? { ip } : {}) };
}

function emit(b: Builder, r: Rng, spec: TypeSpec, form: 'bare' | 'quoted'): void {
  const v = spec.make(r);
  if (spec.type === 'DATABASE_URL_PASSWORD') {
    const u = urlFor(r, v);
    const q = form === 'quoted' ? 1 : 0;
    const at = b.text.length;
    b.value(spec.type, form === 'quoted' ? `"${u.url}"` : u.url, { start: u.start + q, end: u.end + q });
    if (u.ip) b.labels.push({ type: 'IP_ADDRESS', start: at + q + u.ip.start, end: at + q + u.ip.end });
    return;
  }
  if (form === 'quoted') b.add('"').value(spec.type, v).add('"');
  else b.value(spec.type, v);
}

// ------------------------------------------------------------------------------- carriers

function prose(r: Rng, specs: readonly TypeSpec[]): Builder {
  const b = new Builder();
  b.add(`${r.pick(FILLER)} `);
  for (const spec of specs) {
    if (spec.type === 'PRIVATE_KEY') b.add('The key file I generated is below, is the format right?\n\n');
    else if (spec.type === 'PASSWORD') b.add(`The ${r.pick(['database', 'SMTP', 'admin'])} password = `);
    else if (spec.type === 'GENERIC_SECRET') b.add(`Our ${r.pick(spec.names)}: `);
    else if (spec.type === 'AWS_SECRET_KEY') b.add('and aws_secret_access_key is ');
    else b.add(r.pick(PROSE_LEADS[spec.type] ?? PROSE_LEADS['secret']!));
    emit(b, r, spec, 'bare');
    b.add(spec.type === 'PRIVATE_KEY' ? '\n\nThanks. ' : `${r.pick(PROSE_TAILS)} `);
  }
  b.add(r.pick(FILLER));
  return b;
}

function code(r: Rng, specs: readonly TypeSpec[]): Builder {
  const b = new Builder();
  const lang = r.pick(['js', 'py']);
  if (lang === 'js') {
    b.add("import { createClient } from './client.js';\n\n");
    for (const spec of specs) {
      const name = r.pick(spec.names);
      if (spec.type === 'PRIVATE_KEY') {
        b.add(`const ${name.replace(/[^A-Za-z]/g, '')} = \``);
        emit(b, r, spec, 'bare');
        b.add('`;\n');
      } else {
        b.add(`const ${name.replace(/[^A-Za-z0-9_]/g, '_')} = `);
        emit(b, r, spec, 'quoted');
        b.add(';\n');
      }
    }
    b.add(
      '\nexport async function handler(req, res) {\n  const items = req.body.items.map((x) => x.id);\n  return res.json({ ok: true, count: items.length });\n}\n',
    );
  } else {
    b.add('import os\nimport requests\n\n');
    for (const spec of specs) {
      const name = r.pick(spec.names);
      if (spec.type === 'PRIVATE_KEY') {
        b.add(`${name.toUpperCase()} = """`);
        emit(b, r, spec, 'bare');
        b.add('"""\n');
      } else {
        b.add(`${name} = `);
        emit(b, r, spec, 'quoted');
        b.add('\n');
      }
    }
    b.add(
      '\n\ndef fetch(session, url):\n    resp = session.get(url, timeout=10)\n    resp.raise_for_status()\n    return resp.json()\n',
    );
  }
  return b;
}

function yaml(r: Rng, specs: readonly TypeSpec[]): Builder {
  const b = new Builder();
  b.add(
    `service:\n  name: ${r.pick(['billing', 'orders', 'search'])}\n  replicas: ${1 + r.int(5)}\n  image: registry.internal/app:1.${r.int(30)}.${r.int(10)}\nsettings:\n`,
  );
  for (const spec of specs) {
    const name = r.pick(spec.names);
    if (spec.type === 'PRIVATE_KEY') {
      b.add(`  ${name}: |\n`);
      const v = spec.make(r);
      const indented = v
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n');
      b.value(spec.type, indented, { start: 4, end: indented.length });
      b.add('\n');
      continue;
    }
    b.add(`  ${name}: `);
    emit(b, r, spec, r.next() < 0.5 ? 'quoted' : 'bare');
    b.add('\n');
  }
  b.add('  log_level: info\n  timeout_ms: 30000\n');
  return b;
}

function dotenv(r: Rng, specs: readonly TypeSpec[]): Builder {
  const b = new Builder();
  b.add(
    `# ${r.pick(['staging', 'local', 'ci'])} settings\nNODE_ENV=production\nPORT=${3000 + r.int(1000)}\n`,
  );
  for (const spec of specs) {
    if (spec.type === 'PRIVATE_KEY') {
      b.add('TLS_KEY="');
      emit(b, r, spec, 'bare');
      b.add('"\n');
      continue;
    }
    b.add(`${r.pick(spec.names).toUpperCase()}=`);
    emit(b, r, spec, 'bare');
    b.add('\n');
  }
  b.add('LOG_LEVEL=debug\n');
  return b;
}

function json(r: Rng, specs: readonly TypeSpec[]): Builder {
  const b = new Builder();
  b.add(
    `{\n  "id": "${r.chars(HEX, 8)}-${r.chars(HEX, 4)}-4${r.chars(HEX, 3)}-a${r.chars(HEX, 3)}-${r.chars(HEX, 12)}",\n  "enabled": true,\n`,
  );
  for (const spec of specs) {
    b.add(`  "${r.pick(spec.names)}": `);
    if (spec.type === 'PRIVATE_KEY') {
      // JSON escapes the newlines; the label covers the escaped block.
      const v = JSON.stringify(spec.make(r));
      b.add('"').value(spec.type, v.slice(1, -1)).add('"');
    } else emit(b, r, spec, 'quoted');
    b.add(',\n');
  }
  b.add(`  "retries": ${r.int(5)}\n}\n`);
  return b;
}

function chat(r: Rng, specs: readonly TypeSpec[]): Builder {
  const b = new Builder();
  b.add(`user: ${r.pick(FILLER)}\nassistant: Sure — what details do you have?\n`);
  for (const spec of specs) {
    b.add('user: ');
    if (spec.category === 'pii') b.add(r.pick(PROSE_LEADS[spec.type] ?? ['It is ']));
    else if (spec.type === 'PASSWORD') b.add('the password: ');
    else if (spec.type === 'GENERIC_SECRET') b.add(`${r.pick(spec.names)}=`);
    else if (spec.type === 'AWS_SECRET_KEY') b.add('aws_secret_access_key=');
    else b.add('here it is ');
    emit(b, r, spec, 'bare');
    b.add(
      `\nassistant: ${r.pick(['Thanks, noted.', 'Got it. I will not repeat that value.', 'Understood.'])}\n`,
    );
  }
  return b;
}

const CARRIERS = { prose, code, yaml, env: dotenv, json, chat } as const;

// --------------------------------------------------------------------------- hard negatives

/** Published test card numbers (Stripe / network documentation), written as docs write them. */
const TEST_CARDS = [
  '4242 4242 4242 4242',
  '4111 1111 1111 1111',
  '5555 5555 5555 4444',
  '378282246310005',
  '6011111111111117',
  '4000056655665556',
  '5105105105105100',
  '4012888888881881',
];

function isbn13(r: Rng): string {
  const body = `978${r.chars(DIGITS, 9)}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  const check = (10 - (sum % 10)) % 10;
  const d = body + check;
  return r.next() < 0.5
    ? d
    : `${d.slice(0, 3)}-${d.slice(3, 4)}-${d.slice(4, 8)}-${d.slice(8, 12)}-${d.slice(12)}`;
}

function base64Image(r: Rng): string {
  const bytes = Buffer.alloc(96 + r.int(200));
  bytes.write('\x89PNG\r\n\x1a\n', 'latin1');
  for (let i = 8; i < bytes.length; i++) bytes[i] = r.int(256);
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

const NEGATIVES: readonly ((r: Rng) => string)[] = [
  (r) =>
    `Request ${r.chars(HEX, 8)}-${r.chars(HEX, 4)}-4${r.chars(HEX, 3)}-${r.pick(['8', '9', 'a', 'b'])}${r.chars(HEX, 3)}-${r.chars(HEX, 12)} completed in ${r.int(900)} ms.`,
  (r) => `Fixed in commit ${r.chars(HEX, 40)} (cherry-picked from ${r.chars(HEX, 7)}).`,
  (r) => `sha256: ${r.chars(HEX, 64)}`,
  (r) => `The artefact digest is sha256:${r.chars(HEX, 64)} and its md5 is ${r.chars(HEX, 32)}.`,
  (r) => `<img alt="chart" src="${base64Image(r)}">`,
  (r) =>
    `Upgrade from v${r.int(5)}.${r.int(20)}.${r.int(30)} to ${r.int(5)}.${r.int(20)}.${r.int(30)}-rc.${r.int(5)} fixed it; node ${18 + r.int(7)}.${r.int(12)}.${r.int(3)}.`,
  (r) => `For testing use card ${r.pick(TEST_CARDS)} with any future expiry and any CVC.`,
  (r) => `See ISBN ${isbn13(r)} for the reference text.`,
  (r) =>
    `Order #${r.pick(['212', '415', '646'])}${r.chars(DIGITS, 7)} shipped on ${2020 + r.int(5)}-0${1 + r.int(9)}-1${r.int(9)}.`,
  (r) => `Invoice no. ${r.pick(['212', '415'])}-${r.pick(['555', '867'])}-${r.chars(DIGITS, 4)} is overdue.`,
  (r) => `tracking number ${r.chars(DIGITS, 12)} via ${r.pick(['UPS', 'DHL'])}`,
  (r) => `pod web-${r.chars(HEX, 10)}-${r.chars(LOWER + DIGITS, 5)} restarted; trace id ${r.chars(HEX, 32)}`,
  (r) => `idempotency key: req_${r.chars(UPPER + DIGITS, 26)}`,
  (r) => `const accessTokenExpiryMs = ${r.int(100000)}; // token_type: bearer`,
  () => `password: \${DB_PASSWORD}\napi_key: <your-api-key-here>\ntoken: "changeme"`,
  () => `Set STRIPE_SECRET_KEY to your key (it starts with sk_live_…) and never commit it.`,
  (r) =>
    `User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/${100 + r.int(30)}.0.0.0 Safari/537.36`,
  (r) => `integrity="sha512-${Buffer.from(Array.from({ length: 64 }, () => r.int(256))).toString('base64')}"`,
  (r) =>
    `function ${r.pick(['getUserAccountSettingsFromCache', 'normalizeTenantConfigurationKeys', 'buildPolicyDecisionContext'])}() { return null; }`,
  (r) =>
    `The meeting is at ${1 + r.int(12)}:${r.int(6)}0 on ${2024 + r.int(2)}-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}; dial-in code ${r.chars(DIGITS, 6)}#.`,
  (r) =>
    `Coordinates ${(r.next() * 90).toFixed(6)}, ${(r.next() * 180).toFixed(6)}; elevation ${r.int(3000)} m.`,
  (r) => `ULID ${r.chars('0123456789ABCDEFGHJKMNPQRSTVWXYZ', 26)} created`,
  (r) =>
    `The ${r.pick(['AWS', 'GitHub', 'Slack'])} docs say the key looks like ${'AKIA' + 'IOSFODNN7' + 'EXAMPLE'} — that is their documented example.`,
  (r) =>
    `Build ${r.int(9999)} of branch feature/${r.pick(['token-refresh', 'secret-rotation', 'password-reset'])} passed.`,
];

// ------------------------------------------------------------------------------- assembly

export interface CorpusOptions {
  readonly seed?: number;
  /** Documents with sensitive values (each carries 1–3). */
  readonly positives?: number;
  /** Documents made only of hard negatives. */
  readonly negatives?: number;
}

export function generateCorpus(opts: CorpusOptions = {}): Doc[] {
  const r = createRng(opts.seed ?? 7);
  const docs: Doc[] = [];
  const kinds = Object.keys(CARRIERS) as (keyof typeof CARRIERS)[];
  const positives = opts.positives ?? 1200;
  for (let i = 0; i < positives; i++) {
    const kind = kinds[i % kinds.length]!;
    // Round-robin over types so each is well represented, plus random companions.
    const specs = [TYPES[i % TYPES.length]!];
    for (let k = r.int(3); k > 0; k--) specs.push(r.pick(TYPES));
    const b = CARRIERS[kind](r, specs);
    // A hard negative in the same document now and then: precision is measured in context.
    if (r.next() < 0.4) b.add(`\n${r.pick(NEGATIVES)(r)}\n`);
    docs.push({ id: `p${i}`, kind, text: b.text, labels: b.labels });
  }
  const negatives = opts.negatives ?? 600;
  for (let i = 0; i < negatives; i++) {
    const parts: string[] = [];
    for (let k = 1 + r.int(3); k > 0; k--) parts.push(r.next() < 0.3 ? r.pick(FILLER) : r.pick(NEGATIVES)(r));
    docs.push({ id: `n${i}`, kind: 'negative', text: parts.join('\n'), labels: [] });
  }
  return docs;
}
