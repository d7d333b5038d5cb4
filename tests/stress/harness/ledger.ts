import Database from 'better-sqlite3';
import type { QuizAck, RaceAck } from './load.js';

/**
 * Checks a database against what users were told: every graded answer a user saw is stored
 * exactly once with the points they were shown, every point is backed by exactly one award, and
 * the leaderboard totals equal the awards. Returns the problems found (none when all is well).
 */
export interface LedgerReport {
  problems: string[];
  quizAcksChecked: number;
  raceAcksChecked: number;
  duplicateAwardKeys: number;
  integrity: string;
}

export function checkLedger(dbPath: string, quizAcks: QuizAck[], raceAcks: RaceAck[]): LedgerReport {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const problems: string[] = [];
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);

    const answer = db.prepare('SELECT count(*) n, max(points) points FROM session_answers WHERE session_id = ? AND position = ?');
    for (const a of quizAcks) {
      const row = answer.get(a.sessionId, a.position) as { n: number; points: number | null };
      if (row.n !== 1) problems.push(`quiz answer ${a.platform}:${a.user} ${a.sessionId}#${a.position} stored ${row.n} times (acknowledged once)`);
      else if (row.points !== a.points) problems.push(`quiz answer ${a.sessionId}#${a.position}: user saw +${a.points}, database has ${row.points}`);
    }
    const acked = new Set(quizAcks.map((a) => `${a.sessionId}#${a.position}`));
    if (acked.size !== quizAcks.length) problems.push(`the same quiz answer was acknowledged as new ${quizAcks.length - acked.size} extra times`);

    const raceAnswer = db.prepare(
      `SELECT count(*) n, max(a.points) points FROM race_answers a JOIN users u ON u.id = a.user_id
       WHERE a.race_id = ? AND a.round = ? AND u.platform = ? AND u.external_id = ?`,
    );
    for (const a of raceAcks) {
      const row = raceAnswer.get(a.raceId, a.round, a.platform, a.user) as { n: number; points: number | null };
      if (row.n !== 1) problems.push(`race answer ${a.platform}:${a.user} ${a.raceId}/${a.round} stored ${row.n} times (acknowledged once)`);
      else if (row.points !== a.points && !(a.pending && row.points === 0)) problems.push(`race answer ${a.raceId}/${a.round} ${a.user}: user saw +${a.points}, database has ${row.points}`);
    }

    const duplicateAwardKeys = (db.prepare('SELECT count(*) n FROM (SELECT award_key FROM awards GROUP BY award_key HAVING count(*) > 1)').get() as { n: number }).n;
    if (duplicateAwardKeys) problems.push(`${duplicateAwardKeys} award keys counted more than once`);

    // Every scored answer has exactly one award, and no award lacks its answer.
    const quiz = db.prepare("SELECT (SELECT count(*) FROM session_answers WHERE points > 0) answers, (SELECT coalesce(sum(points), 0) FROM session_answers) answerPoints, (SELECT count(*) FROM awards WHERE reason = 'quiz') awards, (SELECT coalesce(sum(points), 0) FROM awards WHERE reason = 'quiz') awardPoints").get() as Record<string, number>;
    if (quiz.answers !== quiz.awards || quiz.answerPoints !== quiz.awardPoints) problems.push(`quiz: ${quiz.answers} scored answers (${quiz.answerPoints} points) but ${quiz.awards} awards (${quiz.awardPoints} points)`);
    const race = db.prepare("SELECT (SELECT count(*) FROM race_answers WHERE points > 0) answers, (SELECT coalesce(sum(points), 0) FROM race_answers) answerPoints, (SELECT count(*) FROM awards WHERE reason = 'race') awards, (SELECT coalesce(sum(points), 0) FROM awards WHERE reason = 'race') awardPoints").get() as Record<string, number>;
    if (race.answers !== race.awards || race.answerPoints !== race.awardPoints) problems.push(`race: ${race.answers} scored answers (${race.answerPoints} points) but ${race.awards} awards (${race.awardPoints} points)`);
    // At most one winner (first right answer) per race round.
    const doubleWinners = (db.prepare('SELECT count(*) n FROM (SELECT race_id, round FROM race_answers WHERE points = 15 GROUP BY race_id, round HAVING count(*) > 1)').get() as { n: number }).n;
    if (doubleWinners) problems.push(`${doubleWinners} race rounds with more than one winner`);

    // One review per graded quiz answer: a replayed answer would add a second.
    const reviews = db.prepare(
      `SELECT s.user_id user, count(*) answers, (SELECT count(*) FROM reviews r WHERE r.user_id = s.user_id) reviews
       FROM session_answers a JOIN quiz_sessions s ON s.id = a.session_id GROUP BY s.user_id HAVING answers != reviews`,
    ).all() as { user: number; answers: number; reviews: number }[];
    for (const r of reviews) problems.push(`user ${r.user}: ${r.answers} quiz answers but ${r.reviews} reviews`);

    // The all-time leaderboard of each server equals the awards behind it.
    const totals = db.prepare(
      `SELECT a.server_key scope, a.user_id user, sum(a.points) awarded, (SELECT points FROM scores s WHERE s.scope = a.server_key AND s.period = 'all' AND s.user_id = a.user_id) board
       FROM awards a GROUP BY a.server_key, a.user_id HAVING board IS NULL OR board != awarded`,
    ).all() as { scope: string; user: number; awarded: number; board: number | null }[];
    for (const t of totals) problems.push(`leaderboard ${t.scope} user ${t.user}: ${t.board ?? 'no row'} points shown, ${t.awarded} awarded`);
    return { problems, quizAcksChecked: quizAcks.length, raceAcksChecked: raceAcks.length, duplicateAwardKeys, integrity };
  } finally {
    db.close();
  }
}
