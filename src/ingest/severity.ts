import type { Severity } from '../artifacts.ts';

/** Maps the severity words alerting tools use onto sev1..sev4; unknown words give null. */
const WORDS = new Map<string, Severity>(Object.entries({
  sev1: 'sev1', p1: 'sev1', critical: 'sev1', page: 'sev1', emergency: 'sev1', fatal: 'sev1',
  sev2: 'sev2', p2: 'sev2', high: 'sev2', major: 'sev2', error: 'sev2',
  sev3: 'sev3', p3: 'sev3', warning: 'sev3', warn: 'sev3', medium: 'sev3', minor: 'sev3', moderate: 'sev3',
  sev4: 'sev4', p4: 'sev4', p5: 'sev4', low: 'sev4', info: 'sev4', informational: 'sev4', none: 'sev4',
} satisfies Record<string, Severity>));

export function severityFrom(word: string | undefined): Severity | null {
  return word ? (WORDS.get(word.trim().toLowerCase()) ?? null) : null;
}

/** The most severe of several (sev1 beats sev2). */
export function worstSeverity(list: (Severity | null)[]): Severity | null {
  return list.reduce<Severity | null>((worst, s) => (s && (!worst || s < worst) ? s : worst), null);
}
