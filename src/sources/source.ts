// The one shape every source has (a folder of files, a stopped Orthanc's storage; later a running
// Orthanc over REST, an index in PostgreSQL): the run is written once against it and asks for
// features, never for the kind of source. A new source is one folder under src/sources/ and one
// line in registry.ts.
import type { ImportOptions } from '../core/options.js';
import type { Filter } from '../core/filter.js';
import type { Classified, ExpectedFile, FileEntry, FileOutcome, RemoteItem, SkippedFile, SourceItem } from '../core/types.js';
import type { FollowState, ImportEvents, SourceCount } from '../core/events.js';
import type { TargetCredentials } from '../targets/http/endpoint.js';
import type { TlsSettings } from '../targets/http/tls.js';
import type { Classifier } from '../decode/classifier.js';
import type { ListedInstance } from '../targets/target.js';

/** What the sources take of the run's options. */
export interface SourceOptions {
  readonly source: string;
  /** An explicit index path (IndexDirectory set apart). */
  readonly indexPath: string | undefined;
  /** false: walk even when an index is there (--no-index). */
  readonly useIndex: boolean;
  readonly includeOrphans: boolean;
  /** Index mode: studies sent at a time (0: the index's UUID order). */
  readonly studiesInFlight: number;
  readonly followSymlinks: boolean;
}

/** What a running Orthanc as the source (an http(s):// URL) takes of the run's options. */
export interface RemoteSourceOptions {
  /** A running Orthanc as the source (an http(s):// URL): its credentials, apart from the target's. */
  readonly sourceCredentials: TargetCredentials;
  /** Requests to a running Orthanc source in flight at once. */
  readonly sourceConcurrency: number;
  /** How an instance is downloaded from a running Orthanc: its stored bytes, or the DICOM file. */
  readonly sourceDownload: 'compressed-data' | 'file';
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly retryTimeoutMs: number;
  /** How the source's certificate is checked, when its URL is https:// (--ca, --insecure). @default Node's CAs */
  readonly tls?: TlsSettings | undefined;
}

/** What a source looked like, as far as the outcomes of a run over it can depend on it. */
export interface SourceFingerprint {
  readonly digest: string;
  /** False when a timestamp was too recent to rely on: the run must not be replayed later. */
  readonly trustworthy: boolean;
}

/**
 * What a source says of itself in the report, beside the per-file counts: its own fields (kept in
 * the JSON report as `index`, the name it had when only an Orthanc index had one).
 */
export interface SourceSummary {
  /** The text summary's line for it, in the source's own words. */
  readonly described: string;
}

/**
 * The target's bulk listing kept beside the source, so that the source finds at once the items
 * each page names (the run settles them first) and gives only the others as items().
 */
export interface ListingJoin {
  /** Keeps one page; returns the source's items it names that no earlier page named. */
  addPage(page: readonly ListedInstance[]): readonly SourceItem[];
  /** What the listing says of this instance, if a page named it. */
  find(instanceId: string): ListedInstance | undefined;
  close(): void;
}

/** What a source can do besides giving items, asked for by the run. */
export interface SourceFeatures {
  /** Its items carry their study, and it knows each study whole: the report says which are complete. */
  readonly wholeStudies: boolean;
  /** It gives files to classify by their content, among which Orthanc's caches may hide (cache-evidence.ts). */
  readonly unknownFiles: boolean;
}

/** An instance downloaded and classified, and how to remove what the download left on disk. */
export interface RemoteRead {
  readonly classified: Classified;
  /** Where its bytes are (a spooled file for a large one), named in the report as the source names it. */
  readonly entry: FileEntry;
  /** Removes the spooled file, once the instance was delivered (or failed). */
  readonly release: () => Promise<void>;
}

/** What the stages ask a source whose instances are read over the network (a running Orthanc). */
export interface RemoteReader {
  /** What the source says of the instance's file now; a skipped file when it cannot (deleted since it was listed). */
  describe(item: RemoteItem): Promise<ExpectedFile | SkippedFile>;
  /** Downloads it and has it proven and parsed by the classifier's workers. */
  read(item: RemoteItem, expected: ExpectedFile, classifier: Classifier): Promise<RemoteRead>;
}

/** An opened source: everything the run reads from it. */
export interface Source {
  /** For messages and reports. */
  readonly root: string;
  readonly features: SourceFeatures;
  /** What the stages read (after joinListing(): only what no page of the listing named). */
  items(): AsyncIterable<SourceItem> | Iterable<SourceItem>;
  /** Outcomes known without reading the files (a storage walk in a thread of its own), kept out of the stages. */
  readonly settled?: AsyncIterable<readonly FileOutcome[]>;
  /**
   * How many items it gives (SourceCount): one final count when it knows it up front, else counts
   * as it finds them; asked only by a run whose caller wants it (ImportEvents.onTotal), stopped by
   * `signal` when the run ends.
   */
  count?(signal: AbortSignal): AsyncIterable<SourceCount>;
  /** The fingerprint open() was asked to take, taken before anything was listed; undefined if it could not be. */
  readonly fingerprint?: Promise<SourceFingerprint | undefined>;
  /** The decoded bytes of the instances the filter takes whose key `isRecorded` does not know (a recovery's room check). */
  plannedBytes?(filter: Filter | undefined, isRecorded: (key: string) => boolean): number;
  /**
   * How many live instances a study has (its Orthanc ID), known before any is sent (an index, a
   * running Orthanc's listing); undefined when it is not known (the study is then never complete).
   * Asked once per study, after the source gave its first instance.
   */
  studySize?(studyId: string): number | undefined;
  /** Joins the target's listing with the source (see ListingJoin); once, before items(). */
  joinListing?(): ListingJoin;
  readonly summary?: SourceSummary;
  /** Describes and downloads its 'remote' items. */
  readonly remote?: RemoteReader;
  /** --follow's counts and last lag, for the summary (orthanc-rest/followed-items.ts FollowTally). */
  readonly follow?: { state(): FollowState };
  close(): Promise<void>;
}

/** A source found at a path, not opened yet. */
export interface LocatedSource {
  readonly root: string;
  /** The source can tell it is unchanged since a complete run (the answer from the journal). */
  readonly fingerprint?: {
    /** The fingerprint now (a source in use is refused first), for a journal that holds a complete run. */
    now(options: ImportOptions): Promise<SourceFingerprint>;
  };
  /** Opens it; with the run's options, the opened source takes its fingerprint (Source.fingerprint). */
  open(fingerprintFor?: ImportOptions, events?: ImportEvents): Promise<Source>;
}

/** A path as the registry found it. */
export interface SourcePath {
  /** Absolute. */
  readonly root: string;
  readonly isDirectory: boolean;
}

/** One kind of source, registered in registry.ts: which paths it reads. */
export interface SourceBackend {
  /**
   * The source at this path when it is of this kind, else undefined (the next backend is asked);
   * rejects (ImporterError) to refuse the path whichever backend would read it.
   */
  locate(path: SourcePath, options: SourceOptions): Promise<LocatedSource | undefined>;
}

// Why: a source that knows how many items it gives before the run (an index, a server's
// statistics) says so once, as the count Source.count gives.
export async function* knownCount(items: number, unit: SourceCount['unit']): AsyncGenerator<SourceCount> {
  yield await Promise.resolve({ items, unit, final: true });
}
