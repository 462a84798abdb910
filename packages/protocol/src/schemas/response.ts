/** The answer to any request: same `seq_number`, the handler's `result`, and `is_exception` on failure. */
import { messageSchema, type Envelope } from './common.js';

export interface ResponseMessage extends Envelope<'response'> {
  /** The request's result; on exception, the error text. */
  result?: unknown;
  /** Present and true when the request failed. Buildbot only tests its presence; we require a boolean. */
  is_exception?: boolean;
}
export const responseSchema = messageSchema('response', {
  result: {},
  is_exception: { type: 'boolean' },
}, []);
