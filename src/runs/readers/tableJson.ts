// The rows of a JSON table, whichever layout wrote it, each cell kept with its line: an array of
// row objects (pandas "records"); an object holding one under runs, rows, data, results,
// records or experiments (pandas "table" keeps its rows under data); pandas "split"
// ({"columns", "index", "data"}), "index" (rows keyed by index or run name) and "columns"
// (columns of rows keyed by index); a dict of lists (pandas to_dict("list"), json.dump of a
// dict of columns), at the top or under one of the row keys; and polars' column layout
// ({"columns": [{"name", "datatype", "values"}]}, what write_json wrote before polars 1.0 and
// DataFrame.serialize writes now). pandas "values" (arrays without names) is no table.

import type { Node } from 'jsonc-parser';
import type { AliasTable } from '../aliases';
import type { JsonDoc } from '../jsonDoc';
import { type Row, tableLayout } from './tableColumns';

const ROW_KEYS = ['runs', 'rows', 'data', 'results', 'records', 'experiments'];

export interface JsonRows {
  rows: Array<Row & { span: [number, number] }>;
  /** Lines of elements of the row array that are not rows. */
  strays: number[];
  /** What a row should have been, for the message about strays. */
  rowKind: string;
  /** The lengths of a dict of lists whose lists differ in length. */
  uneven?: string;
}

function property(node: Node): { key: string; value: Node } | undefined {
  const [k, v] = node.children ?? [];
  return k && v && typeof k.value === 'string' ? { key: k.value, value: v } : undefined;
}

function isScalar(node: Node): boolean {
  return node.type !== 'object' && node.type !== 'array';
}

/** Lines a node spans, first and last. */
function spanOf(doc: JsonDoc, node: Node): [number, number] {
  return [doc.lineOf(node), doc.lineOf({ ...node, offset: node.offset + Math.max(0, node.length - 1) })];
}

function objectRow(doc: JsonDoc, node: Node, key?: string): JsonRows['rows'][number] {
  const cells = new Map<string, unknown>();
  const cellLines = new Map<string, number>();
  for (const child of node.children ?? []) {
    const p = property(child);
    // First occurrence of a key wins, as everywhere in the readers.
    if (!p || cells.has(p.key) || !isScalar(p.value)) continue;
    cells.set(p.key, p.value.value);
    cellLines.set(p.key, doc.lineOf(p.value));
  }
  const row: JsonRows['rows'][number] = { line: doc.lineOf(node), cells, cellLines, span: spanOf(doc, node) };
  if (key !== undefined) row.key = key;
  return row;
}

function recordRows(doc: JsonDoc, array: Node): JsonRows {
  const out: JsonRows = { rows: [], strays: [], rowKind: 'an object' };
  for (const child of array.children ?? []) {
    if (child.type === 'object') out.rows.push(objectRow(doc, child));
    else out.strays.push(doc.lineOf(child));
  }
  return out;
}

/** pandas orient="split": {"columns": [...], "index": [...], "data": [[...], ...]}. */
function splitRows(doc: JsonDoc, columns: Node, data: Node, index: Node | undefined): JsonRows {
  const names = (columns.children ?? []).map((c) => (c.type === 'string' ? String(c.value) : ''));
  const keys = (index?.children ?? []).map((c) => (isScalar(c) ? String(c.value) : undefined));
  const out: JsonRows = { rows: [], strays: [], rowKind: 'an array of cells' };
  (data.children ?? []).forEach((row, i) => {
    if (row.type !== 'array') {
      out.strays.push(doc.lineOf(row));
      return;
    }
    const cells = new Map<string, unknown>();
    const cellLines = new Map<string, number>();
    (row.children ?? []).forEach((c, j) => {
      const name = names[j];
      if (!name || cells.has(name) || !isScalar(c)) return;
      cells.set(name, c.value);
      cellLines.set(name, doc.lineOf(c));
    });
    const r: JsonRows['rows'][number] = { line: doc.lineOf(row), cells, cellLines, span: spanOf(doc, row) };
    const key = keys[i];
    if (key !== undefined) r.key = key;
    out.rows.push(r);
  });
  return out;
}

/** pandas orient="columns" (to_json's default): {"column": {"row": value, ...}, ...}. */
function columnRows(doc: JsonDoc, root: Node): JsonRows {
  const rows = new Map<string, JsonRows['rows'][number]>();
  for (const child of root.children ?? []) {
    const column = property(child);
    if (!column || column.value.type !== 'object') continue;
    for (const entry of column.value.children ?? []) {
      const cell = property(entry);
      if (!cell || !isScalar(cell.value)) continue;
      const line = doc.lineOf(cell.value);
      let row = rows.get(cell.key);
      if (!row) {
        row = { line, cells: new Map(), cellLines: new Map(), key: cell.key, span: [line, line] };
        rows.set(cell.key, row);
      }
      const cells = row.cells as Map<string, unknown>;
      if (cells.has(column.key)) continue;
      cells.set(column.key, cell.value.value);
      (row.cellLines as Map<string, number>).set(column.key, line);
      row.span = [Math.min(row.span[0], line), Math.max(row.span[1], line)];
    }
  }
  return { rows: [...rows.values()], strays: [], rowKind: 'an object' };
}

