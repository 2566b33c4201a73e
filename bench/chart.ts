/**
 * A bar chart of the results as a standalone SVG, written by hand so the benchmark needs no plotting library.
 */

export interface ChartRow {
  readonly label: string;
  readonly mpPerSec: number;
  readonly peakRssMb: number;
}

const WIDTH = 760;
const ROW_HEIGHT = 34;
const LABEL_WIDTH = 80;
const PANEL_WIDTH = 300;
const PANEL_GAP = 40;
const TOP = 90;

export function renderChart(title: string, note: string, rows: ChartRow[]): string {
  const height = TOP + rows.length * ROW_HEIGHT + 30;
  const panels = [
    panel(['Input megapixels per CPU second', 'higher is better'], rows.map((row) => row.mpPerSec), LABEL_WIDTH, '#2f7ed8'),
    panel(['Peak RSS, MB', 'lower is better'], rows.map((row) => row.peakRssMb), LABEL_WIDTH + PANEL_WIDTH + PANEL_GAP, '#d8762f'),
  ];
  const labels = rows.map((row, i) =>
    `<text x="${LABEL_WIDTH - 8}" y="${barY(i) + 16}" text-anchor="end">${escape(row.label)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      'font-family="sans-serif" font-size="13">',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...labels,
    ...panels,
    `<text x="${LABEL_WIDTH}" y="${height - 14}" fill="#555555" font-size="12">${escape(note)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function panel([heading, direction]: [string, string], values: number[], left: number, colour: string): string {
  const max = Math.max(...values);
  const bars = values.map((value, i) => {
    const length = max > 0 ? (value / max) * (PANEL_WIDTH - 60) : 0;
    return [
      `<rect x="${left}" y="${barY(i)}" width="${length.toFixed(1)}" height="${ROW_HEIGHT - 10}" fill="${colour}"/>`,
      `<text x="${(left + length + 6).toFixed(1)}" y="${barY(i) + 16}">${formatValue(value)}</text>`,
    ].join('\n');
  });
  return [
    `<text x="${left}" y="${TOP - 30}" font-weight="bold">${escape(heading)}</text>`,
    `<text x="${left}" y="${TOP - 12}" fill="#555555">${escape(direction)}</text>`,
    ...bars,
  ].join('\n');
}

function barY(row: number): number {
  return TOP + row * ROW_HEIGHT;
}

function formatValue(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
