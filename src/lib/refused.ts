/** A refusal, apart from ./runs.ts so that code which only refuses (the CLI's definitions) loads no Temporal client. */

/** Thrown when a request is refused before anything changes; the message says what to do instead. */
export class RefusedError extends Error {
  constructor(
    message: string,
    readonly code: 'unknown-target' | 'not-authorized' | 'bad-input' | 'busy' | 'not-found',
  ) {
    super(message);
    this.name = 'RefusedError';
  }
}
