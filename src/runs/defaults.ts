// What logs leave out, the user can say: a training precision for the runs of a folder or glob
// whose files give none (published scaling-law tables and many logs never record one). Applied
// in one place, after reading: never over a value a file gives, always recorded as the source
// of the value it supplies, and said once per scanned folder, not once per run.

import * as path from 'node:path';
import picomatch from 'picomatch';
import type { Diagnostic } from './diagnostics';
import { parseTrainingPrecision } from './precision';
import type { Run, SourceRef, TrainingPrecision } from './run';

export const DEFAULT_PRECISION_SETTING = 'precisionPlanner.runs.defaultPrecision';
export const DEFAULT_PRECISION_FLAG = '--precision';
/** The source of a value given on the command line (sources.precision.file). */
export const COMMAND_LINE = 'command line';

/**
 * The run.meta key by which a reader marks its precision as a tool's documented default, taken
 * because no file gives one (Lightning's Trainer trains in 32-true when given no precision): the
 * user's default precision, which says what the files do not, takes its place.
 */
export const TOOL_DEFAULT_PRECISION = 'precisionIsToolDefault';
const toolDefault = (run: Run): boolean => run.meta?.[TOOL_DEFAULT_PRECISION] === true;

/** Names offered when one is not understood: the common ones of the vocabulary (precision.ts). */
const EXAMPLE_NAMES = 'bf16, fp16, fp32, fp8, int8, int4 or per part, w4a8kv4';

export interface PrecisionRule {
  /** Glob relative to the scanned folder (picomatch, as runs.include/exclude); "**" for every run. */
  glob: string;
  /** The name as the user wrote it. */
  name: string;
  precision: TrainingPrecision;
}

export interface PrecisionDefaults {
  /** In the order given: when several globs match a run, the last one wins (as in .gitattributes). */
  rules: PrecisionRule[];
  /** Where the rules were given (a settings.json, or the command line) and under which setting or flag. */
  source: { file: string; field: string };
}

export interface ParsedDefaults {
  /** Undefined when nothing (valid) was given. */
  defaults?: PrecisionDefaults;
  /** Each naming the setting or flag, the glob and the value; the valid rules still apply. */
  errors: string[];
}

const notAPrecision = (where: string, value: unknown): string =>
  `${where}: ${typeof value === 'string' ? JSON.stringify(value) : `a ${value === null ? 'null' : typeof value}`} is not a training precision (give a name such as ${EXAMPLE_NAMES})`;

/** One rule, or why it cannot be one; `where` names the setting or flag (and the glob) for the message. */
export function precisionRule(glob: string, name: unknown, where: string): PrecisionRule | string {
  const trimmedGlob = glob.trim();
  if (trimmedGlob === '') return `${where}: an empty glob (use "**" for every run)`;
  if (typeof name !== 'string' || name.trim() === '') return notAPrecision(where, name);
  const precision = parseTrainingPrecision(name.trim());
  if (!precision) return notAPrecision(where, name);
  return { glob: trimmedGlob, name: name.trim(), precision };
}

function collect(pairs: Array<[string, unknown, string]>, source: PrecisionDefaults['source']): ParsedDefaults {
  const rules: PrecisionRule[] = [];
  const errors: string[] = [];
  for (const [glob, name, where] of pairs) {
    const rule = precisionRule(glob, name, where);
    if (typeof rule === 'string') errors.push(rule);
    else rules.push(rule);
  }
  return rules.length > 0 ? { defaults: { rules, source }, errors } : { errors };
}

/**
 * The setting's value: one precision name for every run ("bf16"), or an object of globs to
 * names ({"sweeps/**": "bf16", "old/**": "fp32"}). Absent, null, "" or {} give nothing.
 */
export function parseDefaultPrecisionSetting(value: unknown, file: string, setting = DEFAULT_PRECISION_SETTING): ParsedDefaults {
  const source = { file, field: setting };
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return { errors: [] };
  if (typeof value === 'string') return collect([['**', value, setting]], source);
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { errors: [`${setting}: must be a precision name ("bf16") or an object of globs to names ({"sweeps/**": "bf16"}), got ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}`] };
  }
  return collect(
    Object.entries(value as Record<string, unknown>).map(([glob, name]) => [glob, name, `${setting} ${JSON.stringify(glob)}`]),
    source,
  );
}

/**
 * The flag's values, each "NAME" (every run) or "GLOB=NAME"; the last "=" splits, as no
 * precision name holds one.
 */
