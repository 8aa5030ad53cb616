// The HTTP client every HTTP backend shares, against scripted faults: what is retried, what a
// backend's policy stops, how an outage pauses, and how a large answer streams through.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ImporterError } from '../../../src/core/errors.js';
import { HttpClient, type BackendSetup, type RetryOptions } from '../../../src/targets/http/client.js';
import { parseEndpoint } from '../../../src/targets/http/endpoint.js';
import { standardPolicy, type AnswerPolicy } from '../../../src/targets/http/policy.js';
import { startScriptedServer, type ScriptedServer } from '../../helpers/scripted-server.js';

const plainPolicy = standardPolicy(() => undefined);
const options: RetryOptions = { concurrency: 2, retries: 3, retryDelayMs: 5, retryTimeoutMs: 5000, outagePollMs: 20 };
const servers: ScriptedServer[] = [];
const clients: HttpClient[] = [];

const serve = async (script: Parameters<typeof startScriptedServer>[0], port = 0): Promise<ScriptedServer> => {
  const server = await startScriptedServer(script, { port });
  servers.push(server);
  return server;
};

const clientOf = (url: string, backend: Partial<BackendSetup> = {}, retry: Partial<RetryOptions> = {}): HttpClient => {
  const client = new HttpClient(parseEndpoint(`${url}/root`, { headers: ['X-Api-Key: k1'] }), { ...options, ...retry }, { policy: plainPolicy, probePath: '/studies?limit=1', ...backend });
  clients.push(client);
  return client;
};

const ok = (response: ServerResponse, text = 'fine'): void => {
  response.writeHead(200, { 'content-type': 'text/plain', 'x-answer': 'yes' }).end(text);
};

// A server that answered and is gone now: its URL, and what brings it back where it was.
const goneServer = async (): Promise<{ first: ScriptedServer; script: (index: number, request: unknown, response: ServerResponse) => void; port: number }> => {
  const script = (_index: number, _request: unknown, response: ServerResponse): void => { ok(response); };
  const first = await serve(script);
  await first.close();
  servers.splice(0);
  return { first, script, port: Number(new URL(first.url).port) };
};

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await server.close();
});

