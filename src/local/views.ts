/**
 * Modals as Slack handles them: the checks views.open makes (answered with invalid_arguments and
 * json-pointer messages), the view object Slack stores and returns (ids, hash, state), and the
 * state.values a view_submission carries. Non-input blocks are checked by blocks/limits.ts.
 */
import { randomBytes } from 'node:crypto';
import { checkMessage } from '../../blocks/limits.ts';
import { type SubmittedValues, textInputs, valueOf } from './page/viewInput.js';
import { APP_ID, BOT, TEAM } from './store.ts';

export type { SubmittedValues } from './page/viewInput.js';

export const VIEW_LIMITS = {
  title: 24,
  button: 24,
  blocks: 100,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  inputText: 3000,
  id: 255,
  /** Slack answers view_too_large above 250 kB of view JSON. */
  bytes: 250_000,
} as const;

type Obj = Record<string, unknown>;
export type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
export type StateValues = Record<string, Record<string, { type: 'plain_text_input'; value: string | null }>>;

export type View = {
  id: string;
  team_id: string;
  type: 'modal';
  title: TextObject;
  submit?: TextObject;
  close?: TextObject;
  blocks: Obj[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: StateValues };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  previous_view_id: string | null;
  root_view_id: string;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems with a view argument, as Slack words them (`... [json-pointer:/view/...]`); empty when valid. */
export function checkView(view: unknown): string[] {
  const p: string[] = [];
  if (!isObj(view)) return ['must be an object [json-pointer:/view]'];
  if (view.type !== 'modal') p.push('must be "modal" [json-pointer:/view/type]');
  plainText(view.title, '/view/title', VIEW_LIMITS.title, p);
  if (view.submit !== undefined) plainText(view.submit, '/view/submit', VIEW_LIMITS.button, p);
  if (view.close !== undefined) plainText(view.close, '/view/close', VIEW_LIMITS.button, p);
  maxString(view.private_metadata, VIEW_LIMITS.privateMetadata, '/view/private_metadata', p);
  maxString(view.callback_id, VIEW_LIMITS.callbackId, '/view/callback_id', p);
  maxString(view.external_id, VIEW_LIMITS.externalId, '/view/external_id', p);
  for (const key of ['notify_on_close', 'clear_on_close', 'submit_disabled'] as const) {
    if (view[key] !== undefined && typeof view[key] !== 'boolean') p.push(`must be a boolean [json-pointer:/view/${key}]`);
  }
  if (!Array.isArray(view.blocks)) {
    p.push('must be an array [json-pointer:/view/blocks]');
    return p;
  }
  if (view.blocks.length > VIEW_LIMITS.blocks) p.push(`must provide an array of no more than ${VIEW_LIMITS.blocks} items [json-pointer:/view/blocks]`);
  const blockIds = new Set<string>();
  view.blocks.forEach((block, i) => {
    const at = `/view/blocks/${i}`;
    if (isObj(block) && typeof block.block_id === 'string') {
      if (blockIds.has(block.block_id)) p.push(`duplicate block_id ${JSON.stringify(block.block_id)} [json-pointer:${at}/block_id]`);
      blockIds.add(block.block_id);
    }
    if (isObj(block) && block.type === 'input') checkInputBlock(block, at, p);
    else checkOtherBlock(block, at, p);
  });
  const hasInput = view.blocks.some((b) => isObj(b) && b.type === 'input');
  if (hasInput && view.submit === undefined) p.push('must provide submit when blocks contain an input block [json-pointer:/view/submit]');
  return p;
}

function checkInputBlock(b: Obj, at: string, p: string[]): void {
  maxString(b.block_id, VIEW_LIMITS.id, `${at}/block_id`, p);
  plainText(b.label, `${at}/label`, VIEW_LIMITS.label, p);
  if (b.hint !== undefined) plainText(b.hint, `${at}/hint`, VIEW_LIMITS.hint, p);
  for (const key of ['optional', 'dispatch_action'] as const) {
    if (b[key] !== undefined && typeof b[key] !== 'boolean') p.push(`must be a boolean [json-pointer:${at}/${key}]`);
  }
  const e = b.element;
  if (!isObj(e)) return void p.push(`must provide an element [json-pointer:${at}/element]`);
  if (e.type !== 'plain_text_input') return void p.push(`unsupported element type ${JSON.stringify(e.type)} [json-pointer:${at}/element/type]`);
  maxString(e.action_id, VIEW_LIMITS.id, `${at}/element/action_id`, p);
  if (e.placeholder !== undefined) plainText(e.placeholder, `${at}/element/placeholder`, VIEW_LIMITS.placeholder, p);
  maxString(e.initial_value, VIEW_LIMITS.inputText, `${at}/element/initial_value`, p);
  if (e.multiline !== undefined && typeof e.multiline !== 'boolean') p.push(`must be a boolean [json-pointer:${at}/element/multiline]`);
  const min = integer(e.min_length, 0, VIEW_LIMITS.inputText, `${at}/element/min_length`, p);
  const max = integer(e.max_length, 1, VIEW_LIMITS.inputText, `${at}/element/max_length`, p);
  if (min !== undefined && max !== undefined && min > max) p.push(`min_length must not be greater than max_length [json-pointer:${at}/element/min_length]`);
}

/** Section, header, context, actions, divider, image: the same rules as in messages. */
function checkOtherBlock(b: unknown, at: string, p: string[]): void {
  const result = checkMessage({ blocks: [b] });
  // Views have no total-text limit like messages (msg_blocks_too_long); only per-block problems count.
  if (result.ok || result.error !== 'invalid_blocks') return;
  for (const problem of result.problems) p.push(problem.replace('[json-pointer:/blocks/0', `[json-pointer:${at}`));
}

function plainText(v: unknown, at: string, max: number, p: string[]): void {
  if (!isObj(v)) return void p.push(`must be a text object [json-pointer:${at}]`);
  if (v.type !== 'plain_text') return void p.push(`must be plain_text [json-pointer:${at}/type]`);
  if (typeof v.text !== 'string' || v.text.length === 0) return void p.push(`must be a non-empty string [json-pointer:${at}/text]`);
  if (v.text.length > max) p.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
}

function maxString(v: unknown, max: number, at: string, p: string[]): void {
  if (v === undefined) return;
  if (typeof v !== 'string') p.push(`must be a string [json-pointer:${at}]`);
  else if (v.length > max) p.push(`must be less than ${max + 1} characters [json-pointer:${at}]`);
}

function integer(v: unknown, min: number, max: number, at: string, p: string[]): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.push(`must be an integer from ${min} to ${max} [json-pointer:${at}]`);
    return undefined;
  }
  return v;
}

