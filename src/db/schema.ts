import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Timestamps are Unix epoch milliseconds (integers): cheap to compare and index. */
const createdAt = () =>
  integer('created_at')
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const lessons = sqliteTable('lessons', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  summary: text('summary').notNull(),
  minutes: integer('minutes').notNull(),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
  position: integer('position').notNull(),
  contentHash: text('content_hash').notNull(),
  /** Set when the lesson's file disappears: kept so history can still cite it. */
  retiredAt: integer('retired_at'),
  updatedAt: integer('updated_at').notNull(),
});

export const lessonSections = sqliteTable(
  'lesson_sections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    lessonId: text('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    position: integer('position').notNull(),
    body: text('body').notNull(),
  },
  (t) => [uniqueIndex('lesson_sections_lesson_slug').on(t.lessonId, t.slug)],
);

export const banks = sqliteTable('banks', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  description: text('description'),
  /** 'content' banks are owned by CONTENT_DIR; 'import' banks by admins' imports. */
  origin: text('origin', { enum: ['content', 'import'] }).notNull(),
  /**
   * The tenant (`<platform>:<server>`) a bank imported in chat belongs to: seen, quizzed, raced,
   * listed and changed only there. Null for content banks and the operator's command-line imports,
   * which every tenant learns from.
   */
  tenant: text('tenant'),
  lessonId: text('lesson_id'),
  contentHash: text('content_hash').notNull(),
  retiredAt: integer('retired_at'),
  updatedAt: integer('updated_at').notNull(),
});

export const questions = sqliteTable(
  'questions',
  {
    /**
     * The internal key that cards, reviews, sessions, races and reports keep: the question's id
     * in its bank (local_id), or, for a question added when another bank's question already had
     * that id, one derived from its bank. Never changes once written.
     */
    id: text('id').primaryKey(),
    bankId: text('bank_id')
      .notNull()
      .references(() => banks.id),
    /**
     * The question's id in its bank: what files and exports carry, unique per bank, so two banks
     * may both have a question '1'. Null only on rows written by hand in SQL: then it is `id`.
     */
    localId: text('local_id'),
    position: integer('position').notNull(),
    type: text('type', { enum: ['single', 'multiple', 'true_false', 'short', 'numeric'] }).notNull(),
    /** The validated question as JSON (the bank schema's shape). */
    body: text('body').notNull(),
    lessonId: text('lesson_id'),
    sectionTitle: text('section_title'),
    /** Its bank's tenant, kept beside the question so every question query filters without a join. */
    tenant: text('tenant'),
    /**
     * The normalised prompt (normalizeText): the same question in two banks is found by index, and a
     * quiz asks it once. Written with the question; null only on rows written before it existed.
     */
    promptKey: text('prompt_key'),
    /** sha256 of the canonical body: an edit changes it, a re-sync of the same text does not. */
    contentHash: text('content_hash').notNull(),
    /** Removed questions are retired, not deleted: progress and history keep pointing at them. */
    retiredAt: integer('retired_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('questions_bank').on(t.bankId, t.position),
    uniqueIndex('questions_bank_local').on(t.bankId, t.localId),
    index('questions_lesson').on(t.lessonId),
    index('questions_tenant').on(t.tenant),
    index('questions_prompt').on(t.promptKey),
  ],
);

/**
 * A user's name in one tenant. Names are per server (a Discord nickname, a Slack display name):
 * one server's boards never show the name someone uses in another.
 */
export const members = sqliteTable(
  'members',
  {
    tenant: text('tenant').notNull(),
    userId: integer('user_id').notNull(),
    displayName: text('display_name').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.userId] })],
);

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform').notNull(),
    externalId: text('external_id').notNull(),
    displayName: text('display_name').notNull(),
    timezone: text('timezone'),
    /** The most reviews a day asks of this user; null: MAX_REVIEWS_PER_DAY. */
    maxReviewsPerDay: integer('max_reviews_per_day'),
    /** The chance of recall the scheduler aims for at each review (0.70–0.97); null: 0.90. */
    desiredRetention: real('desired_retention'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_platform_external').on(t.platform, t.externalId)],
);

