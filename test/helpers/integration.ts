/**
 * Integration tests that need something outside npm (Chromium, Prometheus…) skip with a clear
 * message on a laptop without it. In CI, INCIDENT_CREW_REQUIRE_INTEGRATION=1 turns the skip into
 * a failure, so a missing install can never pass silently.
 */
import { existsSync } from 'node:fs';

export const STRICT = process.env.INCIDENT_CREW_REQUIRE_INTEGRATION === '1';

/** For `describe(name, { skip: skipWithout(path, hint) })`: a reason to skip, or false to run. */
export function skipWithout(path: string, installHint: string): string | false {
  if (existsSync(path) || STRICT) return false;
  return `${path} is not installed (${installHint}); set INCIDENT_CREW_REQUIRE_INTEGRATION=1 to make this a failure`;
}

/** Call first in the suite's before(): in strict mode a missing binary fails with the reason. */
export function assertInstalled(path: string, installHint: string): void {
  if (!existsSync(path)) throw new Error(`${path} is not installed (${installHint}) and INCIDENT_CREW_REQUIRE_INTEGRATION=1 forbids skipping`);
}
