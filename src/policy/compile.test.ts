import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AirlockError } from '../errors.ts';
import { compilePolicies, defaultPolicySource } from './compile.ts';

function failure(text: string, name = 'site.cedar'): string {
  try {
    compilePolicies([{ name, text }]);
  } catch (err) {
    assert.ok(err instanceof AirlockError);
    assert.equal(err.code, 'config_invalid');
    return err.detail ?? '';
  }
  assert.fail('expected the policy set to be refused');
}

describe('compile: a broken policy stops start-up naming the policy and position', () => {
  test('compile: syntax error → file:line:column', () => {
    const detail = failure(
      '@id("ok")\npermit (principal, action, resource);\n\n@id("bad")\npermit (principal, action, resource) when { 1 + };',
    );
    assert.match(detail, /^policy: site\.cedar:5:\d+: /);
    assert.match(detail, /unexpected token/);
  });

  test('compile: schema violation names the policy id and its line', () => {
    const detail = failure(
      '@id("fine")\npermit (principal, action, resource);\n\n@id("typo")\nforbid (principal, action, resource)\nwhen { context.findngs.contains("x") };',
    );
    assert.match(detail, /policy "typo" at site\.cedar:6:\d+: .*findngs/);
  });

  test('compile: an unknown entity type is refused', () => {
    assert.match(failure('@id("x") permit (principal is Airlock::Robot, action, resource);'), /Robot/);
  });

  test('compile: every policy needs an @id, unique', () => {
    assert.match(failure('permit (principal, action, resource);'), /site\.cedar:1:1: policy has no @id/);
    assert.match(
      failure(
        '@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);',
      ),
      /site\.cedar:2:1: duplicate policy id "a" \(first at site\.cedar:1\)/,
    );
  });

  test('compile: obligations are checked at load', () => {
    assert.match(failure('@id("t") @ttl("soon") permit (principal, action, resource);'), /@ttl\("soon"\)/);
    assert.match(
      failure('@id("f") @approval("x") forbid (principal, action, resource);'),
      /belong on permit/,
    );
  });
});

describe('compile: slicing', () => {
  test('compile: a policy lands only in the slices of the actions its scope can match', () => {
    const c = compilePolicies([
      {
        name: 'x',
        text: `
@id("chat-only") permit (principal, action == Airlock::Action::"chat", resource);
@id("models-family") forbid (principal, action in Airlock::Action::"models", resource) when { context.stream };
@id("tools") permit (principal, action, resource is Airlock::Tool);
@id("everything") forbid (principal, action, resource) when { context has zone && context.zone == "red" };`,
      },
    ]);
    const ids = (a: string) => c.slices.get(a)!.policies.map((p) => p.id);
    assert.deepEqual(ids('chat'), ['chat-only', 'models-family', 'everything']);
    assert.deepEqual(ids('embed'), ['models-family', 'everything']);
    assert.deepEqual(ids('tools/call'), ['tools', 'everything']);
    assert.deepEqual(ids('tools/list'), ['tools', 'everything']);
    assert.deepEqual(ids('admin/keys.create'), ['everything']);
    assert.equal(c.slices.get('chat')!.family, 'models');
    assert.equal(c.slices.get('admin/keys.create')!.family, 'admin');
  });

  test('compile: each slice knows the context fields and attributes its policies read', () => {
    const c = compilePolicies([
      defaultPolicySource(),
      {
        name: 'x',
        text: '@id("g") forbid (principal, action == Airlock::Action::"chat", resource) when { context.findings.types.contains("s") && context has credential && context.credential.kind == "jwt" };',
      },
    ]);
    const chat = c.slices.get('chat')!.refs;
    assert.ok(chat.context !== 'all');
    assert.deepEqual([...chat.context].sort(), ['__principal', '__resource', 'credential', 'findings']);
    assert.ok(chat.attrs.has('scopes') && chat.attrs.has('alias') && chat.attrs.has('kind'));
    const embed = c.slices.get('embed')!.refs;
    assert.ok(embed.context !== 'all' && !embed.context.has('findings'));
  });
});
