// The uploader against scripted faults: what Orthanc's answers mean (rejected, run-stopping), and
// against a real Orthanc; the retries themselves are the HTTP client's (test/targets/http/client.test.ts).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ImporterError } from '../../../src/core/errors.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { Uploader } from '../../../src/targets/orthanc/upload.js';
import { instanceSizes, orthancJson, orthancsOfThisFile, uploadToOrthanc } from '../../helpers/orthanc.js';
import { startScriptedServer, stored, type ScriptedServer } from '../../helpers/scripted-server.js';
import { fixtureDicoms, uploadAll } from '../../helpers/storages.js';

const body = new Uint8Array(1000).fill(7);
let server: ScriptedServer | undefined;
let uploader: Uploader | undefined;

const setup = async (script: Parameters<typeof startScriptedServer>[0], retries = 3) => {
  server = await startScriptedServer(script);
  uploader = new Uploader(parseEndpoint(`${server.url}/prefix`, { headers: ['X-Api-Key: k1'] }), { concurrency: 2, retries, retryDelayMs: 5, retryTimeoutMs: 2000, outagePollMs: 50 }, 2);
  return { server, uploader };
};

afterEach(async () => {
  await uploader?.close();
  await server?.close();
  uploader = undefined;
  server = undefined;
});

describe('Uploader', () => {
  it('posts the bytes with Content-Length, the content type and the extra headers, never Expect', async () => {
    const { server, uploader } = await setup((_index, _request, response) => { stored(response); });
    const result = await uploader.upload(body, body.length);
    expect(result).toMatchObject({ kind: 'stored', status: 'Success', httpStatus: 200 });
    const [request] = server.requests;
    expect(request?.url).toBe('/prefix/instances');
    expect(request?.headers['content-length']).toBe('1000');
    expect(request?.headers['content-type']).toBe('application/dicom');
    expect(request?.headers['x-api-key']).toBe('k1');
    expect(request?.headers.expect).toBeUndefined();
    expect(request?.bodyLength).toBe(1000);
  });

  it('does not retry a permanent 400 and keeps Orthanc message and details', async () => {
    const { server, uploader } = await setup((_index, _request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ Message: 'Bad file format', Details: 'Cannot parse an invalid DICOM file (size: 1000 bytes)' }));
    });
    const result = await uploader.upload(body, body.length);
    expect(result).toEqual({ kind: 'rejected', httpStatus: 400, message: 'Bad file format', details: 'Cannot parse an invalid DICOM file (size: 1000 bytes)' });
    expect(server.requests.filter((request) => request.url.endsWith('/instances'))).toHaveLength(1);
  });

  it('stops the run on 401 with E_TARGET_AUTH', async () => {
    const { uploader } = await setup((_index, _request, response) => response.writeHead(401).end());
    await expect(uploader.upload(body, body.length)).rejects.toSatisfy(
      (error: unknown) => error instanceof ImporterError && error.code === 'E_TARGET_AUTH',
    );
  });

  it('stops the run at once, without retrying, when the target cannot write its storage (its disk is full)', async () => {
    // Orthanc 1.10's answer on a full storage disk (test/interruptions.test.ts sees it from a real one).
    const answer = { HttpError: 'Internal Server Error', HttpStatus: 500, Message: 'Cannot write to file', Method: 'POST', OrthancError: 'Cannot write to file', OrthancStatus: 14, Uri: '/instances' };
    const { server, uploader } = await setup((_index, _request, response) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(answer)));
    await expect(uploader.upload(body, body.length)).rejects.toSatisfy(
      (error: unknown) => error instanceof ImporterError && error.code === 'E_TARGET_FULL' && /the target's disk is full/i.test(error.message),
    );
    expect(server.requests.filter((request) => request.url.endsWith('/instances'))).toHaveLength(1);
  });

  it('names the cause of a failure without what changes from one request to the next', async () => {
    const { uploader } = await setup((_index, _request, response) => response.writeHead(500).end(JSON.stringify({ Message: 'SQLite: Cannot run a cached statement', OrthancStatus: 1009 })), 1);
    expect(await uploader.upload(body, body.length)).toMatchObject({ kind: 'failed', cause: 'HTTP 500 SQLite: Cannot run a cached statement', reason: 'gave up after 2 attempts: HTTP 500 SQLite: Cannot run a cached statement' });
    const reset = await setup((_index, _request, response) => response.socket?.destroy(), 0);
    expect(await reset.uploader.upload(body, body.length)).toMatchObject({ kind: 'failed', cause: 'UND_ERR_SOCKET' });
  });
});