type Column = { key: string; value: Node };

/**
 * A dict of lists, one list per column: {"params": [...], "loss": [...]} (pandas'
 * to_dict("list"), json.dump of a dict of columns, polars' column layout). Row i is the i-th
 * value of every list; lists of unequal length leave the rows past a short list without its cell.
 */
function listRows(doc: JsonDoc, columns: readonly Column[]): JsonRows {
  const rows: Array<JsonRows['rows'][number]> = [];
  for (const { key, value } of columns) {
    (value.children ?? []).forEach((cell, i) => {
      if (!isScalar(cell)) return;
      const line = doc.lineOf(cell);
      let row = rows[i];
      if (!row) {
        row = { line, cells: new Map(), cellLines: new Map(), key: String(i), span: [line, line] };
        rows[i] = row;
      }
      const cells = row.cells as Map<string, unknown>;
      if (cells.has(key)) return;
      cells.set(key, cell.value);
      (row.cellLines as Map<string, number>).set(key, line);
      row.span = [Math.min(row.span[0], line), Math.max(row.span[1], line)];
    });
  }
  const lengths = new Set(columns.map((c) => c.value.children?.length ?? 0));
  const out: JsonRows = { rows: rows.filter((r) => r !== undefined), strays: [], rowKind: 'a cell' };
  if (lengths.size > 1) out.uneven = columns.map((c) => `${c.key} ${c.value.children?.length ?? 0}`).join(', ');
  return out;
}

/** polars' write_json before 1.0 (and DataFrame.serialize): {"columns": [{"name", "datatype", "values": [...]}]}. */
function polarsColumns(columns: Node): Column[] | undefined {
  const out: Column[] = [];
  for (const child of columns.children ?? []) {
    if (child.type !== 'object') return undefined;
    const fields = (child.children ?? []).map(property);
    const name = fields.find((f) => f?.key === 'name')?.value;
    const values = fields.find((f) => f?.key === 'values')?.value;
    if (name?.type !== 'string' || values?.type !== 'array') return undefined;
    out.push({ key: String(name.value), value: values });
  }
  return out.length > 0 ? out : undefined;
}

/** The properties of an object node whose values are all arrays, when they name a table's columns. */
function columnLists(node: Node, aliases: AliasTable): Column[] | undefined {
  const props = (node.children ?? []).map(property).filter((p): p is Column => p !== undefined);
  if (props.length === 0 || !props.every((p) => p.value.type === 'array')) return undefined;
  return tableLayout(props.map((p) => p.key), aliases) ? props : undefined;
}

/** The rows of a JSON table, or undefined when the document is not one. */
export function jsonRows(doc: JsonDoc, aliases: AliasTable): JsonRows | undefined {
  const root = doc.root;
  if (!root) return undefined;
  if (root.type === 'array') return recordRows(doc, root);
  if (root.type !== 'object') return undefined;
  const lists = columnLists(root, aliases);
  if (lists) return listRows(doc, lists);
  const props = (root.children ?? []).map(property).filter((p): p is { key: string; value: Node } => p !== undefined);
  const find = (key: string) => props.find((p) => p.key.toLowerCase() === key)?.value;
  const columns = find('columns');
  const polars = columns?.type === 'array' && columns.children?.[0]?.type === 'object' ? polarsColumns(columns) : undefined;
  if (polars) return listRows(doc, polars);
  for (const key of ROW_KEYS) {
    const value = find(key);
    const nested = value?.type === 'object' ? columnLists(value, aliases) : undefined;
    if (nested) return listRows(doc, nested);
    if (value?.type !== 'array') continue;
    if (columns?.type === 'array' && value.children?.[0]?.type === 'array') return splitRows(doc, columns, value, find('index'));
    return recordRows(doc, value);
  }
  if (props.length === 0 || !props.every((p) => p.value.type === 'object')) return undefined;
  // An object of objects: columns of rows (pandas' default) when its keys are column names,
  // else rows keyed by index or run name.
  if (tableLayout(props.map((p) => p.key), aliases)) return columnRows(doc, root);
  return { rows: props.map((p) => objectRow(doc, p.value, p.key)), strays: [], rowKind: 'an object' };
}
