import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { modelSigningPki, type PkiCert } from './model-signing-fixtures.ts';
import { validateChain } from './x509-chain.ts';

// Real certificates from the openssl CLI, so the extensions are encoded as CAs encode them.
const pki = modelSigningPki();
after(() => rmSync(pki.dir, { recursive: true, force: true }));
const x509 = (c: PkiCert) => new X509Certificate(c.cert);
const root = pki.ca('root');
const anchors = [{ name: 'root', certificate: x509(root) }];
// A minute ahead: openssl stamps notBefore with the second it signs, which may be after the call.
const soon = () => new Date(Date.now() + 60_000);

describe('validateChain: issuer limits (RFC 5280 section 6.1.4)', () => {
  it('a leaf under an intermediate with pathlen:0 chains to the pinned root', () => {
    const inter = pki.intermediate('issuing', root);
    const leaf = pki.signer('release', inter);
    const r = validateChain(x509(leaf), [x509(inter)], anchors, soon());
    assert.equal(r.ok, true, r.ok ? '' : r.reason);
  });

  it('a sub-CA made by a pathlen:0 intermediate is refused', () => {
    const inter = pki.intermediate('issuing-0', root);
    const sub = pki.issueRaw('rogue-sub-ca', inter, [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const leaf = pki.signer('rogue-release', sub);
    const r = validateChain(x509(leaf), [x509(sub), x509(inter)], anchors, soon());
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /CN=issuing-0 allows 0 intermediate.*pathLenConstraint.*has 1/);
  });

  it("a pinned root's own pathLenConstraint counts", () => {
    const tight = pki.ca('tight-root');
    const limited = pki.issueRaw('limited-root-inter', tight, [
      'basicConstraints=critical,CA:TRUE,pathlen:1',
      'keyUsage=critical,keyCertSign',
    ]);
    const a = pki.intermediate('level-a', limited);
    const leaf = pki.signer('deep-release', a);
    const pinLimited = [{ name: 'limited', certificate: x509(limited) }];
    // limited (pathlen:1) → level-a → leaf: one intermediate below it, allowed.
    const ok = validateChain(x509(leaf), [x509(a)], pinLimited, soon());
    assert.equal(ok.ok, true, ok.ok ? '' : ok.reason);
    // limited (pathlen:1) → level-b → level-c → leaf: two below it, refused even though limited is the anchor.
    const b = pki.issueRaw('level-b', limited, [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
    ]);
    const c = pki.issueRaw('level-c', b, [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
    ]);
    const deep = pki.signer('deeper-release', c);
    const refused = validateChain(x509(deep), [x509(c), x509(b)], pinLimited, soon());
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.reason, /CN=limited-root-inter allows 1 .* has 2/);
  });

  it('an intermediate whose key usage leaves out keyCertSign cannot issue', () => {
    const noSign = pki.issueRaw('no-cert-sign', root, [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,digitalSignature,cRLSign',
    ]);
    const leaf = pki.signer('unsigned-release', noSign);
    const r = validateChain(x509(leaf), [x509(noSign)], anchors, soon());
    // node:crypto's `ca` (OpenSSL X509_check_ca) does not count it as a CA: no path.
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /does not lead to a pinned CA/);
  });
});
