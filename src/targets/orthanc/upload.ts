import { ImporterError } from '../../core/errors.js';
import type { OutageEvents } from '../http/outage.js';
import type { ListedInstance } from '../target.js';
import type { Endpoint } from '../http/endpoint.js';
import type { StoredCopy } from './verify.js';
import type { GetLimits } from '../http/http-get.js';
import { HttpClient, type RequestBody, type RetryOptions } from '../http/client.js';
import { extrasPolicy, orthancPolicy, parseAnswer } from './answer.js';

const DICOM_HEADERS = { 'content-type': 'application/dicom' };
const GZIP_HEADERS = { ...DICOM_HEADERS, 'content-encoding': 'gzip' };

/** Orthanc's Status in its answer to POST /instances for a stored or dropped instance. */
export type UploadStatus = 'Success' | 'AlreadyStored' | 'FilteredOut';


/** What became of one POST /instances. */
export type UploadResult =
  | { readonly kind: 'stored'; readonly status: UploadStatus; readonly id: string; readonly httpStatus: number }
  | { readonly kind: 'rejected'; readonly httpStatus: number; readonly message: string; readonly details?: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly cause: string };

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
/** A page of the listing asked for: its answer to come, and how many instances it may hold. */
interface AskedPage {
  readonly text: Promise<string>;
  readonly size: number;
}

/**
 * Connections of the read-backs (the MD5 of each instance put, lookups): as many as the pipeline
 * runs checks at once (CHECKS_IN_FLIGHT), so that on a far target the checks keep up with the
 * uploads (each waits one round trip; they carry a few hundred bytes).
 */
const READ_BACK_CONNECTIONS = 16;

/** What the target holds for one instance's DICOM attachment. */
export type StoredAttachment =
  /** `file`: the attachment's UUID on the target, when told (GET .../info, Orthanc >= 1.10). */
  | { readonly kind: 'md5'; readonly md5: string; readonly file?: string }
  | { readonly kind: 'size'; readonly size: number }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unavailable'; readonly reason: string };

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
 * Talks to an Orthanc over REST: uploads to /instances and reads back what was stored, through an
 * HttpClient that retries, pauses while Orthanc is away, and stops the run on Orthanc's
 * run-stopping answers (answer.ts).
 */
export class Uploader {
  readonly #http: HttpClient;
  /** Read-backs and lookups, on connections of their own (an upload never waits for a connection behind one); one outage with #http. */
  readonly #checks: HttpClient;
  /** Whether the target has GET .../attachments/dicom/info (Orthanc >= 1.10); learnt from its answers. */
  #hasInfoRoute: boolean | undefined;

  /** The client that carries the extras (extrasPolicy), made when first asked. */
  #extras: HttpClient | undefined;
  readonly #newExtrasClient: () => HttpClient;

  /** `uploads`: connections for the uploads (the most that may be in flight at once). */
  constructor(target: Endpoint, options: RetryOptions, uploads: number, events: OutageEvents = {}) {
    this.#http = new HttpClient(target, { ...options, concurrency: uploads }, { policy: orthancPolicy, probePath: '/system', events });
    this.#checks = new HttpClient(target, { ...options, concurrency: READ_BACK_CONNECTIONS }, { policy: orthancPolicy, probePath: '/system', events, sharesOutageWith: this.#http });
    this.#newExtrasClient = () => new HttpClient(target, options, { policy: extrasPolicy, probePath: '/system', events, sharesOutageWith: this.#http });
  }

  // One page of the target's listing (GET /instances?expand: ID and FileSize), as text (#pages
  // parses it when its turn comes).
  async #fetchPage(since: number, pageSize: number): Promise<string> {
    const page = await this.#http.send({ method: 'GET', path: `/instances?expand&since=${since}&limit=${pageSize}`, plain: LISTING_LIMITS });
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

  // Uploads one DICOM file to /instances (`encoding` 'gzip': the body is its gzip member, which
  // Orthanc >= 1.6.0 gunzips before anything else).
  async upload(body: RequestBody, size: number, encoding?: 'gzip'): Promise<UploadResult> {
    const headers = encoding === undefined ? DICOM_HEADERS : GZIP_HEADERS;
    const exchange = await this.#http.send({ method: 'POST', path: '/instances', headers, body, size });
    if (exchange.kind === 'failed') return exchange;
    return toUploadResult(exchange.statusCode, exchange.text);
  }

  // Reads back the MD5 the target recorded for an instance's DICOM file (its size when the target
  // does not store MD5s), to prove the bytes arrived as they left.
  async storedAttachment(instanceId: string): Promise<StoredAttachment> {
    const base = `/instances/${encodeURIComponent(instanceId)}/attachments/dicom`;
    if (this.#hasInfoRoute !== false) {
      const info = await this.#checks.send({ method: 'GET', path: `${base}/info` }); // Orthanc >= 1.10.0: MD5 and size in one answer
      if (info.kind === 'answer' && info.statusCode === 200) {
        this.#hasInfoRoute = true;
        const parsed = parseAnswer(info.text) as { UncompressedMD5?: unknown; UncompressedSize?: unknown; Uuid?: unknown };
        if (typeof parsed.UncompressedMD5 === 'string' && parsed.UncompressedMD5 !== '') {
          return typeof parsed.Uuid === 'string' ? { kind: 'md5', md5: parsed.UncompressedMD5, file: parsed.Uuid } : { kind: 'md5', md5: parsed.UncompressedMD5 };
        }
        if (typeof parsed.UncompressedSize === 'number') return { kind: 'size', size: parsed.UncompressedSize };
      }
    }
    const md5 = await this.#checks.send({ method: 'GET', path: `${base}/md5` });
    if (md5.kind === 'answer' && md5.statusCode === 200 && /^[0-9a-f]{32}$/.test(md5.text.trim())) {
      // The instance exists, so a missing /info means an Orthanc older than 1.10: stop asking it.
      this.#hasInfoRoute ??= false;
      return { kind: 'md5', md5: md5.text.trim() };
    }
    const size = await this.#checks.send({ method: 'GET', path: `${base}/size` });
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
    const [content, syntax] = await Promise.all([this.#checks.send({ method: 'GET', path: `${base}/content` }), this.#checks.send({ method: 'GET', path: `${base}/metadata/TransferSyntax` })]);
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
    const answer = await this.#checks.send({ method: 'POST', path: '/tools/lookup', headers: { 'content-type': 'text/plain' }, body: new TextEncoder().encode(sopInstanceUid), size: Buffer.byteLength(sopInstanceUid) });
    if (answer.kind !== 'answer' || answer.statusCode !== 200) return undefined;
    const found: unknown = JSON.parse(answer.text);
    const instance = Array.isArray(found) ? (found as { Type?: unknown; ID?: unknown }[]).find((item) => item.Type === 'Instance') : undefined;
    return typeof instance?.ID === 'string' ? instance.ID : undefined;
  }

  // Why: carrying the extras (carry.ts) needs a client of its own, where a 403 is an answer.
  get extrasHttp(): HttpClient {
    this.#extras ??= this.#newExtrasClient();
    return this.#extras;
  }

  // Closes the pooled connections once every request has settled.
  async close(): Promise<void> {
    await this.#extras?.close();
    await this.#checks.close();
    await this.#http.close();
  }
}
