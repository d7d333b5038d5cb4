import { z } from 'zod';
import { typedCommand } from './catalogue.js';
import { idSchema } from './content/schema.js';
import { draftTenant } from './import/apply.js';
import type { Actor, Place, Reply } from './interaction.js';
import { QUIZ_ID, ROUTING_QUIZ_GONE } from './moe/routing-quiz.js';
import { moeServiceFor } from './moe/service.js';
import { quizStore } from './quiz/store.js';
import type { Services } from './services.js';
import { tenantOf, type Tenant } from './tenant.js';

/**
 * The one action catalogue: every button, select and form the core sends, declared like the
 * commands. An action id is `name:arg:arg` (see actions.ts); its spec says how the args parse,
 * who may press it and where, and what it needs typed or picked. The dispatcher enforces all of
 * it before any handler runs, so a handler gets parsed args and never re-checks the basics.
 */

/** Who pressed, and where from. */
export interface Press {
  actor: Actor;
  place: Place;
  tenant: Tenant;
}

/** The person a thing named by an action's args belongs to. */
export interface ActionOwner {
  /** `<platform>:<user id>`, compared with the presser's (see userKey). */
  key: string;
  /** The refusal for anyone else; made only when someone else pressed. */
  refusal: () => string;
}

export interface ActionSpec<A extends readonly unknown[] = readonly unknown[], V = string> {
  /** What pressing does, as the subject of a refusal: "Applying an import is for admins only." */
  description: string;
  /** The parts after the name, as a tuple of strings; positions are coerced to integers here. */
  args: z.ZodType<A>;
  /** Needs the platform's admin right. Required on every spec, so no admin button is open by omission. */
  admin: boolean;
  /** Only the owner of the thing the args name may press (undefined: there is no such thing). */
  owner?: (services: Services, args: A, press: Press) => ActionOwner | undefined;
  /**
   * The tenant the thing the args name belongs to: pressed from any other tenant, it does not
   * exist. Null: a global thing, usable from every tenant. Undefined: there is no such thing.
   */
  tenant?: (services: Services, args: A) => Tenant | null | undefined;
  /** Text typed into the action's form: required (with this refusal when empty), at most maxLength. */
  text?: { missing: string; maxLength: number };
  /** Values picked in a select: each parsed by `item`, at least one (else `missing`), at most `max`. */
  values?: { item: z.ZodType<V>; missing: string; max: number };
  /** The answer when the thing the args name does not exist (or not in this tenant). */
  gone?: string | Reply;
}

/** The answer to an id whose name no catalogue entry has (a button of a removed feature). */
export const UNKNOWN_ACTION_TEXT = 'This button is no longer available.';
/** The answer to an id whose args do not parse (forged, truncated, or from an older layout). */
export const INVALID_ACTION_TEXT = 'This button is not valid any more.';

/** The key an owner resolver returns for a person: the platform's user id on its platform. */
export function userKey(platform: string, userId: string): string {
  return `${platform}:${userId}`;
}

/** Keeps the arg types of one spec for its handler; the object key is the action name. */
function action<A extends readonly unknown[], V = string>(spec: ActionSpec<A, V>): ActionSpec<A, V> {
  return spec;
}

/** An id the bot minted (a session, race or draft): non-empty, bounded, no separator. */
const token = (max: number) => z.string().min(1).max(max);
/** A position or index: decimal digits only, so '', 'NaN' and '1e3' are not numbers here. */
const index = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));

/** Positions in a quiz or race, choices of a question: far above any real one. */
const MAX_POSITION = 10_000;
/** Discord's selects hold 25 options; no question has more choices. */
const MAX_CHOICES = 25;
const SESSION_ID = token(32);
/** A choice's key (see choiceKey): which choice a button meant. Old buttons carry none. */
const CHOICE_KEY = z.string().regex(/^[\w-]{5}$/).optional();

/** A personal quiz belongs to the person who started it. */
function sessionOwner(services: Services, [sessionId]: readonly [string, ...unknown[]]): ActionOwner | undefined {
  const store = quizStore(services);
  const session = store.session(sessionId);
  const owner = session && store.userById(session.userId);
  if (!session || !owner) return undefined;
  return {
    key: userKey(owner.platform, owner.externalId),
    // Named as the session's own server knows the owner (names are per server).
    refusal: () => `This quiz belongs to ${store.memberName(tenantOf(owner.platform, session), session.userId)}. Start your own with /quiz.`,
  };
}

const QUIZ_GONE = 'This quiz is no longer available. Start a new one with /quiz.';

/** A /moe quiz question belongs to the learner it was made for (while it lives, an hour in memory). */
function routingQuizOwner(services: Services, [quizId]: readonly [string, ...unknown[]], press: Press): ActionOwner | undefined {
  const quiz = moeServiceFor(services.config)?.quizzes.get(quizId);
  if (!quiz) return undefined;
  return { key: quiz.owner, refusal: () => `This routing question is someone else\u2019s. Ask your own with ${typedCommand('moe quiz', press.actor.platform)}.` };
}

