/** What a page gets: live events, the session, and a place to register cleanup for when it is left. */
import type { Live, EventHandler } from './live.js';
import type { Session } from './session.js';

export interface PageContext {
  readonly live: Live;
  readonly session: Session;
  /** Aborted when the user leaves the page: pass to fetches, check before touching the DOM. */
  readonly signal: AbortSignal;
  /** Subscribes for the page's lifetime. */
  subscribe(path: string, handler: EventHandler): void;
  /** Runs `fn` after a /ws reconnect (events were missed: refetch) for the page's lifetime. */
  onResync(fn: () => void): void;
  /** Registers cleanup to run when the page is left. */
  onDispose(fn: () => void): void;
  setTitle(title: string): void;
}

export type Page = (ctx: PageContext, params: Record<string, string>) => Promise<HTMLElement> | HTMLElement;
