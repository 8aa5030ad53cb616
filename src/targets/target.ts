// The one shape every target has (an Orthanc over REST, a DICOMweb server, a recovery folder):
// the operations (import, check, recover) are written once against it and ask for features,
// never for the kind of target. A new target is one folder under src/targets/ and one line in
// registry.ts.
import type { Readable } from 'node:stream';
import type { ImportEvents } from '../core/events.js';
import type { ImportInput, ImportOptions } from '../core/options.js';
import type { DeliveryStatus, FileOutcome } from '../core/types.js';
import type { CarryResult, ResourceExtras } from '../core/extras.js';
import type { TlsSettings } from './http/tls.js';

/** An instance as a target is asked about it: its identifiers, and the bytes the source holds. */
export interface InstanceRef {
  /** Orthanc's ID of the instance, computed from its four identifiers. */
  readonly instanceId: string;
  /** '' when not known (an instance known from an Orthanc index alone). */
  readonly sopInstanceUid: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopClassUid: string;
  /** MD5 (lower-case hex) of the decoded file; undefined while unknown. */
  readonly md5: string | undefined;
  /** Size of the decoded file: what the target receives. */
  readonly size: number;
  /** The source's transfer syntax, when its header was read (to say how another version differs). */
  readonly transferSyntax?: string;
}

/** The body of one instance: bytes in memory, or a factory for a fresh stream (called again on retry). */
export type InstanceBody = Uint8Array | (() => Readable);

/** The body given to put() is encoded for the wire (Content-Encoding), only for a target whose assessment said gzipWire. */
export interface WireEncoding {
  readonly encoding: 'gzip';
  /** Bytes of the encoded body (its content-length). */
  readonly size: number;
}

/** How this run saw an instance on the target (FileOutcome.verified). */
export type Proof = NonNullable<FileOutcome['verified']>;

/** What the target holds for an instance, as seen now. */
export type Held =
  /** `file`: the target's own name for the stored bytes (Orthanc's attachment UUID), when told. */
  | { readonly kind: 'same'; readonly by: Proof; readonly file?: string; readonly instanceId?: string }
  | { readonly kind: 'other'; readonly reason: string; readonly instanceId?: string }
  | { readonly kind: 'absent'; readonly instanceId?: string }
  | { readonly kind: 'unknown'; readonly reason: string; readonly instanceId?: string };

/** What became of one instance sent, in neutral words; `answer` is the target's own word for it. */
export type PutResult =
  | {
      readonly kind: 'stored';
      readonly status: DeliveryStatus;
      readonly answer: string;
      /** The target proved the bytes as it stored them (a folder checks the MD5 as it writes). */
      readonly proof?: Held;
      /** Fields of the outcome only this target knows (where it wrote it, its HTTP status...). */
      readonly fields?: Partial<FileOutcome>;
    }
  | { readonly kind: 'rejected'; readonly reason: string; readonly fields?: Partial<FileOutcome> }
  /** `cause`: what failed, without what changes from one attempt to the next (for FailureStreak). */
  | { readonly kind: 'failed'; readonly reason: string; readonly cause: string; readonly fields?: Partial<FileOutcome> }
  /** The target holds other bytes under this instance and kept them (a folder without --overwrite). */
  | { readonly kind: 'conflict'; readonly reason: string; readonly fields?: Partial<FileOutcome> };

/** One line of a target's bulk listing: an instance it holds, and the size and name of its file. */
export interface ListedInstance {
  readonly id: string;
  readonly size: number;
  /** The target's name for the stored file ('' when not told): the same name is the same bytes. */
  readonly file: string;
}

/** What a target says of itself once asked, judged: a refusal rejects instead. */
export interface TargetAssessment {
  /** The target rewrites incoming files: only their presence can be proven. */
  readonly transcoding: boolean;
  /** The run sends it gzip members (Content-Encoding: gzip) where they gain: it takes them, and --wire-compression chose them. */
  readonly gzipWire?: boolean;
  readonly warnings: readonly string[];
}

