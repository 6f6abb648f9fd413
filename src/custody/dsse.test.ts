import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { pae, unsupportedKey, verifyDsse } from './dsse.ts';

describe('DSSE', () => {
  it('PAE matches the DSSE protocol.md example byte for byte', () => {
    assert.equal(
      pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('lengths count bytes, not characters', () => {
    assert.equal(pae('t', Buffer.from('é')).toString(), 'DSSEv1 1 t 2 é');
  });

  it('verifies P-256, P-384 and Ed25519 signatures over PAE, and only over PAE', () => {
    const body = Buffer.from('{"a":1}');
    for (const [kind, hash, opts] of [
      ['ec', 'sha256', { namedCurve: 'P-256' }],
      ['ec', 'sha384', { namedCurve: 'P-384' }],
      ['ed25519', null, {}],
    ] as const) {
      const { privateKey, publicKey } = generateKeyPairSync(kind as 'ec', opts as { namedCurve: string });
      const good = sign(hash, pae('application/x', body), privateKey);
      assert.equal(verifyDsse('application/x', body, good, publicKey), true, kind);
      assert.equal(verifyDsse('application/y', body, good, publicKey), false, 'payload type is bound');
      assert.equal(
        verifyDsse('application/x', body, sign(hash, body, privateKey), publicKey),
        false,
        'bare body',
      );
      assert.equal(verifyDsse('application/x', body, Buffer.from('not der'), publicKey), false);
    }
  });

  it('refuses RSA keys and private keys', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.match(unsupportedKey(publicKey) ?? '', /rsa keys are not supported/);
    assert.match(unsupportedKey(privateKey) ?? '', /not a public key/);
  });
});
