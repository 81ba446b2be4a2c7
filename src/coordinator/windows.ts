import type { Alert, Incident } from '../artifacts.ts';
import type { Config } from '../config.ts';
import type { TimeWindow } from '../sources/types.ts';

const MINUTE = 60_000;

/** Onset: the earliest firing alert's start, else when the incident was opened. */
export function onsetOf(incident: Incident, alerts: Alert[]): Date {
  const starts = alerts.map((a) => Date.parse(a.startsAt)).filter((t) => Number.isFinite(t));
  return new Date(starts.length ? Math.min(...starts) : Date.parse(incident.openedAt));
}

export function windowsFor(onset: Date, now: Date, c: Config['investigation']): { baseline: TimeWindow; incident: TimeWindow; lookback: TimeWindow } {
  const lead = c.leadMinutes * MINUTE;
  const incidentStart = new Date(onset.getTime() - lead);
  const end = new Date(Math.max(now.getTime(), onset.getTime() + MINUTE));
  return {
    baseline: { start: new Date(incidentStart.getTime() - c.baselineMinutes * MINUTE), end: incidentStart },
    incident: { start: incidentStart, end },
    lookback: { start: new Date(onset.getTime() - c.lookbackMinutes * MINUTE), end },
  };
}
