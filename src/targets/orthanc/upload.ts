import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'undici';
import { ImporterError } from '../../core/errors.js';
import { Outage, type OutageEvents } from '../http/outage.js';
import type { ListedInstance } from '../target.js';
import type { Endpoint } from '../http/endpoint.js';
import type { StoredCopy } from './verify.js';
import { errnoCode } from '../../core/errno.js';
import { httpGet, type GetLimits } from '../http/http-get.js';

/** Orthanc's Status in its answer to POST /instances for a stored or dropped instance. */
export type UploadStatus = 'Success' | 'AlreadyStored' | 'FilteredOut';

/** The body of one upload: bytes in memory, or a factory for a fresh stream (called again on retry). */
export type UploadBody = Uint8Array | (() => Readable);

/** What became of one POST /instances. */
export type UploadResult =
  | { readonly kind: 'stored'; readonly status: UploadStatus; readonly id: string; readonly httpStatus: number }
  | { readonly kind: 'rejected'; readonly httpStatus: number; readonly message: string; readonly details?: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly cause: string };

export interface UploaderOptions {
  readonly concurrency: number;
  /** Attempts after the first for transient failures. */
  readonly retries: number;
  /** Base delay of the exponential backoff, in ms. */
  readonly retryDelayMs: number;
  /** How long the run waits for a target that went away before it stops, in ms. */
  readonly retryTimeoutMs: number;
  /** How often a target that went away is asked again, in ms. @default 1000 */
  readonly outagePollMs?: number;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
/** Errors of one request on a live target: retried with backoff, up to --retries. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** Errors that say the target itself is away: every request pauses until it is back (--retry-timeout). */
const DOWN_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** Bound on pauses for one request, so a target that answers /system but never an upload cannot loop forever. */
const MAX_PAUSES_PER_REQUEST = 20;
/**
 * Instances per page of the target's listing: the first page is small, so that the run settles
 * its instances while Orthanc prepares the next, and each page is twice the last, up to the
 * largest. Orthanc 1.10 skips every instance before a page again for each page, so a large
 * target is listed in large pages; a page of 10,000 expanded instances is about 4 MB of JSON.
 */
const LISTING_FIRST_PAGE = 1000;
const LISTING_LARGEST_PAGE = 10_000;
/**
 * Pages asked for and not yet read. Orthanc prepares a page while this process settles the last
 * one; with two asked for, it does not wait for this process between pages (with three, it was
 * slower again: more of Orthanc's threads at work on two cores).
 */
const LISTING_PAGES_AHEAD = 2;
/** A page of 10,000 is about 4 MB; Orthanc may think long over one of a large target. */
const LISTING_LIMITS: GetLimits = { timeoutMs: 300_000, maxBytes: 256 * 1024 * 1024 };
/** GET /system while the target is away: any answer at all will do. */
const PROBE_LIMITS: GetLimits = { timeoutMs: 10_000, maxBytes: 1024 * 1024 };

/** A page of the listing asked for: its answer to come, and how many instances it may hold. */
interface AskedPage {
  readonly text: Promise<string>;
  readonly size: number;
}

/** One request to the target; `plain` ones go over node:http (see http-get.ts), the rest over the pool. */
interface Outgoing {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: UploadBody;
  readonly size?: number;
  readonly plain?: true;
}

interface OrthancAnswer {
  ID?: unknown;
  Status?: unknown;
  Message?: unknown;
  Details?: unknown;
  OrthancStatus?: unknown;
}

/**
 * Orthanc's ErrorCode_CannotWriteFile. Orthanc 1.10 answers a full storage disk with HTTP 500
 * {"Message": "Cannot write to file", "OrthancStatus": 14} (test/interruptions.test.ts, on a
 * tmpfs); it sends 507 only for its own MaximumStorageSize limit.
 */
const CANNOT_WRITE_FILE = 14;

const parseAnswer = (text: string): OrthancAnswer => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
};

// undici wraps socket errors: their code is on the error or on its cause.
const errorCode = (error: unknown): string | undefined => errnoCode(error) ?? errnoCode((error as { cause?: unknown }).cause);

/**
 * A raw answer of the target, or a delivery failure after retries (`cause`: what failed, without
 * the details that change from one request to the next: the HTTP status and Orthanc's message,
 * or the socket error's code).
 */
export type Exchange =
  | { readonly kind: 'answer'; readonly statusCode: number; readonly text: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly cause: string };

type Attempt = Exchange | { readonly kind: 'transient' | 'down'; readonly reason: string; readonly cause: string };