/** A race runs in one channel of one server: its buttons count only there. */
function raceTenant(services: Services, [raceId]: readonly [string, ...unknown[]]): Tenant | undefined {
  const row = quizStore(services).q<[string], { platform: string; serverId: string }>('SELECT platform, server_id serverId FROM races WHERE id = ?').get(raceId);
  return row && tenantOf(row.platform, row);
}

/** A report is about a question in one server, and resolved there. */
function reportTenant(services: Services, [reportId]: readonly [number]): Tenant | undefined {
  const row = quizStore(services).q<[number], { serverKey: string }>('SELECT server_key serverKey FROM question_reports WHERE id = ?').get(reportId);
  return row && storedTenantKey(row.serverKey);
}

/** A tenant key as stored (`<platform>:<server>`; the server may hold ':' itself). */
function storedTenantKey(key: string): Tenant | undefined {
  const colon = key.indexOf(':');
  return colon > 0 ? tenantOf(key.slice(0, colon), { serverId: key.slice(colon + 1) }) : undefined;
}

/** A question of a bank imported in one tenant is seen only there; content questions are global. */
function questionTenant(services: Services, [questionId]: readonly [string, ...unknown[]]): Tenant | null | undefined {
  const row = quizStore(services).stmt.question.get(questionId);
  if (!row) return undefined;
  return row.tenant === null ? null : storedTenantKey(row.tenant);
}

/**
 * An import preview is applied or cancelled only in the tenant it was made in. One made on the
 * operator's command line (null) has no buttons in any chat: from a chat it does not exist.
 */
function previewTenant(services: Services, [draftId]: readonly [string]): Tenant | undefined {
  return draftTenant(services.db, draftId) ?? undefined;
}

/** A daily post's bank belongs to its tenant (or to all); lessons and the daily quiz are global. */
function scheduledQuizTenant(services: Services, args: readonly [] | readonly ['b' | 'l', string]): Tenant | null | undefined {
  if (args.length === 0 || args[0] === 'l') return null;
  const row = quizStore(services).q<[string], { tenant: string | null }>('SELECT tenant FROM banks WHERE id = ? AND retired_at IS NULL').get(args[1]);
  if (!row) return undefined;
  return row.tenant === null ? null : storedTenantKey(row.tenant);
}

/** A schedule posts in one server: its Remove button counts only there. */
function scheduleTenant(services: Services, [scheduleId]: readonly [number]): Tenant | undefined {
  const row = quizStore(services).q<[number], { platform: string; serverId: string }>('SELECT platform, server_id serverId FROM schedules WHERE id = ?').get(scheduleId);
  return row && tenantOf(row.platform, row);
}

/**
 * A season of one server, named by its row and number: its end-season button counts only there,
 * and only while the season runs.
 */
function seasonTenant(services: Services, [rowid, number]: readonly [number, number, number]): Tenant | undefined {
  const row = quizStore(services).q<[number, number], { serverKey: string }>('SELECT server_key serverKey FROM seasons WHERE rowid = ? AND number = ? AND ended_at IS NULL').get(rowid, number);
  return row && storedTenantKey(row.serverKey);
}

const DRAFT_ID = token(64);

const importGone = (title: string, text: string): Reply => ({ title, text, visibility: 'ephemeral', replaceOriginal: true });

