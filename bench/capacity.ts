import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { percent } from '../src/core/util/text.js';
import { discordCapacity } from './capacity-discord.js';
import { describeTrial, DEADLINE_MS, THINK_MS, type PlatformCapacity, type SearchOptions, type TrialResult } from './capacity-load.js';
import { measureMemory, MEMBERS_PER_SERVER, type MemoryResult } from './capacity-memory.js';
import { slackCapacity } from './capacity-slack.js';
import { round, type Benchmark, type BenchResult } from './harness.js';

/**
 * Capacity: how many interactions a second one bot process serves end to end through each
 * platform adapter with the p99 acknowledgement under the platform's 3 s deadline, nothing lost
 * and the answers keeping pace with the requests. Open-loop load (see capacity-load.ts) at
 * doubling, then bisected, rates against the compiled bot as its own process and the local
 * protocol-level fakes. `--quick` (or BENCH_QUICK=1) runs shorter trials and a coarser search.
 */

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** Servers (Discord guilds, Slack workspaces) the users are spread over. */
const SERVERS = 200;

const search: SearchOptions = quick
  ? { startRate: 100, windowMs: 1500, precision: 0.3, maxTrials: 4, restMs: 300, warmupMs: 1000, leadInMs: 500 }
  : { startRate: 100, windowMs: 3000, precision: 0.15, maxTrials: 6, restMs: 500, warmupMs: 2000, leadInMs: 1000 };

const log = (name: string) => (t: TrialResult) => process.stderr.write(describeTrial(name, t));

function mixOf(t: TrialResult): string {
  const share = (n: number) => percent(t.sent ? n / t.sent : 0);
  return `start ${share(t.kinds.start)}, answer ${share(t.kinds.answer)}, next ${share(t.kinds.next)}, leaderboard ${share(t.kinds.leaderboard)}, stats ${share(t.kinds.stats)}`;
}

/** The figures and table rows of one platform's search. */
function report(key: string, label: string, result: PlatformCapacity): BenchResult {
  const best = result.capacity.best;
  const tried = result.capacity.trials.map((t) => `${t.rate}${t.passed ? '✓' : '✗'}`).join(' ');
  if (!best) {
    return {
      figures: { [`${key}_capacity_per_s`]: 0 },
      rows: [[`${label}: no rate passed (tried ${tried})`, '0/s', '']],
    };
  }
  // CPU time per interaction: the figure that least depends on what else the machine runs.
  const cpuMs = best.botCpu !== undefined ? (best.botCpu * 1000) / best.rate : undefined;
  const cpu = best.botCpu !== undefined ? `, bot CPU ${Math.round(best.botCpu * 100)}% of a core, ${round(cpuMs!, 2)} ms per interaction` : '';
  return {
    figures: { [`${key}_capacity_per_s`]: best.rate, [`${key}_capacity_p99_ms`]: round(best.ackP99, 1), ...(cpuMs !== undefined ? { [`${key}_capacity_cpu_ms`]: round(cpuMs, 2) } : {}) },
    rows: [
      [
        `${label}: interactions/s sustained, p99 ack < ${DEADLINE_MS / 1000} s, none lost (${result.servers} servers, ${best.sent} interactions in ${best.windowMs / 1000} s; rates tried ${tried})`,
        `${best.rate}/s`,
        '',
      ],
      [`${label} at that rate: ack p50 / p99, answer seen p99 (mix: ${mixOf(best)}${cpu})`, `${round(best.ackP50, 1)} / ${round(best.ackP99, 1)} ms, ${round(best.answerP99, 1)} ms`, `p99 < ${DEADLINE_MS} ms`],
    ],
  };
}

function memoryReport(r: MemoryResult): BenchResult {
  const users = r.users >= 1000 ? `${r.users / 1000}k` : String(r.users);
  return {
    figures: { [`rss_mb_${users}_users`]: Math.round(r.rssMb) },
    rows: [
      [
        `RSS with ${r.users.toLocaleString('en')} users' state (${Math.round(r.dbMb)} MB database, ${MEMBERS_PER_SERVER} per server), a fresh bot process after serving one request each (${r.requests.toLocaleString('en')} in ${round(r.seconds, 1)} s), after GC`,
        `${Math.round(r.rssMb)} MB (own ${Math.round(r.anonMb)} MB, heap ${Math.round(r.heapMb)} MB; mapped files ${Math.round(r.fileMb)} MB; ${Math.round(r.rssBeforeMb)} MB before)`,
        '',
      ],
    ],
  };
}

export const capacityBenchmark: Benchmark = {
  name: 'capacity',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-capacity-'));
    const results: BenchResult[] = [];
    try {
      results.push(report('discord_gateway', 'Discord gateway', await discordCapacity('gateway', dir, SERVERS, { ...search, log: log('discord gateway') })));
      results.push(report('discord_http', 'Discord interactions endpoint (HTTP)', await discordCapacity('http', dir, SERVERS, { ...search, log: log('discord http') })));
      results.push(report('slack', 'Slack HTTP mode', await slackCapacity(dir, SERVERS, { ...search, log: log('slack') })));
      for (const users of quick ? [10_000] : [10_000, 100_000]) {
        process.stderr.write(`  memory with ${users} users…\n`);
        results.push(memoryReport(await measureMemory(dir, users)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const figures = Object.assign({}, ...results.map((r) => r.figures)) as Record<string, number>;
    const rows = results.flatMap((r) => r.rows);
    rows.push([`capacity: users act ${THINK_MS} ms after their last answer at the earliest; load average ${round(loadavg()[0]!, 1)} on ${cpus().length} cores at the end${quick ? ' (quick mode)' : ''}`, '', '']);
    return { figures, rows };
  },
};
