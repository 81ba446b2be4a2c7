/** Resolves the configured incident channel (a name or an id) to its id, once at start-up. */
import type { webApi } from '@slack/bolt';
import { ConfigError } from '../errors.ts';

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

export async function resolveChannel(client: webApi.WebClient, nameOrId: string): Promise<string> {
  if (CHANNEL_ID.test(nameOrId)) return nameOrId;
  const name = nameOrId.replace(/^#/, '');
  let cursor: string | undefined;
  do {
    const page = await client.conversations.list({ types: 'public_channel', exclude_archived: true, limit: 1000, cursor });
    const found = page.channels?.find((c) => c.name === name);
    if (found?.id) return found.id;
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  throw new ConfigError([`slack.channel (env INCIDENT_CREW_CHANNEL): no public channel named #${name} is visible to the bot; create it, or give a private channel's id`]);
}
