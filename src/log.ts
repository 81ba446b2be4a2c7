/** A small leveled logger that also satisfies Bolt's Logger interface. One JSON line per record. */
import type { LogLevel} from '@slack/bolt';
import { type Logger as BoltLogger } from '@slack/bolt';

const order = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof order;

export type Logger = BoltLogger & { child(name: string): Logger };

export function createLogger(level: Level = 'info', name = 'incident-crew', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  let current: Level = level;
  let label = name;
  const emit = (lvl: Level, args: unknown[]) => {
    if (order[lvl] < order[current]) return;
    const msg = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    write(`${JSON.stringify({ t: new Date().toISOString(), level: lvl, name: label, msg })}\n`);
  };
  return {
    debug: (...a: unknown[]) => emit('debug', a),
    info: (...a: unknown[]) => emit('info', a),
    warn: (...a: unknown[]) => emit('warn', a),
    error: (...a: unknown[]) => emit('error', a),
    setLevel: (l: LogLevel) => {
      current = l as Level;
    },
    getLevel: () => current as LogLevel,
    setName: (n: string) => {
      label = n;
    },
    child: (n: string) => createLogger(current, `${label}:${n}`, write),
  };
}

export const silentLogger = (): Logger => createLogger('error', 'test', () => {});