/** What the target holds for one instance's DICOM attachment. */
export type StoredAttachment =
  /** `file`: the attachment's UUID on the target, when told (GET .../info, Orthanc >= 1.10). */
  | { readonly kind: 'md5'; readonly md5: string; readonly file?: string }
  | { readonly kind: 'size'; readonly size: number }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unavailable'; readonly reason: string };

// Backoff with full jitter, capped, so many uploads retrying at once do not stampede the target.
const backoff = (attempt: number, baseMs: number): number => Math.min(10_000, baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);

const toUploadResult = (statusCode: number, text: string): UploadResult => {
  const answer = parseAnswer(text);
  if (statusCode === 200 && typeof answer.ID === 'string') {
    const status = answer.Status === 'AlreadyStored' || answer.Status === 'FilteredOut' ? answer.Status : 'Success';
    return { kind: 'stored', status, id: answer.ID, httpStatus: statusCode };
  }
  const message = typeof answer.Message === 'string' ? answer.Message : `HTTP ${statusCode}`;
  const details = typeof answer.Details === 'string' ? answer.Details : undefined;
  return details === undefined ? { kind: 'rejected', httpStatus: statusCode, message } : { kind: 'rejected', httpStatus: statusCode, message, details };
};

/**
 * Talks to the target over one keep-alive pool: uploads to /instances and reads back what was
 * stored. undici, and the pool, are loaded only once something is sent: the listing and the
 * probes of a target that went away go over node:http.
 */
export class Uploader {
  #pool: Promise<Pool> | undefined;
  readonly #target: Endpoint;
  readonly #options: UploaderOptions;
  readonly #outage: Outage;
  /** Whether the target has GET .../attachments/dicom/info (Orthanc >= 1.10); learnt from its answers. */
  #hasInfoRoute: boolean | undefined;

  constructor(target: Endpoint, options: UploaderOptions, events: OutageEvents = {}) {
    this.#target = target;
    this.#options = options;
    this.#outage = new Outage(() => this.#answers(), { timeoutMs: options.retryTimeoutMs, pollMs: options.outagePollMs ?? 1000 }, events);
  }

