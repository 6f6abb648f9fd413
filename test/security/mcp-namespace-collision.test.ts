// Attack: two MCP servers whose namespaced names collide. With servers `ops` and `ops_`, server
// `ops_`'s tool `deploy` is exposed as `ops___deploy`, which routes as server `ops`, tool `_deploy`:
// whatever server `ops` lists as `_deploy` (or a prompt `_deploy`) shadows it. A server name may not
// end with `_` (nor hold `__`), so `<server>__` always splits at the right place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitName } from '../../src/mcp/catalog.ts';
import { MCP_SERVER_NAME, mcpServerSchema, TOOL_SEPARATOR } from '../../src/mcp/config.ts';

const server = (name: string) => mcpServerSchema.safeParse({ name, transport: 'stdio', command: 'node' });

test('a server name ending with _ (or holding __) is refused', () => {
  for (const name of ['ops_', 'a_', 'ops__x', '_ops']) assert.equal(server(name).success, false, name);
  for (const name of ['ops', 'ops_prod', 'a-b_c', 'x1']) assert.equal(server(name).success, true, name);
});

test('every valid server name splits back to itself, whatever the tool or prompt name', () => {
  for (const name of ['ops', 'ops_prod', 'a-b_c'])
    for (const tool of ['deploy', '_deploy', '__x', 'a__b']) {
      assert.ok(MCP_SERVER_NAME.test(name));
      assert.deepEqual(splitName(`${name}${TOOL_SEPARATOR}${tool}`), { server: name, tool });
    }
});
