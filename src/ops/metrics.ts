import type Database from 'better-sqlite3';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HandledObserver } from '../core/dispatcher.js';
import type { Interaction } from '../core/interaction.js';
import { telemetry } from '../core/telemetry.js';
import type { ShardStatus } from './health.js';

/** Actions that answer a question: the quiz's answer buttons and forms, and race answers (src/core/quiz). */
const ANSWER_ACTIONS = new Set(['qa', 'qt', 'qm', 'ra']);

export type InteractionKind = 'command' | 'answer' | 'action';

export function interactionKind(i: Interaction): InteractionKind {
  if (i.kind === 'command') return 'command';
  return ANSWER_ACTIONS.has(i.actionId.split(':')[0] ?? '') ? 'answer' : 'action';
}

export interface MetricsSources {
  /** The bot's database connection; gauges read it on each scrape. */
  db: Database.Database;
  /** The bot's clock (cards are due against it). */
  now: () => Date;
  /** Each sharded platform's gateway shards. */
  shards?: () => Record<string, ShardStatus[]>;
}

/**
 * The bot's Prometheus metrics, in a registry of their own. Interactions are recorded by the
 * dispatcher's observer (one place for every platform); the gauges and the endpoint counters are
 * read when /metrics is scraped.
 */
export class BotMetrics {
  readonly registry = new Registry();
  private readonly interactions: Counter<'platform' | 'kind'>;
  private readonly errors: Counter<'platform' | 'kind'>;
  private readonly duration: Histogram<'platform' | 'kind'>;

  constructor(sources: MetricsSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.interactions = new Counter({
      name: 'quizbot_interactions_total',
      help: 'Interactions handled, by platform and kind (command, answer, other action).',
      labelNames: ['platform', 'kind'],
      registers,
    });
    let unhandledSeen = 0;
    this.errors = new Counter({
      name: 'quizbot_errors_total',
      help: 'Failures on our side: interactions that failed (by platform) and stray errors outside them (kind="unhandled").',
      labelNames: ['platform', 'kind'],
      registers,
      collect() {
        // Stray errors are counted in the process-wide telemetry; bring them in on each scrape.
        const now = telemetry.unhandledErrors;
        if (now > unhandledSeen) this.inc({ platform: 'none', kind: 'unhandled' }, now - unhandledSeen);
        unhandledSeen = now;
      },
    });
    this.errors.inc({ platform: 'none', kind: 'unhandled' }, 0);
    this.duration = new Histogram({
      name: 'quizbot_interaction_duration_seconds',
      help: 'Time from receiving an interaction to its reply, in seconds.',
      labelNames: ['platform', 'kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    counterFrom('quizbot_moe_endpoint_calls_total', 'HTTP calls to the MoE endpoint.', () => telemetry.endpointCalls, registers);
    counterFrom(
      'quizbot_moe_endpoint_failures_total',
      'MoE endpoint calls that got no answer (refused, reset, timed out) or a 5xx status.',
      () => telemetry.endpointFailures,
      registers,
    );
    counterFrom(
      'quizbot_checkpoint_failures_total',
      'Background WAL checkpoints that failed (a full disk, a read-only file); the log keeps growing while they do.',
      () => telemetry.checkpointFailures,
      registers,
    );
    let backupsSeen = { ok: 0, failed: 0 };
    new Counter({
      name: 'quizbot_backups_total',
      help: 'Online backups taken by this process, by outcome (ok, failed).',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.inc({ outcome: 'ok' }, telemetry.backupsOk - backupsSeen.ok);
        this.inc({ outcome: 'failed' }, telemetry.backupsFailed - backupsSeen.failed);
        backupsSeen = { ok: telemetry.backupsOk, failed: telemetry.backupsFailed };
      },
    });
    new Gauge({
      name: 'quizbot_last_backup_timestamp_seconds',
      help: 'When the last good backup of this process finished (Unix time); 0 before the first.',
      registers,
      collect() {
        this.set(telemetry.lastBackupAt / 1000);
      },
    });
    new Gauge({
      name: 'quizbot_due_cards',
      help: 'Review cards due now, over all users.',
      registers,
      collect() {
        this.set(dueCards(sources.db, sources.now()));
      },
    });
    new Gauge({
      name: 'quizbot_database_bytes',
      help: 'Size of the SQLite database (page_count * page_size), in bytes.',
      registers,
      collect() {
        this.set(databaseBytes(sources.db));
      },
    });
    // One read of the shards per scrape: the first shard gauge's collect sets all three (a scrape
    // collects the gauges in the order they were registered). Shards come and go (a restart with
    // another count): only the current ones are reported.
    const shardLabels = ['platform', 'shard'] as const;
    new Gauge({
      name: 'quizbot_shard_up',
      help: 'Gateway shards: 1 when ready, 0 otherwise (connecting, resuming, disconnected).',
      labelNames: shardLabels,
      registers,
      collect() {
        for (const gauge of [this, shardPing, shardGuilds]) gauge.reset();
        for (const [platform, shards] of Object.entries(sources.shards?.() ?? {})) {
          for (const s of shards) {
            const labels = { platform, shard: String(s.id) };
            this.set(labels, s.status === 'ready' ? 1 : 0);
            if (s.ping_ms !== null) shardPing.set(labels, s.ping_ms / 1000);
            shardGuilds.set(labels, s.guilds);
          }
        }
      },
    });
    const shardPing = new Gauge({ name: 'quizbot_shard_ping_seconds', help: "Gateway shards' last heartbeat round trip, in seconds.", labelNames: shardLabels, registers });
    const shardGuilds = new Gauge({ name: 'quizbot_shard_guilds', help: 'Servers each gateway shard serves.', labelNames: shardLabels, registers });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'quizbot_' });
  }

  /** Records every handled interaction: count, latency, and failures on our side. */
  readonly observer: HandledObserver = (interaction, _reply, ms, error) => {
    const labels = { platform: interaction.actor.platform, kind: interactionKind(interaction) };
    this.interactions.inc(labels);
    this.duration.observe(labels, ms / 1000);
    if (error !== undefined) this.errors.inc({ platform: labels.platform, kind: 'interaction' });
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for a scrape. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A counter that mirrors a monotonically growing number read at scrape time. */
function counterFrom(name: string, help: string, read: () => number, registers: Registry[]): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

export function dueCards(db: Database.Database, now: Date): number {
  if (!db.open) return 0;
  const row = db
    .prepare('SELECT count(*) AS n FROM cards c JOIN questions q ON q.id = c.question_id WHERE c.due <= ? AND q.retired_at IS NULL')
    .get(now.getTime()) as { n: number };
  return row.n;
}

export function databaseBytes(db: Database.Database): number {
  if (!db.open) return 0;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  return pages * size;
}
