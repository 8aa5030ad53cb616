// Where an attachment's file lives: the core's xx/yy/uuid layout, or the advanced-storage
// plugin's customData JSON {"v":1,"p":path,"s":storageId,"o":isOwner}.
import { isAbsolute, resolve, sep } from 'node:path';

/** The resolved file of one attachment, with the reason when its layout cannot be followed. */
export interface AttachmentLocation {
  readonly path: string;
  readonly layoutProblem?: string;
}

// Why: Orthanc's FilesystemStorage::GetPath is the layout of every attachment without customData.
// A plain concatenation (the root is resolved already): path.join normalizes, once per instance.
function legacyPath(storageRoot: string, uuid: string): string {
  const root = storageRoot.endsWith(sep) ? storageRoot.slice(0, -1) : storageRoot;
  return `${root}${sep}${uuid.slice(0, 2)}${sep}${uuid.slice(2, 4)}${sep}${uuid}`;
}

function customDataText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return typeof value === 'number' || typeof value === 'bigint' ? value.toString() : '';
}

// Why: an index written with the advanced-storage plugin (Orthanc >= 1.12.8) may place files
// outside xx/yy/uuid; the importer must follow that path or say plainly why it cannot.
export function resolveAttachment(storageRoot: string, uuid: string, customData: unknown): AttachmentLocation {
  const fallback = legacyPath(storageRoot, uuid);
  const text = customDataText(customData).trim();
  if (text === '') return { path: fallback };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { path: fallback, layoutProblem: `customData of attachment ${uuid} is not JSON: ${text.slice(0, 80)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { path: fallback, layoutProblem: `customData of attachment ${uuid} is not a JSON object` };
  }
  const data = parsed as Record<string, unknown>;
  if (data['v'] !== 1) {
    return { path: fallback, layoutProblem: `customData of attachment ${uuid} has unsupported version ${JSON.stringify(data['v'])}` };
  }
  const p = data['p'];
  if (p !== undefined && typeof p !== 'string') {
    return { path: fallback, layoutProblem: `customData of attachment ${uuid} has a non-string path` };
  }
  if (p !== undefined && p !== '' && isAbsolute(p)) return { path: p };
  const storageId = data['s'];
  if (storageId !== undefined && storageId !== '' && storageId !== 0 && storageId !== '0') {
    return {
      path: fallback,
      layoutProblem:
        `attachment ${uuid} is in advanced-storage storage ${JSON.stringify(storageId)} (MultipleStorages), ` +
        'whose root folder is not known to the importer: this layout is not supported',
    };
  }
  if (p === undefined || p === '') return { path: fallback };
  return { path: resolve(storageRoot, p) };
}
