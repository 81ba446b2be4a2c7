/** Types for viewInput.js (plain browser JavaScript, also imported by the workspace server). */

/** Submitted values: block_id → action_id → text. */
export type SubmittedValues = Readonly<Record<string, Readonly<Record<string, string>>>>;

export type TextInput = {
  block_id: string;
  action_id: string;
  element: { type: 'plain_text_input'; action_id: string; min_length?: number; max_length?: number; multiline?: boolean };
  optional: boolean;
};

export const REQUIRED_MESSAGE: string;
export function tooShortMessage(min: number): string;
export function tooLongMessage(max: number): string;

/** The input blocks of a view that hold a plain_text_input. */
export function textInputs(blocks: readonly unknown[] | undefined): TextInput[];

/** The submitted value of one input, or '' when none was given. */
export function valueOf(values: SubmittedValues | undefined, blockId: string, actionId: string): string;

/** Errors by block_id as Slack shows them under each input; empty when the values may be submitted. */
export function inputErrors(blocks: readonly unknown[] | undefined, values: SubmittedValues | undefined): Record<string, string>;
