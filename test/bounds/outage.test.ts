import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.ts';

/**
 * Issue 16 (2): an outage naming 500,000 destinations, each with a message deferred for 13 hours
 * (1,000,000 events, 161 MB). Before the caps it sent 375,000 alerts, took 318 s and 1.85 GB, and
 * left a 68 MB deferral state. The child streams the export as it generates it, so what is
 * measured is the ingestion, under a 192 MiB heap cap (a leak would abort it).
 */
describe('an outage as wide as the internet (O35)', () => {
  it('O35 500,000 destinations: 22 alerts, 22 small incident objects, a deferral state under 4 MB, within a 192 MiB heap', async () => {
    const { result, peakRssMiB, baselineRssMiB } = await runChild('outage', ['500000'], 240_000, ['--max-old-space-size=192']);
    expect(result).toMatchObject({ status: 'ingested', counted: 1_000_000, incidentObjects: 22, tracked: 50_000 });
    // Per rule: the 20 largest destinations, one "and N more" and, for the event count by
    // destination, the hour's "(more destinations)" group past the rollup's 20,000 groups.
    expect(result.alertsByRule).toEqual({ stuck: 21, 'connector-codes': 1 });
    expect(result.incidentBytes).toBeLessThan(30_000);
    expect(result.stateBytes).toBeLessThan(4_000_000);
    expect(result.dropped).toBeGreaterThanOrEqual(450_000);
    expect(result.seconds).toBeLessThan(150);
    expect(peakRssMiB - baselineRssMiB).toBeLessThan(512);
  }, 300_000);
});