/** Slack's generated ids: block_id and action_id for blocks and elements given without one. */
const shortId = () => randomBytes(4).toString('base64url').slice(0, 5);
export const newViewId = () => `V${randomBytes(8).toString('hex').toUpperCase().slice(0, 10)}`;
const newHash = () => `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;

/**
 * The view Slack stores and returns for a checked view argument: ids filled in, a fresh hash and
 * empty state. `place` keeps an existing id (update) or links a pushed view to its stack.
 */
export function createView(input: Obj, place: { id?: string; previousViewId?: string | null; rootViewId?: string } = {}): View {
  const id = place.id ?? newViewId();
  const blocks = (input.blocks as Obj[]).map((b) => {
    const block: Obj = { ...b, block_id: typeof b.block_id === 'string' ? b.block_id : shortId() };
    if (b.type === 'input' && isObj(b.element)) {
      block.element = { ...b.element, action_id: typeof b.element.action_id === 'string' ? b.element.action_id : shortId() };
      block.optional = b.optional === true;
    }
    return block;
  });
  return {
    id,
    team_id: TEAM.id,
    type: 'modal',
    title: input.title as TextObject,
    ...(input.submit ? { submit: input.submit as TextObject } : {}),
    ...(input.close ? { close: input.close as TextObject } : {}),
    blocks,
    private_metadata: typeof input.private_metadata === 'string' ? input.private_metadata : '',
    callback_id: typeof input.callback_id === 'string' ? input.callback_id : '',
    external_id: typeof input.external_id === 'string' ? input.external_id : '',
    state: { values: {} },
    hash: newHash(),
    clear_on_close: input.clear_on_close === true,
    notify_on_close: input.notify_on_close === true,
    previous_view_id: place.previousViewId ?? null,
    root_view_id: place.rootViewId ?? id,
    app_id: APP_ID,
    app_installed_team_id: TEAM.id,
    bot_id: BOT.bot_id,
  };
}

/**
 * `view.state.values` as Slack sends it: every plain_text_input of the view, with `value: null`
 * when left empty.
 */
export function stateValues(view: View, values: SubmittedValues | undefined): StateValues {
  const state: StateValues = {};
  for (const input of textInputs(view.blocks)) {
    const value = valueOf(values, input.block_id, input.action_id);
    (state[input.block_id] ??= {})[input.action_id] = { type: 'plain_text_input', value: value === '' ? null : value };
  }
  return state;
}
