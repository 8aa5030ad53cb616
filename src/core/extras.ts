// What Orthanc knows of a resource beyond its DICOM file (user metadata, user attachments,
// labels), in one shape whatever the source (a stopped storage's index, a running Orthanc), and
// what carrying it to a target answered. Orthanc's IDs are computed from the DICOM identifiers,
// so the target holds each resource under the source's ID.
import type { Readable } from 'node:stream';

export type ResourceLevel = 'patient' | 'study' | 'series' | 'instance';

/** A user-defined metadata (types 1024..65535): its name on the source, or its type as text. */
export interface UserMetadata {
  readonly name: string;
  readonly value: string;
}

/** A user attachment (types 1024..65535), as the source describes it. */
export interface UserAttachment {
  /** Its name on the source (UserContentType), or its type as text. */
  readonly name: string;
  /** Uncompressed size. */
  readonly size: number;
  /** MD5 (lower-case hex) of the uncompressed bytes; '' when the source does not know it. */
  readonly md5: string;
  /** A fresh stream of the uncompressed bytes (called again on each attempt). */
  readonly body: () => Readable;
}

/** Everything the source knows of one resource beyond the file. */
export interface ResourceExtras {
  readonly level: ResourceLevel;
  readonly orthancId: string;
  readonly metadata: readonly UserMetadata[];
  readonly attachments: readonly UserAttachment[];
  readonly labels: readonly string[];
  /** System metadata it holds that no client may write, lost in any re-import (Orthanc's names). */
  readonly lost: readonly string[];
}

/** What carrying some resources' extras answered. */
export interface CarryResult {
  /** Metadata, attachments and labels the target holds now (an attachment: its MD5 read back). */
  readonly carried: number;
  /** Not carried for what the target is (a name it does not declare, no labels): a later run would meet the same. */
  readonly notCarried: readonly string[];
  /** Not carried for a failure (HTTP, an MD5 that differs): a later run tries again. */
  readonly failed: readonly string[];
}

/**
 * Why: a source that no longer holds a resource (deleted there after its instance was delivered)
 * has no extras left to carry: not carried, said so, and not a failure a later run could mend.
 */
export class ExtrasGone extends Error {}

/** What the summary says of the extras. */
export interface ExtrasSummary {
  /** Delivered instances whose extras this run read and carried (with their parents'). */
  readonly instances: number;
  readonly carried: number;
  readonly notCarried: number;
  readonly failed: number;
  /** System metadata no client may write, lost in any re-import: resources that held each. */
  readonly lost: Readonly<Record<string, number>>;
  /** The target holds no extras (not an Orthanc): instances whose extras were not even read. */
  readonly notRead?: number;
}

const PLURAL: Readonly<Record<ResourceLevel, string>> = { patient: 'patients', study: 'studies', series: 'series', instance: 'instances' };

// Why: a resource's path in Orthanc's REST API, the same on the source and on the target.
export const resourcePath = (level: ResourceLevel, orthancId: string): string => `/${PLURAL[level]}/${encodeURIComponent(orthancId)}`;

/** Orthanc's first and last user type of metadata and attachments. */
const USER_TYPES = { first: 1024, last: 65535 } as const;

// Why: a type of the user range, as both metadata and attachments number them.
export const isUserType = (type: number): boolean => Number.isInteger(type) && type >= USER_TYPES.first && type <= USER_TYPES.last;

/**
 * Orthanc's system metadata (ServerEnumerations.h MetadataType; the numbers checked against the
 * index of Orthanc 1.10.1), with whether a re-import loses it: what Orthanc records of how it
 * received or made the resource is lost, what it computes from the file again is not.
 */
const SYSTEM_METADATA: ReadonlyMap<number, { readonly name: string; readonly lost: boolean }> = new Map([
  [1, { name: 'IndexInSeries', lost: false }],
  [2, { name: 'ReceptionDate', lost: true }],
  [3, { name: 'RemoteAET', lost: true }],
  [4, { name: 'ExpectedNumberOfInstances', lost: false }],
  [5, { name: 'ModifiedFrom', lost: true }],
  [6, { name: 'AnonymizedFrom', lost: true }],
  [7, { name: 'LastUpdate', lost: false }],
  [8, { name: 'Origin', lost: true }],
  [9, { name: 'TransferSyntax', lost: false }],
  [10, { name: 'SopClassUid', lost: false }],
  [11, { name: 'RemoteIP', lost: true }],
  [12, { name: 'CalledAET', lost: true }],
  [13, { name: 'HttpUsername', lost: true }],
  [14, { name: 'PixelDataOffset', lost: false }],
  [15, { name: 'MainDicomTagsSignature', lost: false }],
  [16, { name: 'MainDicomSequences', lost: false }],
  [17, { name: 'PixelDataVR', lost: false }],
]);

const SYSTEM_BY_NAME: ReadonlyMap<string, boolean> = new Map([...SYSTEM_METADATA.values()].map(({ name, lost }) => [name, lost]));

/** How one metadata of the source is carried: as a user metadata, reported lost, or not at all (recomputed). */
export type MetadataKind = 'user' | 'lost' | 'recomputed';

// Why: the index knows metadata by number; a system type it does not know (a later Orthanc's) is
// reported lost rather than assumed recomputed.
export const metadataByType = (type: number): { readonly kind: MetadataKind; readonly name: string } => {
  if (isUserType(type)) return { kind: 'user', name: String(type) };
  const system = SYSTEM_METADATA.get(type);
  if (system === undefined) return { kind: 'lost', name: `system metadata ${type}` };
  return { kind: system.lost ? 'lost' : 'recomputed', name: system.name };
};

// Why: Orthanc's REST API names system metadata, user metadata by their declared name or, when
// undeclared, by their number: any name it does not know as a system one is the user's.
export const metadataByName = (name: string): MetadataKind => {
  const lost = SYSTEM_BY_NAME.get(name);
  if (lost !== undefined) return lost ? 'lost' : 'recomputed';
  if (/^\d+$/.test(name)) return isUserType(Number(name)) ? 'user' : 'lost';
  return 'user';
};
