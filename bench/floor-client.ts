// The floor of the WAN bench (bench/wan-bench.ts, issue 13): the least CPU a client can spend to
// move a compressed Orthanc storage into an Orthanc with the proof the product owes. One thread,
// nothing else: the index lists the DICOM attachments (their UUIDs and MD5s); each file is read,
// inflated (node:zlib), POSTed over PARALLEL keep-alive connections (an undici Pool), its MD5 read
// back (GET .../attachments/dicom/info) and compared with the index's. No classification, no
// journal, no report, no header parsed, no filter, no retry: every line of orthanc-import's own
// costs more than this. With --no-verify, the read-back is left out too (what the check costs).
//
//   node dist/bench/floor-client.js PORT STORAGE [PARALLEL=4] [--no-verify]
//
// Prints one JSON line like bench/keepalive-client.ts: {"files", "ok", "failed", "seconds",
// "bytes"}, seconds from the first file read to the last answer (start-up left out), bytes decoded.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { errorMessage, positiveInt, runMain } from './common.js';

const DEFAULT_PARALLEL = 4;
const PREFIX_BYTES = 8; // Orthanc's ZlibWithSize: the decoded size, then the zlib stream

interface Attachment {
  readonly uuid: string;
  readonly compressionType: number;
  readonly uncompressedMD5: string;
}

// The DICOM attachments the index lists, the order it gives them.
const listAttachments = (storage: string): Attachment[] => {
  const db = new Database(join(storage, 'index'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT uuid, compressionType, uncompressedMD5 FROM AttachedFiles WHERE fileType = 1').all() as Attachment[];
  } finally {
    db.close();
  }
};

// Why: the figure below which no verifying client goes on this machine, against which the
// issue's CPU goal is judged.
const main = async (): Promise<number> => {
  const args = process.argv.slice(2).filter((arg) => arg !== '--no-verify');
  const verify = !process.argv.includes('--no-verify');
  const [portText, storage, parallelText] = args;
  const port = positiveInt('port', portText);
  if (port === undefined || storage === undefined) throw new Error('usage: floor-client.js PORT STORAGE [PARALLEL] [--no-verify]');
  const parallel = positiveInt('parallel', parallelText) ?? DEFAULT_PARALLEL;
  const attachments = listAttachments(storage);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: parallel, keepAliveTimeout: 800, keepAliveMaxTimeout: 800, keepAliveTimeoutThreshold: 200 });
  let ok = 0;
  let bytes = 0;
  let failed = 0;
  let next = 0;
  const fail = (uuid: string, why: string): false => {
    failed += 1;
    console.error(`${uuid}: ${why}`);
    return false;
  };
  const started = performance.now();
  const one = async ({ uuid, compressionType, uncompressedMD5 }: Attachment): Promise<boolean> => {
    const stored = await readFile(join(storage, uuid.slice(0, 2), uuid.slice(2, 4), uuid));
    const body = compressionType === 2 ? inflateSync(stored.subarray(PREFIX_BYTES)) : stored;
    const put = await pool.request({ method: 'POST', path: '/instances', headers: { 'content-type': 'application/dicom' }, body });
    const answer = (await put.body.json()) as { ID?: string };
    if (put.statusCode !== 200 || answer.ID === undefined) return fail(uuid, `HTTP ${put.statusCode}`);
    if (verify) {
      const info = await pool.request({ method: 'GET', path: `/instances/${answer.ID}/attachments/dicom/info` });
      const { UncompressedMD5 } = (await info.body.json()) as { UncompressedMD5?: string };
      if (UncompressedMD5 !== uncompressedMD5) return fail(uuid, `MD5 ${String(UncompressedMD5)} on the target, ${uncompressedMD5} in the index`);
    }
    ok += 1;
    bytes += body.length;
    return true;
  };
  const uploader = async (): Promise<void> => {
    for (let k = next++; k < attachments.length; k = next++) {
      const attachment = attachments[k];
      if (attachment === undefined) break;
      await one(attachment).catch((err: unknown) => fail(attachment.uuid, errorMessage(err)));
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, uploader));
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ files: attachments.length, ok, failed, seconds, bytes }));
  return failed === 0 ? 0 : 1;
};

runMain(main);
