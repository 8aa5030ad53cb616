// How old a change of Orthanc's log is. Its Date reads `YYYYMMDDTHHMMSS` without a zone; Orthanc
// 1.10.1 writes it in UTC whatever the server's TZ (seen in test/sources/orthanc-rest/follow.test.ts
// with TZ=Pacific/Pago_Pago, UTC-11). The age is taken against this machine's clock: a source
// whose clock is off shows a lag off by as much, never below 0.

const ORTHANC_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/;

// Why: the progress and the summary say how far behind --follow is in seconds; null when the
// Date does not read as Orthanc writes it (nothing is claimed then).
export const lagSeconds = (date: string, now: number): number | null => {
  const parts = ORTHANC_DATE.exec(date)?.slice(1).map(Number);
  if (parts === undefined) return null;
  const [year = 0, month = 1, day = 1, hours = 0, minutes = 0, seconds = 0] = parts;
  return Math.max(0, Math.round((now - Date.UTC(year, month - 1, day, hours, minutes, seconds)) / 1000));
};
