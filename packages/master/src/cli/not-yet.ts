/** Commands planned in issue 4: they say so instead of pretending to work. */
import { CliError, type Io } from './io.js';

export function notYetImplemented(command: string) {
  return async (_argv: string[], _io: Io): Promise<number> => {
    throw new CliError(`'mastro ${command}' is not implemented yet (planned in issue 4: change sources and try jobs); nothing was sent`, 3);
  };
}
