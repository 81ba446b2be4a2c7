/**
 * Plays a loaded demo scenario against a running bot the way real systems would: past incidents
 * are imported, CI posts its change events to /events/change, and Alertmanager posts the alert.
 */
import type { Bot } from '../app.ts';
import { importHistory } from '../sources/history.ts';
import type { LoadedScenario } from './load.ts';

export type Played = { incidentKey: string | null };

export async function playScenario(bot: Bot, scenario: LoadedScenario, token: string): Promise<Played> {
  importHistory(bot.db, scenario.history);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${bot.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  if (scenario.changes.length) await post('/events/change', { events: scenario.changes });
  const accepted = await post('/alerts/alertmanager', scenario.alert);
  return { incidentKey: typeof accepted.incident === 'string' ? accepted.incident : null };
}
