/**
 * Routes the Temporal SDK's own logs (worker, workflow `log`, Rust core) into pino, so one
 * redacting logger sees everything. Must run before any Worker or NativeConnection exists.
 */
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const child = logger.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    // The worker logs webpack's report on the workflow bundle (kilobytes of module lists) at INFO:
    // debug is where it belongs.
    const fn =
      level === 'INFO' && isBundlerReport(message)
        ? 'debug'
        : ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[level];
    child[fn]({ ...meta }, message);
  };
  Runtime.install({
    logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as LogLevel | undefined) ?? 'INFO', (entry) =>
      write(entry.level, entry.message, entry.meta),
    ),
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
}

/**
 * webpack's stats text, as @temporalio/worker's bundler logs it once a bundle compiles ("… webpack
 * 5.x compiled successfully in N ms").
 */
export const isBundlerReport = (message: string): boolean => /\bwebpack [\d.]+ compiled\b/.test(message);
