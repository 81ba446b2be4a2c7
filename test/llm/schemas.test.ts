import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConclusionNarrative, PostmortemNarrative } from '../../src/llm/narrate.ts';

type Node = { type?: unknown; properties?: Record<string, Node>; required?: string[]; additionalProperties?: unknown; items?: Node; anyOf?: Node[] };

/** Every object node of a JSON Schema, with its path. */
function objects(node: Node, path = '(root)'): [string, Node][] {
  const own: [string, Node][] = node.properties ? [[path, node]] : [];
  const children = [
    ...Object.entries(node.properties ?? {}).map(([k, v]) => objects(v, `${path}.${k}`)),
    node.items ? objects(node.items, `${path}[]`) : [],
    ...(node.anyOf ?? []).map((n) => objects(n, path)),
  ];
  return [...own, ...children.flat()];
}

for (const [name, schema] of [['ConclusionNarrative', ConclusionNarrative], ['PostmortemNarrative', PostmortemNarrative]] as const) {
  test(`${name} follows the strict structured-output rules`, () => {
    const json = z.toJSONSchema(schema) as Node;
    assert.equal(json.type, 'object', 'the root is an object');
    const nodes = objects(json);
    assert.ok(nodes.length >= 2);
    for (const [path, node] of nodes) {
      assert.deepEqual(node.required, Object.keys(node.properties!), `${path}: every property is required`);
      assert.equal(node.additionalProperties, false, `${path}: no additional properties`);
    }
  });
}

test('ConclusionNarrative.ranking is nullable, not optional', () => {
  const json = z.toJSONSchema(ConclusionNarrative) as Node;
  assert.deepEqual(json.properties!.ranking!.anyOf!.map((n) => n.type), ['array', 'null']);
});
