/** One line per measurement, then the ratios the targets are about. */
export interface BenchLine {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export interface BenchRatio {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly met: boolean;
}

export function printSection(title: string, lines: readonly BenchLine[], ratios: readonly BenchRatio[]): void {
  console.log(`\n## ${title}`);
  for (const l of lines) console.log(`  ${l.name.padEnd(58)} ${format(l.value).padStart(14)} ${l.unit}`);
  for (const r of ratios) {
    console.log(`  ${`ratio: ${r.name}`.padEnd(58)} ${r.value.toFixed(3).padStart(14)}   target ${r.target}  ${r.met ? 'MET' : 'NOT MET'}`);
  }
}

function format(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
