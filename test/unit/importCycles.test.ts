// The import-cycle check of `npm run lint` (scripts/import-cycles.js): what it calls a cycle.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const { cycles } = createRequire(__filename)('../../scripts/import-cycles.js') as { cycles: (graph: Map<string, Set<string>>) => string[][] };
const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

describe('the import-cycle check', () => {
  it('finds a cycle through several modules, and only the modules on it', () => {
    assert.deepEqual(cycles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': ['a.ts', 'd.ts'], 'd.ts': [] })), [['a.ts', 'b.ts', 'c.ts']]);
  });

  it('finds a module importing itself and two separate cycles', () => {
    const found = cycles(graph({ 'a.ts': ['a.ts'], 'b.ts': ['c.ts'], 'c.ts': ['b.ts'] }));
    assert.deepEqual(found.sort(), [['a.ts'], ['b.ts', 'c.ts']]);
  });

  it('finds none in a graph with shared dependencies but no way back', () => {
    assert.deepEqual(cycles(graph({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['d.ts'], 'c.ts': ['d.ts'], 'd.ts': [] })), []);
  });
});
