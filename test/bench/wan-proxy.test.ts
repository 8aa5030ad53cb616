import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startWanProxy, type WanProxy } from '../../bench/wan-proxy.js';

const servers: Server[] = [];
const proxies: WanProxy[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolveClose) => server.close(resolveClose))));
});

/** A server on a port the kernel chose; `onSocket` decides what it does with each connection. */
const serve = async (onSocket: (socket: Socket) => void): Promise<number> => {
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

const proxyTo = async (port: number, rttMs: number, mbit: number): Promise<WanProxy> => {
  const proxy = await startWanProxy(port, { rttMs, mbit });
  proxies.push(proxy);
  return proxy;
};

const open = async (port: number): Promise<Socket> => {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((resolveConnect) => socket.once('connect', resolveConnect));
  return socket;
};

/** Resolves with performance.now() when `socket` has received `bytes` bytes (all of them returned). */
const receive = (socket: Socket, bytes: number): Promise<{ data: Buffer; at: number }> =>
  new Promise((resolveData) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) {
        socket.off('data', onData);
        resolveData({ data: Buffer.concat(chunks), at: performance.now() });
      }
    };
    socket.on('data', onData);
  });

describe('startWanProxy', () => {
  it('carries every byte of concurrent connections in order, both ways, and counts them', async () => {
    const proxy = await proxyTo(await serve((socket) => socket.pipe(socket)), 4, 2000);
    const payloads = Array.from({ length: 4 }, () => randomBytes(6 * 1024 * 1024));
    const echoed = await Promise.all(
      payloads.map(async (payload) => {
        const socket = await open(proxy.port);
        const back = receive(socket, payload.length);
        for (let at = 0; at < payload.length; at += 100_000) socket.write(payload.subarray(at, at + 100_000));
        return (await back).data;
      }),
    );
    echoed.forEach((data, k) => {
      expect(data.equals(payloads[k] ?? Buffer.alloc(0))).toBe(true);
    });
    expect(proxy.stats()).toEqual({ up: 4 * 6 * 1024 * 1024, down: 4 * 6 * 1024 * 1024, connections: 4 });
  });

  it('makes a new connection wait one round trip before its first byte leaves', async () => {
    const rttMs = 200;
    const proxy = await proxyTo(await serve((socket) => socket.pipe(socket)), rttMs, 1000);
    const started = performance.now();
    const socket = await open(proxy.port);
    const first = receive(socket, 1);
    socket.write('a');
    // Handshake (1 RTT), then the byte there and back (1 RTT).
    expect((await first).at - started).toBeGreaterThanOrEqual(2 * rttMs - 2);
    const again = performance.now();
    const second = receive(socket, 1);
    socket.write('b');
    expect((await second).at - again).toBeGreaterThanOrEqual(rttMs - 2);
  });

  it('shares one bandwidth limit between the connections of a direction', async () => {
    let received = 0;
    let allReceived: () => void = () => undefined;
    const done = new Promise<void>((resolveDone) => (allReceived = resolveDone));
    const proxy = await proxyTo(
      await serve((socket) =>
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 2_000_000) allReceived();
        }),
      ),
      2,
      80,
    );
    const [a, b] = await Promise.all([open(proxy.port), open(proxy.port)]);
    const started = performance.now();
    a.write(Buffer.alloc(1_000_000));
    b.write(Buffer.alloc(1_000_000));
    await done;
    // 2 MB at 80 Mbit/s (10 MB/s) take 200 ms on one shared link; 100 ms if each connection had its own.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200 - 2);
  });

  it('stops reading a sender whose receiver does not read', async () => {
    const proxy = await proxyTo(await serve((socket) => socket.pause()), 2, 4000);
    const socket = await open(proxy.port);
    socket.write(Buffer.alloc(64 * 1024 * 1024));
    // Wait until the proxy has stopped taking bytes (a quarter second without any).
    let last = -1;
    while (proxy.stats().up !== last) {
      last = proxy.stats().up;
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
    expect(proxy.stats().up).toBeLessThan(24 * 1024 * 1024);
  });
});
