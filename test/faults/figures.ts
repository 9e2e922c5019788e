import { appendFileSync } from 'node:fs';

/** What each fault test measures and prints; the global teardown prints them all as one table. */
export interface FaultFigures {
  test: string;
  eventsSent: number;
  /** Score messages received, duplicates included. */
  scoresReceived: number;
  /** Valid, in-time events without any score message. */
  eventsLost: number;
  /** Users whose Redis window differs from the one a clean replay builds. */
  windowsDiffering: number;
  /** Events whose score messages are not all identical. */
  scoresChanged: number;
  deadLetters: number;
  /** From the fault until the worker made progress again, in seconds. */
  recoverySeconds: number;
  note: string;
}

const COLUMNS: [keyof FaultFigures, string][] = [
  ['test', 'test'],
  ['eventsSent', 'events sent'],
  ['scoresReceived', 'scores received'],
  ['eventsLost', 'events lost'],
  ['windowsDiffering', 'windows differing'],
  ['scoresChanged', 'scores changed'],
  ['deadLetters', 'dead letters'],
  ['recoverySeconds', 'recovery s'],
  ['note', 'note'],
];

/** A Markdown table of rows, one column per [key, title]. */
export function formatTable<Row>(columns: readonly [keyof Row, string][], rows: readonly Row[]): string {
  const cells = [
    columns.map(([, title]) => title),
    ...rows.map((row) => columns.map(([key]) => String(row[key]))),
  ];
  const widths = columns.map((_, column) =>
    Math.max(...cells.map((line) => (line[column] as string).length)),
  );
  const row = (line: string[]) =>
    `| ${line.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  const [header, ...body] = cells as [string[], ...string[][]];
  return [row(header), rule, ...body.map(row)].join('\n');
}

export function formatFigures(rows: readonly FaultFigures[]): string {
  return formatTable(COLUMNS, rows);
}

export function reportFigures(file: string, figures: FaultFigures): void {
  console.log(`\n${formatFigures([figures])}\n`);
  appendFileSync(file, `${JSON.stringify(figures)}\n`);
}
