// The checks Slack's client makes before it lets a modal be submitted: required inputs must be
// filled, plain_text_input values must respect min_length and max_length. Shared by the page and
// the workspace server (which repeats them, since a submit may not come from the page), so both
// refuse exactly the same values. Pure functions, no DOM.

export const REQUIRED_MESSAGE = 'Please complete this required field.';

export const tooShortMessage = (min) => `Please enter at least ${min} character${min === 1 ? '' : 's'}.`;
export const tooLongMessage = (max) => `Please enter no more than ${max} character${max === 1 ? '' : 's'}.`;

/** The input blocks of a view with a plain_text_input element: [{ block_id, action_id, element, optional }]. */
export function textInputs(blocks) {
  const inputs = [];
  for (const block of Array.isArray(blocks) ? blocks : []) {
    if (block?.type !== 'input' || block.element?.type !== 'plain_text_input') continue;
    inputs.push({ block_id: block.block_id, action_id: block.element.action_id, element: block.element, optional: block.optional === true });
  }
  return inputs;
}

/** The submitted value of one input, or '' when none was given. */
export function valueOf(values, blockId, actionId) {
  const value = values?.[blockId]?.[actionId];
  return typeof value === 'string' ? value : '';
}

/**
 * Errors by block_id, as Slack shows them under each input; an empty object when the values
 * may be submitted. A blank optional input is never an error.
 */
export function inputErrors(blocks, values) {
  const errors = {};
  for (const input of textInputs(blocks)) {
    const value = valueOf(values, input.block_id, input.action_id);
    const { min_length: min, max_length: max } = input.element;
    if (value.trim() === '') {
      if (!input.optional) errors[input.block_id] = REQUIRED_MESSAGE;
    } else if (typeof min === 'number' && value.length < min) {
      errors[input.block_id] = tooShortMessage(min);
    } else if (typeof max === 'number' && value.length > max) {
      errors[input.block_id] = tooLongMessage(max);
    }
  }
  return errors;
}
