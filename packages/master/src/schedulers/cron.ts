/** Builds a cron expression from a nightly scheduler's `cron` or Buildbot-style fields. */
import type { CronField, NightlyOptions } from './specs.js';

function part(v: CronField | undefined, dflt: string): string {
  if (v === undefined) return dflt;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

export function cronExpression(o: Pick<NightlyOptions, 'cron' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek'>): string {
  if (o.cron !== undefined) {
    if (typeof o.cron !== 'string') throw new Error('cron must be a string such as "0 3 * * *"');
    return o.cron;
  }
  // Buildbot's Nightly defaults: minute 0, hour 0 (midnight), every day.
  return [part(o.minute, '0'), part(o.hour, '0'), part(o.dayOfMonth, '*'), part(o.month, '*'), part(o.dayOfWeek, '*')].join(' ');
}
