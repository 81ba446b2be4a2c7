/**
 * Log-parsing accuracy as defined by loghub-2.0 (Jiang et al., ICSE 2024), over per-line labels.
 * A "group" is the set of lines sharing one label; the scoring never normalises template text.
 */

/** One line's label: the group it belongs to and the template text it was given. */
export type LineLabel = { group: string; template: string };

export type GroupingScores = {
  /** Share of lines whose predicted group is exactly their true group. */
  GA: number;
  /** Correct groups / predicted groups. */
  PGA: number;
  /** Correct groups / true groups. */
  RGA: number;
  FGA: number;
};

export type TemplateScores = { PTA: number; RTA: number; FTA: number };

export type ParseScores = { GA: number; FGA: number; PA: number; FTA: number };

export const f1 = (precision: number, recall: number): number =>
  precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);

const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);

function checkLengths(truth: readonly unknown[], predicted: readonly unknown[]): void {
  if (truth.length !== predicted.length) {
    throw new Error(`truth has ${truth.length} lines, the prediction ${predicted.length}`);
  }
}

type TrueGroup = { lines: number[]; predicted: string | undefined; uniform: boolean };

/**
 * The true groups whose lines form exactly one predicted group: all of them carry the same
 * predicted label, and no other line does.
 */
function correctlyGrouped(truth: readonly string[], predicted: readonly string[]): { groups: Map<string, TrueGroup>; correct: TrueGroup[]; predictedGroups: number } {
  checkLengths(truth, predicted);
  const groups = new Map<string, TrueGroup>();
  const predictedSize = new Map<string, number>();
  for (let i = 0; i < truth.length; i++) {
    const p = predicted[i]!;
    predictedSize.set(p, (predictedSize.get(p) ?? 0) + 1);
    let g = groups.get(truth[i]!);
    if (!g) groups.set(truth[i]!, (g = { lines: [], predicted: p, uniform: true }));
    g.lines.push(i);
    if (g.predicted !== p) g.uniform = false;
  }
  const correct = [...groups.values()].filter((g) => g.uniform && predictedSize.get(g.predicted!) === g.lines.length);
  return { groups, correct, predictedGroups: predictedSize.size };
}

/** GA and FGA from the true and predicted group label of each line. */
export function groupingScores(truth: readonly string[], predicted: readonly string[]): GroupingScores {
  const { groups, correct, predictedGroups } = correctlyGrouped(truth, predicted);
  const lines = correct.reduce((sum, g) => sum + g.lines.length, 0);
  const PGA = ratio(correct.length, predictedGroups);
  const RGA = ratio(correct.length, groups.size);
  return { GA: ratio(lines, truth.length), PGA, RGA, FGA: f1(PGA, RGA) };
}

/** PA: the share of lines whose predicted template text equals the true one exactly. */
export function parsingAccuracy(truth: readonly string[], predicted: readonly string[]): number {
  checkLengths(truth, predicted);
  let same = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) same++;
  return ratio(same, truth.length);
}

/**
 * FTA: a predicted template counts as correct when its lines are exactly one true group
 * (correctly grouped) and each of them was given exactly the true template text (correctly
 * written). Precision is over predicted groups, recall over true groups.
 */
export function templateScores(truth: readonly LineLabel[], predicted: readonly LineLabel[]): TemplateScores {
  const { groups, correct, predictedGroups } = correctlyGrouped(
    truth.map((l) => l.group),
    predicted.map((l) => l.group),
  );
  const written = correct.filter((g) => g.lines.every((i) => predicted[i]!.template === truth[i]!.template)).length;
  const PTA = ratio(written, predictedGroups);
  const RTA = ratio(written, groups.size);
  return { PTA, RTA, FTA: f1(PTA, RTA) };
}

/** The four headline figures for one system. */
export function parseScores(truth: readonly LineLabel[], predicted: readonly LineLabel[]): ParseScores {
  const { GA, FGA } = groupingScores(
    truth.map((l) => l.group),
    predicted.map((l) => l.group),
  );
  const PA = parsingAccuracy(
    truth.map((l) => l.template),
    predicted.map((l) => l.template),
  );
  const { FTA } = templateScores(truth, predicted);
  return { GA, FGA, PA, FTA };
}
