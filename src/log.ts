/**
 * One pino logger for every rewind process: JSON in production, pretty in a terminal.
 * Secrets never reach a log line: token-like keys are redacted wherever they appear,
 * and Slack / Temporal credentials are scrubbed from free text too.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'token', '*.token', '*.*.token', 'botToken', '*.botToken', 'signingSecret', '*.signingSecret', 'appToken', '*.appToken',
  'apiKey', '*.apiKey', 'password', '*.password', 'authorization', '*.authorization', '*.headers.authorization',
  'headers.authorization', 'req.headers.authorization', '*.headers["x-slack-signature"]', 'clientKey', '*.clientKey', 'keyData', '*.keyData',
];

/** Tokens that must never be printed even inside messages: Slack bot, user and app tokens, bearer values. */
const SECRET_TEXT = /\b(xox[abprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+)/g;
export const scrubSecrets = (text: string): string => text.replace(SECRET_TEXT, '[Redacted]');

export function createLogger(name = 'rewind', level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as typeof args;
        method.apply(this, scrubbed);
      },
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
}

export const log = createLogger();
