/**
 * Builds a cron expression from a nightly scheduler's `cron` or Buildbot-style fields, with
 * Buildbot's meaning (master/buildbot/schedulers/timed.py, NightlyBase):
 * - defaults: minute 0, every hour, every day, every month, every day of the week — so a nightly
 *   scheduler given only `minute` fires hourly, as in Buildbot;
 * - `dayOfWeek` counts from Monday = 0 (Python's weekday()), so it is shifted to cron's Sunday = 0:
 *   numbers, lists of numbers and the numbers of a comma-separated string are converted; other
 *   text (day names, ranges, steps) reaches cron as written, exactly as Buildbot passes it to croniter.
 * A `cron` expression is cron's own syntax and is used as written (Sunday = 0).
 */
import type { CronField, NightlyOptions } from './specs.js';

function part(v: CronField | undefined, dflt: string): string {
  if (v === undefined) return dflt;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Monday = 0 to cron's Sunday = 0. */
const cronWeekday = (d: number) => (d + 1) % 7;

function dayOfWeekPart(v: CronField | undefined): string {
  if (v === undefined) return '*';
  if (typeof v === 'number') return String(cronWeekday(v));
  if (Array.isArray(v)) return v.map(cronWeekday).join(',');
  return String(v).split(',').map((t) => (/^\s*\+?\d+\s*$/.test(t) ? String(cronWeekday(Number(t))) : t)).join(',');
}

export function cronExpression(o: Pick<NightlyOptions, 'cron' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek'>): string {
  if (o.cron !== undefined) {
    if (typeof o.cron !== 'string') throw new Error('cron must be a string such as "0 3 * * *"');
    return o.cron;
  }
  return [part(o.minute, '0'), part(o.hour, '*'), part(o.dayOfMonth, '*'), part(o.month, '*'), dayOfWeekPart(o.dayOfWeek)].join(' ');
}
