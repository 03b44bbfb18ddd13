/** Small helpers shared by the benchmarks. */

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function line(name: string, value: string, target?: string): void {
  console.log(`${name.padEnd(52)} ${value.padStart(18)}${target ? `   (target ${target})` : ""}`);
}
