import type { IHeaders } from 'kafkajs';

/**
 * A rejected input message on its way to the dead-letter topic. The value and key are the original
 * bytes, untouched, so the message can be fixed and replayed; why and where from travel in headers.
 */
export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  detail: string;
  source: { topic: string; partition: number; offset: string };
}

export const DEAD_LETTER_HEADERS = {
  reason: 'seqscore-dlq-reason',
  detail: 'seqscore-dlq-detail',
  topic: 'seqscore-source-topic',
  partition: 'seqscore-source-partition',
  offset: 'seqscore-source-offset',
  rejectedAt: 'seqscore-rejected-at',
} as const;

export function deadLetterHeaders(letter: DeadLetter, rejectedAtMs: number): IHeaders {
  return {
    [DEAD_LETTER_HEADERS.reason]: letter.reason,
    [DEAD_LETTER_HEADERS.detail]: letter.detail.slice(0, 1_000),
    [DEAD_LETTER_HEADERS.topic]: letter.source.topic,
    [DEAD_LETTER_HEADERS.partition]: String(letter.source.partition),
    [DEAD_LETTER_HEADERS.offset]: letter.source.offset,
    [DEAD_LETTER_HEADERS.rejectedAt]: new Date(rejectedAtMs).toISOString(),
  };
}
