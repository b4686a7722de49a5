// The manual's post-mortem template, filled from the incident record, with a Mermaid chart of the procedure steps.
import type { Manual } from '../model/schema.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { Incident, TimelineEvent } from './model.js';

// UTC throughout, as irm status and the due line say: the timeline's times carry their Z.
const hhmm = (iso: string) => new Date(iso).toISOString().slice(11, 16) + 'Z';
const day = (iso: string) => new Date(iso).toISOString().slice(0, 10);
const mermaidTime = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ');

/** One line of the timeline for an event, or nothing for events that only add detail. */
export function describeEvent(e: TimelineEvent): string | undefined {
  switch (e.type) {
    case 'created':
      return `Detected (${e.detected_by === 'alert' ? 'alert from monitoring' : e.detected_by === 'user' ? 'user report' : 'automated health check'}): ${e.symptoms.join('; ') || e.title}`;
    case 'status':
      return `Status: ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
    case 'severity':
      return `Severity ${e.from} → ${e.to}${e.reason ? ` (${e.reason})` : ''}`;
    case 'owner':
      return `Owner: ${e.to}`;
    case 'step':
      return e.state === 'started' ? `Step ${e.step}: ${e.title}` : undefined;
    case 'note':
      return `${e.kind === 'note' ? 'Note' : e.kind[0]!.toUpperCase() + e.kind.slice(1)}: ${e.text}${e.happened_at ? ` (noted at ${hhmm(e.at)})` : ''}`;
    case 'command':
      if (e.verdict === 'not-applicable' || (e.kind === 'check' && (e.verdict === 'healthy' || e.verdict === 'skipped'))) return undefined;
      return `${e.kind === 'solution' ? 'Fix' : e.kind === 'quick' ? 'Ran' : 'Check'} "${e.title}": ${e.verdict}`;
    case 'diagnosis':
      return `Diagnosis (${e.runbook}): ${e.confirmed.length ? `confirmed ${e.causes.filter((c) => c.status === 'confirmed').map((c) => c.title).join(', ')}` : 'no cause confirmed'}`;
    case 'escalation':
      return `Escalated to level ${e.to_level}: ${e.trigger}`;
    case 'notification': {
      // A delivery that failed is retried from the outbox; the timeline shows when it was sent.
      if (e.status === 'failed') return undefined;
      const via = e.channel ? ` via ${e.channel.split(',').join(', ')}` : '';
      // Planned: irm listed whom the operator is to tell; it does not know that anyone was told.
      if (e.status === 'planned') return `To notify (by the responder): ${e.audience}${via}`;
      if (e.status === 'queued') return `Notification queued for ${e.audience}${via}`;
      return `Notified ${e.audience}${via}${e.jira_key ? ` (${e.jira_key})` : ''}`;
    }
    case 'attachment':
      return `Attached ${e.file}`;
    default:
      return undefined;
  }
}

/** When the event happened: a backdated note counts at its own time. */
function when(e: TimelineEvent): string {
  return e.type === 'note' && e.happened_at ? e.happened_at : e.type === 'created' ? e.detected_at : e.at;
}

/**
 * Text from the record on one line: a newline in a note (or in a title from an older record) would start a heading
 * of its own in the Markdown, or end the Mermaid block's line early.
 */
function one(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

export function durationText(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return `${h} hour${h === 1 ? '' : 's'} ${m} minute${m === 1 ? '' : 's'}`;
}

export function renderPostmortem(inc: Incident, manual: Manual, now: Date): string {
  const end = inc.resolved_at ?? now.toISOString();
  const duration = new Date(end).getTime() - new Date(inc.detected_at).getTime();
  const timeline = inc.events
    .map((e) => ({ t: when(e), text: describeEvent(e) }))
    .filter((x): x is { t: string; text: string } => !!x.text)
    .sort((a, b) => a.t.localeCompare(b.t));
  const notes = (kind: string) => inc.events.filter((e): e is Extract<TimelineEvent, { type: 'note' }> => e.type === 'note' && e.kind === kind);
  const impact = one(notes('note').find((n) => /impact/i.test(n.text))?.text ?? (inc.symptoms.length ? inc.symptoms.join('; ') : '[Description]'));
  const diagnoses = inc.events.filter((e): e is Extract<TimelineEvent, { type: 'diagnosis' }> => e.type === 'diagnosis');
  const rootCause = [
    ...inc.confirmed.map((c) => `- ${c.title} (runbook ${c.runbook}, cause ${c.cause}), confirmed by irm's checks.`),
    ...notes('hypothesis').map((n) => `- Hypothesis: ${n.text}`),
    ...notes('finding').map((n) => `- Finding: ${n.text}`),
  ].map(one);
  const fixes = [
    ...notes('fix').map((n) => `- ${n.text}`),
    ...inc.events.filter((e) => e.type === 'command' && e.kind === 'solution' && e.verdict === 'healthy').map((e) => `- Ran "${(e as { title: string }).title}"`),
  ].map(one);
  const actions = notes('action');
  const pmSeverities = manual.post_incident.postmortem.for;
  const out: string[] = [
    `# Post-Mortem: ${one(inc.title)}`,
    '',
    '## Incident Summary',
    `- **Date**: ${day(inc.detected_at)}`,
    `- **Duration**: ${inc.resolved_at ? durationText(duration) : `${durationText(duration)} so far (not resolved)`}`,
    `- **Severity**: ${inc.severity}`,
    `- **Impact**: ${impact}`,
    '',
    '## Timeline',
    ...timeline.map((x) => `- ${hhmm(x.t)} - ${one(x.text)}`),
    ...(inc.resolved_at ? [] : ['- HH:MM - Resolution']),
    '',
    '## Root Cause',
    rootCause.length ? rootCause.join('\n') : '[Detailed description]',
    ...(diagnoses.length ? ['', ...diagnoses.flatMap((d) => d.causes.filter((c) => c.status !== 'confirmed').map((c) => one(`- ${c.title}: ${c.status}`)))] : []),
    '',
    '## Resolution',
    fixes.length ? fixes.join('\n') : '[What was done to resolve]',
    '',
    '## Action Items',
    ...(actions.length
      ? actions.map((a) => `- [ ] ${one(a.text)} - Owner: ${a.owner ?? '[Name]'} - Due: ${a.due ?? '[Date]'}`)
      : ['- [ ] Action 1 - Owner: [Name] - Due: [Date]', '- [ ] Action 2 - Owner: [Name] - Due: [Date]']),
    '',
    '## What Went Well',
    '- [Positive aspect 1]',
    '- [Positive aspect 2]',
    '',
    '## What Could Be Improved',
    '- [Improvement 1]',
    '- [Improvement 2]',
    '',
    '## Lessons Learned',
    '[Key takeaways]',
    '',
    '## The incident at a glance',
    '',
    '```mermaid',
    'gantt',
    `    title ${inc.id}: ${one(inc.title).replace(/[:#;%`]/g, ' ')}`,
    '    %% times in UTC',
    '    dateFormat YYYY-MM-DD HH:mm',
    '    axisFormat %H:%M',
    '    section Procedure',
    ...ganttSteps(inc, now),
    '```',
    '',
  ];
  if (pmSeverities.includes(inc.severity as 'P0')) {
    const within = parseDuration(manual.post_incident.postmortem.within);
    const due = inc.resolved_at ? new Date(new Date(inc.resolved_at).getTime() + within) : undefined;
    out.splice(1, 0, '', `> A ${inc.severity} incident needs this post-mortem within ${formatDuration(within)} of resolution${due ? `: by ${due.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}.`);
  }
  return out.join('\n');
}

function ganttSteps(inc: Incident, now: Date): string[] {
  const lines: string[] = [];
  const steps = [...inc.steps].sort((a, b) => a.step - b.step);
  steps.forEach((s, i) => {
    const start = s.started_at ?? steps[i - 1]?.completed_at ?? inc.detected_at;
    const end = s.completed_at ?? steps[i + 1]?.started_at ?? inc.resolved_at ?? now.toISOString();
    const safeEnd = new Date(end).getTime() - new Date(start).getTime() < 60_000 ? new Date(new Date(start).getTime() + 60_000).toISOString() : end;
    lines.push(`    ${s.title.replace(/:/g, ' ')} :${s.completed_at ? 'done, ' : 'active, '}s${s.step}, ${mermaidTime(start)}, ${mermaidTime(safeEnd)}`);
  });
  if (!lines.length) lines.push(`    Detected :milestone, m1, ${mermaidTime(inc.detected_at)}, 0m`);
  if (inc.resolved_at) lines.push(`    Resolved :milestone, m2, ${mermaidTime(inc.resolved_at)}, 0m`);
  return lines;
}
