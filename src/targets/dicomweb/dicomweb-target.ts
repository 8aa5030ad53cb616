// A DICOMweb server as a target: instances go in batched STOW-RS requests, and what it holds is
// asked per study through QIDO-RS (and, with --verify full, each instance's bytes through WADO-RS).
import { ImporterError } from '../../core/errors.js';
import { errnoCode } from '../../core/errno.js';
import type { ImportEvents } from '../../core/events.js';
import type { AnswerHeaders, HttpClient } from '../http/client.js';
import type { Endpoint } from '../http/endpoint.js';
import { ANSWER_TOO_LARGE, httpGet } from '../http/http-get.js';
import { unreachableMessage } from '../http/unreachable.js';
import type { Held, HoldsHints, InstanceBody, InstanceRef, PutResult, Target, TargetAssessment, TargetFeatures } from '../target.js';
import { Batcher, type BatchBounds, type Waiting } from './batcher.js';
import { multipartBody } from './multipart.js';
import { FreshLookup } from './fresh-lookup.js';
import { QIDO_PAGE, namedPath, qidoPath, readQidoPage, type QidoPage } from './qido.js';
import { OUT_OF_RESOURCES, readStowAnswer, type PartFate } from './stow-answer.js';
import { StudyCache, type StudyAnswer } from './study-cache.js';
import { WADO_ACCEPT, boundaryOf, md5OfFirstPart, wadoPath } from './wado.js';

/** How the target sends and verifies. */
export interface DicomwebSettings {
  readonly bounds: BatchBounds;
  /** Requests in flight at once (the client's connections). */
  readonly connections: number;
  /** --verify full: each instance's bytes retrieved through WADO-RS and their MD5 compared. */
  readonly verifyFull: boolean;
}

const DICOM_JSON = 'application/dicom+json';
/** The first answer of the server: a page of one study, small whatever the server holds. */
const ASSESS_LIMITS = { timeoutMs: 15_000, maxBytes: 4 * 1024 * 1024 };
const CREDENTIALS_HINT = 'Give them in the URL, with --username/--password, or in ORTHANC_USERNAME/ORTHANC_PASSWORD.';

// PS3.18 8.3.4.4: a server that cuts a QIDO-RS result says so in a Warning header.
const saysTruncated = (headers: AnswerHeaders): boolean => /additional results/i.test(String(headers['warning'] ?? ''));

type Fates = { readonly kind: 'read'; readonly statusCode: number; readonly fates: ReadonlyMap<string, PartFate> | undefined } | { readonly kind: 'failed'; readonly reason: string; readonly cause: string };

// What became of one instance of a request, from the fates the answer listed.
const resultOf = (instance: InstanceRef, answer: Fates, alone: boolean): PutResult => {
  if (answer.kind === 'failed') return { kind: 'failed', reason: answer.reason, cause: answer.cause };
  const fields = { httpStatus: answer.statusCode };
  // An instance sent alone without a known UID is the only one its answer can list.
  const only = alone && answer.fates?.size === 1 ? [...answer.fates.values()][0] : undefined;
  const fate = instance.sopInstanceUid === '' ? only : answer.fates?.get(instance.sopInstanceUid);
  if (fate === undefined) {
    const why = answer.fates === undefined ? 'its answer is not DICOM JSON' : 'its answer does not list this instance';
    return { kind: 'failed', reason: `the DICOMweb server answered HTTP ${answer.statusCode} but ${why}`, cause: `HTTP ${answer.statusCode} unlisted`, fields };
  }
  if (fate.kind === 'stored') return { kind: 'stored', status: 'stored', answer: fate.warning === undefined ? 'stored' : `stored with warning ${fate.warning}`, fields };
  if (fate.code !== undefined && fate.code >> 8 === OUT_OF_RESOURCES >> 8) {
    throw new ImporterError('E_TARGET_FULL', `The DICOMweb server is out of resources (failure reason ${fate.reason}); the run stops, free space there and run it again to resume`);
  }
  return { kind: 'rejected', reason: `the DICOMweb server refused it: failure reason ${fate.reason}`, fields };
};

// Why: Orthanc's plugin 1.7 stops reading a request at the first instance Orthanc refuses and
// answers 200 without it or any after it; a 400 without a body names no instance either; a file
// that changed while sent fails its whole request. The instances of a request that failed, or
// that its answer does not list, are sent again, each alone: one bad instance then fails alone.
const isUnsettled = (instance: InstanceRef, answer: Fates): boolean => answer.kind === 'failed' || answer.fates?.has(instance.sopInstanceUid) !== true;

