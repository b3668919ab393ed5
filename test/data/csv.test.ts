import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv';
import { FileError } from '../../src/io/file-error';
import { thrownMessage } from '../support/thrown';

const csvError = (text: string): string =>
  thrownMessage(() => parseCsv(text, 'data.csv'), FileError);

describe('parseCsv', () => {
  it('reads inputs and the label from the last column', () => {
    const { z, y, count, p } = parseCsv('1,2,3\n4,5,6\n-7.5e-1, +.5 ,1E2\n', 'data.csv');
    expect(count).toBe(3);
    expect(p).toBe(2);
    expect(Array.from(z)).toEqual([1, 2, 4, 5, -0.75, 0.5]);
    expect(Array.from(y)).toEqual([3, 6, 100]);
  });

  it('takes a first line of names as a header', () => {
    const { z, y, count, p } = parseCsv('x1,x2,label\r\n1,2,3\r\n', 'data.csv');
    expect({ count, p }).toEqual({ count: 1, p: 2 });
    expect(Array.from(z)).toEqual([1, 2]);
    expect(Array.from(y)).toEqual([3]);
  });

  it('skips blank lines', () => {
    expect(parseCsv('\n1,2\n\n  \n3,4\n\n', 'data.csv').count).toBe(2);
  });

  it('stores float32 values', () => {
    expect(parseCsv('0.1,0.2', 'data.csv').z[0]).toBe(Math.fround(0.1));
  });

  it('rejects ragged rows, naming the line', () => {
    expect(csvError('1,2,3\n4,5\n')).toBe('data.csv:2: 2 columns, expected 3 as on line 1');
    expect(csvError('a,b\n1,2\n3,4,5\n')).toBe('data.csv:3: 3 columns, expected 2 as on line 1');
  });

  it('rejects non-numbers, naming line and column', () => {
    expect(csvError('1,2\n3,abc\n')).toBe('data.csv:2: column 2: "abc" is not a number');
    expect(csvError('1,2\n,4\n')).toBe('data.csv:2: column 1: "" is not a number');
    expect(csvError('1,2\n0x10,4\n')).toBe('data.csv:2: column 1: "0x10" is not a number');
  });

  it('rejects a first line that is partly numeric rather than take it for a header', () => {
    expect(csvError('1,x\n3,4\n')).toBe(
      'data.csv:1: column 2: "x" is not a number (a header line must have no numeric fields)',
    );
  });

  it('rejects NaN and infinities', () => {
    expect(csvError('1,2\nNaN,4\n')).toBe('data.csv:2: column 1: "NaN" is not a finite number');
    expect(csvError('1,2\n3,-inf\n')).toBe('data.csv:2: column 2: "-inf" is not a finite number');
    expect(csvError('1,2\n3,Infinity\n')).toBe(
      'data.csv:2: column 2: "Infinity" is not a finite number',
    );
    expect(csvError('1,1e39\n')).toBe('data.csv:1: column 2: "1e39" is too large for float32');
  });

  it('rejects empty files and a lone header', () => {
    expect(csvError('')).toBe('data.csv: the file is empty (no data rows)');
    expect(csvError('\n \n')).toBe('data.csv: the file is empty (no data rows)');
    expect(csvError('x,y\n')).toBe('data.csv: the file has a header line but no data rows');
  });

  it('rejects a single column: there would be no inputs', () => {
    expect(csvError('1\n2\n')).toBe(
      'data.csv:1: needs at least 2 columns (inputs z_1 … z_p, then the label y), found 1',
    );
  });
});
