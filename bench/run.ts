import { abuseBenchmark } from './abuse.js';
import { askBenchmark } from './ask.js';
import { capacityBenchmark } from './capacity.js';
import { discordBenchmark } from './discord.js';
import type { Benchmark, BenchResult } from './harness.js';
import { importBenchmark } from './import.js';
import { quizBenchmark } from './quiz.js';
import { slackBenchmark } from './slack.js';
import { srsBenchmark } from './srs.js';
import { startupBenchmark } from './startup.js';

/**
 * `npm run bench` runs every benchmark and prints a table; `-- --json` also prints every figure as
 * one JSON object on the last line; `-- --only name,name` runs a subset; `-- --quick` makes the
 * capacity benchmark's trials shorter and its search coarser.
 */
const benchmarks: Benchmark[] = [startupBenchmark, quizBenchmark, slackBenchmark, discordBenchmark, askBenchmark, importBenchmark, abuseBenchmark, srsBenchmark, capacityBenchmark];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',')) : undefined;
  const figures: Record<string, number> = {};
  const rows: BenchResult['rows'] = [];
  for (const b of benchmarks) {
    if (only && !only.has(b.name)) continue;
    process.stderr.write(`running ${b.name}…\n`);
    const result = await b.run();
    Object.assign(figures, result.figures);
    rows.push(...result.rows);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['benchmark', 'result', 'target'][i]!.length));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(['benchmark', 'result', 'target']));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
  if (json) console.log(JSON.stringify(figures));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
