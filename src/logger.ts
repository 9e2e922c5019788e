import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs on stderr, so that commands which print results on stdout stay pipeable. */
export function createLogger(level: string, name = 'seqscore'): Logger {
  return pino({ name, level }, pino.destination({ dest: 2, sync: false }));
}
