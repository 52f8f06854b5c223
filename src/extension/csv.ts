// CSV cells for spreadsheets, the one writer the exported runs.csv and the dashboard's chart
// exports use. A cell is quoted when it holds a quote, comma or line break (RFC 4180), and a
// text cell a spreadsheet would run as a formula is neutralised (OWASP, "CSV Injection"): one
// that starts with = + - @, a tab or a carriage return gets a leading ' inside quotes, so Excel,
// LibreOffice and Google Sheets show it as text. A run named =HYPERLINK("http://evil.example","x")
// is then the text it is, not a link that leaks the sheet when clicked.
//
// Numbers are data, not formulas: a negative loss difference (-0.0012) or an exponent (1e-7)
// stays a number the sheet can compute with. So a cell is left alone when it is a plain
// decimal number, whether it came as a JavaScript number or as text ("-3", "+2.5e-3"): such a
// cell is read as a number by every spreadsheet, and a formula needs characters no decimal
// number has. Everything else that starts with a trigger, "-Infinity" and "-1+2" included, is
// neutralised.

import { DECIMAL_NUMBER } from '../runs/quantity';

/** What makes a spreadsheet read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  if (FORMULA_START.test(text) && !DECIMAL_NUMBER.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line of cells. */
export const csvLine = (cells: readonly unknown[]): string => cells.map(csvCell).join(',');