describe('HttpClient.send', () => {
  it('retries transient answers and a reset connection, then hands over the answer, with the caller headers over the defaults', async () => {
    const server = await serve((index, _request, response) => {
      if (index === 0) response.writeHead(503).end();
      else if (index === 1) response.socket?.destroy();
      else if (index === 2) response.writeHead(429).end();
      else ok(response);
    });
    const body = new Uint8Array(300).fill(1);
    const exchange = await clientOf(server.url).send({ method: 'POST', path: '/studies', headers: { 'content-type': 'multipart/related; type="application/dicom"' }, body, size: body.length });
    expect(exchange).toMatchObject({ kind: 'answer', statusCode: 200, text: 'fine', headers: { 'x-answer': 'yes' } });
    expect(server.requests).toHaveLength(4);
    const last = server.requests[3];
    expect(last).toMatchObject({ method: 'POST', url: '/root/studies', bodyLength: 300 });
    expect(last?.headers).toMatchObject({ 'content-type': 'multipart/related; type="application/dicom"', 'content-length': '300', 'x-api-key': 'k1' });
  });

  it('re-creates a streamed body for each attempt', async () => {
    let streams = 0;
    const server = await serve((index, request, response) => {
      if (index === 0) response.writeHead(503).end();
      else if (request.bodyLength === 1000) ok(response);
      else response.writeHead(400).end();
    });
    const body = new Uint8Array(1000).fill(7);
    const stream = (): Readable => {
      streams++;
      return Readable.from([body.subarray(0, 500), body.subarray(500)]);
    };
    expect(await clientOf(server.url).send({ method: 'POST', path: '/studies', body: stream, size: body.length })).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(streams).toBe(2);
  });

  it('hands over answers the policy does not judge, without retrying them', async () => {
    const server = await serve((_index, _request, response) => response.writeHead(404).end('no such study'));
    expect(await clientOf(server.url).send({ method: 'GET', path: '/studies/1' })).toMatchObject({ kind: 'answer', statusCode: 404, text: 'no such study' });
    expect(server.requests).toHaveLength(1);
  });

  it('stops the run on an answer the backend policy finds run-stopping, at once', async () => {
    const full: AnswerPolicy = (statusCode, text) => {
      if (statusCode === 200 && text.includes('A700')) throw new ImporterError('E_TARGET_FULL', 'The DICOMweb server is out of resources (A700)');
      return plainPolicy(statusCode, text);
    };
    const server = await serve((_index, _request, response) => { ok(response, '{"FailureReason": "A700"}'); });
    await expect(clientOf(server.url, { policy: full }).send({ method: 'POST', path: '/studies' })).rejects.toSatisfy(
      (error: unknown) => error instanceof ImporterError && error.code === 'E_TARGET_FULL' && /out of resources/.test(error.message),
    );
    expect(server.requests).toHaveLength(1);
  });

  it('stops the run on refused credentials by default', async () => {
    const server = await serve((_index, _request, response) => response.writeHead(403).end());
    await expect(clientOf(server.url).send({ method: 'GET', path: '/studies' })).rejects.toSatisfy((error: unknown) => error instanceof ImporterError && error.code === 'E_TARGET_AUTH');
  });

  it('names the cause of a failure without what changes from one request to the next, with the last reason', async () => {
    const busy = await serve((_index, _request, response) => response.writeHead(503).end('{"why": "busy"}'));
    const reading = standardPolicy((text) => (JSON.parse(text) as { why: string }).why);
    expect(await clientOf(busy.url, { policy: reading }, { retries: 2 }).send({ method: 'GET', path: '/studies' })).toEqual({
      kind: 'failed',
      cause: 'HTTP 503 busy',
      reason: 'gave up after 3 attempts: HTTP 503 busy',
    });
    expect(busy.requests).toHaveLength(3);
    const resetting = await serve((_index, _request, response) => response.socket?.destroy());
    const reset = await clientOf(resetting.url, {}, { retries: 1 }).send({ method: 'GET', path: '/studies' });
    expect(reset).toMatchObject({ kind: 'failed', cause: 'UND_ERR_SOCKET', reason: expect.stringMatching(/^gave up after 2 attempts: UND_ERR_SOCKET: /) as unknown });
    expect(resetting.requests).toHaveLength(2);
  });

  it('pauses every request while the target is away, probes it, and carries on once it is back', async () => {
    const { first, script, port } = await goneServer();
    const heard: string[] = [];
    let back: Promise<ScriptedServer> | undefined;
    const client = clientOf(first.url, {
      events: {
        onDown: (reason) => {
          heard.push(`down: ${reason}`);
          back = serve(script, port); // the target comes back where it was
        },
        onUp: () => heard.push('up'),
      },
    }, { retries: 0 });
    const [one, two] = await Promise.all([client.send({ method: 'GET', path: '/studies/1' }), client.send({ method: 'GET', path: '/studies/2', plain: { timeoutMs: 5000, maxBytes: 1024 } })]);
    expect(one).toMatchObject({ kind: 'answer', statusCode: 200 });
    expect(two).toMatchObject({ kind: 'answer', statusCode: 200, headers: { 'x-answer': 'yes' } });
    expect(heard).toEqual([expect.stringMatching(/^down: ECONNREFUSED/), 'up']); // one shared pause for both
    const server = await back;
    expect(server?.requests.map((request) => request.url)).toEqual(expect.arrayContaining(['/root/studies?limit=1', '/root/studies/1', '/root/studies/2']));
  });

  it('shares one pause with another client of the same server (the uploads and their checks): one warning, one wait', async () => {
    const { first, script, port } = await goneServer();
    const heard: string[] = [];
    let back: Promise<ScriptedServer> | undefined;
    const events = {
      onDown: (reason: string) => {
        heard.push(`down: ${reason}`);
        back ??= serve(script, port);
      },
      onUp: () => heard.push('up'),
    };
    const uploads = clientOf(first.url, { events }, { retries: 0 });
    const checks = clientOf(first.url, { events, sharesOutageWith: uploads }, { retries: 0 });
    const answers = await Promise.all([uploads.send({ method: 'GET', path: '/studies/1' }), checks.send({ method: 'GET', path: '/studies/2' })]);
    expect(answers).toMatchObject([{ kind: 'answer', statusCode: 200 }, { kind: 'answer', statusCode: 200 }]);
    expect(heard).toEqual([expect.stringMatching(/^down: ECONNREFUSED/), 'up']);
    await back;
  });

  it('stops the run when the target stays away past the retry timeout', async () => {
    const gone = await serve(() => undefined);
    const { url } = gone;
    await gone.close();
    servers.splice(0);
    await expect(clientOf(url, {}, { retryTimeoutMs: 50 }).send({ method: 'GET', path: '/studies' })).rejects.toSatisfy(
      (error: unknown) => error instanceof ImporterError && error.code === 'E_TARGET_UNREACHABLE',
    );
  });
});

