import { createHash } from 'node:crypto';
import { UsageError } from '../errors.ts';

/** Object keys: the layout shared by the data folder and the bucket (DESIGN.md, Contracts). */

const TENANT = /^[a-z0-9-]{1,63}$/;

export function normaliseTenant(raw: string | undefined): string {
  const t = (raw ?? 'default').trim().toLowerCase();
  if (!TENANT.test(t)) throw new UsageError('BAD_TENANT', `tenant "${raw}" must be 1-63 characters of a-z, 0-9 and "-"`);
  return t;
}

/** `incoming/<tenant>/…` → tenant; files directly under `incoming/` belong to `default`. */
export function tenantOfKey(key: string): string {
  const parts = key.split('/');
  return parts.length > 2 ? normaliseTenant(parts[1]) : 'default';
}

export function sourceIdOf(origin: string, key: string, etag: string): string {
  return createHash('sha256').update(`${origin}\n${key}\n${etag}`).digest('hex').slice(0, 32);
}

function parts(hourMs: number): { date: string; hour: string } {
  const iso = new Date(hourMs).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

export function rollupKey(tenant: string, hourMs: number): string {
  const p = parts(hourMs);
  return `results/rollups/tenant=${tenant}/date=${p.date}/hour=${p.hour}.json`;
}

export function summaryKey(tenant: string, hourMs: number): string {
  const p = parts(hourMs);
  return `results/hourly/tenant=${tenant}/date=${p.date}/hour=${p.hour}.json`;
}

export function receiptKey(tenant: string, sourceId: string): string {
  return `${receiptPrefix(tenant)}${sourceId}.json`;
}

export function receiptPrefix(tenant: string): string {
  return `results/sources/${tenant}/`;
}

const SUMMARY_KEY = /^results\/hourly\/tenant=([a-z0-9-]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\.json$/;

/** Tenant and hour (ms) of a summary key, or null for anything else under the prefix. */
export function parseSummaryKey(key: string): { tenant: string; hour: number } | null {
  const m = SUMMARY_KEY.exec(key);
  return m ? { tenant: m[1]!, hour: Date.parse(`${m[2]}T${m[3]}:00:00Z`) } : null;
}

/** `state/failures/<tenant>/<sourceId>.json`: why an upload could not be ingested, and how often. */
export function failureKey(tenant: string, sourceId: string): string {
  return `state/failures/${tenant}/${sourceId}.json`;
}

/** `state/notifications/<tenant>/<id hash>.json`: the claim on sending one incident notification. */
export function notificationClaimKey(tenant: string, incidentKey: string, notificationId: string): string {
  return `state/notifications/${tenant}/${createHash('sha256').update(`${incidentKey}\n${notificationId}`).digest('hex').slice(0, 32)}.json`;
}

/** `state/digests/<tenant>/<local date>.json`: the claim on sending a tenant's digest of that day. */
export function digestClaimKey(tenant: string, localDate: string): string {
  return `state/digests/${tenant}/${localDate}.json`;
}
