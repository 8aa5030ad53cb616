// A wide-area link in user space, for the benchmarks (this kernel has no netem): a TCP proxy on
// 127.0.0.1 that adds a round-trip time and shares one bandwidth limit per direction between all
// of its connections.
// - A new connection costs one RTT before its first byte leaves (the TCP handshake): the client's
//   first byte reaches the target 1.5 RTT after it connected, the answer is back after 2 RTT; on a
//   connection already open, 0.5 RTT and 1 RTT.
// - Each chunk takes its turn on its direction's link (bytes / bandwidth, one link per direction
//   for every connection), then arrives a one-way delay (RTT / 2) later.
// - One queue and one timer per direction and connection: timers of different lengths may fire
//   out of order, a queue may not, so a connection's bytes stay in order.
// - A connection stops reading while more than MAX_WAITING bytes of it wait on the link or in the
//   receiver's buffer (a receiver that reads slowly slows its sender, as TCP's window does).
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
// `from` is not read before `opensAt`, when its side of the connection may send.
const carry = (from: Socket, to: Socket, link: Link, oneWayMs: number, opensAt: number): void => {
  const queue: Due[] = [];
  let waiting = 0;
  let lastAt = 0;
  let open = false;
  let timer: NodeJS.Timeout | undefined;
  const backlog = (): number => waiting + to.writableLength;
  const resumeIfRoom = (): void => {
    if (open && backlog() <= MAX_WAITING / 2 && from.isPaused()) from.resume();
  };
  const pump = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= now + 0.5) {
      const { chunk } = queue.shift() as Due;
      if (chunk === null) {
        if (!to.destroyed) to.end();
        continue;
      }
      waiting -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    resumeIfRoom();
    const next = queue[0];
    if (next !== undefined) timer = setTimeout(pump, Math.max(0, next.at - performance.now()));
  };
  const push = (at: number, chunk: Buffer | null): void => {
    lastAt = Math.max(lastAt, at);
    queue.push({ at: lastAt, chunk });
    timer ??= setTimeout(pump, Math.max(0, (queue[0]?.at ?? lastAt) - performance.now()));
  };
  // Paused before the listener is attached, so the stream does not flow until the connection is open.
  from.pause();
  from.on('data', (chunk: Buffer) => {
    waiting += chunk.length;
    push(link.sentAt(chunk.length) + oneWayMs, chunk);
    if (backlog() > MAX_WAITING) from.pause();
  });
  from.on('end', () => { push(performance.now() + oneWayMs, null); });
  to.on('drain', resumeIfRoom);
  setTimeout(() => {
    open = true;
    resumeIfRoom();
  }, Math.max(0, opensAt - performance.now()));
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
  // Half-open allowed: an end is carried across the link like the bytes before it, never answered at once.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections += 1;
    const connectedAt = performance.now();
    const upstream = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    // The SYN reaches the target after one way: it may answer then; the client may send once the
    // SYN-ACK is back, a whole RTT after it connected.
    carry(client, upstream, up, oneWayMs, connectedAt + shape.rttMs);
    carry(upstream, client, down, oneWayMs, connectedAt + oneWayMs);
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