describe('Uploader.listInstances against scripted faults', () => {
  // Answers GET /instances?expand... in turn with each of `answers` (then with the last one).
  const listingServer = async (answers: readonly ((response: ServerResponse) => void)[]): Promise<{ url: string; close: () => Promise<void>; asked: () => number }> => {
    let asked = 0;
    const listing = createServer((request, response) => {
      if (request.url?.includes('/instances?expand') !== true) {
        response.writeHead(404).end();
        return;
      }
      const answer = answers[Math.min(asked++, answers.length - 1)];
      answer?.(response);
    });
    await new Promise<void>((resolve) => listing.listen(0, '127.0.0.1', resolve));
    const { port } = listing.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, asked: () => asked, close: () => new Promise((resolve) => listing.close(() => { resolve(); })) };
  };
  const page = (response: ServerResponse): void => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ ID: 'one', FileSize: 12 }, { ID: 'two' }]));
  };
  const listAll = async (url: string): Promise<unknown[]> => {
    const lister = new Uploader(parseEndpoint(url, {}), { concurrency: 1, retries: 2, retryDelayMs: 5, retryTimeoutMs: 2000, outagePollMs: 50 }, 2);
    try {
      const listed: unknown[] = [];
      for await (const instances of lister.listInstances()) listed.push(...instances);
      return listed;
    } finally {
      await lister.close();
    }
  };

  it('retries a reset connection and a 503, and keeps only entries with an ID and a file size', async () => {
    const server = await listingServer([(response) => response.socket?.destroy(), (response) => response.writeHead(503).end(), page]);
    try {
      expect(await listAll(server.url)).toEqual([{ id: 'one', size: 12, file: '' }]);
      // The reset and the 503 were retried; the page asked ahead may have been asked again before the listing ended.
      expect(server.asked()).toBeGreaterThanOrEqual(3);
    } finally {
      await server.close();
    }
  });

  it('stops the run on 401 with E_TARGET_AUTH, and names the listing when the target keeps failing', async () => {
    const refusing = await listingServer([(response) => response.writeHead(401).end()]);
    const failing = await listingServer([(response) => response.writeHead(500).end()]);
    try {
      await expect(listAll(refusing.url)).rejects.toSatisfy((error: unknown) => error instanceof ImporterError && error.code === 'E_TARGET_AUTH');
      await expect(listAll(failing.url)).rejects.toThrow(/Cannot list the target's instances \(gave up after 3 attempts: HTTP 500/);
    } finally {
      await refusing.close();
      await failing.close();
    }
  });
});

describe('Uploader against a real Orthanc', () => {
  const start = orthancsOfThisFile();

  it('lists every instance once with its file size, in pages that grow', async () => {
    const orthanc = await start();
    const files = await fixtureDicoms();
    const ids = await uploadAll(orthanc, files);
    const lister = new Uploader(parseEndpoint(orthanc.url, {}), { concurrency: 2, retries: 1, retryDelayMs: 5, retryTimeoutMs: 2000 }, 2);
    try {
      for (const [first, largest] of [[1, 4], [2, 2], [files.length, files.length], [1000, 10_000]] as const) {
        const listed: { id: string; size: number }[] = [];
        const sizes: number[] = [];
        for await (const page of lister.listInstances(first, largest)) {
          listed.push(...page);
          sizes.push(page.length);
        }
        if (first === 1) expect(sizes.slice(0, 3)).toEqual([1, 2, 4]);
        expect(listed.map((instance) => instance.id).sort()).toEqual([...ids].sort());
        expect(new Map(listed.map((instance) => [instance.id, instance.size]))).toEqual(await instanceSizes(orthanc));
      }
    } finally {
      await lister.close();
    }
  });

  it('finds an instance under the ID Orthanc gives its SOP Instance UID (POST /tools/lookup)', async () => {
    const orthanc = await start();
    const [file] = await fixtureDicoms();
    const { ID: id } = await uploadToOrthanc(orthanc, file ?? '');
    const { MainDicomTags: tags } = await orthancJson<{ MainDicomTags: { SOPInstanceUID: string } }>(orthanc, `/instances/${id}`);
    const finder = new Uploader(parseEndpoint(orthanc.url, {}), { concurrency: 1, retries: 1, retryDelayMs: 5, retryTimeoutMs: 2000 }, 2);
    try {
      expect(await finder.findStored('not-its-id', tags.SOPInstanceUID)).toMatchObject({ instanceId: id, stored: { kind: 'md5' } });
      expect(await finder.findStored('not-its-id', '1.2.3.4.5.6.7.8.9')).toEqual({ instanceId: 'not-its-id', stored: { kind: 'absent' } });
    } finally {
      await finder.close();
    }
  });
});
