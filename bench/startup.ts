/**
 * CLI startup: how long `sluice --help` and `sluice token` take from spawn to exit, and the peak
 * RSS of the process, on the built bin (dist/src/cli/bin.js, rebuilt when src/ is newer).
 *
 *   tsx bench/startup.ts                   (part of npm run bench)
 *   BENCH_STARTUP_RUNS=21 tsx bench/startup.ts
 *
 * Prints the median of each figure over the runs (after one warm-up run); asserts nothing. CPU time
 * (user + system) is printed beside wall time because it barely moves when other processes share
 * the machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intEnv } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist/src/cli/bin.js');
const RUNS = intEnv('BENCH_STARTUP_RUNS', 11);
// Reports the child's own resource usage (peak RSS, CPU time) on exit through fd 3, off its stdout.
const REPORT_USAGE = `data:text/javascript,${encodeURIComponent(
  "import { writeSync } from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); writeSync(3, JSON.stringify(u)); });",
)}`;

// Node's own startup first, as the floor the commands are read against (it moves with the load).
const COMMANDS: { label: string; argv: string[] }[] = [
  { label: 'node -e 0', argv: ['-e', '0'] },
  { label: 'sluice --help', argv: [BIN, '--help'] },
  { label: 'sluice token', argv: [BIN, 'token', '--user', 'bench-user', '--secret', 'bench-secret'] },
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  if (existsSync(BIN) && statSync(BIN).mtimeMs >= Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'connectors')))) return;
  console.log('building dist (npm run build) ...');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

interface Sample {
  ms: number;
  cpuMs: number;
  rssKiB: number;
}

/** One run: wall milliseconds from spawn to exit, the child's CPU milliseconds and peak RSS in KiB. */
function once(argv: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', REPORT_USAGE, ...argv], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    let usage = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (usage += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`node ${argv.join(' ')} exited ${code}`));
      else {
        const { maxRSS, userCPUTime, systemCPUTime } = JSON.parse(usage) as NodeJS.ResourceUsage;
        resolve({ ms, cpuMs: (userCPUTime + systemCPUTime) / 1000, rssKiB: maxRSS });
      }
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

ensureBuilt();
console.log(`CLI startup (built bin, median of ${RUNS} runs)`);
for (const { label, argv } of COMMANDS) {
  await once(argv);
  const runs: Sample[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(argv));
  const ms = median(runs.map((r) => r.ms));
  const cpu = median(runs.map((r) => r.cpuMs));
  const rss = median(runs.map((r) => r.rssKiB)) / 1024;
  console.log(`  ${label.padEnd(14)} ${ms.toFixed(0).padStart(5)} ms   CPU ${cpu.toFixed(0).padStart(5)} ms   peak RSS ${rss.toFixed(1)} MB`);
}
