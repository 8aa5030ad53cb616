/**
 * The data that flows between the pipeline stages. Per-file results are values of these types,
 * never exceptions: every file ends in exactly one FileClass.
 */
import type { ResourceExtras, ResourceLevel } from './extras.js';

/** Where each file ends up. */
export type FileClass =
  | 'dicom'
  | 'json-summary'
  | 'pixel-data-cache'
  | 'too-deep'
  | 'not-dicom'
  | 'orphan'
  | 'missing'
  | 'corrupt'
  | 'corrupt-source'
  | 'rejected'
  | 'conflict'
  | 'absent'
  | 'excluded'
  | 'failed';

export const FILE_CLASSES: readonly FileClass[] = [
  'dicom',
  'json-summary',
  'pixel-data-cache',
  'too-deep',
  'not-dicom',
  'orphan',
  'missing',
  'corrupt',
  'corrupt-source',
  'rejected',
  'conflict',
  'absent',
  'excluded',
  'failed',
];

/** How the bytes were stored on disk: as they are, or Orthanc's 8-byte size prefix + zlib stream. */
export type Encoding = 'raw' | 'zlib';

/** One file found by the walker (its size is read by the worker that opens it). */
export interface FileEntry {
  /** Absolute path. */
  readonly path: string;
  /**
   * Path relative to the source root, parts joined with '/'; the name when the source is a file.
   * Bytes of a name that are not valid UTF-8 are shown as \xNN (see rawPath).
   */
  readonly relativePath: string;
  /**
   * The exact bytes of the path, present only when a name in it is not valid UTF-8: `path` then
   * is only readable (invalid bytes shown as \xNN) and cannot be opened; open this instead.
   */
  readonly rawPath?: Buffer;
}

/** The identifying part of a DICOM header, read up to the pixel data. */
export interface DicomHeader {
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  /** Read for filters and the inventory; '' when absent. */
  readonly accessionNumber: string;
  readonly modality: string;
  /** YYYYMMDD as stored. */
  readonly studyDate: string;
}

/** A header with nothing known (an instance known from the index alone). */
export const BLANK_HEADER: DicomHeader = {
  patientId: '',
  studyInstanceUid: '',
  seriesInstanceUid: '',
  sopInstanceUid: '',
  sopClassUid: '',
  transferSyntaxUid: '',
  accessionNumber: '',
  modality: '',
  studyDate: '',
};

/** What proves a file to be another's dicom-until-pixel-data cache: a prefix of it ending at PixelData. */
export interface PixelDataEvidence {
  readonly offset: number;
  readonly prefixMd5: string;
}

/** A file the worker recognised as a DICOM instance to deliver. */
export interface DecodedDicom {
  readonly kind: 'dicom';
  /** Size of the file on disk. */
  readonly diskSize: number;
  readonly encoding: Encoding;
  readonly header: DicomHeader;
  /** Size of the DICOM file once decoded (what the target receives). */
  readonly decodedSize: number;
  /** MD5 (lower-case hex) of the decoded bytes: what Orthanc records as the attachment's MD5. */
  readonly md5: string;
  /** The Orthanc instance ID computed from the four identifiers. */
  readonly orthancId: string;
  /** Where PixelData begins in the decoded bytes, and the MD5 of the bytes before it (src/cache-evidence.ts). */
  readonly pixelData?: PixelDataEvidence;
  /** No PixelData, and the file could be another's dicom-until-pixel-data cache (src/cache-evidence.ts). */
  readonly cacheCandidate?: true;
  /** The decoded bytes when small enough to hold; otherwise the uploader streams them from disk. */
  readonly bytes?: Uint8Array;
  /**
   * The file as a gzip member for the wire (Content-Encoding: gzip), when the run sends gzip to its
   * target and this file gains from it (src/decode/gzip-wire.ts); `bytes` is then left out.
   */
  readonly wire?: GzipWire;
}

/** An upload's body as a gzip member: held in memory (in parts), or the deflate data's byte range in the file on disk. */
export type GzipWire =
  | { readonly kind: 'held'; readonly parts: readonly Uint8Array[]; readonly size: number }
  /** `crc`, `length`: the trailer's CRC-32 and inflated length (mod 2^32 when written). */
  | { readonly kind: 'range'; readonly start: number; readonly end: number; readonly crc: number; readonly length: number; readonly size: number };

