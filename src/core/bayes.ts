/**
 * Multinomial naive Bayes over character bigrams: needs no word segmenter and no model download, learns from each
 * agent reclassification incrementally, and serialises to plain JSON (kept in the database).
 */

export interface BayesModel {
  version: 1;
  examples: number;
  /** documents per label */
  docs: Record<string, number>;
  /** total token count per label */
  totals: Record<string, number>;
  /** token → label → count */
  counts: Record<string, Record<string, number>>;
  vocabulary: number;
}

export function emptyModel(): BayesModel {
  return { version: 1, examples: 0, docs: {}, totals: {}, counts: {}, vocabulary: 0 };
}

/** Character bigrams of the normalised text (letters and digits, case-folded; latin words kept whole). */
export function tokens(text: string): string[] {
  const norm = text.toLowerCase().normalize('NFKC');
  const out: string[] = [];
  // Long digit runs are order numbers, phone numbers and amounts: noise that only grows the model and makes two
  // reports of the same outage look different.
  for (const word of norm.match(/[a-z0-9]+/g) ?? []) if (word.length > 1 && !/^\d{5,}$/.test(word)) out.push(word);
  for (const run of norm.match(/[\p{Script=Han}]+/gu) ?? []) {
    if (run.length === 1) out.push(run);
    for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  }
  return out;
}

export function train(model: BayesModel, text: string, label: string): BayesModel {
  model.examples += 1;
  model.docs[label] = (model.docs[label] ?? 0) + 1;
  for (const t of tokens(text)) {
    let row = model.counts[t];
    if (!row) {
      row = model.counts[t] = {};
      model.vocabulary += 1;
    }
    row[label] = (row[label] ?? 0) + 1;
    model.totals[label] = (model.totals[label] ?? 0) + 1;
  }
  return model;
}

/** Most likely label and its posterior probability (softmax of the log scores), or null before any training. */
export function predict(model: BayesModel, text: string): { label: string; confidence: number } | null {
  const labels = Object.keys(model.docs);
  if (labels.length === 0) return null;
  const toks = tokens(text).filter((t) => model.counts[t]); // unseen tokens carry no evidence
  const v = model.vocabulary + 1;
  const scores = labels.map((label) => {
    let s = Math.log(model.docs[label] / model.examples);
    const total = model.totals[label] ?? 0;
    for (const t of toks) s += Math.log(((model.counts[t][label] ?? 0) + 1) / (total + v));
    return s;
  });
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const best = exp.indexOf(Math.max(...exp));
  return { label: labels[best], confidence: toks.length === 0 ? 0 : exp[best] / sum };
}
