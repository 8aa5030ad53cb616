import type { SourceItem } from '../../core/types.js';
import { walk, type WalkOptions } from './walk.js';

// Walk mode: every file is classified by its content.
export async function* walkSource(source: string, options: WalkOptions = {}): AsyncGenerator<SourceItem> {
  for await (const item of walk(source, options)) {
    if (item.kind === 'file') {
      yield { kind: 'file', entry: item.entry };
    } else {
      yield { kind: 'settled', entry: item.entry, classified: { kind: 'skipped', fileClass: item.fileClass, reason: item.reason, diskSize: 0 } };
    }
  }
}
