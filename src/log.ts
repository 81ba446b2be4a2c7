/**
 * Structured logs (pino): one JSON object per line on stderr, also usable as Bolt's Logger.
 * Lines about an incident carry `incident: "INC-42"` (`log.forIncident(id)`), so one grep or one
 * log query finds everything the bot did for it.
 */
import type { LogLevel, Logger as BoltLogger } from '@slack/bolt';
import pino from 'pino';
import { incidentKey } from './artifacts.ts';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export type Logger = BoltLogger & {
  /** A logger for a part of the bot: its lines are named `parent:name`. */
  child(name: string): Logger;
  /** The same logger, with `incident` on every line. */
  forIncident(incidentId: number): Logger;
};

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** `write` receives each line (tests); by default lines go to stderr. */
export function createLogger(level: Level = 'info', name = 'incident-crew', write?: (line: string) => void): Logger {
  // Every level reaches pino; each Logger filters by its own level, as Bolt expects setLevel to affect only the logger it was given.
  const root = pino(
    {
      level: 'debug',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    write ? { write } : pino.destination({ dest: 2, sync: true }),
  );
  return wrap(root, { level, name, incident: null });
}

type State = { level: Level; name: string; incident: string | null };

function wrap(root: pino.Logger, initial: State): Logger {
  const s = { ...initial };
  const emit = (lvl: Level) => (...args: unknown[]) => {
    if (ORDER[lvl] < ORDER[s.level]) return;
    root[lvl](s.incident ? { name: s.name, incident: s.incident } : { name: s.name }, format(args));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    setLevel: (l: LogLevel) => {
      s.level = l as Level;
    },
    getLevel: () => s.level as LogLevel,
    setName: (n: string) => {
      s.name = n;
    },
    child: (n: string) => wrap(root, { ...s, name: `${s.name}:${n}` }),
    forIncident: (incidentId: number) => wrap(root, { ...s, incident: incidentKey(incidentId) }),
  };
}

function format(args: unknown[]): string {
  return args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
}

export const silentLogger = (): Logger => createLogger('error', 'test', () => {});
