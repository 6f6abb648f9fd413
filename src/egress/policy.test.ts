import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../config/schema.ts';
import { AirlockError } from '../errors.ts';
import { addressScope, canonicalIp } from './address.ts';
import {
  buildEgressPolicy,
  compileEgressPolicy,
  denyAllEgressPolicy,
  deserializeEgressPolicy,
  EgressPolicyError,
  parseEgressEntry,
  serializeEgressPolicy,
} from './policy.ts';

const base = { version: 1, dataDir: './data', listeners: { client: { port: 8080 } } };

describe('parseEgressEntry', () => {
  const cases: Array<[string, string]> = [
    ['Ollama.Internal:11434', 'ollama.internal:11434'],
    ['db.internal.', 'db.internal'],
    ['db.internal:*', 'db.internal'],
    ['10.0.0.5:5432', '10.0.0.5:5432'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.0.0.0/8:443', '10.0.0.0/8:443'],
    ['[::1]:8000', '[0:0:0:0:0:0:0:1]:8000'],
    ['[fd00::/8]:443', '[fd00:0:0:0:0:0:0:0/8]:443'],
    ['fd00::/8:443', '[fd00:0:0:0:0:0:0:0/8]:443'],
    ['fd00::1', '[fd00:0:0:0:0:0:0:1]'],
    ['[::ffff:10.1.2.3]:80', '10.1.2.3:80'],
  ];
  for (const [input, canonical] of cases)
    test(`${input} → ${canonical}`, () => assert.equal(parseEgressEntry(input).text, canonical));

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['host:0', /outside 1-65535/],
    ['host:70000', /outside/],
    ['host:http', /port "http"/],
    ['10.0.0.0/33', /prefix/],
    ['*.example.internal', /wildcards/],
    ['127.1', /four dotted decimals/],
    ['bad_host!:80', /not a valid host name/],
    [' spaced', /whitespace/],
    ['[db.internal]:80', /only for IPv6/],
    ['a:b:c', /not an IPv6 address/],
  ];
  for (const [input, reason] of bad)
    test(`rejects ${JSON.stringify(input)} naming the entry`, () => {
      assert.throws(
        () => parseEgressEntry(input),
        (err: unknown) =>
          err instanceof EgressPolicyError &&
          reason.test(err.message) &&
          err.message.includes(JSON.stringify(input)),
      );
    });
});

describe('EgressPolicy', () => {
  const policy = compileEgressPolicy([
    'vllm.internal:8000',
    'db.internal',
    '10.1.0.0/16:443',
    '192.168.1.5',
    '[fd00::/8]:9000',
  ]);

  test('allows exactly the listed host/port pairs', () => {
    assert.equal(policy.allows('vllm.internal', 8000), true);
    assert.equal(policy.allows('VLLM.internal.', 8000), true);
    assert.equal(policy.allows('vllm.internal', 8001), false);
    assert.equal(policy.allows('db.internal', 1), true);
    assert.equal(policy.allows('10.1.200.3', 443), true);
    assert.equal(policy.allows('10.1.200.3', 80), false);
    assert.equal(policy.allows('10.2.0.1', 443), false);
    assert.equal(policy.allows('192.168.1.5', 22), true);
    assert.equal(policy.allows('fd12::1', 9000), true);
    assert.equal(policy.allows('::ffff:192.168.1.5', 22), true, 'IPv4-mapped IPv6 is the IPv4 address');
    assert.equal(policy.allows('other.internal', 8000), false);
  });

  test('no blanket loopback: 127.0.0.77:9 and 127.0.0.1 are refused unless configured', () => {
    assert.equal(policy.allows('127.0.0.77', 9), false);
    assert.equal(policy.allows('127.0.0.1', 8000), false);
    assert.equal(policy.allows('localhost', 8000), false);
  });

  test('loopback ports allow 127.0.0.1 and ::1 on that port only', () => {
    const p = policy.withLoopbackPorts([4100]);
    assert.equal(p.allows('127.0.0.1', 4100), true);
    assert.equal(p.allows('::1', 4100), true);
    assert.equal(p.allows('127.0.0.77', 4100), false);
    assert.equal(p.allows('127.0.0.1', 4101), false);
    assert.equal(policy.allows('127.0.0.1', 4100), false, 'the original policy is unchanged');
    assert.ok(Object.isFrozen(p));
  });

  test('allowsHost: names and addresses on any port, for DNS', () => {
    assert.equal(policy.allowsHost('vllm.internal'), true);
    assert.equal(policy.allowsHost('example.invalid'), false);
    assert.equal(policy.allowsHost('10.1.2.3'), true);
    assert.equal(denyAllEgressPolicy().allowsHost('localhost'), false);
  });

  test('serialize → deserialize round-trips; bad input throws', () => {
    const p = policy.withLoopbackPorts([4100]);
    const back = deserializeEgressPolicy(serializeEgressPolicy(p));
    assert.deepEqual(back.entries, p.entries);
    assert.deepEqual(back.loopbackPorts, [4100]);
    assert.throws(() => deserializeEgressPolicy('{"v":2,"allow":[],"loopbackPorts":[]}'), /version/);
    assert.throws(
      () => deserializeEgressPolicy('{"v":1,"allow":["x:0"],"loopbackPorts":[]}'),
      EgressPolicyError,
    );
    assert.throws(() => deserializeEgressPolicy('nope'));
  });
});