describe('HttpClient.stream', () => {
  const CHUNK = 64 * 1024;
  const CHUNKS = 128; // 8 MiB
  const chunkOf = (index: number): Buffer => Buffer.alloc(CHUNK, index % 251);
  const expected = (): string => {
    const hash = createHash('sha256');
    for (let index = 0; index < CHUNKS; index++) hash.update(chunkOf(index));
    return hash.digest('hex');
  };
  const hashOf = async (body: Readable): Promise<string> => {
    const hash = createHash('sha256');
    for await (const chunk of body as AsyncIterable<Buffer>) hash.update(chunk);
    return hash.digest('hex');
  };
  // Writes the chunks from `from`, each once the last one drained.
  const writeChunks = async (response: ServerResponse, from: number, to: number): Promise<void> => {
    for (let index = from; index < to; index++) {
      if (!response.write(chunkOf(index))) await new Promise((resolve) => response.once('drain', resolve));
    }
  };

  it('hands a large answer to the consumer as it arrives, not once it is all there', async () => {
    let consumerReading: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => {
      consumerReading = resolve;
    });
    const server = await serve((_index, _request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(CHUNK * CHUNKS) });
      void (async () => {
        await writeChunks(response, 0, 1);
        await reading; // the rest only once the consumer has read some: a client that buffered would wait forever
        await writeChunks(response, 1, CHUNKS);
        response.end();
      })();
    });
    const result = await clientOf(server.url).stream({ method: 'GET', path: '/studies/1/instances/2' }, async (statusCode, headers, body) => {
      body.once('data', () => { consumerReading(); });
      return { statusCode, type: headers['content-type'], hash: await hashOf(body) };
    });
    expect(result).toMatchObject({ kind: 'streamed', statusCode: 200, value: { statusCode: 200, type: 'application/octet-stream', hash: expected() } });
  }, 30_000); // a client that buffered the answer would never finish: fail soon

  it('calls the consumer again on a fresh answer when the connection fails mid-answer', async () => {
    const server = await serve((index, _request, response) => {
      response.writeHead(200, { 'content-length': String(CHUNK * CHUNKS) });
      void (async () => {
        await writeChunks(response, 0, index === 0 ? CHUNKS / 2 : CHUNKS);
        if (index === 0) response.socket?.destroy();
        else response.end();
      })();
    });
    let calls = 0;
    const result = await clientOf(server.url).stream({ method: 'GET', path: '/studies/1' }, (_statusCode, _headers, body) => {
      calls++;
      return hashOf(body);
    });
    expect(result).toMatchObject({ kind: 'streamed', value: expected() });
    expect(calls).toBe(2);
  });

  it('judges an answer that is not 2xx as send does, without calling the consumer', async () => {
    const server = await serve((index, _request, response) => {
      if (index === 0) response.writeHead(502).end();
      else response.writeHead(404).end('not here');
    });
    let calls = 0;
    const result = await clientOf(server.url).stream({ method: 'GET', path: '/studies/1' }, () => Promise.resolve(calls++));
    expect(result).toMatchObject({ kind: 'answer', statusCode: 404, text: 'not here' });
    expect(calls).toBe(0);
    expect(server.requests).toHaveLength(2);
  });
});
