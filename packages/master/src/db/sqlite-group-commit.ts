/**
 * Group commit for the embedded SQLite database. Every write that SQLite commits on its own appends
 * each page it touched (table and index pages) to the WAL: a build made ~17 such commits, and they
 * were the largest part of the master's database time. Here the first write of an event-loop turn
 * opens one transaction (`BEGIN IMMEDIATE`) that every further statement of the turn joins, and a
 * `setImmediate` commits it once the turn's I/O callbacks and their promise chains have run: one
 * commit per turn, however many builds wrote in it.
 *
 * What this means for callers:
 *  - this process reads its own writes at once (one connection); other processes see them after the
 *    commit, a few microseconds later;
 *  - a query resolves before its turn is committed, so a process killed in between loses that turn's
 *    writes as a unit (as if it had died a moment earlier). Anything acknowledged to the outside
 *    world (a change hook's reply, a forced build) first awaits `durable()`; internal chains must
 *    not (a scheduler awaiting it per buildset would add one buildset per turn, ~40% fewer builds/s);
 *  - Kysely's own transactions become savepoints inside the turn's transaction, so their
 *    all-or-nothing meaning is unchanged; a failing statement is undone alone (SQLite's default).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export interface GroupCommitSqliteDatabase extends SqliteDatabase {
  /** Resolves once every write made so far is committed (rejects if that commit failed). */
  durable(): Promise<void>;
  /** Commits the open transaction now, if any (close and tests). */
  commitNow(): void;
  /**
   * True while a Kysely transaction holds the connection (it may await between its statements):
   * a statement run directly now would land inside its savepoint, so direct callers go through
   * Kysely instead, which queues them behind it.
   */
  readonly kyselyTransactionOpen: boolean;
  /**
   * Runs `fn` (synchronous statements only) inside a savepoint of the turn's transaction: all of its
   * writes stay or, if it throws, none do. Nothing else can run in between, so no lock is needed.
   */
  atomically<T>(fn: () => T): T;
}

/** The savepoint that stands for a Kysely transaction inside the turn's transaction. */
const SAVEPOINT = 'mastro_txn';

export function groupCommitSqliteDatabase(raw: Database, inner: SqliteDatabase): GroupCommitSqliteDatabase {
  const begin = raw.prepare('BEGIN IMMEDIATE');
  const commit = raw.prepare('COMMIT');
  const rollback = raw.prepare('ROLLBACK');
  const savepoint = raw.prepare(`SAVEPOINT ${SAVEPOINT}`);
  const release = raw.prepare(`RELEASE ${SAVEPOINT}`);
  const rollbackTo = raw.prepare(`ROLLBACK TO ${SAVEPOINT}`);
  let open = false;
  let scheduled = false;
  let explicitDepth = 0;
  let waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  /** A failed group commit: its writes are lost, so the next write reports it rather than carrying on silently. */
  let failed: unknown = null;

  const ensureOpen = (): void => {
    if (failed) {
      const err = failed;
      failed = null;
      throw new Error(`an earlier group commit of the SQLite database failed, its writes were lost: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    // SQLite may have rolled the transaction back by itself (e.g. disk full): start a new one.
    if (open && !raw.inTransaction) open = false;
    if (open) return;
    begin.run();
    open = true;
    if (!scheduled) { scheduled = true; setImmediate(commitTurn); }
  };

  const settle = (err: unknown): void => {
    const ws = waiters;
    waiters = [];
    for (const w of ws) if (err) w.reject(err); else w.resolve();
  };

  const commitOpen = (): void => {
    if (!open) return;
    open = false;
    if (raw.inTransaction) commit.run();
  };

  function commitTurn(): void {
    scheduled = false;
    // A Kysely transaction still running (it awaited something other than SQL): commit after it.
    if (explicitDepth > 0) { scheduled = true; setImmediate(commitTurn); return; }
    try {
      commitOpen();
      settle(null);
    } catch (err) {
      if (raw.inTransaction) { try { rollback.run(); } catch { /* nothing more to undo */ } }
      failed = err;
      settle(err);
    }
  }

  /** Runs `stmt` inside the turn's transaction when it writes; reads outside one stay autocommit reads. */
  const wrapped = new WeakMap<SqliteStatement, SqliteStatement>();
  const wrap = (stmt: SqliteStatement): SqliteStatement => {
    if ((stmt as unknown as Statement).readonly) return stmt;
    let w = wrapped.get(stmt);
    if (!w) wrapped.set(stmt, (w = writing(stmt)));
    return w;
  };
  const writing = (stmt: SqliteStatement): SqliteStatement => {
    return {
      reader: stmt.reader,
      all: (p) => { ensureOpen(); return stmt.all(p); },
      run: (p) => { ensureOpen(); return stmt.run(p); },
      iterate: (p) => { ensureOpen(); return stmt.iterate(p); },
    };
  };

  /** Kysely's begin/commit/rollback, mapped onto a savepoint of the turn's transaction. */
  const control = (run: () => void): SqliteStatement => ({
    reader: false,
    all: () => { run(); return []; },
    run: () => { run(); return { changes: 0, lastInsertRowid: 0 }; },
    iterate: () => { run(); return [][Symbol.iterator](); },
  });
  const beginTxn = control(() => { ensureOpen(); savepoint.run(); explicitDepth++; });
  const commitTxn = control(() => {
    explicitDepth--;
    if (!raw.inTransaction) throw new Error('the SQLite transaction was rolled back by the database (see the error before this one); nothing of it was stored');
    release.run();
  });
  const rollbackTxn = control(() => {
    explicitDepth--;
    if (!raw.inTransaction) return;
    rollbackTo.run();
    release.run();
  });

  return {
    prepare(sql: string): SqliteStatement {
      switch (sql) {
        case 'begin': return beginTxn;
        case 'commit': return commitTxn;
        case 'rollback': return rollbackTxn;
        default: return wrap(inner.prepare(sql));
      }
    },
    close() {
      try { commitOpen(); settle(null); } catch (err) { settle(err); }
      inner.close();
    },
    commitNow() { if (explicitDepth === 0) commitTurn(); },
    get kyselyTransactionOpen() { return explicitDepth > 0; },
    atomically<T>(fn: () => T): T {
      ensureOpen();
      savepoint.run();
      let result: T;
      try {
        result = fn();
      } catch (err) {
        // SQLite may have rolled everything back by itself (e.g. disk full): then there is nothing to undo.
        if (raw.inTransaction) { rollbackTo.run(); release.run(); }
        throw err;
      }
      release.run();
      return result;
    },
    durable() {
      if (!open) return Promise.resolve();
      return new Promise((resolve, reject) => { waiters.push({ resolve, reject }); });
    },
  };
}
