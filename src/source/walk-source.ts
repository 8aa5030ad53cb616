import type { SourceItem } from '../types.js';
import { walk } from '../walk.js';

// Walk mode: every file is classified by its content.
export async function* walkSource(source: string): AsyncGenerator<SourceItem> {
  for await (const item of walk(source)) {
    if (item.kind === 'file') {
      yield { kind: 'file', entry: item.entry };
    } else {
      yield { kind: 'settled', entry: item.entry, classified: { kind: 'skipped', fileClass: item.fileClass, reason: item.reason, diskSize: 0 } };
    }
  }
}
