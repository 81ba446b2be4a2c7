import type { types } from '@slack/bolt';

export type KnownBlock = types.KnownBlock;

/** What every builder returns: blocks plus the required notification fallback text. */
export type SlackMessage = { text: string; blocks?: KnownBlock[] };
