/**
 * Publishes a resource event on every routing key Buildbot's `eventPathPatterns` give it, so
 * subscribers can listen at any nesting (['builds', null, 'finished'] or ['builders', '3', 'builds', null, 'new']).
 */
import type { MessageQueue } from '../mq/bus.js';
import type { BuildRequestResource, BuildResource, LogResource, StepResource } from './types.js';

export class EventPublisher {
  constructor(private readonly mq: MessageQueue) {}

  private produce(paths: Array<Array<string | number>>, event: string, msg: unknown): void {
    for (const p of paths) this.mq.publish([...p.map(String), event], msg);
  }

  master(msg: { masterid: number }, event: 'started' | 'stopped'): void { this.produce([['masters', msg.masterid]], event, msg); }
  builder(msg: { builderid: number }, event: 'update'): void { this.produce([['builders', msg.builderid]], event, msg); }
  worker(msg: { workerid: number }, event: string): void { this.produce([['workers', msg.workerid]], event, msg); }
  change(msg: { changeid: number }): void { this.produce([['changes', msg.changeid]], 'new', msg); }
  buildset<T extends { bsid: number }>(msg: T, event: 'new' | 'complete'): void { this.produce([['buildsets', msg.bsid]], event, msg); }
  scheduler(msg: { schedulerid: number }, event: 'updated'): void { this.produce([['schedulers', msg.schedulerid]], event, msg); }

  buildRequest(br: BuildRequestResource, event: string): void {
    this.produce([
      ['buildsets', br.buildsetid, 'builders', br.builderid, 'buildrequests', br.buildrequestid],
      ['buildrequests', br.buildrequestid],
      ['builders', br.builderid, 'buildrequests', br.buildrequestid],
    ], event, br);
  }

  build(b: BuildResource, event: 'new' | 'update' | 'finished'): void {
    this.produce([['builders', b.builderid, 'builds', b.number], ['builds', b.buildid], ['workers', b.workerid, 'builds', b.buildid]], event, b);
  }

  buildProperties(buildid: number, props: unknown): void { this.mq.publish(['builds', String(buildid), 'properties', 'update'], props); }

  step(s: StepResource, event: 'new' | 'started' | 'updated' | 'finished'): void {
    this.produce([['builds', s.buildid, 'steps', s.stepid], ['steps', s.stepid]], event, s);
  }

  log(l: LogResource, event: 'new' | 'append' | 'finished', msg: unknown = l): void {
    this.produce(logPaths(l), event, msg);
  }

  /** Whether a log event would reach anyone: appends skip decoding their lines when not. */
  wantsLog(l: Pick<LogResource, 'logid' | 'stepid' | 'slug'>, event: 'append'): boolean {
    return logPaths(l).some((p) => this.mq.hasSubscribers([...p.map(String), event]));
  }
}

function logPaths(l: Pick<LogResource, 'logid' | 'stepid' | 'slug'>): Array<Array<string | number>> {
  return [['logs', l.logid], ['steps', l.stepid, 'logs', l.slug]];
}
