import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildDemoModel, demoChatTemplate, demoModelShape } from '../inference/worker/demo-model.ts';
import { readGgufFacts } from './gguf.ts';
import { scanChatTemplate } from './template-scan.ts';
import { ggufWithTemplate } from './test-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-gguf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('gguf header', () => {
  it('reads architecture, file type, context length and chat template of the demo model', async () => {
    const p = join(dir, 'demo.gguf');
    writeFileSync(p, buildDemoModel(3));
    const f = await readGgufFacts(p);
    assert.equal(f.architecture, 'llama');
    assert.equal(f.fileType, 0);
    assert.equal(f.quantization, 'F32');
    assert.equal(f.contextLength, demoModelShape.contextLength);
    assert.equal(f.chatTemplate, demoChatTemplate);
    assert.equal(f.license, 'Apache-2.0');
    assert.equal(f.ggufVersion, 3);
  });

  it('quantisation name from general.file_type', async () => {
    const p = join(dir, 'q.gguf');
    writeFileSync(p, ggufWithTemplate('x'));
    const f = await readGgufFacts(p);
    assert.equal(f.quantization, 'Q4_K_M');
    assert.equal(f.contextLength, 4096);
  });

  it('truncated or foreign files are errors, not crashes', async () => {
    const p = join(dir, 't.gguf');
    writeFileSync(p, buildDemoModel(3).subarray(0, 200));
    await assert.rejects(readGgufFacts(p), /truncated/);
    writeFileSync(p, 'not a model');
    await assert.rejects(readGgufFacts(p), /GGUF/);
    const huge = Buffer.alloc(32);
    huge.write('GGUF', 0, 'ascii');
    huge.writeUInt32LE(3, 4);
    huge.writeBigUInt64LE(0n, 8);
    huge.writeBigUInt64LE(1n << 40n, 16);
    writeFileSync(p, huge);
    await assert.rejects(readGgufFacts(p), /limit/);
  });
});

describe('chat template scan', () => {
  it('benign templates pass', () => {
    assert.deepEqual(scanChatTemplate(demoChatTemplate), []);
    const llama3 =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}{% if tools %}{{ tools | tojson }}{% endif %}{% set ns = namespace(found=false) %}{{ raise_exception('x') if false }}";
    assert.deepEqual(scanChatTemplate(llama3), []);
  });
  for (const attack of [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    '{{ cycler.__init__.__globals__.os.popen("id").read() }}',
    "{{ joiner.__init__.__globals__['__builtins__'] }}",
    '{{ self._TemplateReference__context.cycler }}',
    "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{% import 'os' as os %}",
    '{{ namespace.__init__.__globals__ }}',
    "{{ lipsum.__globals__['os'].system('x') }}",
  ])
    it(`flags ${attack.slice(0, 40)}`, () => assert.ok(scanChatTemplate(attack).length > 0));
});
