/** Parses the text after `/incident`. Pure: no I/O, so every shape of input is unit-tested. */
import type { Severity } from '../../artifacts.ts';

export type IncidentCommand =
  | { cmd: 'declare'; title: string; severity: Severity | null }
  | { cmd: 'list' }
  | { cmd: 'status'; id: number | null }
  | { cmd: 'resolve'; id: number | null; note: string | null }
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
    default:
      return { cmd: 'invalid', problem: `Unknown subcommand "${head}".` };
  }
}
