// The keep-alive reference client of the WAN bench (bench/wan-bench.ts): what a plain, fast
// uploader does, with nothing checked. Every NNNNNN.dcm of FOLDER is read and POSTed to
// 127.0.0.1:PORT/instances over PARALLEL keep-alive connections (an undici Pool), PARALLEL requests
// in flight. Not node:http's Agent: Orthanc answers "Keep-Alive: timeout=1", and the Agent, which
// keeps a socket one second less than such a hint, then opens a new connection for every request.
//
//   node dist/bench/keepalive-client.js PORT FOLDER [PARALLEL=4]
//
// Prints one JSON line like the ImportDicomFiles.py baseline: {"files", "ok", "failed", "seconds",
// "bytes"}, seconds from reading the first file to the last answer (start-up left out).
import { readFile } from 'node:fs/promises';
import { Pool } from 'undici';
import { errorMessage, listDicomFiles, positiveInt, runMain } from './common.js';

const DEFAULT_PARALLEL = 4;

// Why: the WAN bench's reference runs in a process of its own, so its CPU is not the proxy's.
const main = async (): Promise<number> => {
  const [portText, folder, parallelText] = process.argv.slice(2);
  const port = positiveInt('port', portText);
  if (port === undefined || folder === undefined) throw new Error('usage: keepalive-client.js PORT FOLDER [PARALLEL]');
  const parallel = positiveInt('parallel', parallelText) ?? DEFAULT_PARALLEL;
  const files = await listDicomFiles(folder);
  // Orthanc closes a connection idle for 1 s: close ours a little sooner, and do not let undici cut
  // the server's hint by its default 2 s (it would close every connection after one request).
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: parallel, keepAliveTimeout: 800, keepAliveMaxTimeout: 800, keepAliveTimeoutThreshold: 200 });
  let ok = 0;
  let bytes = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const uploader = async (): Promise<void> => {
    for (let k = next++; k < files.length; k = next++) {
      const file = files[k] ?? '';
      try {
        const body = await readFile(file);
        const answer = await pool.request({ method: 'POST', path: '/instances', headers: { 'content-type': 'application/dicom' }, body });
        await answer.body.text();
        const status = answer.statusCode;
        if (status === 200) {
          ok += 1;
          bytes += body.length;
        } else {
          failed += 1;
          console.error(`${file}: HTTP ${status}`);
        }
      } catch (err) {
        failed += 1;
        console.error(`${file}: ${errorMessage(err)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, uploader));
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ files: files.length, ok, failed, seconds, bytes }));
  return failed === 0 ? 0 : 1;
};

runMain(main);
