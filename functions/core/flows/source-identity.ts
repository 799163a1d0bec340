import type { ObjectStore } from '../ports.ts';
import { receiptKey, sourceIdOf } from '../store/layout.ts';
import { readJson } from '../store/records.ts';
import { RECEIPT, readAgain, type Receipt } from '../store/receipts.ts';
import type { SourceRef } from './ingest-object.ts';

export interface Identity {
  etag: string;
  sourceId: string;
  receiptKey: string;
  /**
   * The receipt an earlier ingestion of the same bytes left, if any: this one is a duplicate. A
   * file rejected for its content is read again (a newer mailflow, or other limits, may read it);
   * one given up on after failing every time (REPEATED_FAILURE) is not.
   */
  existing: Receipt | null;
  /** 0, or one more than the generation of a receipt whose source was forgotten: its parts are new markers. */
  generation: number;
}

/**
 * Who the source is, known as soon as its ETag is: before reading when the ETag is given, during
 * the read when it is still being hashed. `signal` aborts when it turns out to be a duplicate (or
 * the identity cannot be learned), so the read stops early.
 */
export class SourceIdentity {
  readonly resolved: Promise<Identity>;
  private readonly stop = new AbortController();

  constructor(ref: SourceRef, store: ObjectStore) {
    this.resolved = Promise.resolve(ref.etag).then(async (etag) => {
      const sourceId = sourceIdOf(ref.origin, ref.key, etag);
      const key = receiptKey(ref.tenant, sourceId);
      const stored = await readJson(store, key, RECEIPT);
      const existing = stored && !readAgain(stored) ? stored : null;
      if (existing) this.stop.abort();
      const generation = stored?.status === 'forgotten' ? (stored.generation ?? 0) + 1 : (stored?.generation ?? 0);
      return { etag, sourceId, receiptKey: key, existing, generation };
    });
    this.resolved.catch(() => this.stop.abort());
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** True once reading should stop: a duplicate, or the identity failed (resolved then rethrows). */
  get stopped(): boolean {
    return this.stop.signal.aborted;
  }
}
