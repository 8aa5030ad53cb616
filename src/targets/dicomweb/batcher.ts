// Gathers puts into STOW-RS requests bounded in instances and bytes: a request goes when full, or
// once no instance joined it for a few milliseconds, so the last instances of a run do not wait.
import type { InstanceBody, InstanceRef, PutResult } from '../target.js';

/** One instance waiting in a batch, and how to settle its put(). */
export interface Waiting {
  readonly instance: InstanceRef;
  readonly body: InstanceBody;
  resolve(result: PutResult): void;
  reject(error: unknown): void;
}

/** The bounds of one request. */
export interface BatchBounds {
  readonly instances: number;
  readonly bytes: number;
  /** How long a batch that is not full waits for another instance, in ms. */
  readonly lingerMs: number;
}

/** 16 instances or 32 MiB per request, whichever comes first; 5 ms of linger. */
export const DEFAULT_BOUNDS: BatchBounds = { instances: 16, bytes: 32 * 1024 * 1024, lingerMs: 5 };

/**
 * Why: a request per instance costs a round trip each; a request of many is bounded so that a
 * failed one costs little to resend. An instance larger than the byte bound goes alone. Two
 * instances with the same SOP Instance UID never share a request (the answer tells them apart by
 * it), and one without a known UID goes alone (its answer is then the only one).
 */
export class Batcher {
  readonly #bounds: BatchBounds;
  readonly #send: (batch: readonly Waiting[]) => void;
  #batch: Waiting[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(bounds: BatchBounds, send: (batch: readonly Waiting[]) => void) {
    this.#bounds = bounds;
    this.#send = send;
  }

  add(waiting: Waiting): void {
    const { size, sopInstanceUid } = waiting.instance;
    const alone = sopInstanceUid === '' || size >= this.#bounds.bytes;
    const clash = this.#batch.some((other) => other.instance.sopInstanceUid === sopInstanceUid);
    if (alone || clash || this.#bytes + size > this.#bounds.bytes) this.flush();
    this.#batch.push(waiting);
    this.#bytes += size;
    if (alone || this.#batch.length >= this.#bounds.instances) {
      this.flush();
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { this.flush(); }, this.#bounds.lingerMs);
  }

  // Sends what is gathered now (nothing when empty).
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#bytes = 0;
    this.#send(batch);
  }
}
