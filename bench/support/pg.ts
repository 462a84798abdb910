/**
 * PostgreSQL for the scenarios' second engine: the server at MASTRO_BENCH_PG_URL, or a throwaway
 * server the bench starts itself (Debian's binaries run as the `postgres` user in a temp dir on an
 * ephemeral port, as `.ci/run` does; needs root). Every scenario run gets a fresh database of its
 * own, dropped afterwards.
 */
import { PgServer, pgServerUnavailable } from '../../test/support/pg-server.js';
import { freshPgDatabase } from '../../test/support/master-harness.js';

export interface BenchPg {
  /** Where the server comes from, for the notes. */
  readonly origin: string;
  /** A new, empty database; `drop()` removes it. */
  freshDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
  close(): Promise<void>;
}

/** The PostgreSQL to use, or the reason there is none (printed; the SQLite figures stay). */
export async function openBenchPg(): Promise<BenchPg | { unavailable: string }> {
  const fresh = async (base: string) => (await freshPgDatabase(base, 'mastro_bench'))!;
  const given = process.env.MASTRO_BENCH_PG_URL;
  if (given) return { origin: 'MASTRO_BENCH_PG_URL', freshDatabase: () => fresh(given), close: async () => {} };
  const why = pgServerUnavailable();
  if (why) return { unavailable: `${why}; or set MASTRO_BENCH_PG_URL=postgresql://user@host:port/db (the bench creates and drops databases there)` };
  const server = await PgServer.start();
  return {
    origin: `a throwaway PostgreSQL server started by the bench (Debian's binaries, default settings, ${server.url.replace(/\/postgres$/, '')})`,
    freshDatabase: () => fresh(server.url),
    close: async () => server.destroy(),
  };
}
