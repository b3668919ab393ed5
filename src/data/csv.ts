// Data sets from CSV files (SPEC §5): one point a line, columns z_1 … z_p, y (label last);
// a first line that does not parse as numbers is a header. Pure: the caller reads the file.
import { DECIMAL_NUMBER } from '../contract/config-parse';
import { FileError } from '../io/file-error';

export interface CsvData {
  /** Inputs row-major, `count × p` (no bias feature: that is the data set's business). */
  readonly z: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
  /** Input columns: every column but the last. */
  readonly p: number;
}

const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** A field's value, or why it has none; `isText` when it is not written as a number at all. */
type Cell = { value: number } | { error: string; isText: boolean };

function parseCell(text: string): Cell {
  if (NOT_FINITE.test(text)) return { error: `"${text}" is not a finite number`, isText: false };
  if (!DECIMAL_NUMBER.test(text)) return { error: `"${text}" is not a number`, isText: true };
  const value = Math.fround(Number(text));
  if (!Number.isFinite(value))
    return { error: `"${text}" is too large for float32`, isText: false };
  return { value };
}

/**
 * Parses CSV text into inputs and labels. Blank lines are skipped; the first non-blank line
 * is a header when none of its fields is a number (one with some numeric fields is an error,
 * so a typo in the first data row is not silently dropped). Errors are FileErrors naming
 * `source`, the line and the column.
 */
export function parseCsv(text: string, source: string): CsvData {
  const lines = text.split(/\r?\n/);
  const rows: { line: number; fields: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    rows.push({ line: i + 1, fields: line.split(',').map((f) => f.trim()) });
  }
  if (rows.length === 0) throw new FileError(`${source}: the file is empty (no data rows)`);

  const first = rows[0]!;
  const isHeader = first.fields.every((field) => {
    const cell = parseCell(field);
    return 'error' in cell && cell.isText;
  });
  const dataRows = isHeader ? rows.slice(1) : rows;
  if (dataRows.length === 0) {
    throw new FileError(`${source}: the file has a header line but no data rows`);
  }

  const columns = first.fields.length;
  if (columns < 2) {
    throw new FileError(
      `${source}:${first.line}: needs at least 2 columns (inputs z_1 … z_p, then the label y), found 1`,
    );
  }
  const p = columns - 1;
  const count = dataRows.length;
  const z = new Float32Array(count * p);
  const y = new Float32Array(count);
  for (let m = 0; m < count; m++) {
    const { line, fields } = dataRows[m]!;
    if (fields.length !== columns) {
      throw new FileError(
        `${source}:${line}: ${fields.length} columns, expected ${columns} as on line ${first.line}`,
      );
    }
    for (let c = 0; c < columns; c++) {
      const cell = parseCell(fields[c]!);
      if ('error' in cell) {
        const hint =
          !isHeader && m === 0 && cell.isText ? ' (a header line must have no numeric fields)' : '';
        throw new FileError(`${source}:${line}: column ${c + 1}: ${cell.error}${hint}`);
      }
      if (c < p) z[m * p + c] = cell.value;
      else y[m] = cell.value;
    }
  }
  return { z, y, count, p };
}
