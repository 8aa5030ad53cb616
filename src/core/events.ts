import type { Tally } from '../record/report.js';
import type { FileOutcome } from './types.js';

/** How far --follow is behind the source, and what it saw there; the summary keeps the last (`follow`). */
export interface FollowState {
  /** Changes the source logged that were not read yet (of every kind: series, studies... too). */
  readonly behindChanges: number;
  /** Age of the last change read while some are left unread; 0 once caught up; null: its date was unreadable. */
  readonly lagSeconds: number | null;
  /** New instances the source's log named since the run began (those its bulk listing already had included). */
  readonly followedInstances: number;
  /** Of those, instances the source no longer held when asked (deleted there): reported, never propagated. */
  readonly deletions: number;
  /** Changes gone from the source's log when read: Orthanc drops a deleted resource's changes (never propagated). */
  readonly vanishedChanges: number;
}

/** A study whose every instance the source knows is now verified on the target (index mode; not with --no-verify). */
export interface CompletedStudy {
  /** Orthanc's ID of the study (the source's, the target's alike). */
  readonly studyId: string;
  readonly studyInstanceUid: string;
  readonly patientId: string;
  /** Its instances, all verified on the target. */
  readonly instances: number;
  /** --mark-complete: set now, there already (an earlier run's), or not set (a warning says why). */
  readonly marker?: 'marked' | 'present' | 'failed';
}

/**
 * How many items the source gives in all (the instances an index or a running Orthanc lists), or
 * has found so far (the files of a folder, counted apart from the run as it goes).
 */
export interface SourceCount {
  readonly items: number;
  /** What an item is, in the words the progress uses. */
  readonly unit: 'instances' | 'files';
  /** True once the count is whole (a walk's is not until its count ends). */
  readonly final: boolean;
}

/** Callbacks through which the core reports progress; the CLI draws them, the core never prints. */
export interface ImportEvents {
  /** The target said who it is, in its backend's words (e.g. 'Orthanc 1.10.1 (NAME)'). */
  readonly onTarget?: (about: string) => void;
  readonly onWarning?: (message: string) => void;
  /** The journal this run records into (an import or a recovery; once, as the run begins): where a resumed run reads. */
  readonly onJournal?: (path: string) => void;
  readonly onInfo?: (message: string) => void;
  readonly onOutcome?: (outcome: FileOutcome, tally: Tally) => void;
  /** --follow, after each read of the source's change log (once the bulk copy is done). */
  readonly onFollow?: (state: FollowState) => void;
  /** --schedule: outside its windows the run pauses until this moment (local time); undefined: it works again. */
  readonly onSchedule?: (pausedUntil: Date | undefined) => void;
  /**
   * How many items the run goes through (Tally.items counts those done): once for a source that
   * knows it up front, now and then for one that counts as it goes. Asking for it (giving this
   * callback) makes a walked source count its files apart, in the background.
   */
  readonly onTotal?: (count: SourceCount) => void;
  /** A study complete on the target (after its marker, with --mark-complete). */
  readonly onStudyComplete?: (study: CompletedStudy) => void;
}
