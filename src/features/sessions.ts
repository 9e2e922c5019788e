/** A gap longer than this between two events of a user starts a new session. */
export const SESSION_GAP_MS = 30 * 60_000;

/** 1-based position of each event in its session, for a user's events in time order. */
export function sessionPositions(events: readonly { tsMs: number }[]): number[] {
  const positions: number[] = [];
  events.forEach((event, i) => {
    const previous = events[i - 1];
    positions.push(
      previous && event.tsMs - previous.tsMs <= SESSION_GAP_MS ? (positions[i - 1] as number) + 1 : 1,
    );
  });
  return positions;
}
