/**
 * A promise-chain mutex per key. Concurrent activities in one worker share a cached clone, and
 * git's index, HEAD and worktree list are not safe to touch from two operations at once.
 */
export interface KeyedMutex {
  /** Runs `op` once every earlier operation on `key` has settled; failures do not block later ones. */
  run<T>(key: string, op: () => Promise<T>): Promise<T>;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, op: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(op, op);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      // Drop the entry once idle so a long-lived worker does not keep one promise per repo forever.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
