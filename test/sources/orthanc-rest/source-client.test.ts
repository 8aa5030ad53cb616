// The connection to an Orthanc source: its own credentials and headers on every request, and a
// source that refuses them mid-run stops the run (fault injection: a scripted server; refusals of
// a real Orthanc are in test/e2e/rest-source.test.ts).
import { describe, expect, it } from 'vitest';
import { SourceClient } from '../../../src/sources/orthanc-rest/source-client.js';
import { startScriptedServer } from '../../helpers/scripted-server.js';
import { refusal } from '../../helpers/refusal.js';

const OPTIONS = { sourceConcurrency: 1, sourceDownload: 'compressed-data' as const, retries: 0, retryDelayMs: 1, retryTimeoutMs: 1000 };

describe('SourceClient', () => {
  it('sends the source credentials and --source-header values with every request, the URL\'s user winning over the flags', async () => {
    const server = await startScriptedServer((_index, _request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"Last": 3}');
    });
    const url = new URL(server.url);
    url.username = 'bob';
    url.password = 's%40cret';
    const client = await SourceClient.open(url.toString(), { ...OPTIONS, sourceCredentials: { username: 'ignored', password: 'ignored', headers: ['X-Api-Key: 123'] } }, undefined);
    try {
      expect(client.endpoint.display).toBe(server.url);
      expect(await client.json('/changes?last')).toEqual({ ok: true, value: { Last: 3 } });
      expect(server.requests).toHaveLength(2); // GET /system, then the request
      for (const request of server.requests) {
        expect(request.headers['x-api-key']).toBe('123');
        expect(request.headers.authorization).toBe(`Basic ${Buffer.from('bob:s@cret').toString('base64')}`);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('stops the run when the source refuses the credentials mid-run, naming the source, not the target', async () => {
    const server = await startScriptedServer((_index, _request, response) => {
      response.writeHead(401).end();
    });
    const client = await SourceClient.open(server.url, { ...OPTIONS, sourceCredentials: {} }, undefined);
    try {
      const error = await refusal(client.json('/tools/find', { Level: 'Study' }));
      expect(error).toMatchObject({ code: 'E_SOURCE', message: `The source ${server.url} refused the credentials during the run (HTTP 401); the run stops, run it again to resume` });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('refuses a malformed --source-header without echoing it', async () => {
    const error = await refusal(SourceClient.open('http://127.0.0.1:1', { ...OPTIONS, sourceCredentials: { headers: ['secret-without-colon'] } }, undefined));
    expect(error.message).toBe("Expected every --source-header to look like 'Name: value' (header 1 does not)");
  });
});
