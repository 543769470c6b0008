// One row per DESIGN.md §11 target: what was measured, the baseline measured in the same run,
// their ratio, and whether the ratio meets the target.

/** A target as a bound on `ratio` (measured / baseline). */
export interface Bound {
  op: '<=' | '>=' | '<' | '==';
  value: number;
}

export interface BenchResult {
  id: string;
  /** The §11 target in words. */
  target: string;
  /** What was measured, with its unit. */
  measured: string;
  /** The baseline the ratio is taken against (measured in this run, or the fixed limit). */
  baseline: string;
  ratio: number;
  bound: Bound;
  pass: boolean;
  /** Numbers behind the row, for --json and BENCHMARKS.md. */
  details: Record<string, unknown>;
  notes?: string[];
}

export function meets(ratio: number, bound: Bound): boolean {
  if (!Number.isFinite(ratio)) return false;
  switch (bound.op) {
    case '<=':
      return ratio <= bound.value;
    case '<':
      return ratio < bound.value;
    case '>=':
      return ratio >= bound.value;
    case '==':
      return ratio === bound.value;
  }
}

// Build a row; `pass` also needs every extra check (correctness of bursts) to hold.
export function result(row: Omit<BenchResult, 'pass'>, checks: boolean[] = []): BenchResult {
  return { ...row, pass: meets(row.ratio, row.bound) && checks.every(Boolean) };
}

/** A benchmark that could not run at all: always a miss, with the reason. */
export function failed(id: string, target: string, error: unknown): BenchResult {
  const message = error instanceof Error ? error.message : String(error);
  return { id, target, measured: 'error', baseline: '-', ratio: Number.NaN, bound: { op: '<=', value: 1 }, pass: false, details: { error: message }, notes: [`did not run: ${message}`] };
}

function ratioText(row: BenchResult): string {
  if (!Number.isFinite(row.ratio)) return '-';
  const digits = row.ratio >= 100 ? 0 : row.ratio >= 10 ? 1 : 3;
  return `${row.ratio.toFixed(digits)} ${row.bound.op} ${row.bound.value}`;
}

// A plain-text table (also valid Markdown), then the notes of each row.
export function renderTable(rows: readonly BenchResult[]): string {
  const header = ['benchmark', 'target', 'measured', 'baseline (same run)', 'ratio', 'result'];
  const body = rows.map((row) => [row.id, row.target, row.measured, row.baseline, ratioText(row), row.pass ? 'PASS' : 'MISS']);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...body.map(line)];
  const notes = rows.flatMap((row) => (row.notes ?? []).map((note) => `- ${row.id}: ${note}`));
  return notes.length === 0 ? out.join('\n') : `${out.join('\n')}\n\n${notes.join('\n')}`;
}
