// The first request decides whether the run can start: real Orthanc answers, and scripted failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImporterError, type ErrorCode } from '../../../src/core/errors.js';
import { assessTarget, checkTarget } from '../../../src/targets/orthanc/preflight.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { startOrthanc, type RunningOrthanc } from '../../helpers/orthanc.js';
import { startScriptedServer } from '../../helpers/scripted-server.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const failsWith = (code: ErrorCode) => (error: unknown) => error instanceof ImporterError && error.code === code;

describe('checkTarget', () => {
  let orthanc: RunningOrthanc;
  beforeAll(async () => {
    orthanc = await startOrthanc({ auth: { username: 'bob', password: 'right' } });
  });
  afterAll(async () => {
    await orthanc.stop();
  });

  it('reads the version of a real Orthanc with good credentials', async () => {
    const system = await checkTarget(parseEndpoint(orthanc.url, { username: 'bob', password: 'right' }));
    expect(system.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses wrong or missing credentials with E_TARGET_AUTH', async () => {
    await expect(checkTarget(parseEndpoint(orthanc.url, { username: 'bob', password: 'wrong' }))).rejects.toSatisfy(failsWith('E_TARGET_AUTH'));
    await expect(checkTarget(parseEndpoint(orthanc.url, {}))).rejects.toSatisfy(failsWith('E_TARGET_AUTH'));
  });

  it('says the URL is not an Orthanc when /system is not found (a wrong prefix)', async () => {
    await expect(checkTarget(parseEndpoint(`${orthanc.url}/wrong-prefix`, { username: 'bob', password: 'right' }))).rejects.toSatisfy(
      failsWith('E_TARGET_NOT_ORTHANC'),
    );
  });

  it('says the target is unreachable when the connection is refused', async () => {
    const server = await startScriptedServer(() => undefined);
    const url = server.url;
    await server.close();
    await expect(checkTarget(parseEndpoint(url, {}))).rejects.toSatisfy(failsWith('E_TARGET_UNREACHABLE'));
  });

  it('stops reading an endless answer to GET /system: not an Orthanc', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = (): void => {
        while (response.write(chunk));
        response.once('drain', more);
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(checkTarget(parseEndpoint(`http://127.0.0.1:${port}`, {}))).rejects.toSatisfy(failsWith('E_TARGET_NOT_ORTHANC'));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// Orthanc 1.10 (Debian) does not report these fields, so a scripted server answers GET /system as a
// newer Orthanc (1.12) does; what matters here is how the importer reads the answer.
const newerOrthanc = async (fields: Record<string, unknown>): Promise<{ url: string; close: () => Promise<void> }> => {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ Version: '1.12.9', ApiVersion: 26, Name: 'newer', ...fields }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => { resolve(); })) };
};

describe('assessTarget', () => {
  const assess = async (fields: Record<string, unknown>, allowRecycling = false) => {
    const server = await newerOrthanc(fields);
    try {
      return assessTarget(await checkTarget(parseEndpoint(server.url, {})), { allowRecycling });
    } finally {
      await server.close();
    }
  };

  it('refuses a read-only target', async () => {
    await expect(assess({ ReadOnly: true })).rejects.toSatisfy(failsWith('E_TARGET_READ_ONLY'));
  });

  it('refuses a target that recycles patients, unless --allow-recycling', async () => {
    await expect(assess({ MaximumStorageSize: 100, MaximumStorageMode: 'Recycle' })).rejects.toSatisfy(failsWith('E_TARGET_RECYCLING'));
    await expect(assess({ MaximumPatientCount: 5 })).rejects.toSatisfy(failsWith('E_TARGET_RECYCLING'));
    const allowed = await assess({ MaximumPatientCount: 5 }, true);
    expect(allowed.warnings.join()).toMatch(/MaximumPatientCount 5 .*--allow-recycling/);
  });

  it('accepts limits in Reject mode and no limits at all', async () => {
    expect((await assess({ MaximumStorageSize: 100, MaximumStorageMode: 'Reject' })).warnings).toEqual([]);
    expect((await assess({ MaximumStorageSize: 0, MaximumPatientCount: 0, ReadOnly: false })).warnings).toEqual([]);
  });

  it('warns that verification only checks presence when the target transcodes', async () => {
    const assessment = await assess({ IngestTranscoding: '1.2.840.10008.1.2.4.50' });
    expect(assessment.transcoding).toBe(true);
    expect(assessment.warnings.join()).toMatch(/transcodes incoming files/);
  });

  it('reads a real Orthanc 1.10 (which reports none of these fields) as an ordinary target', async () => {
    const orthanc = await startOrthanc();
    try {
      const assessment = assessTarget(await checkTarget(parseEndpoint(orthanc.url, {})), { allowRecycling: false });
      expect(assessment).toMatchObject({ transcoding: false, warnings: [] });
    } finally {
      await orthanc.stop();
    }
  });
});
