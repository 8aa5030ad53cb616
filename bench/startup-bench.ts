// What a short run pays before doing anything: loading the modules a CLI needs. Behind the choice of
// node:util's parseArgs over yargs and node:http over undici for the one GET before a run (README,
// "Packages"). Usage: npm run build && node dist/bench/startup-bench.js [--runs 10]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CLI, median, positiveInt, runMain } from './common.js';

/** Module sets timed in a fresh process each time (an import is cached after its first time). */
const IMPORTS: readonly { label: string; modules: readonly string[] }[] = [
  { label: 'yargs (+ yargs/helpers)', modules: ['yargs', 'yargs/helpers'] },
  { label: 'node:util (parseArgs)', modules: ['node:util'] },
  { label: 'undici', modules: ['undici'] },
  { label: 'node:http', modules: ['node:http'] },
];

// Milliseconds one fresh Node process spends importing these modules.
const importMs = (modules: readonly string[]): number => {
  const script = `const t = performance.now(); for (const m of ${JSON.stringify(modules)}) await import(m); console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
};

// Seconds a fresh process takes from start to exit.
const wallSeconds = (args: readonly string[]): number => {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e9;
};

const range = (values: readonly number[], digits: number): string =>
  `median ${median(values).toFixed(digits)}, ${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;

// Why: each figure is a median over fresh processes, with the range, so the README quotes runs.
async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: 'string', default: '10' } }, strict: true });
  const runs = positiveInt('runs', values.runs) ?? 10;
  console.log(`module loading, ${runs} fresh processes each (ms):`);
  for (const { label, modules } of IMPORTS) {
    const times = Array.from({ length: runs }, () => importMs(modules));
    console.log(`  ${label.padEnd(24)} ${range(times, 1)}`);
  }
  console.log(`whole processes, ${runs} each (s):`);
  console.log(`  node -e 0                ${range(Array.from({ length: runs }, () => wallSeconds(['-e', '0'])), 3)}`);
  console.log(`  orthanc-import --version ${range(Array.from({ length: runs }, () => wallSeconds([CLI, '--version'])), 3)}`);
  return Promise.resolve(0);
}

runMain(main);
