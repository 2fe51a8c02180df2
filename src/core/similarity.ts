import { tokens } from './bayes.ts';

/**
 * Cosine similarity of character-bigram counts: robust to word order and to the small edits of people describing
 * the same outage in their own words, and needs no segmenter.
 */
export function bigramVector(text: string): Map<string, number> {
  const v = new Map<string, number>();
  for (const t of tokens(text)) v.set(t, (v.get(t) ?? 0) + 1);
  return v;
}

export function cosine(a: Map<string, number>, b: Map<string, number>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let dot = 0;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  for (const [k, x] of small) dot += x * (large.get(k) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
  return dot / (norm(a) * norm(b));
}

export const similarity = (a: string, b: string) => cosine(bigramVector(a), bigramVector(b));
