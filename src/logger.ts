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
