// Which JSON documents are run records: one run object with its nested config and results at the
// top (open_lm's exp_data/models/*.json), or a list of such objects (Marin's
// speedrun_results.json, {"runs": [{"run_info": {…}}]}). Tables (rows of runs, pandas' layouts,
// a dict of columns) are the sweep-table reader's; JSON that holds no run is nobody's here.

import type { Node } from 'jsonc-parser';
import { type AliasTable, matchKeys } from '../aliases';

export type RecordShape =
  | { kind: 'run'; node: Node }
  /** A list of run objects: `key` is the list's key ('' for a top-level array), `items` its run objects with their index. */
  | { kind: 'runs'; key: string; items: Array<{ node: Node; index: number }> }
  | { kind: 'table' }
  | { kind: 'other' };

/** Keys under which a document lists its runs (the sweep-table reader looks under the same ones for rows). */
export const RUN_LIST_KEYS = ['runs', 'experiments', 'records', 'rows', 'results', 'data'];

export interface Property {
  key: string;
  keyNode: Node;
  value: Node;
}

export function propertiesOf(node: Node | undefined): Property[] {
  if (!node || node.type !== 'object') return [];
  const out: Property[] = [];
  const seen = new Set<string>();
  for (const property of node.children ?? []) {
    const [keyNode, value] = property.children ?? [];
    if (!keyNode || !value || typeof keyNode.value !== 'string' || seen.has(keyNode.value)) continue;
    seen.add(keyNode.value);
    out.push({ key: keyNode.value, keyNode, value });
  }
  return out;
}

const isScalar = (node: Node): boolean => node.type !== 'object' && node.type !== 'array';

/** An object of scalars and lists of scalars: a table row, not a run with a nested config. */
export function isFlatObject(node: Node): boolean {
  return node.type === 'object' && propertiesOf(node).every((p) => isScalar(p.value) || (p.value.type === 'array' && (p.value.children ?? []).every(isScalar)));
}

/** Keys that make a row of a sweep table: a loss with N or D beside it. */
function tableKeys(keys: readonly string[], aliases: AliasTable): boolean {
  const columns = matchKeys(keys, aliases);
  return columns.loss !== undefined && (columns.params !== undefined || columns.tokens !== undefined);
}

/**
 * The shape of a document. `isRun` says whether an object holds a run (a training config and a
 * result); `hasTraining` whether it holds a training config at all, which tells a run whose
 * evaluations are listed under "results" (open_lm) from a document that is only a list.
 */
export function recordShape(root: Node | undefined, aliases: AliasTable, isRun: (node: Node) => boolean, hasTraining: (node: Node) => boolean): RecordShape {
  if (!root) return { kind: 'other' };
  if (root.type === 'array') return listShape(root.children ?? [], '', isRun);
  if (root.type !== 'object') return { kind: 'other' };
  const props = propertiesOf(root);
  // A dict of columns ({"params": [...], "val_loss": [...]}) or pandas' orient="columns".
  const columns = props.filter((p) => p.value.type === 'array' || p.value.type === 'object').map((p) => p.key);
  if (columns.length >= 2 && tableKeys(columns, aliases) && props.every((p) => p.value.type === 'array' || p.value.type === 'object')) return { kind: 'table' };
  // Rows keyed by run name (orient="index"): every value a flat object, the rows table rows.
  if (props.length >= 2 && props.every((p) => p.value.type === 'object' && isFlatObject(p.value)) && props.some((p) => tableKeys(propertiesOf(p.value).map((c) => c.key), aliases))) {
    return { kind: 'table' };
  }
  if (!hasTraining(root)) {
    for (const key of RUN_LIST_KEYS) {
      const list = props.find((p) => p.key.toLowerCase() === key)?.value;
      if (list?.type === 'array' && (list.children ?? []).some((c) => c.type === 'object')) return listShape(list.children ?? [], propertiesOf(root).find((p) => p.value === list)?.key ?? key, isRun);
    }
    return { kind: 'other' };
  }
  return isRun(root) ? { kind: 'run', node: root } : { kind: 'other' };
}

/** A list is a table when its objects are flat rows, a list of runs when they are runs. */
function listShape(children: readonly Node[], key: string, isRun: (node: Node) => boolean): RecordShape {
  const objects = children.map((node, index) => ({ node, index })).filter((c) => c.node.type === 'object');
  if (objects.length === 0) return { kind: 'other' };
  if (objects.every((c) => isFlatObject(c.node))) return { kind: 'table' };
  const items = objects.filter((c) => isRun(c.node));
  return items.length > 0 ? { kind: 'runs', key, items } : { kind: 'other' };
}
