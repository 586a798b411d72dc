/**
 * The Bolt app over Socket Mode: for a worker with no public ingress (a private cluster, behind
 * a firewall). Instead of Slack posting to /slack/events, the app opens the connection itself:
 * `apps.connections.open` with the app-level token (xapp-…, scope connections:write) returns a
 * one-time WebSocket URL; Slack greets with `hello` and then sends each slash command, click and
 * event as an envelope, which the listeners ack over the same socket within 3 s. Slack asks for a
 * fresh connection from time to time (`disconnect`, reason refresh_requested); Bolt's client
 * then opens a new link and keeps serving.
 *
 * Bolt's own SocketModeReceiver and @slack/socket-mode 3.1.0 do the protocol; they run on
 * Node 20 as long as undici stays at 7 (package.json pins it; socket-mode accepts ^7 || ^8).
 *
 * Security: there is no request signature in Socket Mode. The app token authenticates the
 * connection, so it is as secret as the signing secret (never logged: ../log.ts scrubs xapp-
 * and Bearer values, and Bolt's logger goes through boltLogger). Who acts is still the
 * payload's Slack user id mapped through people.*.slack, exactly as over HTTP.
 */
import { SocketModeReceiver, type App } from '@slack/bolt';
import type { Logger } from 'pino';
import { boltLogger, slackBoltApp, type SlackBaseOptions } from './app.js';

export interface SlackSocketAppOptions extends SlackBaseOptions {
  /** App-level token (xapp-…) with connections:write; never logged. */
  appToken: string;
  /** Base URL for apps.connections.open; default slackApiUrl, else Slack (the loopback stand-in in tests). */
  socketApiUrl?: string;
  /**
   * Bolt's client ping timeout: a pong must come back within it, and it is also the step of the
   * reconnect back-off (n × it after n failed tries in a row). Default 5000 ms, Bolt's.
   */
  clientPingTimeoutMs?: number;
}

export interface SlackSocketApp {
  app: App;
  /** Resolves at Slack's hello; rejects with a SlackSocketStartError that says what to fix. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Socket Mode could not start; the message is for the operator reading the log. */
export class SlackSocketStartError extends Error {
  constructor(
    message: string,
    readonly slackError?: string,
  ) {
    super(message);
    this.name = 'SlackSocketStartError';
  }
}

const TOKEN_HINT =
  'SLACK_APP_TOKEN must be an app-level token (xapp-…) with the connections:write scope, from ' +
  "the Slack app's Basic Information page, with Socket Mode enabled under Settings → Socket Mode";

/** Why Socket Mode did not start, in words an operator can act on. Never includes the token. */
export function explainSocketStartError(err: unknown): SlackSocketStartError {
  const e = err as {
    code?: string;
    data?: { error?: string };
    statusCode?: number;
    original?: { message?: string };
    message?: string;
  };
  if (e?.code === 'slack_webapi_platform_error') {
    const what = e.data?.error ?? 'unknown';
    const why: Record<string, string> = {
      not_authed: 'no app token reached Slack',
      invalid_auth: 'Slack refused the app token (invalid_auth): it is wrong, revoked or from another app',
      not_allowed_token_type:
        'Slack refused the token type (not_allowed_token_type): that is a bot or user token, not an app-level token',
      account_inactive: 'the app token belongs to a deactivated account or app (account_inactive)',
      team_disabled: 'the workspace is disabled (team_disabled)',
    };
    return new SlackSocketStartError(
      `Slack Socket Mode did not start: ${why[what] ?? `apps.connections.open answered ${what}`}. ${TOKEN_HINT}.`,
      what,
    );
  }
  if (e?.code === 'slack_webapi_request_error') {
    return new SlackSocketStartError(
      `Slack Socket Mode did not start: apps.connections.open could not be ` +
        `reached (${e.original?.message ?? e.message ?? 'request failed'}). ` +
        `The worker needs outbound HTTPS to slack.com and to wss-*.slack.com.`,
    );
  }
  if (e?.code === 'slack_webapi_http_error') {
    return new SlackSocketStartError(
      `Slack Socket Mode did not start: apps.connections.open answered HTTP ${e.statusCode ?? '?'}.`,
    );
  }
  return new SlackSocketStartError(`Slack Socket Mode did not start: ${e?.message ?? String(err)}`);
}

export function createSlackSocketApp(opts: SlackSocketAppOptions): SlackSocketApp {
  const logger: Logger = opts.logger.child({ component: 'slack' });
  if (!opts.appToken.startsWith('xapp-')) {
    throw new SlackSocketStartError(
      `Slack Socket Mode did not start: the app token does not start with xapp-. ${TOKEN_HINT}.`,
    );
  }
  const apiUrl = opts.socketApiUrl ?? opts.slackApiUrl;
  const receiver = new SocketModeReceiver({
    appToken: opts.appToken,
    logger: boltLogger(logger),
    ...(opts.clientPingTimeoutMs ? { clientPingTimeout: opts.clientPingTimeoutMs } : {}),
    // No customRoutes and no installer: Socket Mode opens no port (the worker's probes are on REWIND_PROBE_PORT).
    installerOptions: { clientOptions: apiUrl ? { slackApiUrl: apiUrl } : {} },
  });
  const client = receiver.client;
  let connections = 0;
  client.on('connected', () => {
    connections += 1;
    logger.info(
      { transport: 'socket-mode', connections },
      connections === 1 ? 'Slack app connected over Socket Mode' : 'Slack app reconnected over Socket Mode',
    );
  });
  client.on('reconnecting', () =>
    logger.info({ transport: 'socket-mode' }, 'Slack Socket Mode connection closed; opening a new one'),
  );
  const app = slackBoltApp(opts, receiver, logger);
  let started = false;

  return {
    app,
    async start() {
      try {
        await app.start();
        started = true;
      } catch (err) {
        const explained = explainSocketStartError(err);
        logger.error({ slackError: explained.slackError }, explained.message);
        // The client may still hold a half-open socket or a retry timer.
        await client.disconnect().catch(() => undefined);
        throw explained;
      }
    },
    async stop() {
      // Bolt's receiver.stop() does not wait for the close handshake; wait for it here (bounded).
      if (!started) return;
      started = false;
      const closed = new Promise<void>((resolve) => {
        client.once('disconnected', () => resolve());
      });
      await app.stop();
      await Promise.race([
        closed,
        new Promise<void>((resolve) => {
          setTimeout(resolve, 3000).unref();
        }),
      ]);
    },
  };
}
