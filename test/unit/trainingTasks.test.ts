// The task provider under a stand-in for the `vscode` module (only what trainingTasks.ts touches
// while providing and resolving tasks): the tasks it makes, as VS Code would receive them.
import assert from 'node:assert/strict';
import Module from 'node:module';
import { describe, test } from 'node:test';

interface MadeTask {
  definition: Record<string, unknown>;
  name: string;
  source: string;
  problemMatchers: unknown;
}

const providers = new Map<string, { provideTasks(): MadeTask[]; resolveTask(task: MadeTask): MadeTask | undefined }>();
const fakeVscode = {
  Task: class {
    presentationOptions: unknown;
    isBackground: unknown;
    constructor(
      public definition: Record<string, unknown>,
      public scope: unknown,
      public name: string,
      public source: string,
      public execution: unknown,
      public problemMatchers?: unknown,
    ) {}
  },
  CustomExecution: class {
    constructor(public callback: unknown) {}
  },
  EventEmitter: class {
    event = (): void => {};
    fire(): void {}
  },
  TaskScope: { Workspace: 2 },
  TaskRevealKind: { Always: 1 },
  TaskPanelKind: { Dedicated: 2 },
  workspace: {
    workspaceFolders: [{ uri: { fsPath: '/work/project' }, name: 'project', index: 0 }],
    getConfiguration: () => ({ get: <T>(_key: string, fallback?: T) => fallback }),
  },
  tasks: {
    registerTaskProvider: (type: string, provider: (typeof providers extends Map<string, infer P> ? P : never)) => {
      providers.set(type, provider);
      return { dispose() {} };
    },
  },
};

// `import * as vscode from 'vscode'` in the module under test gets the stand-in.
const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = loader._load;
loader._load = (request, ...rest) => (request === 'vscode' ? fakeVscode : load(request, ...rest));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { registerTrainingTasks } = require('../../src/extension/trainingTasks') as typeof import('../../src/extension/trainingTasks');
loader._load = load;

describe('training task provider', () => {
  registerTrainingTasks();

  test('provided tasks carry an empty problem matcher list (no "scan the task output" prompt)', () => {
    for (const type of ['precision-train', 'precision-sweep']) {
      const tasks = providers.get(type)!.provideTasks();
      assert.equal(tasks.length, 1);
      assert.equal(tasks[0].definition.type, type);
      assert.deepEqual(tasks[0].problemMatchers, [], type);
    }
  });

  test('tasks resolved from tasks.json get one too', () => {
    const fromJson = { definition: { type: 'precision-sweep', sizes: ['2x32'], problemMatcher: [] }, name: 'my sweep', source: 'Workspace', problemMatchers: undefined } as MadeTask;
    const resolved = providers.get('precision-sweep')!.resolveTask(fromJson)!;
    assert.equal(resolved.definition, fromJson.definition, 'the same definition object, as VS Code requires');
    assert.deepEqual(resolved.problemMatchers, []);
  });
});
