import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON logs on stderr, so that commands which print results on stdout stay pipeable; or into a file,
 * for commands (like the demo) whose terminal output is for people.
 */
export function createLogger(level: string, file?: string): Logger {
  return pino(
    { name: 'seqscore', level },
    pino.destination(file ? { dest: file, mkdir: true, sync: false } : { dest: 2, sync: false }),
  );
}

export interface ErrorSummary {
  name: string;
  message: string;
  type?: string;
  code?: string;
}

/**
 * An error as logged: its name, message and codes only. Errors can carry much more as properties
 * (ioredis attaches the failed command with its arguments, which are event data), and none of that
 * may reach the logs.
 */
export function errorSummary(error: unknown): ErrorSummary {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error).slice(0, 500) };
  const summary: ErrorSummary = { name: error.name, message: error.message.slice(0, 500) };
  const { type, code } = error as { type?: unknown; code?: unknown };
  if (typeof type === 'string') summary.type = type;
  if (typeof code === 'string') summary.code = code;
  return summary;
}
