/** What every listener needs, passed in at registration so callbacks stay testable with fakes. */
import type { Logger } from 'pino';
import type { Rewind } from '../../runs.js';

export interface ListenerDeps {
  rewind: Rewind;
  logger: Logger;
}
