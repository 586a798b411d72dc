/**
 * The Prometheus HTTP API, as much as a verification check needs: one instant query
 * (`GET /api/v1/query`), its vector or scalar read as numbers. Only fetches; the check's
 * threshold and windows are judged in workflows/verification/types.ts.
 */

export interface InstantValue {
  /**
   * The worst series' value for the threshold (the highest for max, the lowest for min); undefined
   * when the query returned no data.
   */
  value?: number;
  /** How many series the query returned. */
  series: number;
  /** The worst series' labels, e.g. `{app="users-api",namespace="users-api-staging"}`. */
  labels?: string;
}

/** Thrown when Prometheus cannot be asked or refuses the query; a bad query (400) is not transient. */
export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

const labelText = (m: Record<string, string> | undefined) =>
  `{${Object.entries(m ?? {})
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Evaluates `query` now; picks the series that is worst for the threshold (`worst: 'max'` = highest value). */
export async function instantQuery(
  baseUrl: string,
  query: string,
  worst: 'max' | 'min',
  timeoutMs = 10_000,
): Promise<InstantValue> {
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/query?${new URLSearchParams({ query })}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new PrometheusError(
      `Prometheus at ${baseUrl} cannot be reached: ${(err as Error).message}`,
      undefined,
      false,
    );
  }
  const body = (await res.json().catch(() => undefined)) as QueryResponse | undefined;
  if (!res.ok || body?.status !== 'success') {
    const permanent = res.status === 400 || body?.errorType === 'bad_data';
    throw new PrometheusError(
      `Prometheus at ${baseUrl} refused the query (HTTP ${res.status}${body?.error ? `: ${body.error}` : ''})`,
      res.status,
      permanent,
    );
  }
  const data = body.data!;
  if (data.resultType === 'scalar') {
    const v = Number((data.result as [number, string])[1]);
    return Number.isNaN(v) ? { series: 0 } : { value: v, series: 1 };
  }
  if (data.resultType !== 'vector')
    throw new PrometheusError(
      `the query returns a ${data.resultType}; a check needs an instant vector or a scalar`,
      400,
      true,
    );
  const series = (data.result as Array<{ metric?: Record<string, string>; value: [number, string] }>)
    .map((r) => ({ v: Number(r.value[1]), labels: labelText(r.metric) }))
    // NaN (0/0: no traffic yet) is no data, not a value.
    .filter((r) => !Number.isNaN(r.v));
  if (!series.length) return { series: 0 };
  const pick = series.reduce((a, b) => ((worst === 'max' ? b.v > a.v : b.v < a.v) ? b : a));
  return { value: pick.v, series: series.length, labels: pick.labels };
}
