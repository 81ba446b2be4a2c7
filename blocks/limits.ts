/**
 * Slack's Block Kit limits (DESIGN §7), checked the way Slack checks them. The builders' tests and
 * the local workspace both use this, so a card the workspace accepts is one Slack would accept.
 */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  id: 255,
  url: 3000,
  altText: 2000,
  totalText: 12_000,
  messageText: 40_000,
} as const;

export type LimitsError = 'invalid_blocks' | 'msg_blocks_too_long' | 'no_text' | 'msg_too_long';
export type LimitsResult = { ok: true } | { ok: false; error: LimitsError; problems: string[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkMessage(message: { text?: unknown; blocks?: unknown }): LimitsResult {
  const { text, blocks } = message;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if ((typeof text !== 'string' || text.trim() === '') && !hasBlocks) return { ok: false, error: 'no_text', problems: ['text or blocks is required'] };
  if (typeof text === 'string' && text.length > LIMITS.messageText) return { ok: false, error: 'msg_too_long', problems: [`text is longer than ${LIMITS.messageText}`] };
  if (blocks === undefined) return { ok: true };
  const problems: string[] = [];
  const counter = { chars: 0 };
  if (!Array.isArray(blocks)) problems.push('must be an array [json-pointer:/blocks]');
  else {
    if (blocks.length > LIMITS.blocks) problems.push(`must provide an array of no more than ${LIMITS.blocks} items [json-pointer:/blocks]`);
    blocks.forEach((b, i) => checkBlock(b, `/blocks/${i}`, problems, counter));
  }
  if (problems.length) return { ok: false, error: 'invalid_blocks', problems };
  if (counter.chars > LIMITS.totalText) return { ok: false, error: 'msg_blocks_too_long', problems: [`blocks hold ${counter.chars} characters of text, more than ${LIMITS.totalText}`] };
  return { ok: true };
}

function checkBlock(b: unknown, at: string, p: string[], counter: { chars: number }): void {
  if (!isObj(b)) return void p.push(`must be an object [json-pointer:${at}]`);
  maxLen(b.block_id, LIMITS.id, `${at}/block_id`, p);
  const text = (v: unknown, path: string, max: number, kinds: string[] = ['plain_text', 'mrkdwn']) => checkText(v, path, max, kinds, p, counter);
  switch (b.type) {
    case 'header':
      text(b.text, `${at}/text`, LIMITS.headerText, ['plain_text']);
      break;
    case 'section': {
      if (b.text === undefined && b.fields === undefined) p.push(`must provide text or fields [json-pointer:${at}]`);
      if (b.text !== undefined) text(b.text, `${at}/text`, LIMITS.sectionText);
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0) p.push(`must be a non-empty array [json-pointer:${at}/fields]`);
        else {
          if (b.fields.length > LIMITS.fields) p.push(`must provide an array of no more than ${LIMITS.fields} items [json-pointer:${at}/fields]`);
          b.fields.forEach((f, i) => text(f, `${at}/fields/${i}`, LIMITS.fieldText));
        }
      }
      if (b.accessory !== undefined) checkElement(b.accessory, `${at}/accessory`, p, counter);
      break;
    }
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length === 0) p.push(`must be a non-empty array [json-pointer:${at}/elements]`);
      else {
        if (b.elements.length > LIMITS.contextElements) p.push(`must provide an array of no more than ${LIMITS.contextElements} items [json-pointer:${at}/elements]`);
        b.elements.forEach((e, i) => (isObj(e) && e.type === 'image' ? checkImage(e, `${at}/elements/${i}`, p) : text(e, `${at}/elements/${i}`, LIMITS.sectionText)));
      }
      break;
    case 'actions':
      if (!Array.isArray(b.elements) || b.elements.length === 0) p.push(`must be a non-empty array [json-pointer:${at}/elements]`);
      else {
        if (b.elements.length > LIMITS.actionsElements) p.push(`must provide an array of no more than ${LIMITS.actionsElements} items [json-pointer:${at}/elements]`);
        b.elements.forEach((e, i) => checkElement(e, `${at}/elements/${i}`, p, counter));
      }
      break;
    case 'divider':
      break;
    case 'image':
      checkImage(b, at, p);
      if (b.title !== undefined) text(b.title, `${at}/title`, LIMITS.altText, ['plain_text']);
      break;
    default:
      p.push(`unsupported block type ${JSON.stringify(b.type)} [json-pointer:${at}/type]`);
  }
}

function checkElement(e: unknown, at: string, p: string[], counter: { chars: number }): void {
  if (!isObj(e)) return void p.push(`must be an object [json-pointer:${at}]`);
  if (e.type === 'image') return checkImage(e, at, p);
  if (e.type !== 'button') return void p.push(`unsupported element type ${JSON.stringify(e.type)} [json-pointer:${at}/type]`);
  checkText(e.text, `${at}/text`, LIMITS.buttonText, ['plain_text'], p, counter);
  maxLen(e.action_id, LIMITS.id, `${at}/action_id`, p);
  maxLen(e.value, LIMITS.buttonValue, `${at}/value`, p);
  maxLen(e.url, LIMITS.url, `${at}/url`, p);
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') p.push(`must be primary or danger [json-pointer:${at}/style]`);
  if (e.confirm !== undefined) {
    const c = e.confirm;
    if (!isObj(c)) return void p.push(`must be an object [json-pointer:${at}/confirm]`);
    checkText(c.title, `${at}/confirm/title`, 100, ['plain_text'], p, counter);
    checkText(c.text, `${at}/confirm/text`, 300, ['plain_text', 'mrkdwn'], p, counter);
    checkText(c.confirm, `${at}/confirm/confirm`, 30, ['plain_text'], p, counter);
    checkText(c.deny, `${at}/confirm/deny`, 30, ['plain_text'], p, counter);
  }
}

function checkImage(e: Obj, at: string, p: string[]): void {
  if (typeof e.image_url !== 'string' || e.image_url === '') p.push(`must provide image_url [json-pointer:${at}/image_url]`);
  else maxLen(e.image_url, LIMITS.url, `${at}/image_url`, p);
  if (typeof e.alt_text !== 'string' || e.alt_text === '') p.push(`must provide alt_text [json-pointer:${at}/alt_text]`);
  else maxLen(e.alt_text, LIMITS.altText, `${at}/alt_text`, p);
}

function checkText(v: unknown, at: string, max: number, kinds: string[], p: string[], counter: { chars: number }): void {
  if (!isObj(v)) return void p.push(`must be a text object [json-pointer:${at}]`);
  if (!kinds.includes(v.type as string)) return void p.push(`must be ${kinds.join(' or ')} [json-pointer:${at}/type]`);
  if (typeof v.text !== 'string' || v.text.length === 0) return void p.push(`must be a non-empty string [json-pointer:${at}/text]`);
  if (v.text.length > max) p.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
  counter.chars += v.text.length;
}

function maxLen(v: unknown, max: number, at: string, p: string[]): void {
  if (v === undefined) return;
  if (typeof v !== 'string') p.push(`must be a string [json-pointer:${at}]`);
  else if (v.length > max) p.push(`must be less than ${max + 1} characters [json-pointer:${at}]`);
}
