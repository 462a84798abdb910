/**
 * A reporter kind for the outbox and delivery tests: it records every report it is given and
 * behaves as its spec's `behave(report, attempt)` says (resolve, throw a retryable or permanent
 * TransportError, hang until aborted). Reports are the real generators' (buildStartEnd, ...) on the
 * real data layer; only the far end is this recorder. End-to-end tests use real servers instead.
 */
import { ReporterBase, type Generator, type Report, type ReporterContext, type ReporterSpec } from '../../src/reporters/base.js';
import { REPORTER_KINDS, type ReporterKind, type ReporterKinds } from '../../src/reporters/registry.js';
import { TransportError, TransportErrorCodes } from '../../src/reporters/transport/errors.js';

export interface Sent { reporter: string; eventId: number; kind: string; subjectId: number; body: unknown; attempt: number }

export type Behaviour = (report: Report, attempt: number, ctx: ReporterContext) => Promise<void> | void;

/** Shared by every recording reporter of a test: what was delivered, in order, and waiters. */
export class Recorder {
  readonly sent: Sent[] = [];
  readonly attempts = new Map<number, number>();
  private waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  behaviours = new Map<string, Behaviour>();

  waitFor(pred: (sent: Sent[]) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (pred(this.sent)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; sent: ${JSON.stringify(this.sent.map((s) => [s.reporter, s.kind, s.subjectId]))}`)), timeoutMs);
      this.waiters.push({ pred: () => pred(this.sent), resolve: () => { clearTimeout(t); resolve(); } });
    });
  }

  notify(): void {
    for (const w of [...this.waiters]) if (w.pred()) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(); }
  }
}

class RecordingReporter extends ReporterBase {
  constructor(spec: ReporterSpec, generators: Generator[], private readonly rec: Recorder) { super(spec, 'recording', generators); }

  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const attempt = (this.rec.attempts.get(report.event.id) ?? 0) + 1;
    this.rec.attempts.set(report.event.id, attempt);
    await this.rec.behaviours.get(this.name)?.(report, attempt, ctx);
    this.rec.sent.push({ reporter: this.name, eventId: report.event.id, kind: report.event.kind, subjectId: report.event.subjectId, body: report.body, attempt });
    this.rec.notify();
  }
}

/** The master's kinds plus `recording`, bound to `rec`. */
export function recordingKinds(rec: Recorder): ReporterKinds {
  const kind: ReporterKind = {
    optionKeys: [],
    defaultGenerators: () => [{ kind: 'buildStartEnd' }],
    templateType: 'json',
    check() {},
    create: (spec, generators) => new RecordingReporter(spec, generators, rec),
  };
  return { ...REPORTER_KINDS, recording: kind };
}

export const retryable = (what = 'HTTP 503') => new TransportError(TransportErrorCodes.SERVER_ERROR, `POST http://x/: ${what}; the service failed; it will be retried`, { target: 'POST http://x/', status: 503 });
export const permanent = (what = 'HTTP 422') => new TransportError(TransportErrorCodes.REFUSED, `POST http://x/: ${what}; the service refused the request as invalid`, { target: 'POST http://x/', status: 422, retryable: false });

/** Resolves only when the delivery is aborted (a hung endpoint), then throws the abort's reason. */
export function hangUntilAborted(ctx: ReporterContext): Promise<never> {
  return new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
}
