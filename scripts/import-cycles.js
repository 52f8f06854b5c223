// Fails when the project's own modules import each other in a cycle. The graph is esbuild's:
// each bundle of esbuild.js is resolved (nothing written) and its metafile lists every input
// with the imports it resolved to, so what is checked is what ships. Packages are left out.
const esbuild = require('esbuild');
const path = require('node:path');
const { bundles } = require('../esbuild.js');

/** The project-file import graph of every bundle, as "file -> files it imports". */
async function importGraph() {
  const graph = new Map();
  for (const options of bundles) {
    const result = await esbuild.build({ ...options, write: false, metafile: true, logLevel: 'silent', minify: false, sourcemap: false });
    for (const [file, input] of Object.entries(result.metafile.inputs)) {
      if (file.includes('node_modules/')) continue;
      const own = input.imports.map((i) => i.path).filter(isOwn);
      graph.set(file, new Set([...(graph.get(file) ?? []), ...own]));
    }
  }
  return graph;
}

// The project's own modules; packages (node_modules) are left out.
const isOwn = (p) => p.startsWith('src/') || p.startsWith('webview/');

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

module.exports = { cycles };

if (require.main === module) {
  importGraph()
    .then((graph) => {
      const found = cycles(graph);
      for (const c of found) console.error(`import cycle: ${c.map((f) => path.normalize(f)).join(' <-> ')}`);
      if (found.length > 0) process.exit(1);
      console.log(`no import cycle among ${graph.size} project modules`);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
