import type { UserEvent } from '../events/event.js';

/** One event as kept in a user's window: what the model needs, and the eventId for audits. */
export interface WindowEntry {
  eventId: string;
  itemId: string;
  categoryId: string | null;
  action: string;
  tsMs: number;
}

type EncodedEntry = [string, string, string | null, string, number];

export function toWindowEntry(event: UserEvent): WindowEntry {
  return {
    eventId: event.eventId,
    itemId: event.itemId,
    categoryId: event.categoryId ?? null,
    action: event.action,
    tsMs: event.tsMs,
  };
}

/**
 * A JSON array rather than an object: the field names would be most of the bytes. The event time
 * stays the last element: lua/userEvents-4.lua reads it from there to order the window.
 */
export function encodeWindowEntry(entry: WindowEntry): string {
  const encoded: EncodedEntry = [entry.eventId, entry.itemId, entry.categoryId, entry.action, entry.tsMs];
  return JSON.stringify(encoded);
}

export function decodeWindowEntry(text: string): WindowEntry {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || value.length !== 5)
    throw new Error(`malformed window entry: ${text.slice(0, 80)}`);
  const [eventId, itemId, categoryId, action, tsMs] = value as EncodedEntry;
  return { eventId, itemId, categoryId, action, tsMs };
}
