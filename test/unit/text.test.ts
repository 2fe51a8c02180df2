import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanDeep, cleanText, cutText, excerpt } from '../../src/core/text.ts';

const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('customer text', () => {
  it('cuts on code points: an emoji at the cut stays whole or goes whole', () => {
    const s = `${'好'.repeat(79)}😀尾`;
    expect(cutText(s, 80)).toBe(`${'好'.repeat(79)}😀`);
    expect(cutText(s, 79)).toBe('好'.repeat(79));
    expect(excerpt('😀😀😀', 2)).toBe('😀😀…');
    expect(excerpt('短', 2)).toBe('短');
  });

  it('drops NUL and control characters, keeps tabs and newlines, replaces lone surrogates', () => {
    expect(cleanText('a\u0000b\u0007c\td\ne\r')).toBe('abc\td\ne\r');
    expect(cleanText('x\uD83Dy')).toBe('x\uFFFDy');
    expect(cleanText('x\uDE00')).toBe('x\uFFFD');
    expect(cleanText('😀')).toBe('😀');
    expect(cleanDeep({ 'k\u0000': ['\uD800', 1, null, { t: 'a\u0000' }] })).toEqual({ k: ['\uFFFD', 1, null, { t: 'a' }] });
  });

  it('any string, cleaned and cut, is well-formed and NUL-free', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(50), (s, n) => {
        const out = cutText(cleanText(s), n);
        expect(wellFormed(out)).toBe(true);
        expect(out.includes('\u0000')).toBe(false);
        expect([...out].length).toBeLessThanOrEqual(n);
      }),
    );
  });
});
