// What a running Orthanc knows of an instance and of its parents beyond the file, read over its
// REST API: metadata (?expand: system ones by name, user ones by their declared name or, when
// undeclared, by number), user attachments (?full: name and type; size and MD5 from .../info, or
// .../size and .../md5 before Orthanc 1.10; the bytes from .../data, streamed) and labels (Orthanc
// >= 1.12.0, "HasLabels" in its /system).
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { ExtrasGone, isUserType, metadataByName, resourcePath, type ResourceExtras, type ResourceLevel, type UserAttachment, type UserMetadata } from '../../core/extras.js';
import type { Exchange, HttpClient } from '../../targets/http/client.js';

/** A resource of the source, as the caller knows it: the instance and its parents. */
export interface SourceResource {
  readonly level: ResourceLevel;
  readonly orthancId: string;
}


// A GET whose answer must be 200: its text, or an error naming what was asked (ExtrasGone for a 404).
const fetchText = async (http: HttpClient, path: string): Promise<string> => {
  const answer: Exchange = await http.send({ method: 'GET', path });
  if (answer.kind === 'failed') throw new Error(`GET ${path}: ${answer.reason}`);
  if (answer.statusCode === 404) throw new ExtrasGone(`GET ${path}: HTTP 404, deleted from the source after the instance was delivered: not carried`);
  if (answer.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${answer.statusCode}`);
  return answer.text;
};

const fetchJson = async (http: HttpClient, path: string): Promise<unknown> => JSON.parse(await fetchText(http, path)) as unknown;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// A fresh stream of an attachment's bytes: one GET per call (the target's PUT asks again on each
// attempt). A connection that breaks mid-answer fails the stream: the bytes already passed on
// cannot be taken back.
const attachmentBody = (http: HttpClient, path: string): (() => Readable) => () => {
  const out = new PassThrough();
  let answers = 0;
  http
    .stream({ method: 'GET', path }, async (_status, _headers, body) => {
      if (answers++ > 0) throw new Error(`GET ${path}: the source broke off the answer`);
      await new Promise<void>((resolve, reject) => {
        pipeline(body, out, (error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    })
    .then(
      (result) => {
        if (result.kind === 'failed') out.destroy(new Error(`GET ${path}: ${result.reason}`));
        else if (result.kind === 'answer') out.destroy(new Error(`GET ${path}: HTTP ${result.statusCode}`));
      },
      (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  return out;
};

// An attachment's size and MD5: .../info (Orthanc >= 1.10.0), else .../size and .../md5.
const describe = async (http: HttpClient, path: string): Promise<{ size: number; md5: string }> => {
  const info = await http.send({ method: 'GET', path: `${path}/info` });
  if (info.kind === 'answer' && info.statusCode === 200) {
    const parsed = JSON.parse(info.text) as { UncompressedSize?: unknown; UncompressedMD5?: unknown };
    if (typeof parsed.UncompressedSize === 'number') return { size: parsed.UncompressedSize, md5: typeof parsed.UncompressedMD5 === 'string' ? parsed.UncompressedMD5 : '' };
  }
  const size = Number((await fetchText(http, `${path}/size`)).trim());
  if (!Number.isSafeInteger(size)) throw new Error(`GET ${path}/size: not a size`);
  const md5 = await http.send({ method: 'GET', path: `${path}/md5` }); // 404 when the source stores no MD5
  return { size, md5: md5.kind === 'answer' && md5.statusCode === 200 ? md5.text.trim() : '' };
};

// One resource's extras.
const readResource = async (http: HttpClient, resource: SourceResource, labels: boolean): Promise<ResourceExtras> => {
  const base = resourcePath(resource.level, resource.orthancId);
  const metadata: UserMetadata[] = [];
  const lost: string[] = [];
  const named = await fetchJson(http, `${base}/metadata?expand`);
  if (isRecord(named)) {
    for (const [name, value] of Object.entries(named)) {
      const kind = metadataByName(name);
      if (kind === 'user') metadata.push({ name, value: String(value) });
      else if (kind === 'lost') lost.push(name);
    }
  }
  const attachments: UserAttachment[] = [];
  const types = await fetchJson(http, `${base}/attachments?full`);
  if (isRecord(types)) {
    for (const [name, type] of Object.entries(types)) {
      if (typeof type !== 'number' || !isUserType(type)) continue;
      const path = `${base}/attachments/${encodeURIComponent(name)}`;
      attachments.push({ name, ...(await describe(http, path)), body: attachmentBody(http, `${path}/data`) });
    }
  }
  const listed = labels ? await fetchJson(http, `${base}/labels`) : [];
  const labelNames = Array.isArray(listed) ? listed.filter((label): label is string => typeof label === 'string') : [];
  return { level: resource.level, orthancId: resource.orthancId, metadata, attachments, labels: labelNames, lost };
};

// Why: the REST source gives each instance a reader of its extras (src/core/types.ts ExtrasReader):
// the instance and those of its parents this run has not carried yet, read one after the other
// (a production server must keep answering its users). `labels`: the source has labels (HasLabels
// in its /system).
export const readRestExtras = async (
  http: HttpClient,
  resources: readonly SourceResource[],
  labels: boolean,
  wanted: (level: ResourceLevel, orthancId: string) => boolean = () => true,
): Promise<ResourceExtras[]> => {
  const read: ResourceExtras[] = [];
  for (const resource of resources) if (wanted(resource.level, resource.orthancId)) read.push(await readResource(http, resource, labels));
  return read;
};
