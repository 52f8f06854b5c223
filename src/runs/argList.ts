// Command lines saved as JSON lists (open_lm's "open_lm_args": ["--precision", "amp_bfloat16",
// …]) as located config entries, so the facts engine reads `--precision amp_bfloat16` as it
// reads `precision: amp_bfloat16` in a config file.

import type { ConfigEntry } from './entries';
import { DECIMAL_NUMBER } from './quantity';

/** One item of the list with the line it is on. */
export interface ArgItem {
  value: unknown;
  line?: number;
}

const FLAG = /^--?([A-Za-z][\w.-]*)(?:=(.*))?$/s;
/** Hydra's overrides on a command line: `trainer.devices=2`, `+model.n_layer=12`. */
const OVERRIDE = /^\+{0,2}([A-Za-z_][\w.-]*)=(.*)$/s;

/** Is this list a command line: strings, at least one of them a `--flag`? */
export function isArgList(items: readonly ArgItem[]): boolean {
  return items.length > 0 && items.every((i) => typeof i.value === 'string') && items.some((i) => FLAG.test(i.value as string) || OVERRIDE.test(i.value as string));
}

/** "315656192" → 315656192: argparse would have converted it, and the facts engine wants numbers. */
function argValue(text: string): string | number {
  const t = text.trim();
  if (!DECIMAL_NUMBER.test(t)) return text;
  const n = Number(t);
  return Number.isFinite(n) ? n : text;
}

/**
 * Entries `<prefix>.<flag>` for a command line: `--global-batch-size 512` is
 * `global_batch_size: 512` (dashes as underscores, as argparse names its attributes), a flag
 * without a value is true, a flag followed by several values holds them all, and `--lr=3e-4`
 * is read too, and so are Hydra's `key=value` overrides. A flag given twice keeps its last
 * value, as argparse does. Items before the first flag (the script, positional arguments) are
 * not settings and are left out.
 */
export function argListEntries(items: readonly ArgItem[], prefix: string, file: string): ConfigEntry[] {
  if (!isArgList(items)) return [];
  const byName = new Map<string, ConfigEntry>();
  let current: { entry: ConfigEntry; values: Array<string | number> } | undefined;
  const close = (): void => {
    if (!current) return;
    const { entry, values } = current;
    entry.value = values.length === 0 ? true : values.length === 1 ? values[0] : values;
    // Re-inserted so that the map's order is the order of the last occurrences.
    byName.delete(entry.key);
    byName.set(entry.key, entry);
    current = undefined;
  };
  for (const item of items) {
    const text = item.value as string;
    const flag = /^-\d/.test(text) ? null : FLAG.exec(text);
    const override = flag ? null : OVERRIDE.exec(text);
    if (override) {
      close();
      const name = override[1];
      const entry: ConfigEntry = { key: prefix ? `${prefix}.${name}` : name, value: argValue(override[2]), file };
      if (item.line !== undefined) entry.line = item.line;
      byName.delete(entry.key);
      byName.set(entry.key, entry);
    } else if (flag) {
      close();
      const name = flag[1].replace(/-/g, '_');
      const entry: ConfigEntry = { key: prefix ? `${prefix}.${name}` : name, value: true, file };
      if (item.line !== undefined) entry.line = item.line;
      current = { entry, values: flag[2] !== undefined ? [argValue(flag[2])] : [] };
      if (flag[2] !== undefined) close();
    } else if (current) current.values.push(argValue(text));
  }
  close();
  return [...byName.values()];
}
