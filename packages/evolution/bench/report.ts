/** One machine-readable figure: `BENCH {"name":…,"backend":…,"metric":…,"value":…,"unit":…}`. */
export function benchLine(figure: {
  name: string;
  backend: string;
  metric: string;
  value: number;
  unit: string;
}): void {
  console.log(`BENCH ${JSON.stringify(figure)}`);
}

/** Prints rows as an aligned text table. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}