describe('buildEgressPolicy', () => {
  test('derives upstreams (scheme default ports), postgres store and egress.allow', () => {
    const config = configSchema.parse({
      ...base,
      store: { driver: 'postgres', url: 'postgres://airlock@pg.internal/airlock' },
      upstreams: [
        { name: 'vllm', kind: 'openai', baseUrl: 'https://vllm.internal/v1' },
        { name: 'ollama', kind: 'ollama', baseUrl: 'http://10.0.0.7:11434' },
        { name: 'v6', kind: 'openai', baseUrl: 'http://[fd00::5]/v1' },
        { name: 'local', kind: 'embedded', worker: { modelPath: 'm.gguf', port: 4200 } },
      ],
      egress: { allow: ['siem.internal:514'] },
    });
    const policy = buildEgressPolicy(config, { loopbackPorts: [4300] });
    assert.deepEqual(
      policy.entries.map((e) => e.text),
      [
        'vllm.internal:443',
        '10.0.0.7:11434',
        '[fd00:0:0:0:0:0:0:5]:80',
        'pg.internal:5432',
        'siem.internal:514',
      ],
    );
    assert.deepEqual(policy.loopbackPorts, [4200, 4300]);
    assert.equal(policy.allows('vllm.internal', 80), false);
  });

  test('a postgres Unix socket adds no TCP entry; a URL without host means localhost', () => {
    const socket = configSchema.parse({
      ...base,
      store: { driver: 'postgres', url: 'postgres:///airlock?host=/run/postgresql' },
    });
    assert.deepEqual(buildEgressPolicy(socket).entries, []);
    const bare = configSchema.parse({ ...base, store: { driver: 'postgres', url: 'postgresql:///airlock' } });
    assert.deepEqual(
      buildEgressPolicy(bare).entries.map((e) => e.text),
      ['localhost:5432'],
    );
  });

  test('a bad egress.allow entry stops start-up with config_invalid naming the path', () => {
    const config = configSchema.parse({ ...base, egress: { allow: ['ok.internal:80', '10.0.0.0/40'] } });
    assert.throws(
      () => buildEgressPolicy(config),
      (err: unknown) =>
        err instanceof AirlockError &&
        err.code === 'config_invalid' &&
        /egress\.allow\[1\].*10\.0\.0\.0\/40/.test(err.detail ?? ''),
    );
  });
});

describe('address helpers', () => {
  test('canonicalIp folds IPv4-mapped IPv6 and zone ids', () => {
    assert.deepEqual(canonicalIp('::ffff:7f00:4d'), { address: '127.0.0.77', family: 4 });
    assert.deepEqual(canonicalIp('[::1]'), { address: '0:0:0:0:0:0:0:1', family: 6 });
    assert.deepEqual(canonicalIp('fe80::1%eth0'), { address: 'fe80:0:0:0:0:0:0:1', family: 6 });
    assert.equal(canonicalIp('example.internal'), undefined);
  });
  test('addressScope classifies internal ranges', () => {
    assert.equal(addressScope('127.0.0.77', 4), 'loopback');
    assert.equal(addressScope('172.16.0.1', 4), 'private');
    assert.equal(addressScope('172.32.0.1', 4), 'public');
    assert.equal(addressScope('169.254.1.1', 4), 'link-local');
    assert.equal(addressScope('8.8.8.8', 4), 'public');
    assert.equal(addressScope('fd00:0:0:0:0:0:0:1', 6), 'ula');
    assert.equal(addressScope('fe80:0:0:0:0:0:0:1', 6), 'link-local');
    assert.equal(addressScope('2001:db8:0:0:0:0:0:1', 6), 'public');
  });
});
