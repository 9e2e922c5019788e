import type { ActionVocabulary } from './actionVocabulary.js';
import { createDecoder, type InvalidReason } from './decoder.js';
import { toMessage, type UserEvent } from './event.js';
import { type EventFileFormat, type EventRecord, readEventRecords } from './eventFiles.js';
import { type SyntheticOptions, syntheticEvents } from './synthetic.js';

/**
 * Where events come from for replay and training: a file, the synthetic generator, or records read
 * elsewhere (such as a window of the input topic).
 */
export type EventSource =
  | { kind: 'file'; file: string; format: EventFileFormat }
  | { kind: 'synthetic'; options: Partial<SyntheticOptions> }
  | { kind: 'records'; description: string; records: Iterable<EventRecord> };

export function describeSource(source: EventSource): string {
  if (source.kind === 'records') return source.description;
  return source.kind === 'file'
    ? `${source.format}:${source.file}`
    : `synthetic:${JSON.stringify(source.options)}`;
}

async function* syntheticRecords(options: Partial<SyntheticOptions>): AsyncGenerator<EventRecord> {
  let line = 0;
  for (const event of syntheticEvents(options)) {
    yield { key: event.userId, value: JSON.stringify(toMessage(event)), line: ++line };
  }
}

async function* givenRecords(records: Iterable<EventRecord>): AsyncGenerator<EventRecord> {
  yield* records;
}

export function sourceRecords(source: EventSource): AsyncIterable<EventRecord> {
  if (source.kind === 'records') return givenRecords(source.records);
  return source.kind === 'file'
    ? readEventRecords(source.file, source.format)
    : syntheticRecords(source.options);
}

export interface LoadedEvents {
  events: UserEvent[];
  invalid: Partial<Record<InvalidReason, number>>;
}

/**
 * Reads a source into validated events, with the same decoder the worker uses, so training sees
 * exactly what scoring would accept. Rejected records are counted by reason, not silently dropped.
 */
export async function loadEvents(
  source: EventSource,
  vocabulary: ActionVocabulary,
  limit?: number,
): Promise<LoadedEvents> {
  const decode = createDecoder({
    vocabulary,
    maxBytes: 1024 * 1024,
    maxFutureSkewMs: Number.POSITIVE_INFINITY,
  });
  const events: UserEvent[] = [];
  const invalid: Partial<Record<InvalidReason, number>> = {};
  for await (const record of sourceRecords(source)) {
    if (limit !== undefined && events.length >= limit) break;
    const result = decode(Buffer.from(record.value), record.key === null ? null : Buffer.from(record.key));
    if (result.ok) events.push(result.event);
    else invalid[result.reason] = (invalid[result.reason] ?? 0) + 1;
  }
  return { events, invalid };
}