/** FSRS state of one user's card (one question). */
export const cards = sqliteTable(
  'cards',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    questionId: text('question_id')
      .notNull()
      .references(() => questions.id),
    due: integer('due').notNull(),
    stability: real('stability').notNull(),
    difficulty: real('difficulty').notNull(),
    elapsedDays: integer('elapsed_days').notNull(),
    scheduledDays: integer('scheduled_days').notNull(),
    learningSteps: integer('learning_steps').notNull(),
    reps: integer('reps').notNull(),
    lapses: integer('lapses').notNull(),
    /** ts-fsrs State: 0 new, 1 learning, 2 review, 3 relearning. */
    state: integer('state').notNull(),
    lastReview: integer('last_review'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.questionId] }), index('cards_user_due').on(t.userId, t.due)],
);

/**
 * Every fit of FSRS parameters to a review history: a learner's own (scope 'user', key the user
 * id) or a server's (scope 'tenant', key the tenant). The newest kept row of a scope is what its
 * scheduling uses; rows not kept record why the parameters in use stayed.
 */
export const srsFits = sqliteTable(
  'srs_fits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    scope: text('scope', { enum: ['user', 'tenant'] }).notNull(),
    key: text('key').notNull(),
    /** The fitted FSRS-6 parameters (21 numbers) as JSON. */
    parameters: text('parameters', { mode: 'json' }).$type<number[]>().notNull(),
    /** Reviews the fit used: the next fit waits until the history has grown by half. */
    reviews: integer('reviews').notNull(),
    /** Log loss and RMSE (bins) of the parameters in use before the fit, then of the fitted ones. */
    logLossBefore: real('log_loss_before').notNull(),
    rmseBefore: real('rmse_before').notNull(),
    logLossAfter: real('log_loss_after').notNull(),
    rmseAfter: real('rmse_after').notNull(),
    kept: integer('kept', { mode: 'boolean' }).notNull(),
    /** Why the fitted parameters were not kept, when they were not. */
    reason: text('reason'),
    fittedAt: integer('fitted_at').notNull(),
  },
  (t) => [index('srs_fits_scope').on(t.scope, t.key, t.fittedAt)],
);

/** Every graded answer: the history behind stats and retention. */
export const reviews = sqliteTable(
  'reviews',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull(),
    questionId: text('question_id').notNull(),
    /** 1 Again, 3 Good (ts-fsrs Rating). */
    rating: integer('rating').notNull(),
    correct: integer('correct', { mode: 'boolean' }).notNull(),
    /** Whether the card was due (or new) when answered: only those score. */
    wasDue: integer('was_due', { mode: 'boolean' }).notNull(),
    /** Whether this was the card's first review (counts against the daily new-card limit). */
    wasNew: integer('was_new', { mode: 'boolean' }).notNull(),
    answeredAt: integer('answered_at').notNull(),
    /** The user's local date (YYYY-MM-DD) of the answer. */
    localDay: text('local_day').notNull(),
  },
  (t) => [index('reviews_user_time').on(t.userId, t.answeredAt), index('reviews_question').on(t.questionId)],
);

/** A personal quiz in progress: the planned queue and where the user is, so a restart resumes. */
export const quizSessions = sqliteTable(
  'quiz_sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    serverId: text('server_id').notNull(),
    channelId: text('channel_id').notNull(),
    mode: text('mode', { enum: ['daily', 'lesson', 'bank', 'review', 'lesson-practice', 'bank-practice'] }).notNull(),
    lessonId: text('lesson_id'),
    questionIds: text('question_ids', { mode: 'json' }).$type<string[]>().notNull(),
    position: integer('position').notNull().default(0),
    /** Shuffled choice order of the current question (indexes into its choices). */
    order: text('choice_order', { mode: 'json' }).$type<number[]>().notNull(),
    /** The graded version of the current question that `order` was drawn for (null: sessions from before versions). */
    choiceVersion: text('choice_version'),
    correct: integer('correct').notNull().default(0),
    points: integer('points').notNull().default(0),
    /** Questions answered wrong in this session (for /quiz review). */
    missed: text('missed', { mode: 'json' }).$type<string[]>().notNull(),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at'),
    localDay: text('local_day').notNull(),
  },
  (t) => [index('quiz_sessions_user').on(t.userId, t.startedAt)],
);

/** One row per answered position of a session: a second click on the same question is a no-op. */
export const sessionAnswers = sqliteTable(
  'session_answers',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => quizSessions.id),
    position: integer('position').notNull(),
    questionId: text('question_id').notNull(),
    /** The answer as given: a choice index into the question's choices, or typed text. */
    answer: text('answer').notNull(),
    correct: integer('correct', { mode: 'boolean' }).notNull(),
    points: integer('points').notNull(),
    interactionId: text('interaction_id').notNull(),
    answeredAt: integer('answered_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.position] })],
);

