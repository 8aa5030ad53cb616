// A wide-area link in user space, for the benchmarks (this kernel has no netem): a TCP proxy on
// 127.0.0.1 that adds a round-trip time and shares one bandwidth limit per direction between all
// of its connections.
// - A new connection waits one RTT before its first byte passes (the TCP handshake).
// - Each chunk takes its turn on its direction's link (bytes / bandwidth, one link for every
//   connection), then arrives a one-way delay (RTT / 2) later.
// - One queue and one timer per direction and connection: timers of different lengths may fire
//   out of order, a queue may not, so a connection's bytes stay in order.
// - A connection stops reading while more than MAX_WAITING bytes of it wait on the link.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** Bytes of one connection and direction waiting on the link before its reading pauses. */
const MAX_WAITING = 4 * 1024 * 1024;

/** The proxy's shape: its delay and its bandwidth per direction. */
export interface WanShape {
  readonly rttMs: number;
  readonly mbit: number;
}

/** A running proxy: where to connect, and what went through it. */
export interface WanProxy {
  readonly port: number;
  /** Bytes carried towards the target and back. */
  stats(): { readonly up: number; readonly down: number; readonly connections: number };
  close(): Promise<void>;
}

/** One direction of the link, shared by every connection: when the next byte may start. */
class Link {
  #freeAt = 0;
  bytes = 0;

  constructor(private readonly bytesPerMs: number) {}

  // When a chunk handed over now has been serialised on the link.
  sentAt(length: number): number {
    this.#freeAt = Math.max(this.#freeAt, performance.now()) + length / this.bytesPerMs;
    this.bytes += length;
    return this.#freeAt;
  }
}

/** A chunk (or the end of the stream, null) due at the far end at `at` (performance.now() time). */
interface Due {
  readonly at: number;
  readonly chunk: Buffer | null;
}

// Carries `from` to `to` over `link`, each chunk arriving one-way delay after it left the link;
// `opensAt`: no byte arrives before the connection is set up.
const carry = (from: Socket, to: Socket, link: Link, oneWayMs: number, opensAt: number): void => {
  const queue: Due[] = [];
  let waiting = 0;
  let lastAt = opensAt;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= now + 0.5) {
      const { chunk } = queue.shift() as Due;
      if (chunk === null) {
        to.end();
        continue;
      }
      waiting -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (waiting <= MAX_WAITING / 2 && from.isPaused()) from.resume();
    const next = queue[0];
    if (next !== undefined) timer = setTimeout(pump, Math.max(0, next.at - performance.now()));
  };
  const push = (at: number, chunk: Buffer | null): void => {
    lastAt = Math.max(lastAt, at);
    queue.push({ at: lastAt, chunk });
    timer ??= setTimeout(pump, Math.max(0, (queue[0]?.at ?? lastAt) - performance.now()));
  };
  from.on('data', (chunk: Buffer) => {
    waiting += chunk.length;
    push(link.sentAt(chunk.length) + oneWayMs, chunk);
    if (waiting > MAX_WAITING) from.pause();
  });
  from.on('end', () => { push(performance.now() + oneWayMs, null); });
};

// Why: the replication and import benches measure what a migration across sites would see,
// with every connection sharing one link, as a real one does.
export const startWanProxy = async (targetPort: number, shape: WanShape): Promise<WanProxy> => {
  const bytesPerMs = (shape.mbit * 1e6) / 8 / 1000;
  const up = new Link(bytesPerMs);
  const down = new Link(bytesPerMs);
  const oneWayMs = shape.rttMs / 2;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections += 1;
    const opensAt = performance.now() + shape.rttMs;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    carry(client, upstream, up, oneWayMs, opensAt);
    carry(upstream, client, down, oneWayMs, opensAt);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the WAN proxy has no port');
  return {
    port: address.port,
    stats: () => ({ up: up.bytes, down: down.bytes, connections }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolveClose) => server.close(() => { resolveClose(); }));
    },
  };
};
