import { tokens } from './bayes.ts';

/**
 * Cosine similarity of character-bigram counts: robust to word order and to the small edits of people describing
 * the same outage in their own words, and needs no segmenter.
 */
export function bigramVector(text: string): Map<string, number> {
  // Every intake compares its text with up to 300 recent subjects, mostly the same ones: remembered (callers only read).
  const hit = vectors.get(text);
  if (hit) return hit;
  const v = new Map<string, number>();
  for (const t of tokens(text)) v.set(t, (v.get(t) ?? 0) + 1);
  if (vectors.size >= VECTOR_CACHE) vectors.delete(vectors.keys().next().value!);
  vectors.set(text, v);
  return v;
}
const VECTOR_CACHE = 5000;
const vectors = new Map<string, Map<string, number>>();

export function cosine(a: Map<string, number>, b: Map<string, number>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let dot = 0;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  for (const [k, x] of small) dot += x * (large.get(k) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
  return dot / (norm(a) * norm(b));
}

export const similarity = (a: string, b: string) => cosine(bigramVector(a), bigramVector(b));
