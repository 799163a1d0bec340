import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from './cas.ts';
import { publishBudgetKey } from './layout.ts';
import { record } from './records.ts';

/**
 * `state/publish-budgets/<tenant>/<hour>.json`: how many alerts a tenant published in one
 * wall-clock hour. Every tenant shares the one-a-second publish slot, so without a budget one
 * tenant's storm would queue everyone else's alerts behind it.
 */
export interface PublishBudget {
  schema: 1;
  tenant: string;
  hour: string;
  sent: number;
}

const PUBLISH_BUDGET = record<PublishBudget>('publish budget', { schema: 'number', tenant: 'string', hour: 'string', sent: 'number' });

/** Takes one of the tenant's `limit` publishes of the current hour; false when they are spent. */
export async function takePublishBudget(store: ObjectStore, tenant: string, limit: number, cas: CasOptions): Promise<boolean> {
  const hour = cas.clock.now().toISOString().slice(0, 13);
  let granted = false;
  await casUpdate(
    store,
    publishBudgetKey(tenant, hour),
    PUBLISH_BUDGET,
    (current) => {
      const sent = current?.sent ?? 0;
      granted = sent < limit;
      return granted ? { schema: 1 as const, tenant, hour, sent: sent + 1 } : null;
    },
    cas,
  );
  return granted;
}
