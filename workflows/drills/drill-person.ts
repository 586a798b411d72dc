import type { PersonRef } from '../types.js';

/** The author of drill commits and the requester of drill runs, so they are never mistaken for a person's. */
export const DRILL_PERSON: PersonRef = {
  handle: 'rewind-drill',
  name: 'rewind game day',
  email: 'rewind-drill@localhost',
};
