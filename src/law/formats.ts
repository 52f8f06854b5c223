// Realizable formats: the precisions a plan may answer with. The law takes bits; a format is a
// number of bits people can actually train or serve in, with the names it goes by. A
// floating-point format counts all its bits (sign, exponent and mantissa): fp8 E4M3 is 8 bits,
// fp6 E3M2 is 6, fp4 E2M1 is 4, bf16 is 16 — the same bits as the integer format of that width,
// which is how the law (fitted on integer fake quantization) sees them.

export interface Format {
  /** Bits the law is evaluated at. */
  bits: number;
  /** The names this format goes by, e.g. "int8/fp8-e4m3". */
  name: string;
}

/** Whole bits and the fp8/fp6/fp4 formats, in one vocabulary: one format per bit width. */
export const DEFAULT_FORMATS: readonly Format[] = Object.freeze([
  { bits: 16, name: 'bf16' },
  { bits: 8, name: 'int8/fp8-e4m3' },
  { bits: 6, name: 'int6/fp6-e3m2' },
  { bits: 5, name: 'int5' },
  { bits: 4, name: 'int4/fp4-e2m1' },
  { bits: 3, name: 'int3' },
]);

/** Format names (lower case) to bits. Bits alone ("8", "8-bit") name the default format of that width. */
export const FORMAT_NAMES: Readonly<Record<string, number>> = Object.freeze({
  fp32: 32,
  tf32: 19,
  bf16: 16,
  fp16: 16,
  bfloat16: 16,
  float16: 16,
  fp8: 8,
  'fp8-e4m3': 8,
  e4m3: 8,
  'fp8-e5m2': 8,
  e5m2: 8,
  int8: 8,
  fp6: 6,
  'fp6-e3m2': 6,
  e3m2: 6,
  'fp6-e2m3': 6,
  e2m3: 6,
  int6: 6,
  int5: 5,
  fp4: 4,
  'fp4-e2m1': 4,
  e2m1: 4,
  nf4: 4,
  int4: 4,
  int3: 3,
  int2: 2,
});

const normalise = (text: string): string =>
  text
    .trim()
    .toLowerCase()
    .replace(/_/g, '-')
    .replace(/^float8-?/, 'fp8-')
    .replace(/-?bits?$/, '');

/** A format from a name ("fp8", "int4", "e2m1", "bf16") or bits ("8", "8-bit", 8); undefined when unknown. */
export function parseFormat(value: string | number): Format | undefined {
  const bitsFormat = (bits: number): Format | undefined => {
    if (!Number.isFinite(bits) || bits < 1 || bits > 64) return undefined;
    const known = DEFAULT_FORMATS.find((f) => f.bits === bits);
    return known ? { ...known } : { bits, name: Number.isInteger(bits) ? `int${bits}` : `${bits}-bit` };
  };
  if (typeof value === 'number') return bitsFormat(value);
  const t = normalise(value);
  if (Object.hasOwn(FORMAT_NAMES, t)) return { bits: FORMAT_NAMES[t], name: t };
  if (/^\d+(\.\d+)?$/.test(t)) return bitsFormat(Number(t));
  return undefined;
}

export type FormatsResult = { ok: true; formats: Format[] } | { ok: false; message: string };

/**
 * A list of formats from names or bits ("16,8,6,4", "bf16,fp8,int4", or an array of them). Formats
 * of the same width are one format to the law: they merge under one entry ("fp8/int8").
 */
export function parseFormats(value: string | readonly (string | number)[]): FormatsResult {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...value];
  if (items.length === 0) return { ok: false, message: 'no formats given (e.g. 16,8,6,4 or bf16,fp8,int4)' };
  const formats: Format[] = [];
  for (const item of items) {
    const f = parseFormat(item);
    if (!f) return { ok: false, message: `"${item}" is not a format (bits such as 8, or ${Object.keys(FORMAT_NAMES).slice(2, 12).join(', ')}, ...)` };
    const same = formats.find((g) => g.bits === f.bits);
    if (same) {
      if (!same.name.split('/').includes(f.name)) same.name = `${same.name}/${f.name}`;
    } else formats.push({ ...f });
  }
  return { ok: true, formats: formats.sort((x, y) => y.bits - x.bits) };
}

/** "8 (int8/fp8-e4m3)": the bits the law used and the format's names. */
export const formatLabel = (f: Format): string => (f.name === String(f.bits) ? `${f.bits}-bit` : `${f.bits}-bit (${f.name})`);
