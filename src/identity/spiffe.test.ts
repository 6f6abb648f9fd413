import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { parseSpiffeId, spiffeIdOf, subjectAltNames } from './spiffe.ts';

const cert = (subjectAltName: string | undefined) => ({ subjectAltName }) as unknown as X509Certificate;

test('spiffe: valid ids parse into trust domain and path', () => {
  assert.deepEqual(parseSpiffeId('spiffe://prod.example/ns/billing/sa/agent'), {
    id: 'spiffe://prod.example/ns/billing/sa/agent',
    trustDomain: 'prod.example',
    path: '/ns/billing/sa/agent',
  });
  assert.equal(parseSpiffeId('spiffe://td')?.path, '');
});

test('spiffe: ids that break the spec → undefined', () => {
  for (const bad of [
    'https://td/x',
    'SPIFFE://td/x',
    'spiffe://TD/x',
    'spiffe://td:443/x',
    'spiffe://user@td/x',
    'spiffe://td/x/',
    'spiffe://td//x',
    'spiffe://td/./x',
    'spiffe://td/../x',
    'spiffe://td/x?q=1',
    'spiffe://td/x#f',
    'spiffe://td/%41',
    `spiffe://td/${'a'.repeat(2100)}`,
  ])
    assert.equal(parseSpiffeId(bad), undefined, bad);
});

test('spiffe: SAN string split respects Node quoting (no injected entries)', () => {
  assert.deepEqual(subjectAltNames(cert('DNS:a.example, URI:spiffe://td/x, IP Address:127.0.0.1')), [
    { type: 'DNS', value: 'a.example' },
    { type: 'URI', value: 'spiffe://td/x' },
    { type: 'IP Address', value: '127.0.0.1' },
  ]);
  // A value containing ", URI:" arrives JSON-quoted and stays one entry.
  assert.deepEqual(subjectAltNames(cert('DNS:"a, URI:spiffe://td/admin"')), [
    { type: 'DNS', value: 'a, URI:spiffe://td/admin' },
  ]);
  assert.deepEqual(subjectAltNames(cert(undefined)), []);
});

test('spiffe: an SVID has exactly one URI SAN, a valid SPIFFE ID with a path', () => {
  assert.equal(spiffeIdOf(cert('URI:spiffe://td/w'))?.id, 'spiffe://td/w');
  assert.equal(spiffeIdOf(cert('URI:spiffe://td/w, URI:spiffe://td/v')), undefined);
  assert.equal(spiffeIdOf(cert('URI:spiffe://td')), undefined);
  assert.equal(spiffeIdOf(cert('DNS:w.td')), undefined);
  assert.equal(spiffeIdOf(cert('DNS:"x, URI:spiffe://td/admin"')), undefined);
});
