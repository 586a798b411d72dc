/**
 * One pino logger for every rewind process: JSON in production (serve.ts, whatever the terminal),
 * short readable lines (pino-pretty) for the sandbox when stdout is a terminal.
 * Secrets never reach a log line: token-like keys are redacted wherever they appear,
 * and Slack / Temporal credentials are scrubbed from free text too.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'botToken',
  '*.botToken',
  'signingSecret',
  '*.signingSecret',
  'appToken',
  '*.appToken',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers["x-slack-signature"]',
  'clientKey',
  '*.clientKey',
  'keyData',
  '*.keyData',
];

/** Tokens that must never be printed even inside messages: Slack bot, user and app tokens, bearer values. */
const SECRET_TEXT = /\b(xox[abprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+)/g;
/**
 * A "token" field inside JSON text, e.g. the legacy verification token in every Slack payload,
 * which Bolt's Socket Mode client prints whole at debug level.
 */
const TOKEN_FIELD_TEXT = /"(token|app_token|bot_token|signing_secret)"\s*:\s*"[^"]*"/g;
export const scrubSecrets = (text: string): string =>
  text.replace(SECRET_TEXT, '[Redacted]').replace(TOKEN_FIELD_TEXT, '"$1":"[Redacted]"');

/**
 * Keys a person at a terminal does not need on every line: which SDK part and queue said it is in the message already.
 */
const PRETTY_IGNORE = 'pid,hostname,name,component,sdkComponent,taskQueue';

/**
 * @param opts.pretty whether this process may print for a person (the sandbox): then, on a
 * terminal and without LOG_FORMAT=json, one short line per record. Default JSON.
 */
export function createLogger(
  name = 'rewind',
  level = process.env.LOG_LEVEL ?? 'info',
  opts: { pretty?: boolean } = {},
): Logger {
  const pretty = opts.pretty === true && process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
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
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, ignore: PRETTY_IGNORE, translateTime: 'SYS:HH:MM:ss', singleLine: true },
          },
        }
      : {}),
  });
}
