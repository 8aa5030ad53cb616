// --wire-compression for an Orthanc target: whether uploads travel as gzip (Content-Encoding: gzip
// on POST /instances, which Orthanc gunzips since 1.6.0). Gzip saves the link's bytes and costs the
// target an inflate per instance: it pays when the link, not the target, is the bottleneck.
import { ImporterError } from '../../core/errors.js';
import type { WireCompression } from '../../core/options.js';
import type { Endpoint } from '../http/endpoint.js';
import { httpGet } from '../http/http-get.js';

/**
 * A GET /system on a new connection (TCP handshake, then the request: two round trips) at or above
 * this many ms means a wide-area link. On loopback or a LAN it takes well under 2 ms (0.4-0.7 ms
 * measured on loopback here); through the bench's 20 ms WAN it takes about 41 ms. README, "Wire
 * compression", has the measurements behind it.
 */
export const WAN_REQUEST_MS = 10;
/** Requests timed: the quickest tells the link (the others may have waited for a busy server). */
const TIMED_REQUESTS = 3;
const PROBE_LIMITS = { timeoutMs: 15_000, maxBytes: 1024 * 1024 };

/** What the run sends an Orthanc, and why (said to the user when it is gzip). */
interface WireChoice {
  readonly gzip: boolean;
  readonly why: string;
}

// True for an Orthanc that gunzips POST /instances (1.6.0 and later; 'mainline' builds too).
export const takesGzip = (version: string): boolean => {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return !/^\d/.test(version) || major > 1 || (major === 1 && minor >= 6);
};

// The quickest of a few GET /system, each on a new connection (`firstMs`: the one the run already
// made); a failed one ends the measurement (the run's own requests will meet the failure).
export const quickestRequestMs = async (target: Endpoint, firstMs: number): Promise<number> => {
  let quickest = firstMs;
  for (let done = 1; done < TIMED_REQUESTS; done++) {
    const began = performance.now();
    try {
      await httpGet(`${target.origin}${target.prefix}/system`, target.headers, PROBE_LIMITS, target.tls);
    } catch {
      return quickest;
    }
    quickest = Math.min(quickest, performance.now() - began);
  }
  return quickest;
};

// Why: --wire-compression decided once, before anything is sent. `gzip` on an Orthanc that cannot
// take it is refused (it would store nothing); `auto` times the link (`timeRequests`, only then).
export const chooseWire = async (mode: WireCompression, version: string, timeRequests: () => Promise<number>): Promise<WireChoice> => {
  if (mode === 'none') return { gzip: false, why: 'uploads sent as they are (--wire-compression none)' };
  if (!takesGzip(version)) {
    if (mode === 'gzip') {
      throw new ImporterError('E_USAGE', `--wire-compression gzip needs an Orthanc 1.6.0 or later (it gunzips uploads since then), and the target is Orthanc ${version}: use auto or none`);
    }
    return { gzip: false, why: `uploads sent as they are (Orthanc ${version} takes no gzip)` };
  }
  if (mode === 'gzip') return { gzip: true, why: 'uploads sent as gzip (--wire-compression gzip)' };
  const ms = await timeRequests();
  const measured = `a request on a new connection takes ${ms.toFixed(1)} ms`;
  return ms >= WAN_REQUEST_MS
    ? { gzip: true, why: `uploads sent as gzip (--wire-compression auto: ${measured}, a wide-area link)` }
    : { gzip: false, why: `uploads sent as they are (--wire-compression auto: ${measured}, a local link)` };
};