// Settles one put with its fate (a run-stopping fate rejects it).
const settle = (waiting: Waiting, answer: Fates, alone: boolean): void => {
  try {
    waiting.resolve(resultOf(waiting.instance, answer, alone));
  } catch (error) {
    waiting.reject(error);
  }
};

/** Why: the DICOMweb backend behind the one Target interface (see target.ts). */
export class DicomwebTarget implements Target {
  readonly display: string;
  readonly features: TargetFeatures;
  readonly #endpoint: Endpoint;
  readonly #events: ImportEvents;
  readonly #client: HttpClient;
  readonly #settings: DicomwebSettings;
  readonly #batcher: Batcher;
  readonly #studies: StudyCache;
  readonly #fresh: FreshLookup;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(endpoint: Endpoint, client: HttpClient, settings: DicomwebSettings, events: ImportEvents = {}) {
    this.display = endpoint.display;
    this.features = { bulkListing: false, findsByInstanceId: false, cheapLookup: true, comparesMd5: settings.verifyFull, putsInFlight: settings.bounds.instances * settings.connections };
    this.#endpoint = endpoint;
    this.#events = events;
    this.#client = client;
    this.#settings = settings;
    this.#batcher = new Batcher(settings.bounds, (batch) => { this.#track(this.#sendBatch(batch)); });
    this.#studies = new StudyCache((study) => this.#listStudy(study));
    this.#fresh = new FreshLookup({ named: (study, uids) => this.#listNamed(study, uids), whole: (study) => this.#listStudy(study) });
  }

  // Asks for one page of studies under the root: a wrong URL, refused credentials or a server
  // that does not speak DICOMweb stop the run before anything is read.
  async assess(): Promise<TargetAssessment> {
    const { origin, prefix, headers } = this.#endpoint;
    let answer: { statusCode: number; text: string };
    try {
      answer = await httpGet(`${origin}${prefix}/studies?limit=1`, { ...headers, accept: DICOM_JSON }, ASSESS_LIMITS, this.#endpoint.tls);
    } catch (error) {
      if (errnoCode(error) === ANSWER_TOO_LARGE) throw this.#notDicomweb('an answer of over 4 MiB');
      throw new ImporterError('E_TARGET_UNREACHABLE', await unreachableMessage('the DICOMweb server', this.#endpoint, error, 'Is it running, and is the URL right?'), { cause: error });
    }
    if (answer.statusCode === 401 || answer.statusCode === 403) {
      throw new ImporterError('E_TARGET_AUTH', `The DICOMweb server ${this.display} refused the credentials (HTTP ${answer.statusCode}). ${CREDENTIALS_HINT}`);
    }
    const empty = answer.statusCode === 204 || (answer.statusCode === 200 && answer.text.trim() === '');
    if (!empty && (answer.statusCode !== 200 || readQidoPage(answer.text) === undefined)) throw this.#notDicomweb(`HTTP ${answer.statusCode}`);
    this.#events.onTarget?.('a DICOMweb server (QIDO-RS answered)');
    return { transcoding: false, warnings: [] };
  }

  #notDicomweb(what: string): ImporterError {
    return new ImporterError('E_TARGET_NOT_DICOMWEB', `The target ${this.display} answered ${what} to a QIDO-RS query (GET studies?limit=1): is it a DICOMweb server, and is the URL its DICOMweb root (e.g. /dicom-web)?`);
  }

  // Joins the batch being gathered; resolves once that batch's answer is read.
  put(instance: InstanceRef, body: InstanceBody): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.#batcher.add({ instance, body, resolve, reject });
    });
  }

  #track(sending: Promise<void>): void {
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  async #sendBatch(batch: readonly Waiting[]): Promise<void> {
    try {
      const answer = await this.#stow(batch);
      for (const waiting of batch) {
        if (batch.length > 1 && isUnsettled(waiting.instance, answer)) this.#track(this.#sendBatch([waiting]));
        else settle(waiting, answer, batch.length === 1);
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }

  async #stow(batch: readonly Waiting[]): Promise<Fates> {
    const body = multipartBody(batch.map(({ instance, body: part }) => ({ body: part, size: instance.size })));
    const exchange = await this.#client.send({
      method: 'POST',
      path: '/studies',
      headers: { 'content-type': body.contentType, accept: DICOM_JSON },
      body: () => body.open(),
      size: body.length,
    });
    if (exchange.kind === 'failed') return exchange;
    return { kind: 'read', statusCode: exchange.statusCode, fates: readStowAnswer(exchange.text) };
  }

  // One QIDO-RS answer: a page of instances, none (204/404), or why the server could not tell.
  async #query(path: string): Promise<{ readonly kind: 'page'; readonly page: QidoPage; readonly headers: AnswerHeaders } | { readonly kind: 'none' } | Extract<StudyAnswer, { kind: 'unknown' }>> {
    const exchange = await this.#client.send({ method: 'GET', path, headers: { accept: DICOM_JSON } });
    if (exchange.kind === 'failed') return { kind: 'unknown', reason: `QIDO-RS of its study failed: ${exchange.reason}` };
    if (exchange.statusCode === 204 || exchange.statusCode === 404) return { kind: 'none' };
    const page = exchange.statusCode === 200 ? readQidoPage(exchange.text) : undefined;
    if (page === undefined) return { kind: 'unknown', reason: `QIDO-RS of its study answered HTTP ${exchange.statusCode} without a DICOM JSON list` };
    return { kind: 'page', page, headers: exchange.headers };
  }

  // The instances of a study among these SOP Instance UIDs, as the server lists them now.
  async #listNamed(study: string, uids: readonly string[]): Promise<StudyAnswer> {
    const answer = await this.#query(namedPath(study, uids));
    if (answer.kind === 'unknown') return answer;
    return { kind: 'listed', instances: answer.kind === 'page' ? answer.page.instances : new Map() };
  }

  // Every instance of a study as the server lists it, page after page.
  async #listStudy(study: string): Promise<StudyAnswer> {
    const instances = new Map<string, string>();
    for (let offset = 0; ; ) {
      const answer = await this.#query(qidoPath(study, offset));
      if (answer.kind === 'unknown') return answer;
      if (answer.kind === 'none') return { kind: 'listed', instances };
      const { page, headers } = answer;
      for (const [uid, sopClass] of page.instances) instances.set(uid, sopClass);
      // A full page asks for the next; so does a shorter one the server says it cut (PS3.18: a
      // Warning header of "additional results").
      if (page.count === 0 || (page.count < QIDO_PAGE && !saysTruncated(headers))) return { kind: 'listed', instances };
      offset += page.count;
    }
  }

  // What the server holds of an instance: asked now (fresh-lookup.ts) for one just put, else from
  // its study's listing as this run first asked for it (study-cache.ts).
  async holds(instance: InstanceRef, hints: HoldsHints = {}): Promise<Held> {
    if (instance.sopInstanceUid === '' || instance.studyInstanceUid === '') {
      return { kind: 'unknown', reason: 'its SOP Instance UID or Study Instance UID is not known, and a DICOMweb server is asked by them' };
    }
    const now = hints.afterPut !== undefined || hints.now === true;
    const study = now ? await this.#fresh.get(instance.studyInstanceUid, instance.sopInstanceUid) : await this.#studies.get(instance.studyInstanceUid);
    if (study.kind === 'unknown') return study;
    const sopClass = study.instances.get(instance.sopInstanceUid);
    if (sopClass === undefined) return { kind: 'absent' };
    if (sopClass !== '' && instance.sopClassUid !== '' && sopClass !== instance.sopClassUid) {
      return { kind: 'other', reason: `the DICOMweb server holds this SOP Instance UID with SOP Class ${sopClass}, not ${instance.sopClassUid}` };
    }
    return this.#settings.verifyFull ? this.#compareBytes(instance) : { kind: 'same', by: 'presence' };
  }

  // --verify full: the instance retrieved as stored (transfer-syntax=*), its MD5 computed as it streams.
  async #compareBytes(instance: InstanceRef): Promise<Held> {
    if (instance.md5 === undefined) return { kind: 'same', by: 'presence' };
    const exchange = await this.#client.stream(
      { method: 'GET', path: wadoPath(instance.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid), headers: { accept: WADO_ACCEPT } },
      async (_status, headers, body) => {
        const boundary = boundaryOf(String(headers['content-type'] ?? ''));
        if (boundary === undefined) throw new Error('a WADO-RS answer that is not multipart');
        return md5OfFirstPart(body, boundary);
      },
    );
    if (exchange.kind === 'failed') return { kind: 'unknown', reason: `WADO-RS of the instance failed: ${exchange.reason}` };
    if (exchange.kind === 'answer') {
      return exchange.statusCode === 404 ? { kind: 'absent' } : { kind: 'unknown', reason: `WADO-RS of the instance answered HTTP ${exchange.statusCode}` };
    }
    if (exchange.value === instance.md5) return { kind: 'same', by: 'md5' };
    return { kind: 'other', reason: `the DICOMweb server gives back other bytes (MD5 ${exchange.value}, the source's ${instance.md5}): another version, or the server transcodes` };
  }

  // Sends what is gathered, waits for every answer, then closes the connections.
  async close(): Promise<void> {
    this.#batcher.flush();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#client.close();
  }
}
