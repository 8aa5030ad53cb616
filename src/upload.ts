import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { ImporterError } from './errors.js';
import type { Target } from './target.js';
import type { UploadStatus } from './types.js';

/** The body of one upload: bytes in memory, or a factory for a fresh stream (called again on retry). */
export type UploadBody = Uint8Array | (() => Readable);

/** What became of one POST /instances. */
export type UploadResult =
  | { readonly kind: 'stored'; readonly status: UploadStatus; readonly id: string; readonly httpStatus: number }
  | { readonly kind: 'rejected'; readonly httpStatus: number; readonly message: string; readonly details?: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface UploaderOptions {
  readonly concurrency: number;
  /** Attempts after the first for transient failures. */
  readonly retries: number;
  /** Base delay of the exponential backoff, in ms. */
  readonly retryDelayMs: number;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

interface OrthancAnswer {
  ID?: unknown;
  Status?: unknown;
  Message?: unknown;
  Details?: unknown;
}

const parseAnswer = (text: string): OrthancAnswer => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
};

const errorCode = (error: unknown): string | undefined => {
  const own = (error as { code?: string }).code;
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return own ?? cause;
};

type Attempt = UploadResult | { readonly kind: 'transient'; readonly reason: string };

// Backoff with full jitter, capped, so many uploads retrying at once do not stampede the target.
const backoff = (attempt: number, baseMs: number): number => Math.min(10_000, baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);

/** Posts DICOM files to a target's /instances over a keep-alive pool. */
export class Uploader {
  readonly #pool: Pool;
  readonly #target: Target;
  readonly #options: UploaderOptions;

  constructor(target: Target, options: UploaderOptions) {
    this.#target = target;
    this.#options = options;
    // Orthanc closes idle keep-alive sockets after 1 s (KeepAliveTimeout): drop ours a little sooner.
    this.#pool = new Pool(target.origin, { connections: options.concurrency, keepAliveTimeout: 800, keepAliveMaxTimeout: 800 });
  }

  // One attempt: a transient failure is returned as such, an authentication refusal stops the run.
  async #attempt(body: UploadBody, size: number): Promise<Attempt> {
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: `${this.#target.prefix}/instances`,
        headers: { ...this.#target.headers, 'content-type': 'application/dicom', 'content-length': String(size) },
        body: typeof body === 'function' ? body() : body,
      });
      const text = await response.body.text();
      const answer = parseAnswer(text);
      const { statusCode } = response;
      if (statusCode === 401 || statusCode === 403) {
        throw new ImporterError('E_TARGET_AUTH', `The target refused the credentials during the run (HTTP ${statusCode}); nothing more was sent`);
      }
      if (statusCode === 200 && typeof answer.ID === 'string') {
        const status = answer.Status === 'AlreadyStored' || answer.Status === 'FilteredOut' ? answer.Status : 'Success';
        return { kind: 'stored', status, id: answer.ID, httpStatus: statusCode };
      }
      if (TRANSIENT_STATUS.has(statusCode)) return { kind: 'transient', reason: `HTTP ${statusCode} ${typeof answer.Message === 'string' ? answer.Message : ''}`.trim() };
      const message = typeof answer.Message === 'string' ? answer.Message : `HTTP ${statusCode}`;
      const details = typeof answer.Details === 'string' ? answer.Details : undefined;
      return details === undefined ? { kind: 'rejected', httpStatus: statusCode, message } : { kind: 'rejected', httpStatus: statusCode, message, details };
    } catch (error) {
      if (error instanceof ImporterError) throw error;
      const code = errorCode(error);
      const reason = `${code ?? 'error'}: ${(error as Error).message}`;
      return code !== undefined && TRANSIENT_CODES.has(code) ? { kind: 'transient', reason } : { kind: 'failed', reason };
    }
  }

  // Uploads one file, retrying transient failures (uploads are idempotent: a repeat is AlreadyStored).
  async upload(body: UploadBody, size: number): Promise<UploadResult> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(body, size);
      if (result.kind !== 'transient') return result;
      if (attempt >= this.#options.retries) {
        return { kind: 'failed', reason: `gave up after ${attempt + 1} attempts: ${result.reason}` };
      }
      await sleep(backoff(attempt, this.#options.retryDelayMs));
    }
  }

  // Closes the pooled connections once every upload has settled.
  async close(): Promise<void> {
    await this.#pool.close();
  }
}
