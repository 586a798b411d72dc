/**
 * The message a person should read for a failure: activity failures arrive wrapped
 * (ActivityFailure → ApplicationFailure), and the innermost cause says what went wrong.
 */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e && typeof e === 'object' && 'cause' in e && (e as { cause?: unknown }).cause)
    e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}
