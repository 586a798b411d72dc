/**
 * Runs `work` after `firstDelayMs` (default: at once) and then `intervalMs` after each run ends
 * (never two at once), for the collectors that read the world on a timer. A failed run is
 * reported and the next one comes all the same.
 */
export interface Repeating {
  /** Stops the timer and waits for the run in flight. */
  stop(): Promise<void>;
}

export function every(
  intervalMs: number,
  work: () => Promise<void>,
  onError: (err: unknown) => void,
  firstDelayMs = 0,
): Repeating {
  let stopped = false,
    timer: NodeJS.Timeout | undefined,
    current: Promise<void> | undefined;
  const loop = () => {
    current = work()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };
  if (firstDelayMs > 0) timer = setTimeout(loop, firstDelayMs);
  else loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
