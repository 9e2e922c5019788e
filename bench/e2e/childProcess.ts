/** Stops a benchmark worker cleanly on SIGTERM/SIGINT; exits 1 if stopping fails. */
export function runUntilSignal(stop: () => Promise<void>): void {
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
