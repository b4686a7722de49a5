// The incident record as events, and the incident they add up to. Plain data: no I/O here.

export const STATUSES = ['detected', 'investigating', 'identified', 'mitigated', 'monitoring', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];
export const OPEN_STATUSES: readonly Status[] = ['detected', 'investigating', 'identified', 'mitigated', 'monitoring'];

export type DetectedBy = 'alert' | 'user' | 'system';

interface Base {
  /** Unique per event, so that a copy (a retry, a merge) is recognised. */
  id: string;
  /** When irm recorded it. */
  at: string;
  /** Who recorded it ($USER by default). */
  by: string;
}

export type TimelineEvent = Base &
  (
    | { type: 'created'; title: string; severity: string; detected_at: string; detected_by: DetectedBy; symptoms: string[]; owner: string }
    | { type: 'status'; from: Status; to: Status; reason?: string }
    | { type: 'severity'; from: string; to: string; reason?: string }
    | { type: 'owner'; from: string; to: string }
    | { type: 'title'; from: string; to: string }
    | { type: 'step'; step: number; title: string; state: 'started' | 'completed' }
    | { type: 'answer'; question: string; answer: string }
    | { type: 'note'; text: string; kind: 'note' | 'finding' | 'hypothesis' | 'fix' | 'action'; happened_at?: string; broadcast?: boolean; owner?: string; due?: string }
    | { type: 'command'; runbook?: string; check: string; title: string; command?: string; risk: string; verdict: string; exit_code?: number | null; duration_ms?: number; excerpt?: string; note?: string; kind: string }
    | { type: 'diagnosis'; runbook: string; confirmed: string[]; causes: { id: string; title: string; status: string }[]; conclusion?: string }
    | { type: 'escalation'; from_level: number; to_level: number; trigger: string; contacts: string[] }
    | {
        type: 'notification';
        channel: string;
        audience: string;
        message: string;
        /** planned: the operator is to tell them (triage's list); sent or failed: irm's delivery (failed is recorded once, when it first sticks). */
        status: 'planned' | 'queued' | 'sent' | 'failed';
        /** The outbox message's idempotency key. */
        key?: string;
        /** The Jira issue the incident's ticket is. */
        jira_key?: string;
        error?: string;
      }
    | { type: 'attachment'; file: string; stored_as: string; bytes: number; kept_bytes: number; truncated: boolean }
    | { type: 'postmortem'; file?: string; due: string }
  );

export type EventType = TimelineEvent['type'];
/** An event before irm stamps it with its id, time and author. */
export type NewEvent = { [K in EventType]: Omit<Extract<TimelineEvent, { type: K }>, keyof Base> }[EventType];

export interface Incident {
  id: string;
  title: string;
  severity: string;
  status: Status;
  owner: string;
  detected_at: string;
  detected_by: DetectedBy;
  created_at: string;
  symptoms: string[];
  /** The procedure steps entered and completed. */
  steps: { step: number; title: string; started_at?: string; completed_at?: string }[];
  /** When the status first left "detected": the response. */
  acknowledged_at?: string;
  resolved_at?: string;
  closed_at?: string;
  escalation_level: number;
  runbooks: string[];
  confirmed: { runbook: string; cause: string; title: string }[];
  /** The last status update (a status change or a broadcast note). */
  last_update_at: string;
  /** The incident's Jira issue, once irm has created it. */
  jira_key?: string;
  events: TimelineEvent[];
}

/** The incident the events add up to; the first event must be "created". */
export function fold(id: string, events: readonly TimelineEvent[]): Incident {
  const first = events[0];
  if (!first || first.type !== 'created') throw new Error(`incident ${id} has no "created" event`);
  const inc: Incident = {
    id,
    title: first.title,
    severity: first.severity,
    status: 'detected',
    owner: first.owner,
    detected_at: first.detected_at,
    detected_by: first.detected_by,
    created_at: first.at,
    symptoms: first.symptoms,
    steps: [],
    escalation_level: 1,
    runbooks: [],
    confirmed: [],
    last_update_at: first.at,
    events: [...events],
  };
  for (const e of events.slice(1)) {
    switch (e.type) {
      case 'status':
        inc.status = e.to;
        inc.last_update_at = e.at;
        if (!inc.acknowledged_at && e.to !== 'detected') inc.acknowledged_at = e.at;
        if (e.to === 'resolved') inc.resolved_at ??= e.at;
        if (e.to === 'closed') {
          inc.closed_at = e.at;
          inc.resolved_at ??= e.at;
        }
        if (OPEN_STATUSES.includes(e.to)) {
          delete inc.resolved_at;
          delete inc.closed_at;
        }
        break;
      case 'severity':
        inc.severity = e.to;
        inc.title = retitle(inc.title, e.to);
        break;
      case 'owner':
        inc.owner = e.to;
        break;
      case 'title':
        inc.title = e.to;
        break;
      case 'step': {
        let s = inc.steps.find((x) => x.step === e.step);
        if (!s) {
          s = { step: e.step, title: e.title };
          inc.steps.push(s);
          inc.steps.sort((a, b) => a.step - b.step);
        }
        if (e.state === 'started') s.started_at ??= e.at;
        else s.completed_at = e.at;
        break;
      }
      case 'note':
        if (e.broadcast) inc.last_update_at = e.at;
        break;
      case 'diagnosis':
        if (!inc.runbooks.includes(e.runbook)) inc.runbooks.push(e.runbook);
        inc.confirmed = inc.confirmed.filter((c) => c.runbook !== e.runbook);
        for (const c of e.causes.filter((x) => x.status === 'confirmed')) inc.confirmed.push({ runbook: e.runbook, cause: c.id, title: c.title });
        break;
      case 'command':
        if (e.runbook && !inc.runbooks.includes(e.runbook)) inc.runbooks.push(e.runbook);
        break;
      case 'escalation':
        inc.escalation_level = e.to_level;
        break;
      case 'notification':
        if (e.jira_key) inc.jira_key ??= e.jira_key;
        break;
      default:
        break;
    }
  }
  return inc;
}

/** "[P1] Slow queries" becomes "[P0] Slow queries" when the severity changes. */
export function retitle(title: string, severity: string): string {
  return /^\[P\d\]/.test(title) ? title.replace(/^\[P\d\]/, `[${severity}]`) : `[${severity}] ${title}`;
}

export function isOpen(inc: Incident): boolean {
  return OPEN_STATUSES.includes(inc.status);
}

/** The procedure step to continue with: the first one not completed. */
export function currentStep(inc: Incident): number {
  for (let step = 1; step <= 5; step++) {
    if (!inc.steps.find((s) => s.step === step)?.completed_at) return step;
  }
  return 6;
}
