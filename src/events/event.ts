/**
 * The user event as seqscore sees it after validation: ids as strings (producers may send numbers),
 * the action resolved to its canonical name, and the event time in epoch milliseconds.
 */
export interface UserEvent {
  eventId: string;
  userId: string;
  itemId: string;
  categoryId?: string;
  action: string;
  tsMs: number;
  attrs?: Record<string, unknown>;
}

/** The wire form of an event: what producers put on the input topic, as JSON. */
export interface UserEventMessage {
  eventId: string;
  userId: string | number;
  itemId: string | number;
  categoryId?: string | number;
  action: string;
  ts: string | number;
  attrs?: Record<string, unknown>;
}

export function toMessage(event: UserEvent): UserEventMessage {
  const message: UserEventMessage = {
    eventId: event.eventId,
    userId: event.userId,
    itemId: event.itemId,
    action: event.action,
    ts: event.tsMs,
  };
  if (event.categoryId !== undefined) message.categoryId = event.categoryId;
  if (event.attrs !== undefined) message.attrs = event.attrs;
  return message;
}
