/** HTTP health probes: GET a service's health_url with a timeout; 2xx is healthy. */
import type { CatalogService } from '../catalog.ts';
import type { HealthProber, ProbeResult } from './types.ts';

export type HealthProberOptions = { timeoutMs: number; fetch?: typeof fetch };

export function createHealthProber(opts: HealthProberOptions): HealthProber {
  const doFetch = opts.fetch ?? fetch;
  return {
    async probe(service: CatalogService, signal: AbortSignal): Promise<ProbeResult | null> {
      const url = service.health_url;
      if (!url) return null;
      signal.throwIfAborted();
      const at = new Date();
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const res = await doFetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]), headers: { accept: 'application/json, text/plain, */*' } });
        const latencyMs = elapsed();
        // Only the status matters; release the connection instead of reading a body that may never end.
        await res.body?.cancel().catch(() => {});
        // `error` explains a missing response; a response's status speaks for itself.
        return { service: service.name, url, ok: res.ok, status: res.status, latencyMs, error: null, at };
      } catch (err) {
        // The caller gave up (agent timeout, cancellation): that is not a fact about the service.
        if (signal.aborted) throw signal.reason;
        return { service: service.name, url, ok: false, status: null, latencyMs: elapsed(), error: describeFailure(err), at };
      }
    },
  };
}

const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
};

/** Short, stable words for why no response arrived ('timeout', 'connection refused', …). */
export function describeFailure(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  // undici wraps the socket error: TypeError('fetch failed', { cause }) — sometimes an AggregateError of per-address attempts.
  let cause: unknown = err instanceof Error && err.cause !== undefined ? err.cause : err;
  if (cause instanceof AggregateError && cause.errors.length) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (CODES[code]) return CODES[code];
    if (code.startsWith('ERR_TLS') || code.includes('CERT')) return `TLS error (${code})`;
    return code;
  }
  return cause instanceof Error ? cause.message : String(cause);
}