export function parsePrecisionFlags(values: readonly string[] | undefined, flag = DEFAULT_PRECISION_FLAG): ParsedDefaults {
  const pairs = (values ?? []).map((value): [string, unknown, string] => {
    const at = value.lastIndexOf('=');
    return at < 0 ? ['**', value, flag] : [value.slice(0, at), value.slice(at + 1), `${flag} ${value}`];
  });
  return collect(pairs, { file: COMMAND_LINE, field: flag });
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** A glob naming a folder ("sweeps", "sweeps/") covers everything under it, as "sweeps/**" does. */
const matchers = new Map<string, (rel: string) => boolean>();

function matcher(glob: string): (rel: string) => boolean {
  const known = matchers.get(glob);
  if (known) return known;
  const match = picomatch(trimSlashes(glob), { dot: true });
  const covers = (rel: string): boolean => {
    if (match(rel)) return true;
    const parts = rel.split('/');
    for (let i = parts.length - 1; i > 0; i--) if (match(parts.slice(0, i).join('/'))) return true;
    return false;
  };
  matchers.set(glob, covers);
  return covers;
}

/** The rule that applies to a file relative to its scanned folder: the last matching one. */
export function ruleFor(defaults: PrecisionDefaults, rel: string): PrecisionRule | undefined {
  let found: PrecisionRule | undefined;
  for (const rule of defaults.rules) if (matcher(rule.glob)(rel)) found = rule;
  return found;
}

/**
 * Runs served from the scan cache are the same objects scan after scan, and the extension takes
 * an identical run as "nothing changed" (no refresh, no refit check): a defaulted run is made
 * once per original run and rule, so an unchanged workspace gives the very same objects.
 */
const made = new WeakMap<Run, Map<string, Run>>();

function withDefault(run: Run, rule: PrecisionRule, source: PrecisionDefaults['source']): Run {
  const key = JSON.stringify([source.file, source.field, rule.glob, rule.name]);
  const byRule = made.get(run) ?? new Map<string, Run>();
  made.set(run, byRule);
  const cached = byRule.get(key);
  if (cached) return cached;
  const { reasons, meta, ...rest } = run;
  const sourceRef: SourceRef = { file: source.file, field: source.field };
  const others = Object.fromEntries(Object.entries(reasons ?? {}).filter(([field]) => field !== 'precision'));
  const ownMeta = meta && Object.fromEntries(Object.entries(meta).filter(([key]) => key !== TOOL_DEFAULT_PRECISION));
  const next: Run = {
    ...rest,
    ...(ownMeta !== undefined ? { meta: ownMeta } : {}),
    precision: rule.precision,
    sources: { ...run.sources, precision: sourceRef },
    missing: run.missing.filter((field) => field !== 'precision'),
    ...(Object.keys(others).length > 0 ? { reasons: others } : {}),
  };
  byRule.set(key, next);
  return next;
}

export interface ReadRun {
  run: Run;
  /** The folder it was found under: globs are relative to it. */
  root: string;
}

export interface Defaulted {
  runs: Run[];
  /** One 'default' (info) per scanned folder and rule that supplied a value. */
  diagnostics: Diagnostic[];
}

/**
 * Gives the default precision to the runs whose files give none, whatever the reason they give
 * none (a table without the column, a pickled training_args.bin). A run with a precision is never
 * touched. `defaults` may differ per scanned folder (a multi-root workspace's folder settings).
 */
export function applyDefaultPrecision(
  read: readonly ReadRun[],
  defaults: PrecisionDefaults | ((root: string) => PrecisionDefaults | undefined) | undefined,
): Defaulted {
  if (defaults === undefined) return { runs: read.map((r) => r.run), diagnostics: [] };
  const given = new Map<string, { root: string; rule: PrecisionRule; source: PrecisionDefaults['source']; files: string[]; runs: number }>();
  const runs = read.map(({ run, root }) => {
    if (run.precision !== undefined && !toolDefault(run)) return run;
    const forRoot = typeof defaults === 'function' ? defaults(root) : defaults;
    if (!forRoot) return run;
    const rel = toPosix(path.relative(root, run.file));
    const rule = ruleFor(forRoot, rel);
    if (!rule) return run;
    const key = JSON.stringify([root, forRoot.source.file, forRoot.source.field, rule.glob, rule.name]);
    const entry = given.get(key) ?? { root, rule, source: forRoot.source, files: [], runs: 0 };
    given.set(key, entry);
    entry.runs++;
    if (!entry.files.includes(rel)) entry.files.push(rel);
    return withDefault(run, rule, forRoot.source);
  });
  const diagnostics = [...given.values()].map((g): Diagnostic => {
    const examples = g.files.slice(0, 3).join(', ') + (g.files.length > 3 ? `, … (${g.files.length} files)` : '');
    const from = g.source.file === COMMAND_LINE ? `${g.source.field} on the command line` : `${g.source.field} in ${g.source.file}`;
    const glob = g.rule.glob === '**' ? '' : ` for ${JSON.stringify(g.rule.glob)}`;
    return {
      file: g.root,
      field: g.source.field,
      message: `training precision ${g.rule.name} from ${from}${glob} given to ${g.runs} run${g.runs === 1 ? '' : 's'} whose files do not say it (${examples})`,
      severity: 'info',
      code: 'default',
    };
  });
  return { runs, diagnostics };
}

/** `glob` without its trailing slashes; by hand, as /\/+$/ rescans a run of slashes from each one in it. */
function trimSlashes(glob: string): string {
  let end = glob.length;
  while (end > 0 && glob.charCodeAt(end - 1) === 47) end--;
  return glob.slice(0, end);
}