/** A file that is not delivered, with the class and a human reason. */
export interface SkippedFile {
  readonly kind: 'skipped';
  readonly fileClass: 'json-summary' | 'pixel-data-cache' | 'too-deep' | 'not-dicom' | 'orphan' | 'missing' | 'corrupt' | 'corrupt-source' | 'failed';
  /** Size of the file on disk (0 when it could not be read). */
  readonly diskSize: number;
  readonly encoding?: Encoding;
  readonly reason: string;
  /** A pixel-data-cache proven by its counterpart (src/cache-evidence.ts): the instance it caches. */
  readonly instanceId?: string;
}

/** What a worker returns for one file: a tagged value, never a thrown custom error. */
export type Classified = DecodedDicom | SkippedFile;

/**
 * What a target did with an instance it accepted, in the core's words: stored it, already held it
 * (the same instance), or dropped it (a filter there). Each target says it in its own words too
 * (FileOutcome.targetAnswer).
 */
export type DeliveryStatus = 'stored' | 'already-there' | 'dropped';

/** The final, reportable result for one file. */
export interface FileOutcome {
  readonly path: string;
  readonly size: number;
  readonly fileClass: FileClass;
  readonly encoding?: Encoding;
  readonly reason?: string;
  readonly decodedSize?: number;
  readonly md5?: string;
  readonly sopInstanceUid?: string;
  /** The instance's place in the patient/study/series tree (DICOM outcomes), for filters and the census. */
  readonly patientId?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly accessionNumber?: string;
  readonly modality?: string;
  readonly studyDate?: string;
  /** Orthanc's instance ID (from the target's answer, else computed). */
  readonly instanceId?: string;
  /** What the target did with it; absent in an inventory, a check, or when it was not delivered. */
  readonly status?: DeliveryStatus;
  /** The target's own word for it (Orthanc's Status 'Success', 'AlreadyStored', 'FilteredOut'; a folder's 'written', 'identical'...). */
  readonly targetAnswer?: string;
  /**
   * How this run saw the delivered bytes on the target: its MD5 read back ('md5'), only its size or
   * presence where the target tells no MD5 or transcodes, or listed with the same size while an
   * earlier run read its MD5 back ('listing'); absent when not checked.
   */
  readonly verified?: 'md5' | 'size' | 'presence' | 'listing';
  /**
   * The UUID of the target's attachment whose MD5 this or an earlier run read back: while the
   * target's listing shows the same UUID, it holds the same file (see ListedInstance.file).
   */
  readonly targetFile?: string;
  /** Not sent: the target already held it (found in the bulk listing, its MD5 read back). */
  readonly onTarget?: true;
  /** Not read again: an earlier run's outcome, from the journal. */
  readonly resumed?: true;
  /** Sent, its answer lost (retries exhausted), then found on the target: no status was answered. */
  readonly answerLost?: true;
  /**
   * Recovery to a folder: the file's modification time once written (or found identical), so that
   * a later run tells a file changed since (same size, other bytes) from the one it recorded.
   */
  readonly outputMtimeMs?: number;
  /** Recovery to a folder: where the decoded file is, relative to the target folder. */
  readonly output?: string;
  readonly httpStatus?: number;
  /** Bytes of the body this run sent for it, as the target took it: the gzip member when `wireEncoding` says gzip, else the decoded file. */
  readonly wireBytes?: number;
  readonly wireEncoding?: 'gzip';
  readonly targetMessage?: string;
  readonly targetDetails?: string;
  /** Orthanc target: user metadata, attachments and labels of the instance (and of its parents carried with it) carried by this run. */
  readonly extrasCarried?: number;
  /** What of them the target cannot hold (a name it does not declare, no labels), one line each. */
  readonly extrasNotCarried?: readonly string[];
  /** What of them failed to be carried (the outcome is then not final: the next run does it again). */
  readonly extrasFailed?: readonly string[];
}

