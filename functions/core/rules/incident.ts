import { ESCALATE_FACTOR } from '../vocabulary/thresholds.ts';
import { MINUTE } from '../vocabulary/time.ts';
import type { Rule } from './config.ts';
import type { Folded, Incident, OwedNotification, Transition } from '../store/incidents.ts';

/**
 * An incident is level-triggered: each evaluation compares a rule's current value for one group
 * (a destination, a connector …) with the incident's state, and `nextIncident` says whether a
 * transition happens. The transition and the notification it owes are written together by one
 * compare-and-swap on `state/incidents/<tenant>/<ruleId>/<groupHash>.json`; the notification is
 * marked sent after publishing. So exactly one writer makes each transition, and a retry after a
 * crash finds the transition made and only finishes the publish (the one point where a
 * notification can repeat: after the publish, before it is marked).
 */

/** The next state of an incident for the value now, or null when nothing changes. */
export function nextIncident(
  current: Incident | null,
  value: number,
  rule: Rule,
  now: Date,
  identity: {
    tenant: string;
    group: Record<string, string | null>;
    folded?: Folded | undefined;
    messages?: number | undefined;
    volume?: number | undefined;
  },
): Incident | null {
  const at = now.toISOString();
  const folded = {
    ...(identity.folded ? { folded: identity.folded } : {}),
    ...(identity.messages !== undefined ? { lastMessages: identity.messages } : {}),
    ...(identity.volume !== undefined ? { lastVolume: identity.volume } : {}),
  };
  const active = current && current.state !== 'resolved';
  if (!active) {
    if (value < rule.open || value <= 0) return null;
    const episode = (current?.episode ?? 0) + 1;
    return withNotice(
      {
        schema: 1,
        tenant: identity.tenant,
        ruleId: rule.id,
        group: identity.group,
        state: 'open',
        episode,
        openedAt: at,
        baseline: value,
        lastValue: value,
        peakValue: value,
        belowSince: null,
        resolvedAt: null,
        lastNotifiedAt: null,
        notifications: current?.notifications.filter((n) => !n.sent) ?? [],
        ...folded,
      },
      'open',
      value,
      at,
    );
  }
  const next: Incident = { ...current, lastValue: value, peakValue: Math.max(current.peakValue, value), ...folded };
  // The fold's membership is news even when its largest value is not.
  const foldChanged = identity.folded !== undefined && JSON.stringify(identity.folded) !== JSON.stringify(current.folded);
  if (value < rule.close || value === 0) {
    // Hysteresis: below the close threshold for a whole window before it counts as resolved.
    const since = current.belowSince ?? at;
    next.belowSince = since;
    if (now.getTime() - Date.parse(since) >= rule.windowMinutes * MINUTE) {
      return withNotice({ ...next, state: 'resolved', resolvedAt: at }, 'resolved', value, at);
    }
    return current.belowSince ? (value === current.lastValue && !foldChanged ? null : next) : next;
  }
  next.belowSince = null;
  const cooled = !current.lastNotifiedAt || now.getTime() - Date.parse(current.lastNotifiedAt) >= rule.cooldownMinutes * MINUTE;
  if (value >= ESCALATE_FACTOR * current.baseline && cooled) {
    return withNotice({ ...next, state: 'escalated', baseline: value }, 'escalated', value, at);
  }
  const changed = value !== current.lastValue || current.belowSince !== null || next.peakValue !== current.peakValue || foldChanged;
  return changed ? next : null;
}

function withNotice(incident: Incident, transition: Transition, value: number, at: string): Incident {
  const id = `${incident.episode}-${transition}-${at}`;
  return {
    ...incident,
    lastNotifiedAt: at,
    notifications: [...incident.notifications.slice(-20), { id, transition, at, value, sent: false }],
  };
}

/**
 * An active incident beyond its rule's cap (rules/fold.ts) ends without a notification: its group
 * is counted in the rule's "and N more" incident from now on. Notifications it still owed are
 * marked held, with the reason, so nothing claims them later.
 */
export function absorbedIncident(current: Incident | null, now: Date): Incident | null {
  if (!current || current.state === 'resolved') return null;
  const at = now.toISOString();
  return {
    ...current,
    state: 'resolved',
    resolvedAt: at,
    belowSince: null,
    notifications: current.notifications.map((n) =>
      n.sent ? n : { ...n, sent: true, held: 'folded into the rule\'s "and N more" incident' },
    ),
  };
}

/** Notifications recorded but not yet marked sent: what a retry still has to publish. */
export function owed(incident: Incident): OwedNotification[] {
  return incident.notifications.filter((n) => !n.sent);
}