/** What a target can do, asked for by the operations. */
export interface TargetFeatures {
  /** Lists everything it holds in bulk (list()): the run skips what is there without asking one by one. */
  readonly bulkListing: boolean;
  /** holds() answers from Orthanc's instance ID alone: an instance known from an index needs no reading to be asked about. */
  readonly findsByInstanceId: boolean;
  /** Asking holds() before sending costs little (answers come in bulk, e.g. per study). */
  readonly cheapLookup: boolean;
  /**
   * Verifying a put compares the MD5 of what the target holds with the source's (not only its
   * presence): a compressed attachment may then take the MD5 its index recorded, unhashed.
   */
  readonly comparesMd5: boolean;
  /** Instances sent at once that the target takes well (batched targets want more than one); where an adaptive limit starts. */
  readonly putsInFlight: number;
  /** The run adapts the puts in flight to what the target takes, up to this many (the connections it keeps). */
  readonly adaptivePuts?: { readonly max: number };
}

/** Everything the operations do with a target. */
export interface Target {
  readonly features: TargetFeatures;
  /** Asks the target who it is, once, before anything is sent; rejects (ImporterError) to refuse the run. */
  assess(): Promise<TargetAssessment>;
  /** `wire`: the body is encoded so (only when the assessment said gzipWire). */
  put(instance: InstanceRef, body: InstanceBody, wire?: WireEncoding): Promise<PutResult>;
  /**
   * What the target holds for this instance. Without `afterPut` or `now` in the hints it may answer
   * from a bulk answer taken earlier in this run (a listing): an instance this run put since is
   * asked with `afterPut` (verification) or `now` (a failed put).
   */
  holds(instance: InstanceRef, hints?: HoldsHints): Promise<Held>;
  /** The bulk listing (features.bulkListing), page by page. */
  list?(): AsyncIterable<readonly ListedInstance[]>;
  /** Makes sure the target has room for this many more bytes (a folder on a filesystem), or refuses the run. */
  reserve?(bytes: number, what: string): Promise<void>;
  /**
   * Carries what the source knows of these resources beyond the files (an Orthanc target): each
   * resource is on the target already, under the same ID. A target without it holds none of it,
   * and the run does not read it.
   */
  carry?(resources: readonly ResourceExtras[]): Promise<CarryResult>;
  /**
   * Sets the study's metadata `name` to `value` (--mark-complete, an Orthanc target), or leaves it
   * as it is when `unlessPresent` and the study has it.
   */
  markStudy?(studyId: string, name: string, value: string, unlessPresent: boolean): Promise<MarkResult>;
  close(): Promise<void>;
}

/** What became of a study's --mark-complete marker. */
export type MarkResult = { readonly kind: 'marked' } | { readonly kind: 'present' } | { readonly kind: 'failed'; readonly reason: string };

/** What the run already knows when it asks holds(). */
export interface HoldsHints {
  /** What an earlier run recorded of its delivery: the target may take its own earlier proof (the same file under the same name). */
  readonly recorded?: Partial<FileOutcome>;
  /** What the bulk listing shows for it (features.bulkListing). */
  readonly listed?: ListedInstance;
  /** It was just put, with this answer (other bytes there then mean the target kept or made another version). */
  readonly afterPut?: DeliveryStatus;
  /** Its put was just tried and failed: the answer must say what the target holds now, not before. */
  readonly now?: true;
}

/** A target as the user named it, checked, not opened yet. */
export interface TargetSpec {
  /** For messages and reports, without credentials. */
  readonly display: string;
  /** What the journal knows this target by (another layout of a folder is another target). */
  readonly identity: string;
  /** The target is a folder the run fills (a recovery): the summary counts files written. */
  readonly recovery: boolean;
  /** The backend's options that shape outcomes (part of what an unchanged-source answer must match). */
  readonly outcomeKey: string;
  /** Opens the target (nothing is sent until it is used). */
  open(options: ImportOptions, events: ImportEvents): Target;
}

/** One kind of target: which targets it claims, as the user types them, and how to check one. */
export interface TargetBackend {
  /** How its URLs are written, for the message that refuses an unknown scheme (URL backends). */
  readonly written?: string;
  /** Whether this text names one of this backend's targets (a URL scheme, a folder path). */
  claims(text: string): boolean;
  /** Checks the text and the options that concern this backend (E_USAGE otherwise); `tls`: how an https:// server's certificate is checked. */
  parse(text: string, input: ImportInput, tls: TlsSettings): TargetSpec;
}
