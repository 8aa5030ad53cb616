// Before an upload counts as failed, the target is asked whether it holds the instance: a real
// Orthanc behind a scripted proxy that forwards each upload and then drops the connection without
// answering, so the instance really is stored and only the answer is lost.
import type { ServerResponse } from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDicoms } from '../../fixtures/make-dicoms.js';
import { resolveOptions, runImport, type Summary } from '../../src/index.js';
import { instanceMd5s, listInstances, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { bodyHeaders, startScriptedServer, type ScriptedServer, type SeenRequest } from '../helpers/scripted-server.js';
import { md5File } from '../helpers/tree.js';

const COUNT = 6;
const start = orthancsOfThisFile();
let folder: string;
let expectedMd5s: string[];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oi-lost-'));
  const files = await generateDicoms({ out: folder, count: COUNT, rows: 32, cols: 32, seed: 77, prefix: 'LOST' });
  expectedMd5s = (await Promise.all(files.map((file) => md5File(file)))).sort();
});

// Sends the request on to the real Orthanc and relays its answer.
const forward = async (orthanc: RunningOrthanc, request: SeenRequest): Promise<{ status: number; text: string }> => {
  const init = request.method === 'GET' ? {} : { body: request.body, headers: bodyHeaders(request) };
  const answer = await fetch(`${orthanc.url}${request.url}`, { method: request.method, ...init });
  return { status: answer.status, text: await answer.text() };
};

const relay = (response: ServerResponse, answer: { status: number; text: string }): void => {
  response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text);
};

// A proxy in front of `orthanc`: uploads are forwarded (or not) and their connection dropped
// unanswered; every other request is relayed.
const lossyProxy = (orthanc: RunningOrthanc, forwardUploads: boolean): Promise<ScriptedServer> =>
  startScriptedServer((_index, request, response) => {
    const upload = request.method === 'POST' && request.url.endsWith('/instances');
    void (async () => {
      if (!upload) {
        relay(response, await forward(orthanc, request));
        return;
      }
      if (forwardUploads) await forward(orthanc, request);
      response.socket?.destroy();
    })();
  }, { keepBodies: true });

const importThrough = async (proxy: ScriptedServer): Promise<{ summary: Summary; reasons: string[] }> => {
  const dir = await mkdtemp(join(tmpdir(), 'oi-lost-j-'));
  const reportPath = join(dir, 'report.json');
  const summary = await runImport(resolveOptions({ source: folder, target: proxy.url, journalPath: join(dir, 'j.sqlite'), reportPath, retries: 1, retryDelayMs: 5, workers: 1 }));
  const { notUploaded } = JSON.parse(await readFile(reportPath, 'utf8')) as { notUploaded: { reason: string }[] };
  return { summary, reasons: notUploaded.map((entry) => entry.reason) };
};

describe('an upload whose answer was lost', () => {
  it('is delivered and verified when the target holds it with the same MD5 (answer lost; found on the target)', async () => {
    const orthanc = await start();
    const proxy = await lossyProxy(orthanc, true);
    try {
      const { summary, reasons } = await importThrough(proxy);
      expect(reasons).toEqual([]);
      expect(summary.classes.failed.files).toBe(0);
      expect(summary).toMatchObject({ instances: COUNT, verified: COUNT, answersLost: COUNT, exitCode: 0, statuses: { stored: 0, alreadyThere: 0, dropped: 0 } });
      // Each upload really was sent and its answer lost: twice (one retry) per file.
      expect(proxy.requests.filter((request) => request.method === 'POST' && request.url.endsWith('/instances'))).toHaveLength(2 * COUNT);
      expect([...(await instanceMd5s(orthanc)).values()].sort()).toEqual(expectedMd5s);
    } finally {
      await proxy.close();
    }
  });

  it('stays failed when the target does not hold it', async () => {
    const orthanc = await start();
    const proxy = await lossyProxy(orthanc, false);
    try {
      const { summary, reasons } = await importThrough(proxy);
      expect(summary).toMatchObject({ instances: 0, answersLost: 0, exitCode: 1 });
      expect(reasons).toHaveLength(COUNT);
      for (const reason of reasons) expect(reason).toMatch(/^gave up after 2 attempts: UND_ERR_SOCKET: .*; the target does not hold it$/);
      expect(summary.classes.failed.files).toBe(COUNT);
      expect(await listInstances(orthanc)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
