/** Plain timestamped log lines (no dependency): the worker log is meant to be read by people and grep. */
export type LogLine = (message: string) => void;

export function lineLogger(write: (text: string) => void = (t) => process.stdout.write(t)): LogLine {
  return (message) => write(`${new Date().toISOString()} ${message}\n`);
}

export const silentLog: LogLine = () => undefined;
