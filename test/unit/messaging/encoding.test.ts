import { describe, expect, it } from 'vitest';
import { SMART_REPLACEMENTS, isGsmText, smartEncode } from '../../../src/domain/messaging/encoding.js';
import { countSegments } from '../../../src/domain/messaging/segments.js';

describe('smartEncode', () => {
  it.each<[string, string]>([
    ['L’offre “spéciale”', 'L\'offre "spéciale"'],
    ['Soldes – 20 % … jusqu’à dimanche', "Soldes - 20 % ... jusqu'à dimanche"],
    ['« Bonjour »\u00A0!', '" Bonjour " !'],
    ['Prix\u202F: 10\u00A0€', 'Prix : 10 €'],
    ['François, votre reçu', 'Francois, votre recu'],
    ['Hôtel Château — forêt', 'Hotel Chateau - foret'],
    ['Cœur', 'Coeur'],
    ['zero\u200Bwidth', 'zerowidth'],
    ['Łódź', 'Lodz'],
  ])('%j becomes %j and fits GSM-7', (input, expected) => {
    const result = smartEncode(input);
    expect(result.text).toBe(expected);
    expect(countSegments(result.text).encoding).toBe('GSM7');
  });

  it('keeps the accented letters GSM has', () => {
    const text = 'é è ù ì ò Ç Ø ø Å å Ä Ö Ñ Ü ä ö ñ ü à É Æ æ ß';
    expect(smartEncode(`${text} ’`).text).toBe(`${text} '`);
  });

  it('reports each replaced character with its replacement and count, in order of appearance', () => {
    expect(smartEncode('“Hé” l’été’').replacements).toEqual([
      { character: '“', replacement: '"', count: 1 },
      { character: '”', replacement: '"', count: 1 },
      { character: '’', replacement: "'", count: 2 },
    ]);
  });

  it('leaves a GSM text unchanged, reporting nothing', () => {
    const text = 'Bonjour Zoé, -20% ce week-end {promo} €';
    expect(smartEncode(text)).toEqual({ text, replacements: [] });
  });

  it('leaves the text unchanged when a character has no GSM equivalent (it is UCS-2 anyway)', () => {
    const text = 'L’offre 🎉 “spéciale”';
    expect(smartEncode(text)).toEqual({ text, replacements: [] });
    expect(smartEncode('Ваш код’').text).toBe('Ваш код’');
  });

  it('saves segments on a typical French marketing text', () => {
    const text = 'Chère cliente, profitez de –30\u00A0% sur toute la collection jusqu’à dimanche\u00A0! Rendez-vous en boutique ou sur notre site.';
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS2', segments: 2 });
    expect(countSegments(smartEncode(text).text)).toMatchObject({ encoding: 'GSM7', segments: 1 });
  });

  it('every replaced character is outside GSM and every replacement is GSM', () => {
    for (const [character, replacement] of Object.entries(SMART_REPLACEMENTS)) {
      expect(isGsmText(character), `${character} should not be GSM`).toBe(false);
      expect(isGsmText(replacement), `${replacement} should be GSM`).toBe(true);
    }
  });
});
