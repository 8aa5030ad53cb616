// Lists a running Orthanc's instances in bounded memory: its studies a page at a time (the
// filters answered by the source), then each study's instances and series. Pages are taken by
// offset, so a study deleted on the source meanwhile shifts the later ones towards the start, and
// one would fall between two pages unseen. Orthanc 1.10 logs no change for a deletion made over
// REST (its /changes cannot tell), so each page is asked from the last study of the page before
// (the anchor): when the anchor is not in it, the pages before are read again, back to where it is.
import type { Filter } from '../../core/filter.js';
import type { ImportEvents } from '../../core/events.js';
import { ImporterError } from '../../core/errors.js';
import type { ExtrasReader, InstanceTags, RemoteItem } from '../../core/types.js';
import { readRestExtras, type SourceResource } from './extras.js';
import { findQuery } from './find-query.js';
import type { SourceClient } from './source-client.js';
import { inStudyGroups, type InSeries } from '../study-order.js';

/** Studies per page of /tools/find. */
const STUDIES_PER_PAGE = 200;

type Tags = Readonly<Record<string, string | undefined>>;

interface FoundStudy {
  readonly ID: string;
  readonly ParentPatient?: string;
  readonly MainDicomTags?: Tags;
  readonly PatientMainDicomTags?: Tags;
}

interface ListedInstance {
  readonly ID: string;
  readonly FileSize?: number;
  readonly FileUuid?: string;
  readonly ParentSeries: string;
}

interface ListedSeries {
  readonly ID: string;
  readonly MainDicomTags?: Tags;
}

// What the journal knows an instance of a running Orthanc by: its ID and its file's UUID (a
// file replaced on the source gets a new UUID, and is read again).
const instanceKey = (instanceId: string, fileUuid: string): string => `orthanc:${instanceId}\u0000${fileUuid}`;

// One study's instances as items, each with its series; empty when the study was deleted meanwhile.
const studyItems = async (client: SourceClient, study: FoundStudy): Promise<InSeries<RemoteItem>[]> => {
  const [instances, series] = await Promise.all([
    client.json<ListedInstance[]>(`/studies/${study.ID}/instances?expand`),
    client.json<ListedSeries[]>(`/studies/${study.ID}/series?expand`),
  ]);
  if (!instances.ok || !series.ok) {
    const failed = !instances.ok ? instances : series.ok ? undefined : series;
    if (failed?.status === 404) return [];
    throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not list study ${study.ID} (${failed?.reason ?? 'no answer'})`);
  }
  const seriesTags = new Map(series.value.map((one) => [one.ID, one.MainDicomTags ?? {}]));
  return instances.value.map((instance) => ({ series: instance.ParentSeries, item: remoteItem(client, instance, study, seriesTags.get(instance.ParentSeries) ?? {}) }));
};

// The instance and its parents, as the source's extras are read for them (extras.ts).
const resourcesOf = (instance: ListedInstance, study: FoundStudy): SourceResource[] => [
  { level: 'instance', orthancId: instance.ID },
  { level: 'series', orthancId: instance.ParentSeries },
  { level: 'study', orthancId: study.ID },
  ...(study.ParentPatient === undefined ? [] : [{ level: 'patient' as const, orthancId: study.ParentPatient }]),
];

// An instance as the stages take it, from what the source says of it, its series and its study;
// with a reader of what the source knows of it beyond the file (for an Orthanc target).
const remoteItem = (client: SourceClient, instance: ListedInstance, study: FoundStudy, ofSeries: Tags): RemoteItem => {
  const studyTags = study.MainDicomTags ?? {};
  const tags: InstanceTags = {
    patientId: study.PatientMainDicomTags?.['PatientID'] ?? '',
    studyInstanceUid: studyTags['StudyInstanceUID'] ?? '',
    seriesInstanceUid: ofSeries['SeriesInstanceUID'] ?? '',
    accessionNumber: studyTags['AccessionNumber'] ?? '',
    modality: ofSeries['Modality'] ?? '',
    studyDate: studyTags['StudyDate'] ?? '',
  };
  const path = `instances/${instance.ID}`;
  const key = instanceKey(instance.ID, instance.FileUuid ?? '');
  const extras: ExtrasReader = (wanted) => readRestExtras(client.http, resourcesOf(instance, study), client.system.hasLabels, wanted);
  return { kind: 'remote', entry: { path, relativePath: path }, instanceId: instance.ID, listedSize: instance.FileSize ?? 0, studyId: study.ID, key, tags, extras };
};

// Why: --follow names instances one by one (followed-items.ts): the item of one, from the source
// (its series, then its study); undefined when the source no longer holds it.
export const instanceItem = async (client: SourceClient, instanceId: string): Promise<RemoteItem | undefined> => {
  const instance = await client.json<ListedInstance>(`/instances/${instanceId}?expand`);
  const series = instance.ok ? await client.json<ListedSeries & { ParentStudy: string }>(`/series/${instance.value.ParentSeries}`) : instance;
  const study = series.ok ? await client.json<FoundStudy>(`/studies/${series.value.ParentStudy}`) : series;
  if (!study.ok) {
    if (study.status === 404) return undefined;
    throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not describe instance ${instanceId} (${study.reason})`);
  }
  // study.ok: the instance and its series answered too.
  return instance.ok && series.ok ? remoteItem(client, instance.value, study.value, series.value.MainDicomTags ?? {}) : undefined;
};

