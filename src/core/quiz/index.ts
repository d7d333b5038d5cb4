import type { ActionContext, Capability } from '../dispatcher.js';
import type { Services } from '../services.js';
import { confirmEndSeason, endSeason, questionStats, reportQuestion, reportsReply, resolveReport } from './admin.js';
import { createGroup, joinGroup, leaveGroup, listGroups } from './groups.js';
import { leaderboardReply, type Period, type Scope } from './leaderboard.js';
import { answerQuestion, nextQuestion, startQuiz } from './personal.js';
import { banksReply } from './banks.js';
import { UserError } from '../errors.js';
import { settingsReply, statsReply } from './profile.js';
import { answerRace, startRace, tickRaces } from './race.js';
import { dailyScheduler, listSchedules, removeSchedule, setSchedule } from './schedule.js';
import { startFitSchedule } from '../srs/schedule.js';

const actor = (ctx: ActionContext<unknown, unknown>) => ctx.interaction.actor;

export const quizCapability: Capability = {
  commands: {
    quiz: ({ services, interaction, options, now }) => {
      if (options.lesson && options.bank) throw new UserError('Choose a lesson or a bank, not both.');
      if (options.bank) return startQuiz(services, interaction.actor, interaction.place, 'bank', options.bank, now);
      return startQuiz(services, interaction.actor, interaction.place, options.lesson ? 'lesson' : 'daily', options.lesson, now);
    },
    'quiz review': ({ services, interaction, now }) => startQuiz(services, interaction.actor, interaction.place, 'review', undefined, now),
    'quiz race': ({ services, interaction, options, now }) => startRace(services, interaction.actor, interaction.place, options.rounds ?? 5, options.lesson, now),
    leaderboard: ({ services, interaction, options, now }) =>
      leaderboardReply(services, interaction.actor, interaction.place, (options.period ?? (options.season ? 'season' : 'week')) as Period, (options.scope ?? 'server') as Scope, options.season, now),
    stats: ({ services, interaction, now }) => statsReply(services, interaction.actor, interaction.place, now),
    settings: ({ services, interaction, options }) => settingsReply(services, interaction.actor, interaction.place, options.timezone, options.reviews, options.retention),
    'group create': ({ services, interaction, options, now }) => createGroup(services, interaction.actor, interaction.place, options.name, now),
    'group join': ({ services, interaction, options, now }) => joinGroup(services, interaction.actor, interaction.place, options.name, now),
    'group leave': ({ services, interaction }) => leaveGroup(services, interaction.actor, interaction.place),
    'group list': ({ services, interaction }) => listGroups(services, interaction.actor, interaction.place),
    'quiz-admin schedule': ({ services, interaction, options, now }) => setSchedule(services, interaction.actor, interaction.place, options, now),
    'quiz-admin schedules': ({ services, interaction }) => listSchedules(services, interaction.actor, interaction.place),
    'quiz-admin stats': ({ services, interaction, options }) => questionStats(services, interaction.actor, interaction.place, { page: options.page, sort: options.sort, flagged: options.flagged }),
    'quiz-admin reports': ({ services, interaction }) => reportsReply(services, interaction.actor, interaction.place),
    'quiz-admin banks': ({ services, interaction, options, now }) => banksReply(services, interaction.actor, interaction.place, options.bank, options.state, now),
    'quiz-admin end-season': ({ services, interaction, now }) => confirmEndSeason(services, interaction.actor, interaction.place, now),
  },
  actions: {
    // Args, text and values arrive parsed and checked (the owner, the tenant): see action-catalogue.ts.
    qa: (ctx) => {
      const [sid, pos, choice, key] = ctx.args;
      const given = choice === 'x' ? ({ kind: 'unknown' } as const) : ({ kind: 'choice', display: choice, ...(key ? { key } : {}) } as const);
      return answerQuestion(ctx.services, actor(ctx), ctx.interaction.id, sid, pos, given, ctx.now);
    },
    qt: (ctx) => answerQuestion(ctx.services, actor(ctx), ctx.interaction.id, ctx.args[0], ctx.args[1], { kind: 'text', text: ctx.text ?? '' }, ctx.now),
    qm: (ctx) => answerQuestion(ctx.services, actor(ctx), ctx.interaction.id, ctx.args[0], ctx.args[1], { kind: 'choices', display: ctx.values }, ctx.now),
    qn: (ctx) => nextQuestion(ctx.services, actor(ctx), ctx.args[0], ctx.now),
    // qs (the daily quiz), qs:b:<bank> or qs:l:<lesson> (a schedule's bank or lesson).
    qs: (ctx) => {
      const [kind, id] = ctx.args;
      const mode = kind === 'b' ? 'bank' : kind === 'l' ? 'lesson' : 'daily';
      return startQuiz(ctx.services, actor(ctx), ctx.interaction.place, mode, id, ctx.now);
    },
    qrv: (ctx) => startQuiz(ctx.services, actor(ctx), ctx.interaction.place, 'review', undefined, ctx.now),
    ra: (ctx) => {
      const [raceId, round, display, key] = ctx.args;
      return answerRace(ctx.services, actor(ctx), raceId, round, { kind: 'choice', display, ...(key ? { key } : {}) }, ctx.now);
    },
    qrep: (ctx) => reportQuestion(ctx.services, actor(ctx), ctx.interaction.place, ctx.args[0], ctx.text, ctx.now),
    qres: (ctx) => resolveReport(ctx.services, actor(ctx), ctx.interaction.place, ctx.args[0], ctx.now),
    'season.end': (ctx) => endSeason(ctx.services, actor(ctx), ctx.interaction.place, ctx.args[1], ctx.args[2], ctx.now),
    'schedule.remove': (ctx) => removeSchedule(ctx.services, actor(ctx), ctx.interaction.place, ctx.args[0]),
  },
};

/** Background work of the quiz: race rounds that time out, and the daily posts. */
export function startQuizBackground(services: Services): () => void {
  const timer = setInterval(() => {
    try {
      tickRaces(services, services.clock.now());
    } catch (err) {
      services.logger.error({ err }, 'race tick failed');
    }
  }, 1000);
  timer.unref();
  const scheduler = dailyScheduler(services);
  scheduler.start();
  const stopFits = startFitSchedule(services);
  return () => {
    clearInterval(timer);
    scheduler.stop();
    stopFits();
  };
}
