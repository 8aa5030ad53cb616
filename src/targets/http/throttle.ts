// --bwlimit: one token bucket for the process, shaping request bodies as they are written.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImporterError } from '../../core/errors.js';

/** Time as the throttle sees it: a monotonic clock in ms, and a wait. Injected by the tests. */
export interface ThrottleClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const realClock: ThrottleClock = { now: () => performance.now(), sleep: async (ms) => { await sleep(ms); } };

/** How far ahead of the rate the bucket may run (catching up timers that fired late), in ms. */
const BURST_MS = 50;
/** The largest piece written at once; a slow rate writes smaller ones (20 a second). */
const LARGEST_PIECE = 64 * 1024;
const SMALLEST_PIECE = 1024;
/** How long the target may take to answer once the whole body is sent (undici's own default). */
const ANSWER_TIMEOUT_MS = 300_000;

const SUFFIXES: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

// Why: --bwlimit is bytes per second with binary k/M/G suffixes, as rclone reads it ('10M' =
// 10 MiB/s); anything else (bits, a unit, zero) is a usage error.
export const parseRate = (text: string | number): number => {
  const match = typeof text === 'number' ? null : /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text.trim());
  const bytes = typeof text === 'number' ? text : match === null ? NaN : Number(match[1]) * (SUFFIXES[(match[2] ?? '').toLowerCase()] ?? NaN);
  if (!Number.isFinite(bytes) || bytes < 1) {
    throw new ImporterError('E_USAGE', `Expected --bwlimit to be bytes per second, optionally with a k, M or G suffix (10M = 10 MiB/s), got '${String(text)}'`);
  }
  return Math.floor(bytes);
};

/** A request's body as undici takes it, shaped, and what ends its wait for an answer. */
interface ShapedBody {
  readonly body: Readable;
  /** undici's headers timeout counts from the dispatch, which a shaped body would outlast: ours counts from the body's end. */
  readonly headersTimeout: 0;
  readonly signal: AbortSignal;
  /** The answer came (or the request failed): the wait for it ends. */
  readonly answered: () => void;
}

// The error a silent target ends the request with, as undici names its own (a transient failure).
const answerTimeout = (): Error => Object.assign(new Error(`the target did not answer within ${ANSWER_TIMEOUT_MS / 1000} s of the request's end`), { code: 'UND_ERR_HEADERS_TIMEOUT' });

/**
 * Caps the bytes per second written in request bodies, across every request of the run: each piece
 * of a body waits for its turn (a virtual-time bucket, GCRA), so concurrent uploads share the rate
 * piece by piece and a 20 MB body never bursts. Only a piece at a time is held per body.
 */
export class Throttle {
  readonly bytesPerSecond: number;
  readonly #clock: ThrottleClock;
  readonly #piece: number;
  /** When the bytes granted so far would all have gone out at the rate (ms, on the clock). */
  #due = -Infinity;

  constructor(bytesPerSecond: number, clock: ThrottleClock = realClock) {
    this.bytesPerSecond = bytesPerSecond;
    this.#clock = clock;
    this.#piece = Math.max(SMALLEST_PIECE, Math.min(LARGEST_PIECE, Math.floor(bytesPerSecond / 20)));
  }

  // Grants `bytes` now: how long to wait (ms) before writing them, so that the run stays at the rate.
  delayFor(bytes: number): number {
    const now = this.#clock.now();
    const start = Math.max(now, this.#due - BURST_MS);
    this.#due = Math.max(this.#due, start) + (bytes * 1000) / this.bytesPerSecond;
    return start - now;
  }

  // Writes a body piece by piece, each once its bytes are granted; a stream is read as the pieces go.
  async *pieces(body: Uint8Array | Readable): AsyncGenerator<Uint8Array> {
    const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = body instanceof Uint8Array ? [body] : (body as AsyncIterable<Uint8Array>);
    for await (const chunk of chunks) {
      for (let at = 0; at < chunk.byteLength; at += this.#piece) {
        const piece = chunk.subarray(at, at + this.#piece);
        const wait = this.delayFor(piece.byteLength);
        if (wait > 0) await this.#clock.sleep(wait);
        yield piece;
      }
    }
  }

  // Why: what the HTTP client sends in place of a body: its pieces at the rate, and a wait for the
  // answer that starts once the last piece is written (a slow body is not a silent target).
  shape(body: Uint8Array | Readable): ShapedBody {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const pieces = this.pieces(body);
    async function* thenWait(): AsyncGenerator<Uint8Array> {
      yield* pieces;
      if (settled) return;
      timer = setTimeout(() => { controller.abort(answerTimeout()); }, ANSWER_TIMEOUT_MS);
      timer.unref();
    }
    const answered = (): void => {
      settled = true;
      clearTimeout(timer);
      // undici does not close a body it never began to write (the connection failed first).
      if (!(body instanceof Uint8Array)) body.destroy();
    };
    // A byte stream that asks for one piece ahead at most.
    return { body: Readable.from(thenWait(), { objectMode: false, highWaterMark: this.#piece }), headersTimeout: 0, signal: controller.signal, answered };
  }
}
