// What --follow gives the run: the source's items for the instances its change log names, with
// the deletions seen reported (warnings, counts) and never propagated.
import type { FollowState, ImportEvents } from '../../core/events.js';
import { followChanges, type FollowEvent, type FollowOptions } from './follow.js';

/** Deletions warned one by one; the rest are counted (the summary says how many). */
const DELETIONS_WARNED = 5;

/** --follow's counts and last lag, read by the summary (Source.follow). */
export class FollowTally {
  #state: FollowState = { behindChanges: 0, lagSeconds: 0, followedInstances: 0, deletions: 0, vanishedChanges: 0 };
  #warned = 0;

  // Why: the summary reports the last lag and every deletion seen, whatever the progress showed.
  state(): FollowState {
    return this.#state;
  }

  /** Counts one event; returns the warning to give for it, if any. */
  count(event: FollowEvent | { readonly kind: 'deleted'; readonly id: string; readonly seq: number }): string | undefined {
    const state = this.#state;
    switch (event.kind) {
      case 'instance':
        this.#state = { ...state, followedInstances: state.followedInstances + 1 };
        return undefined;
      case 'lag':
        this.#state = { ...state, behindChanges: event.behindChanges, lagSeconds: event.lagSeconds };
        return undefined;
      case 'reset':
        return `the source's change log restarted (its last sequence ${event.last} is below ${event.position}, where following was): its database was replaced or restored; following it again from its start`;
      case 'deleted':
        this.#state = { ...state, deletions: state.deletions + 1 };
        return this.#deletion(`the source no longer holds the instance ${event.id} (change ${event.seq}): deleted there, not copied (deletions are never propagated)`);
      case 'vanished':
        this.#state = { ...state, vanishedChanges: state.vanishedChanges + event.changes };
        return this.#deletion(
          `${event.changes} changes the source logged after change ${event.afterSeq} were gone from its log when read (Orthanc removes a deleted resource's changes): not copied (deletions are never propagated)`,
        );
    }
  }

  #deletion(message: string): string | undefined {
    this.#warned++;
    if (this.#warned <= DELETIONS_WARNED) return message;
    return this.#warned === DELETIONS_WARNED + 1 ? 'more deletions on the source: the summary counts them' : undefined;
  }
}

/** What the source brings to followedItems. */
export interface FollowedItemsOptions<T> extends FollowOptions {
  /** The source's item for an instance its log names (at `seq`); undefined when the source no longer holds it (404). */
  readonly itemOf: (instanceId: string, seq: number) => Promise<T | undefined>;
  readonly events: Pick<ImportEvents, 'onFollow' | 'onWarning'>;
  readonly tally: FollowTally;
}

// Why: the one call a source makes after its bulk listing to go on with --follow: its items for
// every instance stored since the sequence noted as the run began, in the log's order, until the
// signal aborts or the log stays quiet for untilIdleMs.
export async function* followedItems<T>(options: FollowedItemsOptions<T>): AsyncGenerator<T> {
  const { itemOf, events, tally } = options;
  for await (const event of followChanges(options)) {
    const warning = tally.count(event);
    if (warning !== undefined) events.onWarning?.(warning);
    if (event.kind === 'lag') events.onFollow?.(tally.state());
    if (event.kind !== 'instance') continue;
    const item = await itemOf(event.id, event.seq);
    if (item !== undefined) {
      yield item;
      continue;
    }
    const gone = tally.count({ kind: 'deleted', id: event.id, seq: event.seq });
    if (gone !== undefined) events.onWarning?.(gone);
  }
}
