/**
 * Buildbot's Nightly fields (minute, hour, dayOfMonth, month, dayOfWeek) turned into a schedule.
 * The cases are Buildbot's own (master/buildbot/test/unit/schedulers/test_timed_NightlyBase.py):
 * a last run time in, the next fire time out. Buildbot computes them in local time; here the
 * schedule runs in UTC so the expectations do not depend on the machine's time zone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cron } from 'croner';
import { cronExpression } from '../src/schedulers/cron.js';
import type { NightlyOptions } from '../src/schedulers/specs.js';

type Fields = Pick<NightlyOptions, 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek'>;
type Moment = [number, number, number, number, number, number?];

const at = ([y, mo, d, h, mi, s = 0]: Moment) => new Date(Date.UTC(y, mo - 1, d, h, mi, s));
const show = (t: Date | null) => t?.toISOString().replace('.000Z', 'Z') ?? 'never';

/** Asserts each [last run, expected next run] pair for the fields, as Buildbot's do_getNextBuildTime_test does. */
function expectNext(fields: Fields, ...cases: Array<[Moment, Moment]>): void {
  const cron = new Cron(cronExpression(fields), { timezone: 'UTC', paused: true });
  try {
    for (const [last, expected] of cases) {
      assert.equal(show(cron.nextRun(at(last))), show(at(expected)), `${JSON.stringify(fields)} after ${show(at(last))}`);
    }
  } finally { cron.stop(); }
}

test('with no fields a nightly schedule fires at minute 0 of every hour, as Buildbot defaults hour to every hour', () => {
  expectNext({},
    [[2011, 1, 1, 3, 0, 0], [2011, 1, 1, 4, 0, 0]],
    [[2011, 1, 1, 3, 15, 0], [2011, 1, 1, 4, 0, 0]],
    [[2011, 1, 1, 3, 15, 1], [2011, 1, 1, 4, 0, 0]],
    [[2011, 1, 1, 3, 59, 1], [2011, 1, 1, 4, 0, 0]],
    [[2011, 1, 1, 3, 59, 59], [2011, 1, 1, 4, 0, 0]],
    [[2011, 1, 1, 23, 22, 22], [2011, 1, 2, 0, 0, 0]],
    [[2011, 1, 1, 23, 59, 0], [2011, 1, 2, 0, 0, 0]]);
});

test('minutes alone, single or a list, repeat every hour', () => {
  expectNext({ minute: 4 },
    [[2011, 1, 1, 3, 0], [2011, 1, 1, 3, 4]],
    [[2011, 1, 1, 3, 15], [2011, 1, 1, 4, 4]]);
  expectNext({ minute: [4, 34] },
    [[2011, 1, 1, 3, 0], [2011, 1, 1, 3, 4]],
    [[2011, 1, 1, 3, 15], [2011, 1, 1, 3, 34]],
    [[2011, 1, 1, 3, 34], [2011, 1, 1, 4, 4]],
    [[2011, 1, 1, 3, 59, 1], [2011, 1, 1, 4, 4]]);
  expectNext({ minute: '*' },
    [[2011, 1, 1, 3, 11, 30], [2011, 1, 1, 3, 12]],
    [[2011, 1, 1, 3, 12], [2011, 1, 1, 3, 13]],
    [[2011, 1, 1, 3, 59], [2011, 1, 1, 4, 0]]);
});

test('hours, single or a list, fire at minute 0 unless a minute is given', () => {
  expectNext({ hour: 4 },
    [[2011, 1, 1, 3, 0], [2011, 1, 1, 4, 0]],
    [[2011, 1, 1, 13, 0], [2011, 1, 2, 4, 0]]);
  expectNext({ hour: [7, 19] },
    [[2011, 1, 1, 3, 0], [2011, 1, 1, 7, 0]],
    [[2011, 1, 1, 7, 1], [2011, 1, 1, 19, 0]],
    [[2011, 1, 1, 18, 59], [2011, 1, 1, 19, 0]],
    [[2011, 1, 1, 19, 59], [2011, 1, 2, 7, 0]]);
  expectNext({ hour: 13, minute: 19 },
    [[2011, 1, 1, 3, 11], [2011, 1, 1, 13, 19]],
    [[2011, 1, 1, 13, 19], [2011, 1, 2, 13, 19]],
    [[2011, 1, 1, 23, 59], [2011, 1, 2, 13, 19]]);
});