  #openPool(): Promise<Pool> {
    this.#pool ??= import('undici').then(
      ({ Pool }) =>
        // Orthanc closes idle keep-alive sockets after 1 s (KeepAliveTimeout): drop ours a little sooner.
        new Pool(this.#target.origin, {
          connections: this.#options.concurrency,
          keepAliveTimeout: 800,
          keepAliveMaxTimeout: 800,
          // Orthanc announces "Keep-Alive: timeout=1"; undici subtracts 2 s from such hints by default,
          // which would close every connection after one request.
          keepAliveTimeoutThreshold: 200,
        }),
    );
    return this.#pool;
  }

  async #exchange({ method, path, body, size, plain }: Outgoing): Promise<{ statusCode: number; text: string }> {
    const url = `${this.#target.prefix}${path}`;
    if (plain === true) return httpGet(`${this.#target.origin}${url}`, this.#target.headers, LISTING_LIMITS);
    const headers = body === undefined ? this.#target.headers : { ...this.#target.headers, 'content-type': 'application/dicom', 'content-length': String(size) };
    const pool = await this.#openPool();
    const response = await pool.request({ method, path: url, headers, ...(body === undefined ? {} : { body: typeof body === 'function' ? body() : body }) });
    return { statusCode: response.statusCode, text: await response.body.text() };
  }

  // One attempt: a transient failure is returned as such, an authentication refusal stops the run.
  async #attempt(outgoing: Outgoing): Promise<Attempt> {
    try {
      const { statusCode, text } = await this.#exchange(outgoing);
      if (statusCode === 401 || statusCode === 403) {
        throw new ImporterError('E_TARGET_AUTH', `The target refused the credentials during the run (HTTP ${statusCode}); the run stops, run it again to resume`);
      }
      if (statusCode === 507) {
        throw new ImporterError('E_TARGET_FULL', 'The target is full (HTTP 507, MaximumStorageSize in Reject mode); the run stops, free space there and run it again to resume');
      }
      if (TRANSIENT_STATUS.has(statusCode)) {
        const { Message: message, OrthancStatus: orthancStatus } = parseAnswer(text);
        if (statusCode === 500 && orthancStatus === CANNOT_WRITE_FILE) {
          throw new ImporterError(
            'E_TARGET_FULL',
            `The target's disk is full: Orthanc answered HTTP 500 "Cannot write to file" (or its storage folder is not writable); ` +
              'the run stops, free space there and run the same command again to resume',
          );
        }
        const cause = `HTTP ${statusCode} ${typeof message === 'string' ? message : ''}`.trim();
        return { kind: 'transient', reason: cause, cause };
      }
      return { kind: 'answer', statusCode, text };
    } catch (error) {
      if (error instanceof ImporterError) throw error;
      const code = errorCode(error);
      const reason = `${code ?? 'error'}: ${(error as Error).message}`;
      const cause = code ?? (error as Error).message;
      if (code !== undefined && DOWN_CODES.has(code)) return { kind: 'down', reason, cause };
      return { kind: code !== undefined && TRANSIENT_CODES.has(code) ? 'transient' : 'failed', reason, cause };
    }
  }

  // Sends one request, retrying transient failures with backoff (every request here is idempotent:
  // a repeated upload is answered AlreadyStored).
  async #send(outgoing: Outgoing): Promise<Exchange> {
    let pauses = 0;
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(outgoing);
      if (result.kind === 'down' && pauses++ < MAX_PAUSES_PER_REQUEST) {
        await this.#outage.wait(result.reason);
        attempt--; // the target was away: that attempt does not count against --retries
        continue;
      }
      if (result.kind === 'answer' || result.kind === 'failed') return result;
      if (attempt >= this.#options.retries) {
        return { kind: 'failed', reason: `gave up after ${attempt + 1} attempts: ${result.reason}`, cause: result.cause };
      }
      await sleep(backoff(attempt, this.#options.retryDelayMs));
    }
  }

  // Whether the target answers at all (any HTTP status): used while it is away.
  async #answers(): Promise<boolean> {
    try {
      await httpGet(`${this.#target.origin}${this.#target.prefix}/system`, this.#target.headers, PROBE_LIMITS);
      return true;
    } catch {
      return false;
    }
  }

  // One page of the target's listing (GET /instances?expand: ID and FileSize), as text (#pages
  // parses it when its turn comes).
  async #fetchPage(since: number, pageSize: number): Promise<string> {
    const page = await this.#send({ method: 'GET', path: `/instances?expand&since=${since}&limit=${pageSize}`, plain: true });
    if (page.kind === 'failed' || page.statusCode !== 200) {
      throw new ImporterError('E_TARGET_UNREACHABLE', `Cannot list the target's instances (${page.kind === 'failed' ? page.reason : `HTTP ${page.statusCode}`})`);
    }
    return page.text;
  }

  // Lists what the target holds, so the run can skip instances already there without one request
  // per file: page after page until one is not full. The first pages are asked for at once (before
  // the pages are iterated), and LISTING_PAGES_AHEAD stay asked for while one is read.
  listInstances(firstPage = LISTING_FIRST_PAGE, largestPage = LISTING_LARGEST_PAGE): AsyncGenerator<ListedInstance[]> {
    const asked: AskedPage[] = [];
    let since = 0;
    let size = firstPage;
    const ask = (): void => {
      const text = this.#fetchPage(since, size);
      text.catch(() => undefined); // surfaces when the page is read
      asked.push({ text, size });
      since += size;
      size = Math.min(size * 2, largestPage);
    };
    while (asked.length < LISTING_PAGES_AHEAD) ask();
    return this.#pages(asked, ask);
  }

  async *#pages(asked: AskedPage[], ask: () => void): AsyncGenerator<ListedInstance[]> {
    for (let page = asked.shift(); page !== undefined; page = asked.shift()) {
      const items = JSON.parse(await page.text) as { ID?: unknown; FileSize?: unknown; FileUuid?: unknown }[];
      // A page that is not full is the last one (those asked after it are empty).
      if (items.length < page.size) asked.length = 0;
      else ask();
      const instances = items.flatMap((item) =>
        typeof item.ID === 'string' && typeof item.FileSize === 'number' ? [{ id: item.ID, size: item.FileSize, file: typeof item.FileUuid === 'string' ? item.FileUuid : '' }] : [],
      );
      if (instances.length > 0) yield instances;
    }
  }

  // Uploads one DICOM file to /instances.
  async upload(body: UploadBody, size: number): Promise<UploadResult> {
    const exchange = await this.#send({ method: 'POST', path: '/instances', body, size });
    if (exchange.kind === 'failed') return exchange;
    return toUploadResult(exchange.statusCode, exchange.text);
  }

  // Reads back the MD5 the target recorded for an instance's DICOM file (its size when the target
  // does not store MD5s), to prove the bytes arrived as they left.
  async storedAttachment(instanceId: string): Promise<StoredAttachment> {
    const base = `/instances/${encodeURIComponent(instanceId)}/attachments/dicom`;
    if (this.#hasInfoRoute !== false) {
      const info = await this.#send({ method: 'GET', path: `${base}/info` }); // Orthanc >= 1.10.0: MD5 and size in one answer
      if (info.kind === 'answer' && info.statusCode === 200) {
        this.#hasInfoRoute = true;
        const parsed = parseAnswer(info.text) as { UncompressedMD5?: unknown; UncompressedSize?: unknown; Uuid?: unknown };
        if (typeof parsed.UncompressedMD5 === 'string' && parsed.UncompressedMD5 !== '') {
          return typeof parsed.Uuid === 'string' ? { kind: 'md5', md5: parsed.UncompressedMD5, file: parsed.Uuid } : { kind: 'md5', md5: parsed.UncompressedMD5 };
        }
        if (typeof parsed.UncompressedSize === 'number') return { kind: 'size', size: parsed.UncompressedSize };
      }
    }
    const md5 = await this.#send({ method: 'GET', path: `${base}/md5` });
    if (md5.kind === 'answer' && md5.statusCode === 200 && /^[0-9a-f]{32}$/.test(md5.text.trim())) {
      // The instance exists, so a missing /info means an Orthanc older than 1.10: stop asking it.
      this.#hasInfoRoute ??= false;
      return { kind: 'md5', md5: md5.text.trim() };
    }
    const size = await this.#send({ method: 'GET', path: `${base}/size` });
    if (size.kind === 'answer' && size.statusCode === 200 && /^\d+$/.test(size.text.trim())) return { kind: 'size', size: Number(size.text.trim()) };
    if (size.kind === 'answer' && size.statusCode === 404) return { kind: 'absent' };
    const why = size.kind === 'failed' ? size.reason : `HTTP ${size.statusCode}`;
    return { kind: 'unavailable', reason: `the target does not tell the stored file's MD5 or size (${why})` };
  }

  // What the target says of the copy it holds of an instance, to tell a user what the other
  // version is; undefined when it does not say (an older Orthanc, a failure).
  async storedCopy(instanceId: string): Promise<StoredCopy | undefined> {
    const base = `/instances/${encodeURIComponent(instanceId)}`;
    // The top-level elements of the stored file (small, whatever its pixel data), and its transfer syntax.
    const [content, syntax] = await Promise.all([this.#send({ method: 'GET', path: `${base}/content` }), this.#send({ method: 'GET', path: `${base}/metadata/TransferSyntax` })]);
    if (content.kind !== 'answer' || content.statusCode !== 200) return undefined;
    let elements: unknown;
    try {
      elements = JSON.parse(content.text);
    } catch {
      return undefined;
    }
    if (!Array.isArray(elements)) return undefined;
    const transferSyntax = syntax.kind === 'answer' && syntax.statusCode === 200 && /^[0-9.]+$/.test(syntax.text.trim()) ? syntax.text.trim() : undefined;
    return { transferSyntax, pixelData: elements.includes('7fe0-0010') };
  }

  // What the target holds for an instance: under its ID, else under the ID the target gives its
  // SOP Instance UID (an ID computed from a header differs when the PatientID is in a character
  // set other than Latin-1).
  async findStored(instanceId: string, sopInstanceUid: string): Promise<{ readonly instanceId: string; readonly stored: StoredAttachment }> {
    const stored = await this.storedAttachment(instanceId);
    if (stored.kind !== 'absent') return { instanceId, stored };
    const found = await this.#lookupInstance(sopInstanceUid);
    return found === undefined || found === instanceId ? { instanceId, stored } : { instanceId: found, stored: await this.storedAttachment(found) };
  }

  async #lookupInstance(sopInstanceUid: string): Promise<string | undefined> {
    if (sopInstanceUid === '') return undefined;
    const answer = await this.#send({ method: 'POST', path: '/tools/lookup', body: new TextEncoder().encode(sopInstanceUid), size: Buffer.byteLength(sopInstanceUid) });
    if (answer.kind !== 'answer' || answer.statusCode !== 200) return undefined;
    const found: unknown = JSON.parse(answer.text);
    const instance = Array.isArray(found) ? (found as { Type?: unknown; ID?: unknown }[]).find((item) => item.Type === 'Instance') : undefined;
    return typeof instance?.ID === 'string' ? instance.ID : undefined;
  }

  // Closes the pooled connections once every request has settled.
  async close(): Promise<void> {
    await (await this.#pool)?.close();
  }
}
