import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher, Pool } from 'undici';
import { ImporterError } from '../../core/errors.js';
import { errnoCode } from '../../core/errno.js';
import type { Endpoint } from './endpoint.js';
import { httpGet, type GetLimits } from './http-get.js';
import { Outage, type OutageEvents } from './outage.js';
import type { AnswerPolicy } from './policy.js';
import type { Throttle } from './throttle.js';
import { connectOptions } from './tls.js';

/** How hard the client tries, and how many requests it has in flight. */
export interface RetryOptions {
  readonly concurrency: number;
  /** Attempts after the first for transient failures. */
  readonly retries: number;
  /** Base delay of the exponential backoff, in ms. */
  readonly retryDelayMs: number;
  /** How long the run waits for a target that went away before it stops, in ms. */
  readonly retryTimeoutMs: number;
  /** How often a target that went away is asked again, in ms. @default 1000 */
  readonly outagePollMs?: number;
  /** --bwlimit: shapes every request body (one bucket for the whole run's target side). */
  readonly throttle?: Throttle | undefined;
}

/** What a backend brings to the client: how it judges answers, and what to ask while the target is away. */
export interface BackendSetup {
  readonly policy: AnswerPolicy;
  /** A cheap GET under the endpoint's prefix (Orthanc: '/system'); any answer at all means the target is back. */
  readonly probePath: string;
  readonly events?: OutageEvents;
  /** Which end of the run this client talks to, as an outage names it. @default 'target' */
  readonly role?: 'target' | 'source';
  /** Another client of the same server, whose pause this one shares (one warning, one wait, one --retry-timeout). */
  readonly sharesOutageWith?: HttpClient;
}

/** The headers of an answer, as node:http and undici both give them. */
export type AnswerHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A request body: bytes in memory, or a factory for a fresh stream (called again on each attempt). */
export type RequestBody = Uint8Array | (() => Readable);

/** One request; every request sent through the client must be safe to repeat. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under the endpoint's prefix, with its query string. */
  readonly path: string;
  /** Over the endpoint's headers and the content-length (e.g. a content-type). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /** The body's length in bytes (sent as content-length). */
  readonly size?: number;
  /** A GET sent over node:http within these limits, without loading undici (see http-get.ts). */
  readonly plain?: GetLimits;
}

/**
 * An answer of the target, or a failure after retries (`cause`: what failed, without the details
 * that change from one request to the next: the HTTP status and the server's message, or the
 * socket error's code).
 */
export type Exchange =
  | { readonly kind: 'answer'; readonly statusCode: number; readonly headers: AnswerHeaders; readonly text: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly cause: string };

/** A 2xx answer read by the caller's consumer as it arrived, and what the consumer made of it. */
export interface Streamed<T> {
  readonly kind: 'streamed';
  readonly statusCode: number;
  readonly headers: AnswerHeaders;
  readonly value: T;
}

/** Reads a 2xx answer's body as it arrives; called again, with a fresh body, when a connection fails mid-answer. */
export type Consumer<T> = (statusCode: number, headers: AnswerHeaders, body: Readable) => Promise<T>;

type Answer = Extract<Exchange, { kind: 'answer' }>;
type Attempt<T> = Exchange | Streamed<T> | { readonly kind: 'transient' | 'down'; readonly reason: string; readonly cause: string };

/** Errors of one request on a live target: retried with backoff, up to --retries. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** Errors that say the target itself is away: every request pauses until it is back (--retry-timeout). */
const DOWN_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** Bound on pauses for one request, so a target that answers the probe but never the request cannot loop forever. */
const MAX_PAUSES_PER_REQUEST = 20;
/** The probe while the target is away: any answer at all will do. */
const PROBE_LIMITS: GetLimits = { timeoutMs: 10_000, maxBytes: 1024 * 1024 };
/** What is kept of an answer to a streamed request that is not 2xx (an error's explanation). */
const STREAM_ERROR_TEXT_BYTES = 64 * 1024;

// undici wraps socket errors: their code is on the error or on its cause.
const errorCode = (error: unknown): string | undefined => errnoCode(error) ?? errnoCode((error as { cause?: unknown }).cause);

// Backoff with full jitter, capped, so many requests retrying at once do not stampede the target.
const backoff = (attempt: number, baseMs: number): number => Math.min(10_000, baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);

// The first bytes of a body as text; the rest is dropped with the connection.
const readHead = async (body: Readable, maxBytes: number): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) break; // leaving the loop destroys the body
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
};

/**
 * Talks HTTP to one target for any backend: one keep-alive pool, retries of transient failures
 * with backoff, one shared pause while the target is away, and the backend's policy for the rest.
 * undici, and the pool, are loaded only once something is sent: `plain` GETs and the probes of a
 * target that went away go over node:http.
 */
export class HttpClient {
  #pool: Promise<Pool> | undefined;
  readonly #endpoint: Endpoint;
  readonly #options: RetryOptions;
  readonly #policy: AnswerPolicy;
  readonly #outage: Outage;

