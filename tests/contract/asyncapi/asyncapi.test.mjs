// docs/api/asyncapi.yaml parses without errors with the AsyncAPI parser, and its channels are exactly the STOMP
// destinations the app serves. Those come from the app's own mappings: AsyncApiDocumentTest (src/test) writes them
// to target/stomp-destinations.json, which the contract suite produces first (STOMP_DESTINATIONS points at it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Parser } from '@asyncapi/parser';

const root = new URL('../../../', import.meta.url);
const documentPath = new URL('docs/api/asyncapi.yaml', root);
const destinationsPath = process.env.STOMP_DESTINATIONS ?? new URL('target/stomp-destinations.json', root).pathname;

async function parse() {
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(await readFile(documentPath, 'utf8'));
  const errors = diagnostics.filter((d) => d.severity === 0);
  return { document, errors };
}

test('the AsyncAPI document is valid', async () => {
  const { document, errors } = await parse();
  assert.deepEqual(errors.map((e) => `${e.path.join('.')}: ${e.message}`), []);
  assert.ok(document, 'parsed');
  assert.equal(document.version(), '3.0.0');
});

test('it names every destination the app serves, and no other', async () => {
  const { document } = await parse();
  const served = JSON.parse(await readFile(destinationsPath, 'utf8'));
  const documented = document.channels().all().map((c) => c.address()).filter((a) => a != null).sort();
  assert.deepEqual(documented, [...served].sort());
  console.log(`ASYNCAPI channels=${documented.length} operations=${document.operations().all().length} `
    + `messages=${document.messages().all().length}: ${documented.join(' ')}`);
});

test('every operation sends or receives documented messages', async () => {
  const { document } = await parse();
  for (const operation of document.operations().all()) {
    assert.ok(operation.messages().all().length > 0, `${operation.id()} has messages`);
  }
});