/**
 * A study as --follow knows it was listed: the change sequence noted just before its instances
 * were listed (a change up to it was in the bulk listing), and, when the source logged changes
 * while they were listed (up to `after`), the IDs of the instances listed then.
 */
export type ListedStudy = number | { readonly before: number; readonly after: number; readonly ids: ReadonlySet<string> };

// Why: --follow gives an instance its log names unless the bulk listing had it; one stored while
// its study was listed is told by the IDs that listing had, so it is given (and counted) once.
export const wasListed = (study: ListedStudy | undefined, instanceId: string, seq: number): boolean => {
  if (study === undefined) return false;
  if (typeof study === 'number') return seq <= study;
  return seq <= study.before || (seq <= study.after && study.ids.has(instanceId));
};

/** How to list: studies per page, and where to keep the studies listed. */
export interface ListingOptions {
  readonly pageSize?: number;
  /** The studies listed: with `noteChanges` (for --follow) as ListedStudy says, else 0. */
  readonly listed?: Map<string, ListedStudy>;
  readonly noteChanges?: boolean;
  /** Studies sent at a time, the series taking turns within them (0: one study after the other, as listed). */
  readonly studiesInFlight?: number;
  /** Where each study's instance count is kept as it is listed (Source.studySize). */
  readonly sizes?: Map<string, number>;
}

// The change log's last sequence number now.
const lastChange = async (client: SourceClient): Promise<number> => {
  const answer = await client.json<{ Last: number }>('/changes?last');
  if (!answer.ok) throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not answer GET /changes?last (${answer.reason})`);
  return answer.value.Last;
};

// The instances the change log says were stored after `before` up to `after` (those a study's
// listing may have had or not): a page of the log at a time, only these IDs kept.
const storedBetween = async (client: SourceClient, before: number, after: number): Promise<Set<string>> => {
  const ids = new Set<string>();
  for (let since = before; since < after; ) {
    const page = await client.json<{ Changes: { ChangeType: string; ID: string; Seq: number }[]; Last: number }>(`/changes?since=${since}&limit=${Math.min(1000, after - since)}`);
    if (!page.ok) throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not answer GET /changes (${page.reason})`);
    for (const change of page.value.Changes) if (change.Seq <= after && change.ChangeType === 'NewInstance') ids.add(change.ID);
    if (page.value.Last <= since) break;
    since = page.value.Last;
  }
  return ids;
};

// Why: every instance of the source the filters may take, each once, even while the source
// deletes studies (see the top of this file), a few studies at a time (study-order.ts). Memory:
// one page of studies, a group of studies' instances, and the IDs of the studies listed so far
// (to skip those a page read again names).
export const remoteItems = (client: SourceClient, filter: Filter | undefined, events: ImportEvents | undefined, options: ListingOptions = {}): AsyncGenerator<RemoteItem> =>
  inStudyGroups(remoteStudies(client, filter, events, options), options.studiesInFlight ?? 0);

// Each study's instances, one study after the other.
async function* remoteStudies(client: SourceClient, filter: Filter | undefined, events: ImportEvents | undefined, options: ListingOptions): AsyncGenerator<InSeries<RemoteItem>[]> {
  const { pageSize = STUDIES_PER_PAGE, listed = new Map<string, ListedStudy>(), noteChanges = false, sizes } = options;
  const query = findQuery(filter);
  let anchor: string | undefined;
  for (let since = 0; ; ) {
    // With an anchor, the page starts one earlier: the anchor is its first study unless the studies shifted.
    const from = anchor === undefined ? since : since - 1;
    const limit = anchor === undefined ? pageSize : pageSize + 1;
    const page = await client.json<FoundStudy[]>('/tools/find', { Level: 'Study', Query: query, CaseSensitive: false, Expand: true, Since: from, Limit: limit });
    if (!page.ok) throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not answer /tools/find (${page.reason})`);
    if (anchor !== undefined && from > 0 && !page.value.some((study) => study.ID === anchor)) {
      events?.onInfo?.(`studies were deleted on the source ${client.endpoint.display} while it was listed: reading the page before again, so that none shifted out of view`);
      since = Math.max(1, since - pageSize);
      continue;
    }
    for (const study of page.value) {
      if (listed.has(study.ID)) continue;
      if (!noteChanges) {
        listed.set(study.ID, 0);
        const items = await studyItems(client, study);
        sizes?.set(study.ID, items.length);
        yield items;
        continue;
      }
      const before = await lastChange(client);
      const items = await studyItems(client, study);
      const after = await lastChange(client);
      if (after === before) listed.set(study.ID, before);
      else {
        const stored = await storedBetween(client, before, after);
        listed.set(study.ID, { before, after, ids: new Set(items.flatMap(({ item }) => (stored.has(item.instanceId) ? [item.instanceId] : []))) });
      }
      yield items;
    }
    if (page.value.length < limit) return;
    anchor = page.value[page.value.length - 1]?.ID;
    since = from + page.value.length;
  }
}
