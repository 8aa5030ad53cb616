// HTTPS in front of a real Orthanc, as nginx or a load balancer puts it in production: TLS ends
// here and every byte goes to the Orthanc and back unchanged; its answers are all Orthanc's own.
// Why not Orthanc's own "SslEnabled": Debian's 1.10.1 crashes (SIGSEGV) on the first TLS
// connection: its civetweb 1.15 loads libssl.so at run time and calls SSL_get_peer_certificate,
// which OpenSSL 3 no longer exports (gdb: a call to address 0 in a civetweb worker).
import { readFile } from 'node:fs/promises';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer } from 'node:tls';
import { afterAll } from 'vitest';
import type { ServerIdentity } from './certificates.js';

export interface TlsFront {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

// Why: serves `identity` on a free port of 127.0.0.1 and passes each connection to the plain
// HTTP port of the Orthanc behind it.
export const startTlsFront = async (identity: ServerIdentity, orthancPort: number): Promise<TlsFront> => {
  const [cert, key] = await Promise.all([readFile(identity.cert), readFile(identity.key)]);
  const sockets = new Set<Socket>();
  const server = createServer({ cert, key }, (client) => {
    const orthanc = connect(orthancPort, '127.0.0.1');
    for (const socket of [client, orthanc]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('error', () => orthanc.destroy());
    orthanc.on('error', () => client.destroy());
    client.pipe(orthanc).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  };
};

// Why: every front a test file starts is closed at its end, like its Orthancs. Call at the top level.
export const tlsFrontsOfThisFile = (): ((identity: ServerIdentity, orthancPort: number) => Promise<TlsFront>) => {
  const fronts: TlsFront[] = [];
  afterAll(async () => {
    await Promise.all(fronts.map((front) => front.close()));
  });
  return async (identity, orthancPort) => {
    const front = await startTlsFront(identity, orthancPort);
    fronts.push(front);
    return front;
  };
};
