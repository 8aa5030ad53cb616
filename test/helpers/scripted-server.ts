// A node:http server on 127.0.0.1:0 with a scripted handler, for fault injection only (resets,
// 5xx, stalls, refusals). Orthanc's real answers are always tested against a real Orthanc.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly bodyLength: number;
  /** The body itself, kept only when the server was started with `keepBodies` (to forward it). */
  readonly body: Buffer;
}

export interface ScriptedServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** The script: gets the request number (0-based, counting every request) and answers it. */
export type Script = (index: number, request: SeenRequest, response: ServerResponse) => void;

// Why: answers /system like an Orthanc does, so preflight passes and the script only sees uploads.
export const orthancSystem = (response: ServerResponse): void => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ Version: '1.12.9', Name: 'scripted', ApiVersion: 26 }));
};

// Why: fault injection needs a server whose every answer the test decides.
// `keepBodies`: keep each request's body for the script (a forwarding proxy); otherwise only its
// length is counted, so a test may stream gigabytes through. `port`: listen there (a server that
// comes back where it was after an outage).
export const startScriptedServer = async (script: Script, { keepBodies = false, port = 0 } = {}): Promise<ScriptedServer> => {
  const requests: SeenRequest[] = [];
  let uploads = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let bodyLength = 0;
    request.on('data', (chunk: Buffer) => {
      bodyLength += chunk.length;
      if (keepBodies) chunks.push(chunk);
    });
    request.on('end', () => {
      const seen = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, bodyLength, body: Buffer.concat(chunks) };
      requests.push(seen);
      if (seen.url.endsWith('/system')) {
        orthancSystem(response);
        return;
      }
      if (seen.method === 'GET' && /\/instances(\?|$)/.test(seen.url)) {
        response.writeHead(200, { 'content-type': 'application/json' }).end('[]'); // an empty target's listing
        return;
      }
      if (seen.method === 'GET' && seen.url.endsWith('/statistics')) {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"CountInstances": 0}');
        return;
      }
      script(uploads++, seen, response);
    });
  });
  server.keepAliveTimeout = 10;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
};

// Why: a successful Orthanc-shaped answer for scripted uploads.
export const stored = (response: ServerResponse, status = 'Success'): void => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ ID: 'aaaaaaaa-bbbbbbbb-cccccccc-dddddddd-eeeeeeee', Status: status, Path: '/instances/x' }));
};

// Why: a target that holds every upload until the test lets it answer gives a run as long as the
// test needs (to type Ctrl-C, start a second run, kill -9), without any timing.
export const heldTarget = async (): Promise<{ server: ScriptedServer; release: () => void; firstUpload: Promise<void> }> => {
  const held: ServerResponse[] = [];
  let released = false;
  let arrived: () => void = () => undefined;
  const firstUpload = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const server = await startScriptedServer((_index, _request, response) => {
    if (released) stored(response);
    else held.push(response);
    arrived();
  });
  const release = (): void => {
    released = true;
    for (const response of held.splice(0)) stored(response);
  };
  return { server, release, firstUpload };
};

// Why: a proxy that forwards a body must say how to read it (its type, and gzip when the run chose it).
export const bodyHeaders = (request: SeenRequest): Record<string, string> =>
  Object.fromEntries(
    ['content-type', 'content-encoding'].flatMap((name) => {
      const value = request.headers[name];
      return typeof value === 'string' ? [[name, value]] : [];
    }),
  );