/** What the index says a type-1 attachment must be: checked before anything is uploaded. */
export interface ExpectedFile {
  /** 1 = stored as is, 2 = Orthanc's ZlibWithSize. */
  readonly compressionType: 1 | 2;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** '' when the index did not store it. */
  readonly uncompressedMd5: string;
  readonly instanceId: string;
}

// Why: how an index's compression type names the encoding of the file on disk.
export const encodingOf = (expected: Pick<ExpectedFile, 'compressionType'>): Encoding => (expected.compressionType === 2 ? 'zlib' : 'raw');

/** An instance's identifying tags as the index records them (MainDicomTags of its ancestors). */
export interface InstanceTags {
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly accessionNumber: string;
  readonly modality: string;
  readonly studyDate: string;
}

const TREE_FIELDS = ['patientId', 'studyInstanceUid', 'seriesInstanceUid', 'accessionNumber', 'modality', 'studyDate'] as const;

// The tree fields a DICOM outcome carries, without empty values.
export const treeFields = (tags: InstanceTags): Partial<FileOutcome> => {
  const fields: Partial<Record<keyof InstanceTags, string>> = {};
  for (const name of TREE_FIELDS) if (tags[name] !== '') fields[name] = tags[name];
  return fields;
};

// The outcome of a file that is not delivered, whatever the target (`size`: its size on disk,
// when measured since it was classified).
export const skippedOutcome = (entry: FileEntry, classified: SkippedFile, size = classified.diskSize): FileOutcome => {
  const { fileClass, reason, encoding, instanceId } = classified;
  const outcome: FileOutcome = { path: entry.relativePath, size, fileClass, reason, encoding }; // encoding undefined unless known
  return instanceId === undefined ? outcome : { ...outcome, instanceId };
};

// The outcome fields every decoded instance carries, whatever becomes of it (sent, checked, or
// only found): where it is, its sizes, its MD5 and its place in the tree.
export const dicomOutcome = (entry: FileEntry, dicom: DecodedDicom): FileOutcome & { fileClass: 'dicom' } => ({
  path: entry.relativePath,
  size: dicom.diskSize,
  encoding: dicom.encoding,
  decodedSize: dicom.decodedSize,
  md5: dicom.md5,
  sopInstanceUid: dicom.header.sopInstanceUid,
  ...treeFields(dicom.header),
  fileClass: 'dicom',
});

/**
 * What the source knows of an instance and of its parents beyond the file, read only for a target
 * that can hold it. `wanted` says which resources this run has not carried yet: a source for which
 * reading costs requests skips the others (what it returns anyway is left out).
 */
export type ExtrasReader = (wanted: (level: ResourceLevel, orthancId: string) => boolean) => Promise<readonly ResourceExtras[]>;

/** One unit of work for the pipeline, as a source produces it. */
export type SourceItem =
  /** Classify by content (walk mode, or an orphan included with --include-orphans). */
  | { readonly kind: 'file'; readonly entry: FileEntry }
  /** A live instance from Orthanc's index: decode as the index says and check it against the index. */
  | {
      readonly kind: 'indexed';
      readonly entry: FileEntry;
      readonly expected: ExpectedFile;
      readonly studyId: string;
      readonly key: string;
      readonly tags: InstanceTags;
      readonly extras?: ExtrasReader;
    }
  /** Known without reading the file (an orphan, another attachment type, an unreadable entry). */
  | { readonly kind: 'settled'; readonly entry: FileEntry; readonly classified: SkippedFile; readonly sized?: true }
  /** An instance of a running Orthanc, as listed (its file's UUID is in `key`): described and downloaded when its turn comes. */
  | {
      readonly kind: 'remote';
      readonly entry: FileEntry;
      readonly instanceId: string;
      readonly listedSize: number;
      readonly studyId: string;
      readonly key: string;
      readonly tags: InstanceTags;
      readonly extras?: ExtrasReader;
    };

/** An instance a source's index describes, to be read as the index says. */
export type IndexedItem = Extract<SourceItem, { kind: 'indexed' }>;

/** An instance a running Orthanc lists, to be downloaded (src/sources/orthanc-rest/). */
export type RemoteItem = Extract<SourceItem, { kind: 'remote' }>;
