// Carries what the source knows of a resource beyond the file to an Orthanc: PUT its user
// metadata, its user attachments (their MD5 read back) and its labels, under the resource's ID.
// What Orthanc 1.10.1 answers (test/targets/orthanc/carry.test.ts): 200 to a declared name and to
// any number of the user range, declared or not; 404 with OrthancStatus 7 ("Accessing an
// inexistent item") to a name it does not declare; 403 to a system type (never sent knowingly; a
// name a later Orthanc keeps for itself is reported); labels only from 1.12.0 (404 before).
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { resourcePath, type CarryResult, type ResourceExtras, type ResourceLevel, type UserAttachment } from '../../core/extras.js';
import type { Exchange, HttpClient, HttpRequest } from '../http/client.js';
import { answered, INEXISTENT_ITEM, parseAnswer } from './answer.js';

/** Where a resource's metadata `name` is on an Orthanc. */
export const metadataPath = (level: ResourceLevel, orthancId: string, name: string): string => `${resourcePath(level, orthancId)}/metadata/${encodeURIComponent(name)}`;

// Why: one metadata set on a resource, the same request for carried extras and study markers.
export const putMetadata = (level: ResourceLevel, orthancId: string, name: string, value: string): HttpRequest => {
  const body = Buffer.from(value, 'utf8');
  return { method: 'PUT', path: metadataPath(level, orthancId, name), headers: { 'content-type': 'text/plain' }, body, size: body.length };
};

/** Whether the target has labels (Orthanc >= 1.12.0, "HasLabels" in /system), or why not. */
export type LabelSupport = { readonly has: true } | { readonly has: false; readonly reason: string };

/**
 * The MD5 of what went through a stream. Read once the request is answered: the HTTP client may
 * have sent the announced length, and had its answer, before the stream's end is signalled.
 */
class Hashed {
  readonly #hash = createHash('md5');
  #md5: string | undefined;

  // The stream of the source's bytes, hashed as they go.
  through(source: Readable): Readable {
    const pass = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.#hash.update(chunk);
        done(null, chunk);
      },
    });
    return pipeline(source, pass, () => undefined);
  }

  get md5(): string {
    this.#md5 ??= this.#hash.digest('hex');
    return this.#md5;
  }
}

/** The answers gathered while carrying. */
class Carried {
  carried = 0;
  readonly notCarried: string[] = [];
  readonly failed: string[] = [];
}

// Why: one Orthanc's side of carrying, written against the target's HTTP client (retries and outage pauses included).
export class ExtrasWriter {
  readonly #http: HttpClient;
  readonly #labels: LabelSupport;

  constructor(http: HttpClient, labels: LabelSupport) {
    this.#http = http;
    this.#labels = labels;
  }

  // Carries every resource's extras, one request at a time.
  async carry(resources: readonly ResourceExtras[]): Promise<CarryResult> {
    const done = new Carried();
    for (const resource of resources) {
      const base = resourcePath(resource.level, resource.orthancId);
      const where = `${resource.level} ${resource.orthancId}`;
      for (const { name, value } of resource.metadata) {
        const put = await this.#http.send(putMetadata(resource.level, resource.orthancId, name, value));
        this.#judge(done, put, `${where}: metadata ${name}`, 'UserMetadata');
      }
      for (const attachment of resource.attachments) await this.#attachment(done, base, `${where}: attachment ${attachment.name}`, attachment);
      if (resource.labels.length > 0 && !this.#labels.has) done.notCarried.push(`${where}: labels ${resource.labels.join(', ')}: ${this.#labels.reason}`);
      else for (const label of resource.labels) this.#judge(done, await this.#http.send({ method: 'PUT', path: `${base}/labels/${encodeURIComponent(label)}`, size: 0, body: new Uint8Array() }), `${where}: label ${label}`);
    }
    return done;
  }

  // A PUT's answer: carried, a name the target does not declare (in `declaredIn`), or a failure.
  #judge(done: Carried, put: Exchange, what: string, declaredIn?: string): boolean {
    if (put.kind === 'answer' && put.statusCode === 200) {
      done.carried++;
      return true;
    }
    if (declaredIn !== undefined && put.kind === 'answer' && put.statusCode === 404 && parseAnswer(put.text).OrthancStatus === INEXISTENT_ITEM) {
      done.notCarried.push(`${what}: the target does not declare this name (${declaredIn} in its configuration)`);
    } else if (put.kind === 'answer' && put.statusCode === 403) {
      done.notCarried.push(`${what}: the target lets no client write it (HTTP 403)`);
    } else {
      done.failed.push(`${what}: ${answered(put)}`);
    }
    return false;
  }

  // PUT the uncompressed bytes, hashed as they go, then read the target's MD5 back: carried only
  // when it is the MD5 of the bytes sent, and those are the source's.
  async #attachment(done: Carried, base: string, what: string, attachment: UserAttachment): Promise<void> {
    const path = `${base}/attachments/${encodeURIComponent(attachment.name)}`;
    let hashed = new Hashed();
    const body = (): Readable => {
      hashed = new Hashed(); // each attempt sends the bytes again
      return hashed.through(attachment.body());
    };
    const put = await this.#http.send({ method: 'PUT', path, headers: { 'content-type': 'application/octet-stream' }, body, size: attachment.size });
    const before = done.carried;
    if (!this.#judge(done, put, what, 'UserContentType')) return;
    done.carried = before; // counted once proven
    const sent = hashed.md5;
    if (attachment.md5 !== '' && sent !== attachment.md5) {
      done.failed.push(`${what}: the source's bytes (MD5 ${sent}) are not those its MD5 names (${attachment.md5})`);
      return;
    }
    const read = await this.#http.send({ method: 'GET', path: `${path}/md5` });
    const md5 = read.kind === 'answer' && read.statusCode === 200 ? read.text.trim() : undefined;
    if (md5 === sent) done.carried++;
    else if (md5 === undefined) done.notCarried.push(`${what}: stored, not proven: the target tells no MD5 (${answered(read)})`);
    else done.failed.push(`${what}: the target holds MD5 ${md5}, ${sent} was sent`);
  }
}