test('a month or a day of the month alone still fires every hour of the days it selects', () => {
  expectNext({ month: 3 },
    [[2011, 2, 27, 3, 11], [2011, 3, 1, 0, 0]],
    [[2011, 3, 1, 1, 11], [2011, 3, 1, 2, 0]]);
  expectNext({ month: [4, 6] },
    [[2011, 3, 30, 3, 11], [2011, 4, 1, 0, 0]],
    [[2011, 4, 1, 1, 11], [2011, 4, 1, 2, 0]],
    [[2011, 5, 29, 3, 11], [2011, 6, 1, 0, 0]]);
  expectNext({ month: [3, 6], dayOfMonth: [15] },
    [[2011, 2, 12, 3, 11], [2011, 3, 15, 0, 0]],
    [[2011, 3, 12, 3, 11], [2011, 3, 15, 0, 0]]);
  expectNext({ dayOfMonth: 10 },
    [[2011, 1, 9, 3, 0], [2011, 1, 10, 0, 0]],
    [[2011, 1, 10, 3, 0], [2011, 1, 10, 4, 0]],
    [[2011, 1, 30, 3, 0], [2011, 2, 10, 0, 0]],
    [[2011, 12, 30, 11, 0], [2012, 1, 10, 0, 0]]);
  expectNext({ dayOfMonth: [10, 20, 30] },
    [[2011, 1, 9, 22, 0], [2011, 1, 10, 0, 0]],
    [[2011, 1, 19, 22, 0], [2011, 1, 20, 0, 0]],
    [[2011, 1, 29, 22, 0], [2011, 1, 30, 0, 0]],
    [[2011, 2, 28, 22, 0], [2011, 3, 10, 0, 0]]);
  expectNext({ dayOfMonth: 15, hour: 20, minute: 30 },
    [[2011, 1, 13, 22, 19], [2011, 1, 15, 20, 30]],
    [[2011, 1, 15, 19, 19], [2011, 1, 15, 20, 30]],
    [[2011, 1, 15, 20, 29], [2011, 1, 15, 20, 30]]);
});

// 2011-01-01 was a Saturday: 2011-01-03 a Monday, 01-04 a Tuesday, 01-06 a Thursday.
test('dayOfWeek counts from Monday = 0 as in Buildbot, as a number, a string or a list', () => {
  expectNext({ dayOfWeek: 1 },
    [[2011, 1, 3, 22, 19], [2011, 1, 4, 0, 0]],
    [[2011, 1, 4, 19, 19], [2011, 1, 4, 20, 0]]);
  expectNext({ dayOfWeek: '1' },
    [[2011, 1, 3, 22, 19], [2011, 1, 4, 0, 0]],
    [[2011, 1, 4, 19, 19], [2011, 1, 4, 20, 0]]);
  expectNext({ dayOfWeek: [1, 3], hour: 1 },
    [[2011, 1, 3, 22, 19], [2011, 1, 4, 1, 0]],
    [[2011, 1, 4, 22, 19], [2011, 1, 6, 1, 0]]);
});

test('dayOfWeek 0 is Monday and 6 is Sunday', () => {
  expectNext({ dayOfWeek: 0, hour: 3 }, [[2011, 1, 1, 12, 0], [2011, 1, 3, 3, 0]]);
  expectNext({ dayOfWeek: 6, hour: 3 }, [[2011, 1, 1, 12, 0], [2011, 1, 2, 3, 0]]);
  expectNext({ dayOfWeek: [5, 6], hour: 3 }, [[2011, 1, 2, 12, 0], [2011, 1, 8, 3, 0]]);
});

test('a dayOfWeek string mixing day names and numbers converts only the numbers', () => {
  // Buildbot's "tue,3": Tuesday by name, Thursday by number.
  expectNext({ dayOfWeek: 'tue,3' },
    [[2011, 1, 3, 22, 19], [2011, 1, 4, 0, 0]],
    [[2011, 1, 4, 19, 19], [2011, 1, 4, 20, 0]],
    [[2011, 1, 5, 22, 19], [2011, 1, 6, 0, 0]],
    [[2011, 1, 6, 19, 19], [2011, 1, 6, 20, 0]]);
});

test('dayOfWeek and dayOfMonth together fire on either, as cron does', () => {
  expectNext({ dayOfWeek: [1, 4], dayOfMonth: 5, hour: 1 },
    [[2011, 1, 3, 22, 19], [2011, 1, 4, 1, 0]],
    [[2011, 1, 4, 22, 19], [2011, 1, 5, 1, 0]],
    [[2011, 1, 5, 22, 19], [2011, 1, 7, 1, 0]]);
});

test('a cron expression is used as written, with Sunday = 0 as in cron', () => {
  assert.equal(cronExpression({ cron: '0 3 * * 0' }), '0 3 * * 0');
  assert.throws(() => cronExpression({ cron: 3 as unknown as string }), /cron must be a string/);
});