export const ACTIONS = {
  // qa:<session>:<position>:<display index | x (I don't know)>[:<choice key>]
  qa: action({
    description: 'Answering a quiz question',
    args: z.tuple([SESSION_ID, index(MAX_POSITION), z.union([z.literal('x'), index(MAX_CHOICES)]), CHOICE_KEY]),
    admin: false,
    owner: sessionOwner,
    gone: QUIZ_GONE,
  }),
  // qt:<session>:<position>, with the typed answer
  qt: action({
    description: 'Answering a quiz question',
    args: z.tuple([SESSION_ID, index(MAX_POSITION)]),
    admin: false,
    owner: sessionOwner,
    text: { missing: 'Type an answer, or press "I don\'t know".', maxLength: 200 },
    gone: QUIZ_GONE,
  }),
  // qm:<session>:<position>, with the picked display indexes
  qm: action({
    description: 'Answering a quiz question',
    args: z.tuple([SESSION_ID, index(MAX_POSITION)]),
    admin: false,
    owner: sessionOwner,
    values: { item: index(MAX_CHOICES), missing: 'Pick at least one answer.', max: MAX_CHOICES },
    gone: QUIZ_GONE,
  }),
  // qn:<session>
  qn: action({ description: 'Moving on in a quiz', args: z.tuple([SESSION_ID]), admin: false, owner: sessionOwner, gone: QUIZ_GONE }),
  // The daily post's Start: everyone starts their own quiz. qs (the daily quiz, as old posts
  // have it), qs:b:<bank> or qs:l:<lesson> (a schedule that names one).
  qs: action({
    description: "Starting today's quiz",
    args: z.union([z.tuple([]), z.tuple([z.enum(['b', 'l']), idSchema])]),
    admin: false,
    tenant: scheduledQuizTenant,
    gone: 'This quiz is no longer available. Start one with /quiz.',
  }),
  qrv: action({ description: 'Reviewing your misses', args: z.tuple([]), admin: false }),
  // ra:<race>:<round>:<display index>[:<choice key>]
  ra: action({
    description: 'Answering a race',
    args: z.tuple([token(32), index(MAX_POSITION), index(MAX_CHOICES), CHOICE_KEY]),
    admin: false,
    tenant: raceTenant,
    gone: 'This round is closed.',
  }),
  // qrep:<question>, with what is wrong with it
  qrep: action({
    description: 'Reporting a question',
    args: z.tuple([idSchema]),
    admin: false,
    tenant: questionTenant,
    text: { missing: 'Please say what is wrong with the question.', maxLength: 500 },
    gone: 'This question no longer exists.',
  }),
  // qres:<report>
  qres: action({
    description: 'Resolving reports',
    args: z.tuple([index(Number.MAX_SAFE_INTEGER)]),
    admin: true,
    tenant: reportTenant,
    gone: 'That report is already resolved.',
  }),
  // season.end:<season row>:<season number>:<expiry, epoch minutes>, from /quiz-admin end-season
  'season.end': action({
    description: 'Ending a season',
    args: z.tuple([index(999_999_999), index(999_999_999), index(999_999_999)]),
    admin: true,
    tenant: seasonTenant,
    gone: 'That season has already ended.',
  }),
  // schedule.remove:<schedule>, from /quiz-admin schedules
  'schedule.remove': action({
    description: 'Removing a schedule',
    args: z.tuple([index(Number.MAX_SAFE_INTEGER)]),
    admin: true,
    tenant: scheduleTenant,
    gone: 'That schedule was already removed.',
  }),
  // import.apply:<draft>
  'import.apply': action({
    description: 'Applying an import',
    args: z.tuple([DRAFT_ID]),
    admin: true,
    tenant: previewTenant,
    gone: importGone('Import not available', 'This import preview was cancelled or has expired. Upload the file again.'),
  }),
  // import.cancel:<draft>
  'import.cancel': action({
    description: 'Cancelling an import',
    args: z.tuple([DRAFT_ID]),
    admin: true,
    tenant: previewTenant,
    gone: importGone('Import not available', 'This import was already applied, cancelled or has expired.'),
  }),
  // lesson:<lesson>:<section index>
  lesson: action({ description: 'Reading a lesson', args: z.tuple([idSchema, index(MAX_POSITION)]), admin: false }),
  // lesson.try:<lesson>:<section index>, a lesson section's live demo
  'lesson.try': action({ description: 'Running a lesson demo', args: z.tuple([idSchema, index(MAX_POSITION)]), admin: false }),
  // moe.quiz:<quiz>:<a|b|x>, an answer to a /moe quiz routing question (x: I don't know)
  'moe.quiz': action({
    description: 'Answering a routing question',
    args: z.tuple([z.string().regex(QUIZ_ID), z.enum(['a', 'b', 'x'])]),
    admin: false,
    owner: routingQuizOwner,
    gone: ROUTING_QUIZ_GONE,
  }),
  // moe.quiz.next: another /moe quiz question for whoever presses
  'moe.quiz.next': action({ description: 'Asking a routing question', args: z.tuple([]), admin: false }),
  // why:<question>
  why: action({
    description: 'Explaining a question',
    args: z.tuple([idSchema]),
    admin: false,
    tenant: questionTenant,
    gone: 'That question is no longer in the question banks.',
  }),
} as const;

export type ActionName = keyof typeof ACTIONS;
/** The parsed args of an action, as its handler receives them. */
export type ArgsOf<N extends ActionName> = z.output<(typeof ACTIONS)[N]['args']>;
/** The parsed values of an action's select (strings when it declares none). */
export type ValuesOf<N extends ActionName> = z.output<NonNullable<(typeof ACTIONS)[N]['values']>['item']>;

/** Catalogue specs by name; capabilities may add their own (see Capability.actionSpecs). */
export const ACTION_CATALOGUE: ReadonlyMap<string, AnyActionSpec> = new Map(Object.entries(ACTIONS));

/** A spec whose arg and value types are erased: what the dispatcher keeps by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionSpec = ActionSpec<any, any>;
