/**
 * Test helper: the database engines to run a suite on. SQLite (in memory) always; PostgreSQL when
 * MASTRO_TEST_PG_URL is set, each opened database in its own fresh schema, dropped at close.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase, type Db } from '../../src/db/index.js';

export interface TestEngine { name: 'sqlite' | 'postgresql'; open(): Promise<Db> }

export function engines(): TestEngine[] {
  const list: TestEngine[] = [{ name: 'sqlite', open: () => openDatabase('sqlite::memory:') }];
  const pgUrl = process.env.MASTRO_TEST_PG_URL;
  if (pgUrl) {
    list.push({
      name: 'postgresql',
      async open() {
        const schema = `test_${randomBytes(6).toString('hex')}`;
        const db = await openDatabase(pgUrl, { schema, poolSize: 4 });
        const close = db.close.bind(db);
        // Drop the schema when the test closes its database so runs leave nothing behind.
        (db as { close: () => Promise<void> }).close = async () => {
          await close();
          const pg = (await import('pg')).default;
          const c = new pg.Client({ connectionString: pgUrl });
          await c.connect();
          try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
        };
        return db;
      },
    });
  }
  return list;
}
