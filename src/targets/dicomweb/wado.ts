// The MD5 of the instance a WADO-RS answer carries (multipart/related; type="application/dicom"),
// computed while the answer streams in: a 2 GiB instance is never held in memory.
import { createHash } from 'node:crypto';

/** The Accept of a WADO-RS retrieve that asks for the bytes as stored (no transcoding). */
export const WADO_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

// The path of one instance under the DICOMweb root.
export const wadoPath = (study: string, series: string, instance: string): string =>
  `/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances/${encodeURIComponent(instance)}`;

// The boundary of a multipart Content-Type, quoted or not; undefined when there is none.
export const boundaryOf = (contentType: string): string | undefined => {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
};

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/**
 * Why: the MD5 of the first part's body, read chunk by chunk. The body ends at "\r\n--boundary";
 * the last bytes of each chunk that could begin that delimiter are held back until the next one.
 * Rejects when the answer holds no complete part.
 */
export const md5OfFirstPart = async (body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, boundary: string): Promise<string> => {
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const hash = createHash('md5');
  let pending = Buffer.alloc(0);
  let state: 'preamble' | 'head' | 'body' = 'preamble';
  for await (const chunk of body) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    if (state === 'preamble') {
      const at = pending.indexOf(opening);
      if (at === -1) {
        pending = pending.subarray(Math.max(0, pending.length - opening.length));
        continue;
      }
      pending = pending.subarray(at + opening.length);
      state = 'head';
    }
    if (state === 'head') {
      const at = pending.indexOf(HEAD_END);
      if (at === -1) {
        if (pending.length > MAX_HEAD) throw new Error('a part whose headers never end');
        continue;
      }
      pending = pending.subarray(at + HEAD_END.length);
      state = 'body';
    }
    const end = pending.indexOf(delimiter);
    if (end !== -1) {
      hash.update(pending.subarray(0, end));
      return hash.digest('hex');
    }
    const keep = Math.min(pending.length, delimiter.length - 1);
    hash.update(pending.subarray(0, pending.length - keep));
    pending = pending.subarray(pending.length - keep);
  }
  throw new Error(state === 'body' ? 'the answer ended inside its first part' : 'the answer holds no part');
};