  constructor(endpoint: Endpoint, options: RetryOptions, backend: BackendSetup) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#policy = backend.policy;
    const probeUrl = `${endpoint.origin}${endpoint.prefix}${backend.probePath}`;
    const answers = (): Promise<boolean> => httpGet(probeUrl, endpoint.headers, PROBE_LIMITS, endpoint.tls).then(() => true, () => false);
    const shared = backend.sharesOutageWith;
    this.#outage = shared !== undefined ? shared.#outage : new Outage(answers, { timeoutMs: options.retryTimeoutMs, pollMs: options.outagePollMs ?? 1000, target: endpoint.display, role: backend.role }, backend.events);
  }

  #openPool(): Promise<Pool> {
    this.#pool ??= import('undici').then(
      ({ Pool }) =>
        // Orthanc closes idle keep-alive sockets after 1 s (KeepAliveTimeout): drop ours a little sooner.
        new Pool(this.#endpoint.origin, {
          connections: this.#options.concurrency,
          keepAliveTimeout: 800,
          keepAliveMaxTimeout: 800,
          // Orthanc announces "Keep-Alive: timeout=1"; undici subtracts 2 s from such hints by default,
          // which would close every connection after one request.
          keepAliveTimeoutThreshold: 200,
          connect: connectOptions(this.#endpoint.tls),
        }),
    );
    return this.#pool;
  }

  async #request({ method, path, headers, body, size }: HttpRequest): Promise<Dispatcher.ResponseData> {
    const length = size === undefined ? {} : { 'content-length': String(size) };
    const pool = await this.#openPool();
    const raw = typeof body === 'function' ? body() : body;
    const shaped = raw === undefined ? undefined : this.#options.throttle?.shape(raw);
    try {
      return await pool.request({
        method,
        path: `${this.#endpoint.prefix}${path}`,
        headers: { ...this.#endpoint.headers, ...length, ...headers },
        ...(shaped === undefined ? (raw === undefined ? {} : { body: raw }) : { body: shaped.body, headersTimeout: shaped.headersTimeout, signal: shaped.signal }),
      });
    } finally {
      shaped?.answered();
    }
  }

  async #answer(request: HttpRequest): Promise<Answer> {
    if (request.plain !== undefined) {
      const url = `${this.#endpoint.origin}${this.#endpoint.prefix}${request.path}`;
      return { kind: 'answer', ...(await httpGet(url, { ...this.#endpoint.headers, ...request.headers }, request.plain, this.#endpoint.tls)) };
    }
    const response = await this.#request(request);
    return { kind: 'answer', statusCode: response.statusCode, headers: response.headers, text: await response.body.text() };
  }

  async #streamed<T>(request: HttpRequest, consume: Consumer<T>): Promise<Answer | Streamed<T>> {
    const { statusCode, headers, body } = await this.#request(request);
    try {
      if (statusCode < 200 || statusCode > 299) return { kind: 'answer', statusCode, headers, text: await readHead(body, STREAM_ERROR_TEXT_BYTES) };
      return { kind: 'streamed', statusCode, headers, value: await consume(statusCode, headers, body) };
    } finally {
      if (!body.readableEnded) body.destroy(); // what the consumer left unread must not hold the connection
    }
  }

  // One attempt: the policy judges a whole answer; a socket error is transient, or says the target is away.
  async #attempt<T>(once: () => Promise<Answer | Streamed<T>>): Promise<Attempt<T>> {
    try {
      const result = await once();
      if (result.kind === 'streamed') return result;
      const verdict = this.#policy(result.statusCode, result.text);
      return verdict.kind === 'transient' ? { kind: 'transient', reason: verdict.cause, cause: verdict.cause } : result;
    } catch (error) {
      if (error instanceof ImporterError) throw error;
      const code = errorCode(error);
      const reason = `${code ?? 'error'}: ${(error as Error).message}`;
      const cause = code ?? (error as Error).message;
      if (code !== undefined && DOWN_CODES.has(code)) return { kind: 'down', reason, cause };
      return { kind: code !== undefined && TRANSIENT_CODES.has(code) ? 'transient' : 'failed', reason, cause };
    }
  }

  async #retrying<T>(once: () => Promise<Answer | Streamed<T>>): Promise<Exchange | Streamed<T>> {
    let pauses = 0;
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(once);
      if (result.kind === 'down' && pauses++ < MAX_PAUSES_PER_REQUEST) {
        await this.#outage.wait(result.reason);
        attempt--; // the target was away: that attempt does not count against --retries
        continue;
      }
      if (result.kind === 'answer' || result.kind === 'failed' || result.kind === 'streamed') return result;
      if (attempt >= this.#options.retries) {
        return { kind: 'failed', reason: `gave up after ${attempt + 1} attempts: ${result.reason}`, cause: result.cause };
      }
      await sleep(backoff(attempt, this.#options.retryDelayMs));
    }
  }

  // Sends one request and reads its whole answer, retrying transient failures with backoff and
  // pausing while the target is away; an answer the backend's policy finds run-stopping throws.
  async send(request: HttpRequest): Promise<Exchange> {
    return this.#retrying<never>(() => this.#answer(request)) as Promise<Exchange>;
  }

  // Sends one request whose 2xx answer may be too large to hold (a retrieved instance): `consume`
  // reads it as it arrives, and is called again on a fresh answer when the connection fails
  // mid-way. Other answers are judged as send() judges them, from their first 64 KiB.
  async stream<T>(request: Omit<HttpRequest, 'plain'>, consume: Consumer<T>): Promise<Exchange | Streamed<T>> {
    return this.#retrying(() => this.#streamed(request, consume));
  }

  // Closes the pooled connections once every request has settled.
  async close(): Promise<void> {
    await (await this.#pool)?.close();
  }
}
