import type { ObjectStore } from '../ports.ts';
import { createIfAbsent } from './cas.ts';
import { publishSlotKey } from './layout.ts';

/** Takes the one publish allowed in `epochSecond` across every function instance; false when another took it. */
export function takePublishSlot(store: ObjectStore, epochSecond: number): Promise<boolean> {
  return createIfAbsent(store, publishSlotKey(epochSecond), Buffer.from('{}'));
}
