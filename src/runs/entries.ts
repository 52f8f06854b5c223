// Configs as located key/value entries: the one shape the YAML and JSON walkers produce and the
// facts engine searches, with the bounds that keep a pathological file from growing them.

/** One value of a config, with where it was written. */
export interface ConfigEntry {
  /** Path of the value, nested keys joined with "." ("trainer.precision"); keys may themselves hold "/" or ".". */
  key: string;
  /** A scalar, or an array of scalars; nested objects become entries of their own. */
  value: unknown;
  file: string;
  /** 1-based line of the key. */
  line?: number;
}

/** A broken file yields an error per token; the first few say enough. */
export const MAX_SYNTAX_DIAGNOSTICS = 10;
/** Bounds on what a pathological config can make the flattening hold. */
export const MAX_ENTRIES = 20_000;
export const MAX_DEPTH = 12;

/** Own, enumerable, and safe for any key (a config may hold "__proto__"). */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export class EntryCollector {
  readonly entries: ConfigEntry[] = [];
  truncated = false;

  add(entry: ConfigEntry): void {
    if (this.entries.length >= MAX_ENTRIES) this.truncated = true;
    else this.entries.push(entry);
  }

  visit(): boolean {
    return ++this.visits <= MAX_ENTRIES * 4;
  }

  private visits = 0;
}
