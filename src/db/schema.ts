import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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
  lessonId: text('lesson_id'),
  contentHash: text('content_hash').notNull(),
  retiredAt: integer('retired_at'),
  updatedAt: integer('updated_at').notNull(),
});

export const questions = sqliteTable(
  'questions',
  {
    id: text('id').primaryKey(),
    bankId: text('bank_id')
      .notNull()
      .references(() => banks.id),
    position: integer('position').notNull(),
    type: text('type', { enum: ['single', 'multiple', 'true_false', 'short'] }).notNull(),
    /** The validated question as JSON (the bank schema's shape). */
    body: text('body').notNull(),
    lessonId: text('lesson_id'),
    sectionTitle: text('section_title'),
    /** sha256 of the canonical body: an edit changes it, a re-sync of the same text does not. */
    contentHash: text('content_hash').notNull(),
    /** Removed questions are retired, not deleted: progress and history keep pointing at them. */
    retiredAt: integer('retired_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('questions_bank').on(t.bankId, t.position), index('questions_lesson').on(t.lessonId)],
);

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform').notNull(),
    externalId: text('external_id').notNull(),
    displayName: text('display_name').notNull(),
    timezone: text('timezone'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_platform_external').on(t.platform, t.externalId)],
);
