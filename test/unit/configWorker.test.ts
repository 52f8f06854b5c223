// The config worker and its client, against the real worker thread started from source (tsx's
// require hook loads the TypeScript, as esbuild's bundle would run it in the extension): results
// equal to reading in-process, later versions superseding earlier ones, a deadline that a
// genuinely slow config overruns, and a worker killed under a request.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { DEFAULT_ALIASES, extendAliases } from '../../src/runs/aliases';
import { type ConfigLanguage, languageOf, recogniseConfig } from '../../src/runs/configs';
import { CONFIG_WORKER_LIMITS, type ConfigOutcome, ConfigWorkerClient } from '../../src/extension/configWorkerClient';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples', 'configs');
const WORKER = path.join(ROOT, 'src', 'runs', 'configWorker.ts');
const BOOT = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(WORKER)});`;

/** A client whose workers are real threads running the source, each one kept with its exit. */
function client(timeoutMs?: number) {
  const workers: Array<{ worker: Worker; exited: Promise<number> }> = [];
  const logged: string[] = [];
  const start = (): Worker => {
    const worker = new Worker(BOOT, { eval: true, resourceLimits: CONFIG_WORKER_LIMITS });
    workers.push({ worker, exited: new Promise((resolve) => worker.once('exit', resolve)) });
    return worker;
  };
  const c = new ConfigWorkerClient({ start, log: (m) => logged.push(m), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  clients.push(c);
  return { c, workers, logged };
}
const clients: ConfigWorkerClient[] = [];
after(() => {
  for (const c of clients) c.dispose();
});

const done = (o: ConfigOutcome) => {
  assert.equal(o.status, 'done', JSON.stringify(o).slice(0, 300));
  return (o as Extract<ConfigOutcome, { status: 'done' }>).config;
};

/** A YAML config of `keys` keys: yaml.parse alone takes seconds on 100,000 (bench/hover). */
const bigYaml = (keys: number) => `n_params: 124M\n${Array.from({ length: keys }, (_, i) => `k${i}: ${i}`).join('\n')}\n`;

describe('config worker', () => {
  it('reads every example config as recogniseConfig does in-process, and hostile ones too', async () => {
    const { c, workers } = client();
    const cases: Array<[string, string, ConfigLanguage]> = readdirSync(EXAMPLES).map((name) => [name, readFileSync(path.join(EXAMPLES, name), 'utf8'), languageOf(name) ?? 'yaml']);
    cases.push(
      ['dates.toml', 'params = "85M"\nstarted = 1979-05-27T07:32:00Z\nday = 1979-05-27\n[train]\nmax_steps = 10\n', 'toml'],
      ['nan.json', '{"n_params": NaN, "tokens": Infinity, "x": -Infinity, "precision": "bf16"}', 'json'],
      ['wide.toml', `[model]\nparams = "85M"\n${Array.from({ length: 5000 }, (_, i) => `k${i} = ${i}`).join('\n')}\n`, 'toml'],
      ['spaces.py', `a:${' '.repeat(100_000)}\nn_layer = 12\nn_embd = 768\nn_head = 12\n`, 'python'],
      ['broken.yaml', 'n_params: 3e7\ntokens: [1, 2\nprecision: bf16\n', 'yaml'],
      ['wide.yaml', bigYaml(25_000), 'yaml'],
    );
    for (const [name, text, language] of cases) {
      const viaWorker = done(await c.analyse(name, 1, text, language, DEFAULT_ALIASES, name));
      assert.deepStrictEqual(viaWorker, recogniseConfig(text, language, DEFAULT_ALIASES, name), name);
    }
    // The user's aliases travel with the request.
    const aliases = extendAliases({ params: ['nonemb'] });
    assert.equal(done(await c.analyse('aliases.yaml', 1, 'nonemb: 3e7\n', 'yaml', aliases)).params?.value, 3e7);
    assert.equal(workers.length, 1, 'one long-lived worker for every request');
  });

  it('one request per document version: a waiting one is superseded by a later version, the same version joins', async () => {
    const { c, workers } = client();
    const v1 = c.analyse('doc', 1, bigYaml(20_000), 'yaml', DEFAULT_ALIASES);
    const v2 = c.analyse('doc', 2, 'n_params: 2e8\n', 'yaml', DEFAULT_ALIASES);
    const v3 = c.analyse('doc', 3, 'n_params: 3e8\n', 'yaml', DEFAULT_ALIASES);
    assert.equal(c.analyse('doc', 3, 'n_params: 3e8\n', 'yaml', DEFAULT_ALIASES), v3, 'asking again for version 3 joins it');
    const other = c.analyse('other', 1, 'n_params: 4e8\n', 'yaml', DEFAULT_ALIASES);
    const [o1, o2, o3, o4] = await Promise.all([v1, v2, v3, other]);
    assert.equal(done(o1).params?.value, 124e6, 'the version already being read is read to the end');
    assert.deepEqual(o2, { status: 'superseded' });
    assert.equal(done(o3).params?.value, 3e8);
    assert.equal(done(o4).params?.value, 4e8, 'other documents are not superseded');
    assert.equal(workers.length, 1);
  });

  it('a config that takes longer than the deadline: timed out, said once, the worker terminated and a new one reads the next', async () => {
    const { c, workers, logged } = client(300);
    const slow = await c.analyse('slow.yaml', 7, bigYaml(100_000), 'yaml', DEFAULT_ALIASES);
    assert.deepEqual(slow, { status: 'timeout', ms: 300 });
    assert.equal(logged.length, 1);
    assert.match(logged[0], /slow\.yaml \(version 7\)/);
    await workers[0].exited;
    const next = await c.analyse('small.yaml', 1, 'n_params: 1e8\n', 'yaml', DEFAULT_ALIASES);
    assert.equal(done(next).params?.value, 1e8);
    assert.equal(workers.length, 2);
  });

  it('a worker that dies under a request fails that request only; the next request starts another', async () => {
    const { c, workers, logged } = client();
    const pending = c.analyse('big.yaml', 1, bigYaml(100_000), 'yaml', DEFAULT_ALIASES);
    const queued = c.analyse('small.yaml', 1, 'n_params: 1e8\n', 'yaml', DEFAULT_ALIASES);
    await workers[0].worker.terminate();
    const died = await pending;
    assert.equal(died.status, 'failed');
    assert.equal(done(await queued).params?.value, 1e8, 'the request behind it is read by a new worker');
    assert.equal(workers.length, 2);
    assert.equal(logged.length, 1);
  });

  it('a request the worker cannot read is failed with the reason, and the worker goes on', async () => {
    const { c, workers } = client();
    const bad = await c.analyse('x.xml', 1, '<x/>', 'xml' as ConfigLanguage, DEFAULT_ALIASES);
    assert.equal(bad.status, 'failed');
    assert.equal(done(await c.analyse('ok.yaml', 1, 'n_params: 1e8\n', 'yaml', DEFAULT_ALIASES)).params?.value, 1e8);
    assert.equal(workers.length, 1);
  });

  it('disposed: what was asked for is superseded, the worker stopped, later requests answered at once', async () => {
    const { c, workers } = client();
    const pending = c.analyse('big.yaml', 1, bigYaml(50_000), 'yaml', DEFAULT_ALIASES);
    const queued = c.analyse('small.yaml', 1, 'n_params: 1e8\n', 'yaml', DEFAULT_ALIASES);
    c.dispose();
    assert.deepEqual(await Promise.all([pending, queued]), [{ status: 'superseded' }, { status: 'superseded' }]);
    await workers[0].exited;
    assert.deepEqual(await c.analyse('later.yaml', 1, 'n_params: 1e8\n', 'yaml', DEFAULT_ALIASES), { status: 'superseded' });
    assert.equal(workers.length, 1);
  });
});