/** Points, each with a natural key so a double click, retry or replay never counts twice. */
export const awards = sqliteTable(
  'awards',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    awardKey: text('award_key').notNull(),
    userId: integer('user_id').notNull(),
    /** `<platform>:<server>`: leaderboards never mix servers. */
    serverKey: text('server_key').notNull(),
    channelId: text('channel_id').notNull(),
    points: integer('points').notNull(),
    reason: text('reason').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  // The group board sums each member's awards since they joined: one range per member.
  (t) => [uniqueIndex('awards_key').on(t.awardKey), index('awards_member').on(t.serverKey, t.userId, t.createdAt)],
);

/**
 * Running totals per scope and period (`all`, `w2026-47`, `m2026-11`, `s3`), kept up to date with
 * each award so a leaderboard reads an index instead of summing every award. Scope is
 * `<platform>:<server>` or `<platform>:<server>#<channel>`.
 */
export const scores = sqliteTable(
  'scores',
  {
    scope: text('scope').notNull(),
    period: text('period').notNull(),
    userId: integer('user_id').notNull(),
    points: integer('points').notNull(),
    /** When the total last grew: ties go to whoever got there first. */
    reachedAt: integer('reached_at').notNull(),
  },
  // User first: an award's eight totals (server and channel × week, month, season, all time) are
  // neighbours, so it changes one page, not eight. A board is loaded through scores_board; its
  // order lives in memory (src/core/quiz/board-index.ts), since an index in points order would be
  // rewritten by every award, on every board.
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.period] }), index('scores_board').on(t.scope, t.period)],
);

export const streaks = sqliteTable('streaks', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id),
  current: integer('current').notNull(),
  best: integer('best').notNull(),
  /** The user's local date (YYYY-MM-DD) of the last day that counted. */
  lastDay: text('last_day').notNull(),
});

export const seasons = sqliteTable(
  'seasons',
  {
    serverKey: text('server_key').notNull(),
    number: integer('number').notNull(),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at'),
    endedBy: text('ended_by'),
  },
  (t) => [primaryKey({ columns: [t.serverKey, t.number] })],
);

export const studyGroups = sqliteTable(
  'study_groups',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    serverKey: text('server_key').notNull(),
    name: text('name').notNull(),
    /** Lowercased name: names are unique per server regardless of case. */
    nameKey: text('name_key').notNull(),
    createdBy: integer('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('study_groups_name').on(t.serverKey, t.nameKey)],
);

export const groupMembers = sqliteTable(
  'group_members',
  {
    groupId: integer('group_id')
      .notNull()
      .references(() => studyGroups.id, { onDelete: 'cascade' }),
    serverKey: text('server_key').notNull(),
    userId: integer('user_id').notNull(),
    joinedAt: integer('joined_at').notNull(),
  },
  // One group per user per server.
  (t) => [primaryKey({ columns: [t.serverKey, t.userId] }), index('group_members_group').on(t.groupId)],
);

/** A channel race: rounds of public questions; the first correct answer wins a round. */
export const races = sqliteTable(
  'races',
  {
  id: text('id').primaryKey(),
  platform: text('platform').notNull(),
  serverId: text('server_id').notNull(),
  channelId: text('channel_id').notNull(),
  lessonId: text('lesson_id'),
  questionIds: text('question_ids', { mode: 'json' }).$type<string[]>().notNull(),
  /** Shuffled choice order per round. */
  orders: text('orders', { mode: 'json' }).$type<number[][]>().notNull(),
  /** The graded version of each round's question when the race began (null: races from before versions). */
  versions: text('round_versions', { mode: 'json' }).$type<string[]>(),
  round: integer('round').notNull(),
  roundEndsAt: integer('round_ends_at').notNull(),
  status: text('status', { enum: ['running', 'finished'] }).notNull(),
  startedBy: integer('started_by').notNull(),
  startedAt: integer('started_at').notNull(),
  },
  // The race tick asks every second for running rounds whose time is up: finished races (most of
  // the table, kept for history) are outside this index, so the tick never reads them.
  (t) => [index('races_running').on(t.roundEndsAt).where(sql`status = 'running'`), index('races_channel').on(t.platform, t.serverId, t.channelId)],
);

export const raceAnswers = sqliteTable(
  'race_answers',
  {
    raceId: text('race_id')
      .notNull()
      .references(() => races.id),
    round: integer('round').notNull(),
    userId: integer('user_id').notNull(),
    choice: integer('choice').notNull(),
    correct: integer('correct', { mode: 'boolean' }).notNull(),
    answeredAt: integer('answered_at').notNull(),
    points: integer('points').notNull(),
  },
  // Each user's first click in a round counts; a second one hits this key.
  (t) => [primaryKey({ columns: [t.raceId, t.round, t.userId] })],
);

export const schedules = sqliteTable(
  'schedules',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform').notNull(),
    serverId: text('server_id').notNull(),
    channelId: text('channel_id').notNull(),
    /** HH:MM in `timezone`. */
    time: text('time').notNull(),
    timezone: text('timezone').notNull(),
    weeklyLeaderboard: integer('weekly_leaderboard', { mode: 'boolean' }).notNull(),
    createdBy: text('created_by').notNull(),
    updatedAt: integer('updated_at').notNull(),
    lastPostedDay: text('last_posted_day'),
    /** What the posted quiz asks: one bank or one lesson (null: the daily quiz). */
    bankId: text('bank_id'),
    lessonId: text('lesson_id'),
  },
  (t) => [uniqueIndex('schedules_channel').on(t.platform, t.serverId, t.channelId)],
);

