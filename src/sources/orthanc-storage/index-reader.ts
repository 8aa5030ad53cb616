// What a stopped Orthanc's storage needs of its index, whatever database holds it: today's
// SQLite file (sqlite/), later an index in PostgreSQL or MySQL. The storage source (storage-source.ts)
// and the walk of the storage (index-source.ts) only ever see this interface.
import type { InstanceTags } from '../../core/types.js';
import type { ListedInstance } from '../../targets/target.js';
import type { SourceSummary } from '../source.js';
import type { ResourceExtras } from '../../core/extras.js';

/** One type-1 (DICOM) attachment of an instance resource, as the index describes it. */
export interface IndexedInstance {
  /** AttachedFiles.uuid of the type-1 attachment. */
  readonly uuid: string;
  /** Absolute path: the customData path when given, else <storage>/<uuid[0:2]>/<uuid[2:4]>/<uuid>. */
  readonly path: string;
  /** 1 = none, 2 = ZlibWithSize. */
  readonly compressionType: 1 | 2;
  /** On-disk size, including the 8-byte prefix when compressed. */
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** '' when not stored (StoreMD5ForAttachments false, or schema v3). */
  readonly uncompressedMd5: string;
  /** '' when not stored. */
  readonly compressedMd5: string;
  /** Resources.publicId of the instance. */
  readonly instanceId: string;
  /** publicId of the parent study ('' if the index lacks it). */
  readonly studyId: string;
  /** Set when customData names a layout the importer cannot follow; `path` is then the legacy path. */
  readonly layoutProblem?: string;
  /** The instance's main tags from the index (patient, study, series levels). */
  readonly tags: InstanceTags;
}

/** Attachments of one FileContentType, at any resource level. */
export interface AttachmentTypeCount {
  readonly fileType: number;
  /** 'dicom' | 'dicom-as-json' | 'dicom-until-pixel-data' | 'user-<n>' | 'unknown-<n>'. */
  readonly name: string;
  readonly files: number;
  /** Sum of compressedSize (bytes on disk). */
  readonly bytes: number;
}

/** What the report says of the index (its JSON field `index`). */
export interface IndexSummary extends SourceSummary {
  readonly schemaVersion: number;
  /** A non-empty index-wal was found and its committed transactions were replayed (in the copy). */
  readonly walReplayed: boolean;
  readonly attachmentTypes: readonly AttachmentTypeCount[];
  /** Instances with a type-1 attachment. */
  readonly instances: number;
  /** Study resources in the index. */
  readonly studies: number;
  /** Optional AttachedFiles columns found (uncompressedMD5, compressedMD5, revision, customData). */
  readonly optionalColumns: readonly string[];
}

/** An attachment as the walk needs it: its type and its size on disk. */
export interface StoredAttachment {
  readonly uuid: string;
  readonly fileType: number;
  readonly compressedSize: number;
}

/** Finds attachments by UUID, cheaply when asked in ascending order. */
export interface AttachmentCursor {
  find(uuid: string): StoredAttachment | undefined;
  close(): void;
}

/** The target's listing kept beside the index, so that one query finds the instances a page names. */
export interface ListingStore {
  find(instanceId: string): ListedInstance | undefined;
  close(): void;
}

/** An Orthanc index opened for one run (a private, read-only view of it). */
export interface IndexReader {
  readonly summary: IndexSummary;
  /**
   * The live instances with a DICOM attachment; 'unlisted': those no page of the target's listing
   * named. In study order (--studies-in-flight) unless `inStudyOrder` is false (a pass whose order
   * does not matter, spared the sort).
   */
  instances(selection?: 'all' | 'unlisted', inStudyOrder?: boolean): IterableIterator<IndexedInstance>;
  /** The live instances (with a DICOM attachment) of a study, by its Orthanc ID. */
  studySize(studyId: string): number;
  /** Adds a page of the target's listing; returns the live instances it names that no earlier page did. */
  addListingPage(page: readonly ListedInstance[]): IndexedInstance[];
  /** The target's listing as added so far. */
  listing(): ListingStore;
  /** What it knows of a live instance and of its parents beyond the file: user metadata, user attachments, labels. */
  extrasOf(instanceId: string): ResourceExtras[];
  /** Every attachment, cheapest when asked in ascending UUID order (the storage walk's order). */
  attachmentsInOrder(): AttachmentCursor;
  /**
   * The file the storage walker thread opens to read the attachments in order (the SQLite reader's
   * private copy; another database would give its thread what it needs instead).
   */
  readonly copyPath: string;
  close(): Promise<void>;
}
