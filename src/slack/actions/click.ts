import type { BlockButtonAction } from '@slack/bolt';
import type { z } from 'zod';
import type { EphemeralTarget } from '../../incidents/service.ts';

/** Where the clicker's ephemeral answer goes. */
export const clickTarget = (body: BlockButtonAction): EphemeralTarget => ({
  channel: body.channel?.id ?? body.container.channel_id ?? '',
  userId: body.user.id,
  responseUrl: body.response_url,
});

/** A button's JSON value, or null when it does not parse. */
export function parseValue<S extends z.ZodType>(schema: S, value: string | undefined): z.output<S> | null {
  try {
    const parsed = schema.safeParse(JSON.parse(value ?? ''));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
