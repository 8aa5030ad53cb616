import { setTimeout as sleep } from 'node:timers/promises';
import { ImporterError } from '../../core/errors.js';

/** What the run hears about a target that stopped answering. */
export interface OutageEvents {
  readonly onDown?: (reason: string) => void;
  readonly onUp?: (downForMs: number) => void;
}

// Why: every HTTP backend tells the user the same way that its target went away and came back.
export const outageWarnings = (display: string, warn: ((message: string) => void) | undefined): OutageEvents => ({
  onDown: (reason) => warn?.(`the target ${display} stopped answering (${reason}); pausing`),
  onUp: (ms) => warn?.(`the target ${display} answers again after ${(ms / 1000).toFixed(0)} s; carrying on`),
});

/**
 * One shared pause for every request when the target goes away: instead of marking thousands of
 * files failed, all uploads wait while the target is polled, and carry on when it answers again.
 */
export class Outage {
  readonly #probe: () => Promise<boolean>;
  readonly #timeoutMs: number;
  /** The target as messages name it (without credentials). */
  readonly #target: string;
  readonly #pollMs: number;
  readonly #events: OutageEvents;
  readonly #role: 'target' | 'source';
  #waiting: Promise<void> | undefined;

  /** `role`: which end of the run went away (a running Orthanc can be the source too). */
  constructor(
    probe: () => Promise<boolean>,
    options: { readonly timeoutMs: number; readonly pollMs: number; readonly target: string; readonly role?: 'target' | 'source' },
    events: OutageEvents = {},
  ) {
    this.#probe = probe;
    this.#role = options.role ?? 'target';
    this.#target = options.target;
    this.#timeoutMs = options.timeoutMs;
    this.#pollMs = options.pollMs;
    this.#events = events;
  }

  // Resolves once the target answers again; after --retry-timeout it stops the run (the journal
  // keeps what was done, so the next run resumes).
  async wait(reason: string): Promise<void> {
    this.#waiting ??= this.#poll(reason).finally(() => {
      this.#waiting = undefined;
    });
    return this.#waiting;
  }

  async #poll(reason: string): Promise<void> {
    const since = Date.now();
    this.#events.onDown?.(reason);
    for (;;) {
      await sleep(this.#pollMs);
      if (await this.#probe()) {
        this.#events.onUp?.(Date.now() - since);
        return;
      }
      if (Date.now() - since >= this.#timeoutMs) {
        throw new ImporterError(
          this.#role === 'source' ? 'E_SOURCE' : 'E_TARGET_UNREACHABLE',
          `The ${this.#role} ${this.#target} stopped answering (${reason}) and was still away after ${Math.round(this.#timeoutMs / 1000)} s (--retry-timeout): ` +
            'the run stops here; run the same command again to resume',
        );
      }
    }
  }
}
