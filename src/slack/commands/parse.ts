/** Parses the text after `/incident`. Pure: no I/O, so every shape of input is unit-tested. */
import type { Severity } from '../../artifacts.ts';

export type IncidentCommand =
  | { cmd: 'declare'; title: string; severity: Severity | null }
  | { cmd: 'list' }
  | { cmd: 'status'; id: number | null }
  | { cmd: 'resolve'; id: number | null; note: string | null }
  | { cmd: 'investigate'; id: number | null; agent: string | null }
  | { cmd: 'note'; id: number | null; text: string }
  | { cmd: 'autonomy'; enabled: boolean }
  | { cmd: 'postmortem'; id: number; regenerate: boolean }
  | { cmd: 'help' }
  | { cmd: 'invalid'; problem: string };

export const MAX_TITLE = 150;
const INCIDENT_REF = /^(?:inc-?)?#?(\d{1,9})$/i;

export const parseIncidentRef = (token: string | undefined): number | null => {
  const m = token ? INCIDENT_REF.exec(token) : null;
  return m ? Number(m[1]) : null;
};

export function parseIncidentCommand(text: string): IncidentCommand {
  const trimmed = text.trim();
  const [head = '', ...rest] = trimmed.split(/\s+/);
  const sub = head.toLowerCase();
  const args = rest;
  switch (sub) {
    case '':
    case 'help':
      return { cmd: 'help' };
    case 'list':
      return args.length ? { cmd: 'invalid', problem: '`list` takes no arguments.' } : { cmd: 'list' };
    case 'declare': {
      let severity: Severity | null = null;
      const last = args.at(-1)?.toLowerCase();
      if (last && /^sev[1-4]$/.test(last)) {
        severity = last as Severity;
        args.pop();
      }
      const title = args.join(' ').trim();
      if (!title) return { cmd: 'invalid', problem: '`declare` needs a title, e.g. `/incident declare Checkout errors sev2`.' };
      if (title.length > MAX_TITLE) return { cmd: 'invalid', problem: `The title is ${title.length} characters; keep it under ${MAX_TITLE + 1}.` };
      return { cmd: 'declare', title, severity };
    }
    case 'status': {
      if (args.length === 0) return { cmd: 'status', id: null };
      const id = parseIncidentRef(args[0]);
      if (id === null || args.length > 1) return { cmd: 'invalid', problem: `\`status\` takes one incident id like INC-12, not "${args.join(' ')}".` };
      return { cmd: 'status', id };
    }
    case 'resolve': {
      const id = parseIncidentRef(args[0]);
      const noteWords = id === null ? args : args.slice(1);
      const note = noteWords.join(' ').trim();
      return { cmd: 'resolve', id, note: note || null };
    }
    case 'investigate': {
      const id = parseIncidentRef(args[0]);
      const rest = id === null ? args : args.slice(1);
      if (rest.length > 1) return { cmd: 'invalid', problem: '`investigate` takes an incident id and at most one agent name.' };
      return { cmd: 'investigate', id, agent: rest[0]?.toLowerCase() ?? null };
    }
    case 'note': {
      const id = parseIncidentRef(args[0]);
      // The text as typed (line breaks kept), after the subcommand and the optional id.
      const body = trimmed.slice(head.length).trim();
      const text = (id === null ? body : body.slice(args[0]!.length)).trim();
      if (!text) return { cmd: 'invalid', problem: '`note` needs some text, e.g. `/incident note INC-12 DB failover started 10:05`.' };
      if (text.length > 2000) return { cmd: 'invalid', problem: `The note is ${text.length} characters; keep it under 2001.` };
      return { cmd: 'note', id, text };
    }
    case 'autonomy': {
      const word = args[0]?.toLowerCase();
      if (args.length !== 1 || (word !== 'on' && word !== 'off')) return { cmd: 'invalid', problem: '`autonomy` takes `on` or `off`.' };
      return { cmd: 'autonomy', enabled: word === 'on' };
    }
    case 'postmortem': {
      const regenerate = args.some((a) => a.toLowerCase() === '--regenerate');
      const rest = args.filter((a) => a.toLowerCase() !== '--regenerate');
      const id = parseIncidentRef(rest[0]);
      if (id === null || rest.length !== 1) return { cmd: 'invalid', problem: '`postmortem` takes one incident id and optionally `--regenerate`, e.g. `/incident postmortem INC-12 --regenerate`.' };
      return { cmd: 'postmortem', id, regenerate };
    }
    default:
      return { cmd: 'invalid', problem: `Unknown subcommand "${head}".` };
  }
}
