// The one connection to a running Orthanc as the source: the target's HTTP client (retries,
// backoff, the shared pause while the server is away), its own credentials and its own limit of
// requests in flight, so that a production server keeps answering its users.
import { ImporterError } from '../../core/errors.js';
import { errnoCode } from '../../core/errno.js';
import type { ImportEvents } from '../../core/events.js';
import { HttpClient, type Consumer, type Exchange, type Streamed } from '../../targets/http/client.js';
import { parseEndpoint, type Endpoint } from '../../targets/http/endpoint.js';
import { ANSWER_TOO_LARGE, httpGet } from '../../targets/http/http-get.js';
import type { AnswerPolicy } from '../../targets/http/policy.js';
import { unreachableMessage } from '../../targets/http/unreachable.js';
import type { RemoteSourceOptions } from '../source.js';

const CREDENTIALS_HINT = 'Give them in the URL, with --source-username/--source-password, or in ORTHANC_SOURCE_USERNAME/ORTHANC_SOURCE_PASSWORD.';
const SYSTEM_LIMITS = { timeoutMs: 15_000, maxBytes: 1024 * 1024 };
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);

// A source that refuses the credentials mid-run refuses every request: the run stops (and resumes later).
const sourcePolicy =
  (display: string): AnswerPolicy =>
  (statusCode) => {
    if (statusCode === 401 || statusCode === 403) {
      throw new ImporterError('E_SOURCE', `The source ${display} refused the credentials during the run (HTTP ${statusCode}); the run stops, run it again to resume`);
    }
    return TRANSIENT_STATUS.has(statusCode) ? { kind: 'transient', cause: `HTTP ${statusCode}` } : { kind: 'answer' };
  };

/** What GET /system says of the source. */
export interface SourceSystem {
  readonly version: string;
  readonly name: string | undefined;
  /** It keeps labels (Orthanc >= 1.12: HasLabels), carried to an Orthanc target with the rest of its extras. */
  readonly hasLabels: boolean;
}

// Why: a wrong URL, refused credentials or a server that is not an Orthanc must stop the run at
// once with one line, before anything is listed (the run's client would pause on a refused connection).
const contact = async (endpoint: Endpoint): Promise<SourceSystem> => {
  let answer: { statusCode: number; text: string };
  try {
    answer = await httpGet(`${endpoint.origin}${endpoint.prefix}/system`, endpoint.headers, SYSTEM_LIMITS, endpoint.tls);
  } catch (error) {
    if (errnoCode(error) === ANSWER_TOO_LARGE) throw new ImporterError('E_SOURCE', `The source ${endpoint.display} answered GET /system with over a megabyte: is it an Orthanc, and is the URL prefix right?`);
    throw new ImporterError('E_SOURCE', await unreachableMessage('the source', endpoint, error, 'Is Orthanc running there, and is the URL right?'), { cause: error });
  }
  if (answer.statusCode === 401 || answer.statusCode === 403) {
    throw new ImporterError('E_SOURCE', `The source ${endpoint.display} refused the credentials (HTTP ${answer.statusCode}). ${CREDENTIALS_HINT}`);
  }
  let system: Record<string, unknown> = {};
  try {
    system = JSON.parse(answer.text) as typeof system;
  } catch {
    // no Version: refused below
  }
  const version = system['Version'];
  if (answer.statusCode !== 200 || typeof version !== 'string') {
    throw new ImporterError('E_SOURCE', `The source ${endpoint.display} answered HTTP ${answer.statusCode} to GET /system: is it an Orthanc, and is the URL prefix right?`);
  }
  return { version, name: typeof system['Name'] === 'string' ? system['Name'] : undefined, hasLabels: system['HasLabels'] === true };
};

/** A JSON answer, or the HTTP status the source gave instead (404: gone). */
export type JsonAnswer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly reason: string };

// The reason an exchange that is not a 2xx answer gives.
const failure = (exchange: Exchange): { ok: false; status: number; reason: string } =>
  exchange.kind === 'failed' ? { ok: false, status: 0, reason: exchange.reason } : { ok: false, status: exchange.statusCode, reason: `HTTP ${exchange.statusCode}` };

/** A running Orthanc source, spoken to. */
export class SourceClient {
  readonly endpoint: Endpoint;
  readonly system: SourceSystem;
  /** The client itself, for what reads the source its own way (--follow's change log). */
  readonly http: HttpClient;

  private constructor(endpoint: Endpoint, system: SourceSystem, http: HttpClient) {
    this.endpoint = endpoint;
    this.system = system;
    this.http = http;
  }

  // Why: opens the source: its URL and credentials parsed, then GET /system (see contact).
  static async open(url: string, options: RemoteSourceOptions, events: ImportEvents | undefined): Promise<SourceClient> {
    const endpoint = parseEndpoint(url, { ...options.sourceCredentials, tls: options.tls }, 'source');
    const system = await contact(endpoint);
    const warn = events?.onWarning;
    const http = new HttpClient(
      endpoint,
      { concurrency: options.sourceConcurrency, retries: options.retries, retryDelayMs: options.retryDelayMs, retryTimeoutMs: options.retryTimeoutMs },
      {
        policy: sourcePolicy(endpoint.display),
        probePath: '/system',
        role: 'source',
        events: {
          onDown: (reason) => warn?.(`the source ${endpoint.display} stopped answering (${reason}); pausing`),
          onUp: (ms) => warn?.(`the source ${endpoint.display} answers again after ${(ms / 1000).toFixed(0)} s; carrying on`),
        },
      },
    );
    return new SourceClient(endpoint, system, http);
  }

  // A GET (or a POST of JSON) whose text answer the caller reads.
  async text(path: string, body?: unknown): Promise<JsonAnswer<string>> {
    const request = body === undefined ? { method: 'GET' as const, path } : { method: 'POST' as const, path, body: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' } };
    const exchange = await this.http.send(request);
    if (exchange.kind !== 'answer' || exchange.statusCode < 200 || exchange.statusCode > 299) return failure(exchange);
    return { ok: true, value: exchange.text };
  }

  // The same, for a JSON answer; a 2xx that is not JSON stops the run (not an Orthanc).
  async json<T>(path: string, body?: unknown): Promise<JsonAnswer<T>> {
    const answer = await this.text(path, body);
    if (!answer.ok) return answer;
    try {
      return { ok: true, value: JSON.parse(answer.value) as T };
    } catch {
      throw new ImporterError('E_SOURCE', `The source ${this.endpoint.display} answered ${path.split('?')[0] ?? path} with something other than JSON: is it an Orthanc?`);
    }
  }

  // A GET whose 2xx answer `consume` reads as it arrives (a download), called again on a fresh answer when a connection fails.
  async stream<T>(path: string, consume: Consumer<T>): Promise<Exchange | Streamed<T>> {
    return this.http.stream({ method: 'GET', path }, consume);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