export const questionReports = sqliteTable(
  'question_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    questionId: text('question_id').notNull(),
    userId: integer('user_id').notNull(),
    serverKey: text('server_key').notNull(),
    comment: text('comment').notNull(),
    createdAt: integer('created_at').notNull(),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [index('question_reports_open').on(t.resolvedAt, t.createdAt)],
);

/** Every applied import: who, when, which file, what changed. */
export const imports = sqliteTable(
  'imports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    bankId: text('bank_id').notNull(),
    /** Where it was imported: a tenant, or null for the operator's command line. */
    tenant: text('tenant'),
    actor: text('actor').notNull(),
    platform: text('platform').notNull(),
    fileName: text('file_name').notNull(),
    fileHash: text('file_hash').notNull(),
    format: text('format').notNull(),
    added: integer('added').notNull(),
    changed: integer('changed').notNull(),
    removed: integer('removed').notNull(),
    unchanged: integer('unchanged').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('imports_time').on(t.createdAt), index('imports_tenant').on(t.tenant, t.createdAt)],
);

/** An import validated and shown as a dry run, waiting for an admin's confirmation button. */
export const importDrafts = sqliteTable('import_drafts', {
  id: text('id').primaryKey(),
  /** The tenant the preview was made in (null: the command line); only there can it be applied. */
  tenant: text('tenant'),
  actor: text('actor').notNull(),
  platform: text('platform').notNull(),
  fileName: text('file_name').notNull(),
  fileHash: text('file_hash').notNull(),
  format: text('format').notNull(),
  /** The parsed bank as JSON. */
  bank: text('bank').notNull(),
  createdAt: integer('created_at').notNull(),
  appliedAt: integer('applied_at'),
});

/** Small named values the bot keeps about itself (e.g. the fingerprint of the synced content). */
/**
 * A tenant's choice about one bank: whether its daily quizzes, races and schedules draw from it.
 * A bank without a row here is on (content banks, and banks imported since).
 */
export const tenantBanks = sqliteTable(
  'tenant_banks',
  {
    tenant: text('tenant').notNull(),
    bankId: text('bank_id').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    changedBy: text('changed_by').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenant, t.bankId] })],
);

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * A Slack workspace (or an Enterprise Grid organisation, installed org-wide) that installed the app
 * by OAuth. The installation Slack returned, tokens included, is stored sealed (AES-256-GCM under
 * INSTALLATION_ENCRYPTION_KEY); the columns beside it say whose it is without opening it. Removed
 * when the app is uninstalled or its tokens are revoked; the workspace's quiz data stays.
 */
export const slackInstallations = sqliteTable('slack_installations', {
  /** The tenant's server id: the team id, or the enterprise id of an org-wide install. */
  serverId: text('server_id').primaryKey(),
  teamId: text('team_id'),
  enterpriseId: text('enterprise_id'),
  orgInstall: integer('org_install', { mode: 'boolean' }).notNull(),
  teamName: text('team_name'),
  botUserId: text('bot_user_id'),
  /** The Slack user who installed the app. */
  installedBy: text('installed_by'),
  /** When the bot token expires (token rotation; epoch seconds), else null. */
  tokenExpiresAt: integer('token_expires_at'),
  /** The installation as JSON, sealed (src/db/encryption.ts). */
  sealed: text('sealed').notNull(),
  installedAt: integer('installed_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});
