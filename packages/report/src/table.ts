/** A column of {@link formatTable}. */
export interface TableColumn<Row> {
  /** Header text. */
  readonly title: string;
  /** The cell text (numbers are printed with `String`; format them first for fixed decimals). */
  readonly value: (row: Row) => string | number;
  /**
   * Alignment.
   * @default 'right' when every cell of the column is a number, else 'left'
   */
  readonly align?: 'left' | 'right';
}

/**
 * One table formatter for every report: `markdown` (README tables) or `terminal` (aligned
 * columns under a rule line, for the console).
 *
 * @example
 * formatTable([{ title: 'model', value: (r) => r.name }, { title: 'accuracy %', value: (r) => (100 * r.acc).toFixed(2) }], rows, 'markdown');
 */
export function formatTable<Row>(
  columns: readonly TableColumn<Row>[],
  rows: readonly Row[],
  format: 'markdown' | 'terminal' = 'markdown',
): string {
  const raw = rows.map((row) => columns.map((column) => column.value(row)));
  const cells = raw.map((row) => row.map((cell) => String(cell)));
  const align = columns.map(
    (column, c) =>
      column.align ??
      (raw.length > 0 &&
      raw.every((row) => typeof row[c] === 'number' || /^[-+]?[\d.,]+(e[-+]?\d+)?%?$/i.test(String(row[c])))
        ? 'right'
        : 'left'),
  );
  if (format === 'markdown') {
    const escapePipes = (text: string) => text.replace(/\|/g, '\\|');
    const line = (values: readonly string[]) => `| ${values.map(escapePipes).join(' | ')} |`;
    return [
      line(columns.map((c) => c.title)),
      `|${align.map((a) => (a === 'right' ? '---:' : '---')).join('|')}|`,
      ...cells.map(line),
    ].join('\n');
  }
  const widths = columns.map((column, c) =>
    Math.max(column.title.length, ...cells.map((row) => (row[c] as string).length)),
  );
  const pad = (text: string, c: number) =>
    align[c] === 'right' ? text.padStart(widths[c] as number) : text.padEnd(widths[c] as number);
  const line = (values: readonly string[]) => values.map(pad).join('  ').trimEnd();
  return [
    line(columns.map((c) => c.title)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
  ].join('\n');
}
