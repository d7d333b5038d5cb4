import { UserError } from '../errors.js';
import { canonicalTimeZone } from './time.js';

/**
 * Time zone abbreviations people type, and the IANA zones they usually mean. An abbreviation names
 * several zones (IST: India, Ireland, Israel) or an offset without daylight saving (EST resolves to
 * America/Panama), so it is never taken as a zone: the reply suggests these instead.
 */
export const ZONE_ABBREVIATIONS: Readonly<Record<string, readonly string[]>> = {
  EST: ['America/New_York', 'America/Toronto'],
  EDT: ['America/New_York', 'America/Toronto'],
  CST: ['America/Chicago', 'America/Mexico_City', 'Asia/Shanghai'],
  CDT: ['America/Chicago', 'America/Winnipeg'],
  MST: ['America/Denver', 'America/Phoenix', 'America/Edmonton'],
  MDT: ['America/Denver', 'America/Edmonton'],
  PST: ['America/Los_Angeles', 'America/Vancouver'],
  PDT: ['America/Los_Angeles', 'America/Vancouver'],
  AKST: ['America/Anchorage'],
  HST: ['Pacific/Honolulu'],
  AST: ['America/Halifax', 'Asia/Riyadh'],
  BRT: ['America/Sao_Paulo'],
  ART: ['America/Argentina/Buenos_Aires'],
  WET: ['Europe/Lisbon'],
  BST: ['Europe/London', 'Asia/Dhaka'],
  IST: ['Asia/Kolkata', 'Europe/Dublin', 'Asia/Jerusalem'],
  CET: ['Europe/Berlin', 'Europe/Paris', 'Europe/Madrid'],
  CEST: ['Europe/Berlin', 'Europe/Paris', 'Europe/Madrid'],
  MET: ['Europe/Berlin', 'Europe/Paris'],
  EET: ['Europe/Athens', 'Europe/Helsinki', 'Africa/Cairo'],
  EEST: ['Europe/Athens', 'Europe/Helsinki'],
  MSK: ['Europe/Moscow'],
  SAST: ['Africa/Johannesburg'],
  WAT: ['Africa/Lagos'],
  EAT: ['Africa/Nairobi'],
  PKT: ['Asia/Karachi'],
  WIB: ['Asia/Jakarta'],
  SGT: ['Asia/Singapore'],
  HKT: ['Asia/Hong_Kong'],
  PHT: ['Asia/Manila'],
  JST: ['Asia/Tokyo'],
  KST: ['Asia/Seoul'],
  AWST: ['Australia/Perth'],
  ACST: ['Australia/Adelaide', 'Australia/Darwin'],
  AEST: ['Australia/Sydney', 'Australia/Melbourne', 'Australia/Brisbane'],
  AEDT: ['Australia/Sydney', 'Australia/Melbourne'],
  NZST: ['Pacific/Auckland'],
  NZDT: ['Pacific/Auckland'],
};

/** The short IANA names that mean one zone each: UTC and its aliases, and a few country names. */
const SHORT_ZONES = new Set(['utc', 'uct', 'gmt', 'zulu', 'gb', 'nz', 'prc', 'roc', 'rok', 'eire', 'cuba', 'egypt', 'iran', 'japan', 'libya']);

/**
 * A time zone a person typed, as its canonical IANA name; undefined when it is no zone at all.
 * Two to five letters alone (EST, CST, IST, CET…) is an abbreviation, refused with the zones it
 * usually means, unless it is one of the short IANA names above (UTC, GMT, Japan…).
 */
export function typedTimeZone(typed: string): string | undefined {
  const tz = typed.trim();
  if (/^[A-Za-z]{2,5}$/.test(tz) && !SHORT_ZONES.has(tz.toLowerCase())) {
    const meant = ZONE_ABBREVIATIONS[tz.toUpperCase()];
    const hint = meant ? ` ${tz.toUpperCase()} usually means ${meant.join(', ')}.` : '';
    throw new UserError(`"${tz}" is an abbreviation, not a time zone: it can name several zones, or an offset without daylight saving.${hint} Use an IANA name such as Europe/Berlin or America/New_York.`);
  }
  return canonicalTimeZone(tz);
}
